//! One module per command: its clap `Args` and its `run`, which turns the flags into the domain's
//! plain options, calls the domain, renders the report and picks the exit code.

pub mod check_overlap;
pub mod codes;
pub mod completion;
pub mod diff;
pub mod fix;
pub mod snapshot;
pub mod status;
pub mod version;
pub mod watch;

use crate::error::Error;
use crate::finding::{FailOn, Finding};

/// Writes a command's output. A closed pipe (`| head`) is the reader's choice, not a failure.
pub fn write(stdout: &mut dyn std::io::Write, text: &str) -> Result<(), Error> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::input("stdout", e)),
    }
}

/// The exit-code contract, the same for every output format. A report that could not see part
/// of the cluster never exits 0: a pipeline must not read "clean" from what it did not check.
pub fn exit_code(findings: &[Finding], fail_on: FailOn, incomplete: bool) -> u8 {
    if findings.iter().any(|f| fail_on.trips(f.severity)) || incomplete {
        1
    } else {
        0
    }
}
