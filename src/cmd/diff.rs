//! `diff`: the rendered output against the cluster.

use crate::cli::flags::{OutputArgs, PolicyArgs, SourceArgs};
use crate::diff;
use crate::error::Error;
use crate::finding::{Code, FailOn};
use crate::render;
use crate::verdict::Verdict;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rendered output (`istioctl manifest generate`, `helm template` or `helm get
    /// manifest`), or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<String>,

    /// The IstioOperator file: names the owner, and is rendered with istioctl unless
    /// --manifest is given.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Option<String>,

    /// The istioctl that renders -f (`manifest generate`); default: istioctl on PATH.
    #[arg(long, value_name = "PATH")]
    pub istioctl: Option<String>,

    /// The revision installed (as `istioctl install --revision`); default: the CR's
    /// spec.revision, else the rendered objects' istio.io/rev, else `default`.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// The owning IstioOperator as NAME or NAMESPACE/NAME, when -f does not name it.
    #[arg(long, value_name = "[NAMESPACE/]NAME")]
    pub owner: Option<String>,

    /// The owning Helm release as NAME or NAMESPACE/NAME (default namespace: -n, else
    /// istio-system): the rendered side is that release's manifest.
    #[arg(long, value_name = "[NAMESPACE/]NAME")]
    pub helm_release: Option<String>,

    /// Render the release with `helm template RELEASE CHART` (needs --helm-release, --chart).
    #[arg(long)]
    pub helm: bool,

    /// The chart --helm renders (`istio/istiod`, a directory or a .tgz).
    #[arg(long, value_name = "CHART")]
    pub chart: Option<String>,

    /// The chart version --helm renders (`helm template --version`).
    #[arg(long = "version", value_name = "VERSION")]
    pub chart_version: Option<String>,

    /// A values file for --helm (`helm template --values`). Repeatable.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<String>,

    /// The helm that renders --helm; default: helm on PATH.
    #[arg(long, value_name = "PATH")]
    pub helm_bin: Option<String>,

    /// Compare through a server-side apply dry run (`--server-dry-run=false`: compare the
    /// rendered fields locally).
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub server_dry_run: bool,

    /// Ignore a field: KIND/NAMESPACE/NAME:/json/pointer, globs allowed (`*`, `?`; a pointer
    /// segment `*` matches any key or index). Repeatable; a --config file's ignorePaths add more.
    #[arg(long = "ignore-path", value_name = "RULE")]
    pub ignore_paths: Vec<String>,

    /// Do not ignore the known false positives (webhook caBundle, failurePolicy, HPA replicas).
    #[arg(long)]
    pub no_default_ignores: bool,

    #[command(flatten)]
    pub source: SourceArgs,

    /// --fail-on defaults to warning here: drifted, missing and owned elsewhere are errors,
    /// orphaned and unmanaged warnings, and every drift counts, as in kubectl diff.
    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// The codes `diff` raises: one check each.
pub const CODES: &[Code] = &[
    Code::IR405,
    Code::IR501,
    Code::IR502,
    Code::IR503,
    Code::IR504,
    Code::IR901,
];

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
    let resolved = args.policy.resolve(FailOn::Warning)?;
    let options = options(args);
    let mut report = diff::run(&options)?;
    let verdict = verdict(&mut report, &resolved.suppressor);
    super::finish(
        stdout,
        &args.output,
        &verdict,
        &resolved.policy,
        &report,
        || render::diff::text(&report) + &render::not_run_text(&verdict),
    )
}

pub fn options(args: &Args) -> diff::Options {
    diff::Options {
        manifest: args.manifest.clone(),
        file: args.file.clone(),
        istioctl: args.istioctl.clone(),
        revision: args.revision.clone(),
        owner: args.owner.clone(),
        helm_release: args.helm_release.clone(),
        helm: args.helm,
        chart: args.chart.clone(),
        chart_version: args.chart_version.clone(),
        values: args.values.clone(),
        helm_bin: args.helm_bin.clone(),
        server_dry_run: args.server_dry_run,
        ignores: args.ignore_paths.clone(),
        config: args.policy.config.clone(),
        default_ignores: !args.no_default_ignores,
        source: args.source.options(),
    }
}

/// Suppresses (the report keeps only what counts) and settles one check per code.
pub fn verdict(report: &mut diff::Report, suppressor: &crate::suppress::Suppressor) -> Verdict {
    let (kept, suppressed) =
        suppressor.apply(report.findings.iter().map(|f| f.finding.clone()).collect());
    report.findings.retain(|f| kept.contains(&f.finding));
    // The summary line counts what counts.
    for s in &suppressed {
        let n = match s.finding.code {
            Code::IR501 => &mut report.summary.drifted,
            Code::IR502 => &mut report.summary.missing,
            Code::IR503 => &mut report.summary.orphaned,
            Code::IR504 => &mut report.summary.unmanaged,
            Code::IR405 => &mut report.summary.owned_elsewhere,
            _ => continue,
        };
        *n = n.saturating_sub(1);
    }
    Verdict::by_code("diff", CODES, kept, suppressed, &report.not_checked)
}
