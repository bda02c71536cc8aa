//! `check-overlap`: IstioOperator CRs that would fight over the same objects.

use crate::cli::flags::{OutputArgs, SourceArgs};
use crate::error::Error;
use crate::finding::FailOn;
use crate::overlap;
use crate::render::{self, Format};

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

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
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
    let report = overlap::check(&options, inventory.as_ref())?;
    let text = match args.output.format {
        Format::Table => render::overlap::text(&report),
        Format::Json => render::json(&report),
        Format::Yaml => render::yaml(&report),
    };
    super::write(stdout, &text)?;
    Ok(super::exit_code(
        &report.findings,
        args.fail_on,
        !report.not_checked.is_empty(),
    ))
}
