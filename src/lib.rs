//! `kubectl istio-rev`: Istio revisions, canary upgrades and gateways.
//!
//! Layers: sources fill an [`inventory::Inventory`] ([`snapshot`]); [`mesh`] resolves it into
//! revisions selected and running; [`checks`] turn that into [`finding::Finding`]s; [`render`]
//! prints. Only `main.rs` and [`run`] touch the process.

pub mod checks;
pub mod cli;
pub mod diff;
pub mod error;
pub mod finding;
pub mod inventory;
pub mod live;
pub mod mesh;
pub mod overlap;
pub mod render;
pub mod revision;
pub mod selector;
pub mod snapshot;
pub mod status;

use cli::{Cli, Command};
use error::Error;
use finding::{CATALOGUE, Finding};
use render::Format;

/// Runs a parsed command line and returns the exit code (0 clean, 1 findings at or above
/// `--fail-on`); errors map to 2 (input) and 3 (cluster) in `main`.
pub fn run(cli: Cli, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    match cli.command {
        Command::Status(args) => {
            render::set_color(args.output.color_choice());
            if let Some(contexts) = args.source.fleet()? {
                return fleet_status(&args, contexts, stdout);
            }
            let inventory = load_inventory(&args.source)?;
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
            write(stdout, &text)?;
            Ok(exit_code(
                &report.findings,
                args.fail_on,
                !report.not_checked.is_empty(),
            ))
        }
        Command::CheckOverlap(args) => {
            let (text, code) = overlap::run(&args)?;
            write(stdout, &text)?;
            Ok(code)
        }
        Command::Snapshot(args) => {
            let inventory = load_inventory(&args.source)?;
            let mut buf = std::io::BufWriter::new(&mut *stdout);
            let written = match args.format {
                cli::SnapshotFormat::Json => inventory::write::write_json(&inventory, &mut buf),
                cli::SnapshotFormat::Yaml => inventory::write::write_yaml(&inventory, &mut buf),
            };
            written
                .and_then(|()| std::io::Write::flush(&mut buf))
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::BrokenPipe => Ok(()),
                    _ => Err(Error::input("stdout", e)),
                })?;
            for u in &inventory.unreadable {
                eprintln!(
                    "warning: not in the snapshot: {} in {}: {}",
                    u.resource,
                    if u.namespace.is_empty() {
                        "all namespaces"
                    } else {
                        &u.namespace
                    },
                    u.reason
                );
            }
            Ok(if inventory.unreadable.is_empty() {
                0
            } else {
                1
            })
        }
        Command::Diff(args) => {
            let (text, code) = diff::run(&args)?;
            write(stdout, &text)?;
            Ok(code)
        }
        Command::Codes(output) => {
            render::set_color(output.color_choice());
            #[derive(serde::Serialize)]
            struct Row {
                code: finding::Code,
                severity: finding::Severity,
                title: &'static str,
            }
            let rows: Vec<Row> = CATALOGUE
                .iter()
                .map(|c| Row {
                    code: *c,
                    severity: c.severity(),
                    title: c.title(),
                })
                .collect();
            let text = match output.format {
                Format::Table => {
                    let mut t = render::table();
                    t.set_header(["CODE", "SEVERITY", "MEANING"]);
                    for r in &rows {
                        t.add_row([
                            r.code.to_string(),
                            r.severity.to_string(),
                            r.title.to_string(),
                        ]);
                    }
                    render::table_text(&t)
                }
                Format::Json => render::json(&rows),
                Format::Yaml => render::yaml(&rows),
            };
            write(stdout, &text)?;
            Ok(0)
        }
    }
}

fn write(stdout: &mut dyn std::io::Write, text: &str) -> Result<(), Error> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::input("stdout", e)),
    }
}

/// The inventory from `--snapshot` files, else from the live cluster.
pub fn load_inventory(source: &cli::SourceArgs) -> Result<inventory::Inventory, Error> {
    if source.snapshots.is_empty() {
        return read_live(source);
    }
    let inputs: Vec<snapshot::Input> = source
        .snapshots
        .iter()
        .map(|s| snapshot::Input::parse(s))
        .collect();
    let mut inventory = snapshot::load(&inputs)?;
    if let Some(ns) = source.narrowed_to() {
        inventory.restrict_to_namespace(ns);
    }
    Ok(inventory)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))
}

fn live_scope(source: &cli::SourceArgs) -> live::Scope {
    live::Scope {
        namespace: source.narrowed_to().map(str::to_string),
        pod_selector: source.selector.clone(),
        page_size: source.chunk_size,
    }
}

fn read_live(source: &cli::SourceArgs) -> Result<inventory::Inventory, Error> {
    runtime()?.block_on(async {
        let (client, _context_namespace) = live::client::connect(&source.connect_args()).await?;
        live::read_inventory(client, &live_scope(source)).await
    })
}

/// `status` on several clusters at once. One cluster that cannot be read does not stop the
/// others; the exit code is the worst of them (an unreadable cluster counts as 3).
fn fleet_status(
    args: &cli::StatusArgs,
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
    let scope = live_scope(&args.source);
    let inventories: Vec<Result<inventory::Inventory, Error>> = runtime()?.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, context) in contexts.iter().enumerate() {
            let mut connect = args.source.connect_args();
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
                worst = worst.max(exit_code(
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
    write(stdout, &text)?;
    Ok(worst)
}

/// The exit-code contract, the same for every output format. A report that could not see part
/// of the cluster never exits 0: a pipeline must not read "clean" from what it did not check.
pub fn exit_code(findings: &[Finding], fail_on: finding::FailOn, incomplete: bool) -> u8 {
    if findings.iter().any(|f| fail_on.trips(f.severity)) || incomplete {
        1
    } else {
        0
    }
}
