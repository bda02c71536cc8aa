//! `status`: where the mesh stands, on one cluster or a fleet of them.

use crate::cli::flags::{OutputArgs, PolicyArgs, SourceArgs};
use crate::error::Error;
use crate::finding::{CATALOGUE, Code, FailOn};
use crate::render::{self, Format};
use crate::source::live;
use crate::suppress::Suppressor;
use crate::verdict::{CheckRun, Verdict};
use crate::{checks, inventory, mesh, status};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The revision the upgrade is moving to (default: the newest control plane).
    #[arg(long, value_name = "REV")]
    pub target: Option<String>,

    #[command(flatten)]
    pub policy: PolicyArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Keep following the cluster: re-read it every --interval and show the report again when
    /// it changed (in place on a terminal; -o json: one JSON document per line). Ctrl-C ends.
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// How often --watch re-reads the cluster (e.g. 2s, 500ms, 1m).
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_interval)]
    pub interval: std::time::Duration,
}

fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    live::client::parse_timeout(s)?.ok_or_else(|| "the interval must be longer than 0".to_string())
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
    crate::progress::set_wanted(args.output.format == Format::Table && !args.watch);
    if args.watch {
        return super::watch::run(args, stdout, args.interval);
    }
    if let Some(contexts) = args.source.fleet()? {
        return fleet_status(args, contexts, stdout);
    }
    let resolved = args.policy.resolve(FailOn::Error)?;
    let inventory = crate::source::load(&args.source.options())?;
    let mesh = mesh::resolve(&inventory, args.source.narrowed_to());
    let options = checks::Options {
        target: args.target.clone(),
    };
    let mut report = status::build(&inventory, &mesh, &options);
    let verdict = verdict(
        &mut report,
        &inventory,
        resolved.suppressor,
        args.source.narrowed_to(),
    )?;
    super::finish(
        stdout,
        &args.output,
        &verdict,
        &resolved.policy,
        &report,
        || render::status::text(&report) + &render::not_run_text(&verdict),
    )
}

/// The codes `status` raises: one check each.
fn status_checks(narrowed_to: Option<&str>) -> Vec<CheckRun> {
    CATALOGUE
        .iter()
        .filter(|c| matches!(c.as_str().as_bytes()[2], b'1' | b'2' | b'3') || **c == Code::IR901)
        .map(|c| {
            let check = CheckRun::new(c.as_str(), c.title(), &[*c]);
            match (c, narrowed_to) {
                (Code::IR203 | Code::IR304, Some(ns)) => {
                    check.skipped(format!("needs the whole mesh; -n {ns} narrows it"))
                }
                _ => check,
            }
        })
        .collect()
}

/// Suppresses, settles the checks, and keeps the report's findings those that count.
fn verdict(
    report: &mut status::StatusReport,
    inventory: &inventory::Inventory,
    suppressor: Suppressor,
    narrowed_to: Option<&str>,
) -> Result<Verdict, Error> {
    let suppressor = suppressor.with_annotations(inventory)?;
    let (kept, suppressed) = suppressor.apply(std::mem::take(&mut report.findings));
    let verdict = Verdict::settle(
        "status",
        status_checks(narrowed_to),
        kept,
        suppressed,
        &inventory.unreadable,
    );
    report.findings = verdict.findings.clone();
    Ok(verdict)
}

/// `status` on several clusters at once. One cluster that cannot be read does not stop the
/// others; the exit code is the worst of them (an unreadable cluster counts as 3).
fn fleet_status(
    args: &Args,
    contexts: Vec<String>,
    stdout: &mut dyn std::io::Write,
) -> Result<u8, Error> {
    if !args.source.snapshots.is_empty() {
        return Err(Error::Input(
            "--snapshot reads one cluster; drop --all-contexts or the context list".to_string(),
        ));
    }
    if contexts.is_empty() {
        return Err(Error::Input("no contexts to check".to_string()));
    }
    if !matches!(
        args.output.format,
        Format::Table | Format::Json | Format::Yaml
    ) {
        return Err(Error::Input(
            "-o junit|sarif|markdown|github report on one cluster; run once per --context"
                .to_string(),
        ));
    }
    let resolved = args.policy.resolve(FailOn::Error)?;
    let source = args.source.options();
    let scope = source.scope();
    let inventories: Vec<Result<inventory::Inventory, Error>> = crate::source::runtime()?
        .block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for (i, context) in contexts.iter().enumerate() {
                let mut connect = source.connect.clone();
                connect.context = Some(context.clone());
                let scope = scope.clone();
                tasks.spawn(async move {
                    let read = async {
                        let (client, _) = live::client::connect(&connect).await?;
                        live::read_inventory(client, &scope).await
                    };
                    (i, read.await)
                });
            }
            let mut out: Vec<Option<Result<inventory::Inventory, Error>>> =
                (0..contexts.len()).map(|_| None).collect();
            while let Some(joined) = tasks.join_next().await {
                match joined {
                    Ok((i, result)) => out[i] = Some(result),
                    Err(e) => return Err(Error::Cluster(format!("a cluster task failed: {e}"))),
                }
            }
            Ok(out
                .into_iter()
                .map(|r| r.expect("every task reported"))
                .collect())
        })?;

    let options = checks::Options {
        target: args.target.clone(),
    };
    let mut worst = 0u8;
    let mut reports = Vec::new();
    for (context, result) in contexts.iter().zip(inventories) {
        match result {
            Ok(inventory) => {
                let mesh = mesh::resolve(&inventory, args.source.narrowed_to());
                let mut report = status::build(&inventory, &mesh, &options);
                match verdict(
                    &mut report,
                    &inventory,
                    resolved.suppressor.clone(),
                    args.source.narrowed_to(),
                ) {
                    Ok(v) => {
                        worst = worst.max(crate::verdict::exit_code(&v, &resolved.policy));
                        reports.push((context.clone(), Ok((report, v))));
                    }
                    Err(e) => {
                        worst = worst.max(e.exit_code());
                        reports.push((context.clone(), Err(e.to_string())));
                    }
                }
            }
            Err(e) => {
                worst = worst.max(e.exit_code());
                reports.push((context.clone(), Err(e.to_string())));
            }
        }
    }
    let text = match args.output.format {
        Format::Table => {
            let outcomes: Vec<(String, render::status::Outcome)> = reports
                .iter()
                .map(|(c, r)| {
                    let o = match r {
                        Ok((report, _)) => render::status::Outcome::Report(report),
                        Err(e) => render::status::Outcome::Failed(e.clone()),
                    };
                    (c.clone(), o)
                })
                .collect();
            render::status::fleet_text(&outcomes)
        }
        Format::Json | Format::Yaml => {
            #[derive(serde::Serialize)]
            struct Cluster<'a> {
                context: &'a str,
                #[serde(skip_serializing_if = "Option::is_none")]
                report: Option<&'a status::StatusReport>,
                #[serde(skip_serializing_if = "Option::is_none")]
                suppressed: Option<&'a [crate::suppress::Suppressed]>,
                #[serde(skip_serializing_if = "Option::is_none")]
                error: Option<&'a str>,
            }
            #[derive(serde::Serialize)]
            struct Fleet<'a> {
                #[serde(rename = "schemaVersion")]
                schema_version: u32,
                command: &'static str,
                #[serde(rename = "exitCode")]
                exit_code: u8,
                clusters: Vec<Cluster<'a>>,
            }
            let fleet = Fleet {
                schema_version: render::SCHEMA_VERSION,
                command: "status",
                exit_code: worst,
                clusters: reports
                    .iter()
                    .map(|(c, r)| Cluster {
                        context: c,
                        report: r.as_ref().ok().map(|(report, _)| report),
                        suppressed: r.as_ref().ok().map(|(_, v)| v.suppressed.as_slice()),
                        error: r.as_ref().err().map(String::as_str),
                    })
                    .collect(),
            };
            if args.output.format == Format::Json {
                render::json(&fleet)
            } else {
                render::yaml(&fleet)
            }
        }
        Format::Junit | Format::Sarif | Format::Markdown | Format::Github => {
            unreachable!("refused above")
        }
    };
    super::write(stdout, &text)?;
    Ok(worst)
}
