//! One module per command: its clap `Args` and its `run`, which turns the flags into the domain's
//! plain options, calls the domain, renders the report and picks the exit code.

pub mod check_overlap;
pub mod codes;
pub mod completion;
pub mod diff;
pub mod explain;
pub mod gate;
pub mod snapshot;
pub mod status;
pub mod version;
pub mod watch;

use crate::cli::flags::OutputArgs;
use crate::error::Error;
use crate::verdict::{self, Policy, Verdict};

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

/// Prints a command's outcome in its `-o` and returns the exit code: the one ending every
/// command that reports findings, so the exit contract ([`verdict::exit_code`]) and the formats
/// are the same everywhere.
pub fn finish<T: serde::Serialize>(
    stdout: &mut dyn std::io::Write,
    output: &OutputArgs,
    verdict: &Verdict,
    policy: &Policy,
    native: &T,
    table: impl FnOnce() -> String,
) -> Result<u8, Error> {
    let code = verdict::exit_code(verdict, policy);
    let text = crate::render::report(output.format, verdict, code, native, table);
    write(stdout, &text)?;
    Ok(code)
}
