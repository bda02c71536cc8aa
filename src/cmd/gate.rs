//! `gate pre-upgrade|post-upgrade|remove-revision`: pass/fail checks for a pipeline.

use crate::cli::flags::{OutputArgs, PolicyArgs, SourceArgs};
use crate::error::Error;
use crate::finding::FailOn;
use crate::gate::{self, Outcome};
use crate::render;
use crate::verdict::Verdict;

#[derive(Debug, clap::Subcommand)]
pub enum Gate {
    /// Before installing --target: revision names valid, CRs do not overlap, the current install
    /// has not drifted (with --manifest), control planes ready, no proxy on a revision without a
    /// control plane, no dangling tag.
    PreUpgrade(Box<PreUpgradeArgs>),
    /// After moving to --target: every namespace, workload and gateway on it, nothing mixed.
    PostUpgrade(Box<PostUpgradeArgs>),
    /// Before `istioctl uninstall --revision REV`: nothing depends on REV any more; every blocker
    /// listed (namespaces, workloads and pods, tags, gateways, IstioOperator CRs).
    RemoveRevision(Box<RemoveRevisionArgs>),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct PreUpgradeArgs {
    /// The revision about to be installed.
    #[arg(long, value_name = "REV")]
    pub target: String,

    /// An IstioOperator file to check for overlap (one CR per file). Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,

    /// The rendered output of an installed CR (`istioctl manifest generate`), as CR_NAME=FILE
    /// (CR_NAME may be a -f path): diffed against the cluster for drift. Repeatable.
    #[arg(long = "manifest", value_name = "CR_NAME=FILE")]
    pub manifests: Vec<String>,

    /// The istioctl that renders -f files without a --manifest; default: istioctl on PATH.
    #[arg(long, value_name = "PATH")]
    pub istioctl: Option<String>,

    /// Istio version whose profiles apply to -f files (default: the control plane's).
    #[arg(long, value_name = "VERSION")]
    pub istio_version: Option<String>,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct PostUpgradeArgs {
    /// The revision the upgrade moved to.
    #[arg(long, value_name = "REV")]
    pub target: String,

    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, clap::Args)]
pub struct RemoveRevisionArgs {
    /// The revision about to be uninstalled.
    #[arg(value_name = "REV")]
    pub revision: String,

    #[command(flatten)]
    pub common: Common,
}

pub fn run(gate: &Gate, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    let common = match gate {
        Gate::PreUpgrade(a) => &a.common,
        Gate::PostUpgrade(a) => &a.common,
        Gate::RemoveRevision(a) => &a.common,
    };
    render::set_color(common.output.color_choice());
    if common.source.fleet()?.is_some() {
        return Err(Error::Input(
            "a gate checks one cluster: pass one --context (run the gate once per cluster)"
                .to_string(),
        ));
    }
    // A gate is stricter than a report: every warning of its checks fails it.
    let resolved = common.policy.resolve(FailOn::Warning)?;
    let source = common.source.options();
    let inventory = crate::source::load(&source)?;
    let outcome = match gate {
        Gate::PreUpgrade(a) => gate::pre_upgrade(
            &gate::PreUpgrade {
                target: a.target.clone(),
                files: a.files.clone(),
                manifests: a.manifests.clone(),
                istioctl: a.istioctl.clone(),
                istio_version: a.istio_version.clone(),
                config: common.policy.config.clone(),
                source: source.clone(),
            },
            &inventory,
        )?,
        Gate::PostUpgrade(a) => gate::post_upgrade(&a.target, &inventory),
        Gate::RemoveRevision(a) => gate::remove_revision(&a.revision, &inventory),
    };
    let Outcome {
        mut report,
        checks,
        sources,
    } = outcome;
    let suppressor = resolved.suppressor.with_annotations(&inventory)?;
    let (kept, suppressed) = suppressor.apply(std::mem::take(&mut report.findings));
    let mut verdict = Verdict::settle(
        &format!("gate {}", report.gate),
        checks,
        kept,
        suppressed,
        &report.not_checked,
    );
    verdict.sources = sources;
    report.findings = verdict.findings.clone();
    let code = crate::verdict::exit_code(&verdict, &resolved.policy);
    super::finish(
        stdout,
        &common.output,
        &verdict,
        &resolved.policy,
        &report,
        || render::gate::text(&report, &verdict, code),
    )
}
