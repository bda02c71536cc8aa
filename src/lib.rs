//! `kubectl istio-rev`: Istio revisions, canary upgrades and gateways.
//!
//! The map:
//! * [`cmd`]: one module per command (its flags and its `run`); [`cli`]: the top-level command
//!   line and the flag groups every command shares.
//! * [`source`]: the two sources of the [`inventory::Inventory`], snapshot files and a live
//!   cluster.
//! * [`mesh`], [`revision`], [`selector`]: the inventory resolved into revisions selected and
//!   running.
//! * [`checks`]: the findings ([`finding::Finding`]) of `status`, one function per area;
//!   [`status`]: its report; [`installs`]: who installed each revision and tag (Helm release,
//!   IstioOperator, none).
//! * [`istio`]: the Istio install model (IstioOperator, profiles, istioctl, rendered manifests,
//!   owner labels, label names); [`overlap`] and [`diff`]: the checks built on it.
//! * [`gate`]: the pipeline gates, tables of named checks; [`verdict`]: how each check ended,
//!   and the exit contract every command ends with; [`suppress`] and [`config`]: what a run
//!   waves through; [`explain`]: the catalogue's long texts.
//! * [`render`]: printing. Only `main.rs` and [`run`] touch the process.

pub mod ambient;
pub mod atom;
pub mod checks;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod diff;
pub mod error;
pub mod explain;
pub mod finding;
pub mod fix;
pub mod gate;
pub mod gateway_api;
pub mod glob;
pub mod installs;
pub mod inventory;
pub mod istio;
pub mod mesh;
pub mod movement;
pub mod overlap;
pub mod progress;
pub mod remedy;
pub mod render;
pub mod revision;
pub mod selector;
pub mod source;
pub mod status;
pub mod suppress;
pub mod verdict;
pub mod version;

use cli::{Cli, Command};
use error::Error;

/// Runs a parsed command line and returns the exit code ([`verdict::exit_code`]: 0 clean, 1
/// findings at or above `--fail-on`, 3 something could not be checked); errors map to 2 (input)
/// and 3 (cluster) in `main`.
pub fn run(cli: Cli, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    match cli.command {
        Command::Status(args) => cmd::status::run(&args, stdout),
        Command::CheckOverlap(args) => cmd::check_overlap::run(&args, stdout),
        Command::Snapshot(args) => cmd::snapshot::run(&args, stdout),
        Command::Diff(args) => cmd::diff::run(&args, stdout),
        Command::Fix(args) => cmd::fix::run(&args, stdout),
        Command::Codes(output) => cmd::codes::run(&output, stdout),
        Command::Explain(args) => cmd::explain::run(&args, stdout),
        Command::Gate(gate) => cmd::gate::run(&gate, stdout),
        Command::Version(args) => cmd::version::run(&args, stdout),
        Command::Completion(args) => cmd::completion::run(&args, stdout),
    }
}
