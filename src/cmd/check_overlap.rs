//! `check-overlap`: IstioOperator CRs that would fight over the same objects.

use crate::cli::flags::{OutputArgs, PolicyArgs, SourceArgs};
use crate::error::Error;
use crate::finding::{Code, FailOn};
use crate::overlap;
use crate::render;
use crate::verdict::Verdict;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// An IstioOperator file (one CR per file, as istioctl requires). Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,

    /// The rendered output of a CR (`istioctl manifest generate`), as CR_NAME=FILE (CR_NAME may
    /// also be the -f path of an unnamed CR). Repeatable.
    #[arg(long = "manifest", value_name = "CR_NAME=FILE")]
    pub manifests: Vec<String>,

    /// The rendered output of a Helm release (`helm template` or `helm get manifest`), as
    /// [NAMESPACE/]RELEASE=FILE (default namespace istio-system). Repeatable.
    #[arg(long = "helm-manifest", value_name = "[NAMESPACE/]RELEASE=FILE")]
    pub helm_manifests: Vec<String>,

    /// Render each -f file with this istioctl (`manifest generate`); default: istioctl on PATH.
    #[arg(long, value_name = "PATH")]
    pub istioctl: Option<String>,

    /// The revision the -f files are installed with (as `istioctl install --revision`).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// Istio version whose profiles apply (1.8–1.20 → 1.8 profiles, 1.21+ → latest); default:
    /// the control plane's version, else the newest.
    #[arg(long, value_name = "VERSION")]
    pub istio_version: Option<String>,

    #[command(flatten)]
    pub source: SourceArgs,

    /// Check the -f files alone: read no cluster and no snapshot (for a pipeline before install).
    #[arg(long, conflicts_with = "snapshots")]
    pub offline: bool,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The codes `check-overlap` raises: one check each.
pub const CODES: &[Code] = &[
    Code::IR302,
    Code::IR401,
    Code::IR402,
    Code::IR403,
    Code::IR404,
    Code::IR405,
    Code::IR406,
    Code::IR407,
    Code::IR901,
];

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
    let resolved = args.policy.resolve(FailOn::Error)?;
    crate::progress::set_wanted(args.output.format == render::Format::Table);
    let inventory = if args.offline {
        None
    } else {
        let mut source = args.source.options();
        source.connect.without_cluster =
            "pass --offline to check the files alone, or --kubeconfig PATH";
        Some(crate::source::load(&source)?)
    };
    let options = overlap::Options {
        files: args.files.clone(),
        manifests: args.manifests.clone(),
        istioctl: args.istioctl.clone(),
        revision: args.revision.clone(),
        istio_version: args.istio_version.clone(),
        helm_manifests: args.helm_manifests.clone(),
    };
    let mut report = overlap::check(&options, inventory.as_ref())?;
    let suppressor = match &inventory {
        Some(inv) => resolved.suppressor.with_annotations(inv)?,
        None => resolved.suppressor,
    };
    let (kept, suppressed) = suppressor.apply(std::mem::take(&mut report.findings));
    let mut verdict = Verdict::by_code(
        "check-overlap",
        CODES,
        kept,
        suppressed,
        &report.not_checked,
    );
    verdict.sources = overlap::cr_sources(&report);
    report.findings = verdict.findings.clone();
    super::finish(
        stdout,
        &args.output,
        &verdict,
        &resolved.policy,
        &report,
        || render::overlap::text(&report) + &render::not_run_text(&verdict),
    )
}
