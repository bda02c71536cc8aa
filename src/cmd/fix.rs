//! `fix`: the plan first, then, on request, the guide's steps carried out.

use crate::cli::flags::{OutputArgs, SourceArgs};
use crate::error::Error;
use crate::fix::{self, Plan, apply};
use crate::render::{self, Format};
use crate::source::live;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    Namespaces,
    Workloads,
    Gateways,
    /// The rendered install's drifted, missing and orphaned objects (needs -f or --manifest).
    Drift,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DryRun {
    /// Only print the plan.
    Client,
    /// Send every change as a server dry run and report what the server would do.
    Server,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to fix, in the guide's order when `all`.
    #[arg(value_enum, default_value_t = What::All)]
    pub what: What,

    /// The revision to move to (default: the newest control plane).
    #[arg(long, value_name = "REV")]
    pub target: Option<String>,

    /// Apply the plan without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// `client`: only print the plan; `server`: send every change as a server dry run.
    #[arg(long, value_enum, value_name = "client|server", num_args = 0..=1,
          default_missing_value = "client")]
    pub dry_run: Option<DryRun>,

    /// How many workload rollouts run at once.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub max_parallel: u16,

    /// How long each rollout may take (e.g. 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Server-side apply drift even where other field managers own the fields (as
    /// `kubectl apply --server-side --force-conflicts`); without it a conflict is reported.
    #[arg(long)]
    pub force_conflicts: bool,

    /// Delete the orphans the rendered install no longer renders (IR503); without it they are
    /// only listed.
    #[arg(long)]
    pub prune: bool,

    /// The rendered install whose drift to fix, as `diff` takes it.
    #[command(flatten)]
    pub render: super::diff::RenderArgs,

    #[command(flatten)]
    pub source: SourceArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    match live::client::parse_timeout(s)? {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("invalid duration {s:?}: it must be more than 0")),
    }
}

impl Args {
    fn plan_options(&self) -> fix::Options {
        fix::Options {
            target: self.target.clone(),
            scope: match self.what {
                What::Namespaces => fix::Scope::Namespaces,
                What::Workloads => fix::Scope::Workloads,
                What::Gateways => fix::Scope::Gateways,
                What::Drift => fix::Scope::Drift,
                What::All => fix::Scope::All,
            },
            drift: fix::drift::Options {
                force_conflicts: self.force_conflicts,
                prune: self.prune,
            },
        }
    }
}

/// The rendered install, read (or rendered) once for both plans.
fn rendering(args: &Args) -> Result<Option<crate::diff::Rendering>, Error> {
    let wanted = matches!(args.what, What::Drift | What::All);
    if !args.render.given() {
        if args.what == What::Drift {
            return Err(Error::Input(
                "fix drift needs the rendered install, as diff takes it: --manifest FILE, -f IOP.yaml or --helm-release NAME"
                    .to_string(),
            ));
        }
        if args.prune || args.force_conflicts {
            return Err(Error::Input(
                "--prune and --force-conflicts are for drift: give the rendered install (--manifest FILE or -f IOP.yaml)"
                    .to_string(),
            ));
        }
        return Ok(None);
    }
    if !wanted {
        return Ok(None);
    }
    crate::diff::render(&args.render.options(&args.source, None, true)).map(Some)
}

/// Reads the cluster and plans.
fn plan_now(args: &Args, rendering: Option<&crate::diff::Rendering>) -> Result<Plan, Error> {
    let inventory = crate::source::load(&args.source.options())?;
    let mesh = crate::mesh::resolve(&inventory, args.source.narrowed_to());
    if let Some(target) = &args.target
        && mesh.control_plane(target).is_none()
    {
        return Err(Error::Input(format!(
            "--target {target}: no control plane (istiod Deployment) serves it; install it first"
        )));
    }
    // A plan from a partial view could touch what it cannot see the consequences of.
    if let Some(u) = inventory.unreadable.first() {
        return Err(unreadable(u));
    }
    let compared = rendering
        .map(|r| crate::diff::compare(&args.render.options(&args.source, None, true), r))
        .transpose()?;
    if let Some(u) = compared.as_ref().and_then(|c| c.report.not_checked.first()) {
        return Err(unreadable(u));
    }
    let drift = rendering
        .zip(compared.as_ref())
        .map(|(rendering, compared)| fix::Drift {
            rendering,
            compared,
        });
    let mut plan = fix::plan(&inventory, &mesh, drift, &args.plan_options());
    let connect = args.source.connect_args();
    crate::source::runtime()?.block_on(async {
        let (client, _) = live::client::connect(&connect).await?;
        apply::stamp_versions(&client, &mut plan).await
    })?;
    Ok(plan)
}

fn unreadable(u: &crate::inventory::Unreadable) -> Error {
    let scope = if u.namespace.is_empty() {
        "cluster-wide".to_string()
    } else {
        format!("in namespace {}", u.namespace)
    };
    Error::Cluster(format!(
        "refusing to plan without {} {scope}: {}",
        u.resource, u.reason
    ))
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
    if !render::fix::prints(args.output.format) {
        return Err(Error::Input(
            "fix prints its plan as table, json or yaml; junit, sarif, markdown and github are for commands that report findings"
                .to_string(),
        ));
    }
    if !args.source.snapshots.is_empty() {
        return Err(Error::Input(
            "fix changes a live cluster: drop --snapshot".to_string(),
        ));
    }
    if args.yes && args.dry_run == Some(DryRun::Client) {
        return Err(Error::Input(
            "--yes applies and --dry-run=client only prints the plan: pick one".to_string(),
        ));
    }
    let rendering = rendering(args)?;
    let plan = plan_now(args, rendering.as_ref())?;
    let n = plan.totals.apply;
    let applying = match args.dry_run {
        Some(DryRun::Client) => false,
        Some(DryRun::Server) => true,
        None if plan.is_settled() => false,
        None if args.yes => true,
        None => {
            if args.output.format == Format::Table {
                super::write(stdout, &render::fix::plan_text(&plan, None))?;
            }
            if !std::io::stdin().is_terminal() {
                return Err(Error::Input(format!(
                    "not applying {} without confirmation: stdin is not a terminal; add --yes to apply, or --dry-run=client to only print the plan",
                    render::fix::changes(n)
                )));
            }
            if !confirm(n)? {
                eprintln!("Nothing applied.");
                return Ok(0);
            }
            return carry_out(args, &plan, rendering.as_ref(), stdout);
        }
    };
    if !applying {
        let text = render::fix::document(args.output.format, &plan, None, 0);
        super::write(stdout, &text)?;
        return Ok(0);
    }
    if args.output.format == Format::Table {
        super::write(stdout, &render::fix::plan_text(&plan, None))?;
    }
    carry_out(args, &plan, rendering.as_ref(), stdout)
}

fn confirm(n: usize) -> Result<bool, Error> {
    let mut err = std::io::stderr();
    let _ = write!(err, "Apply {}? [y/N] ", render::fix::changes(n));
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::input("stdin", e))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// Recomputes the plan, applies what is still current, and reports.
fn carry_out(
    args: &Args,
    plan: &Plan,
    rendering: Option<&crate::diff::Rendering>,
    stdout: &mut dyn std::io::Write,
) -> Result<u8, Error> {
    let fresh = plan_now(args, rendering)?;
    let options = apply::Options {
        server_dry_run: args.dry_run == Some(DryRun::Server),
        max_parallel: usize::from(args.max_parallel),
        timeout: args.timeout,
        poll: Duration::from_millis(250),
    };
    let connect = args.source.connect_args();
    let report = crate::source::runtime()?.block_on(async {
        let (client, _) = live::client::connect(&connect).await?;
        let progress = |line: &str| eprintln!("{line}");
        Ok::<_, Error>(apply::apply(&client, plan, &fresh, &options, &progress).await)
    })?;
    // Anything planned and not done (failed, timed out, skipped) is not a success.
    let code = if report.complete() { 0 } else { 1 };
    let text = render::fix::document(args.output.format, plan, Some(&report), code);
    super::write(stdout, &text)?;
    Ok(code)
}
