//! `status`: where the mesh stands, on one cluster or a fleet of them.

use crate::cli::flags::{OutputArgs, SourceArgs};
use crate::error::Error;
use crate::finding::FailOn;
use crate::render::{self, Format};
use crate::source::live;
use crate::{checks, inventory, mesh, status};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The revision the upgrade is moving to (default: the newest control plane).
    #[arg(long, value_name = "REV")]
    pub target: Option<String>,

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

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
    let inventory = crate::source::load(&args.source.options())?;
    let mesh = mesh::resolve(&inventory, args.source.narrowed_to());
    let options = checks::Options {
        target: args.target.clone(),
    };
    let report = status::build(&inventory, &mesh, &options);
    let text = match args.output.format {
        Format::Table => render::status::text(&report),
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
                let report = status::build(&inventory, &mesh, &options);
                worst = worst.max(super::exit_code(
                    &report.findings,
                    args.fail_on,
                    !report.not_checked.is_empty(),
                ));
                reports.push((context.clone(), Ok(report)));
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
                        Ok(report) => render::status::Outcome::Report(report),
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
                error: Option<&'a str>,
            }
            #[derive(serde::Serialize)]
            struct Fleet<'a> {
                clusters: Vec<Cluster<'a>>,
            }
            let fleet = Fleet {
                clusters: reports
                    .iter()
                    .map(|(c, r)| Cluster {
                        context: c,
                        report: r.as_ref().ok(),
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
    };
    super::write(stdout, &text)?;
    Ok(worst)
}
