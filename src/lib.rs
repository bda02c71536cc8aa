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

fn load_inventory(source: &cli::SourceArgs) -> Result<inventory::Inventory, Error> {
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

fn read_live(source: &cli::SourceArgs) -> Result<inventory::Inventory, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let (client, _context_namespace) = live::client::connect(&source.connect_args()).await?;
        let scope = live::Scope {
            namespace: source.narrowed_to().map(str::to_string),
            pod_selector: source.selector.clone(),
            page_size: source.chunk_size,
        };
        live::read_inventory(client, &scope).await
    })
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
