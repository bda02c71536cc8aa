//! `status --watch`: re-read the cluster every `--interval` and show the report again when it
//! changed, with a line saying how the upgrade moved since the last frame.
//!
//! * On a terminal (table output), each frame redraws the screen in place.
//! * Otherwise one report per change: tables separated by a header line, or with `-o json` one
//!   JSON document per line (`observed_at`, `since_last`, then the report's own fields).
//! * A lost connection is retried with backoff (1 s doubling to 30 s), said on stderr, and the
//!   next good read says it reconnected. Bad input still ends the run (exit 2).
//! * Ctrl-C ends the watch with exit 0, as does a reader that closed the pipe.
//!
//! Re-listing, not the API's watch: the report is a function of every kind together, a re-list
//! of the few kinds read is cheap at an interval of seconds, and it needs nothing a read-only
//! token lacks.

use super::status::Args;
use crate::error::Error;
use crate::movement::{self, Movement};
use crate::render::{self, Format};
use crate::source::live;
use crate::status::StatusReport;
use crate::{checks, mesh, status};
use serde::Serialize;
use std::io::IsTerminal;
use std::time::Duration;

const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One JSON line of `--watch -o json`.
#[derive(Serialize)]
struct Frame<'a> {
    observed_at: String,
    /// Absent on the first frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    since_last: Option<&'a Movement>,
    #[serde(flatten)]
    report: &'a StatusReport,
}

/// How frames reach the reader.
#[derive(Clone, Copy, PartialEq)]
enum Screen {
    /// A terminal: redraw in place.
    InPlace,
    /// A pipe or a file: append one report per change.
    Append,
    /// One JSON document per line.
    JsonLines,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write, interval: Duration) -> Result<u8, Error> {
    if !args.source.snapshots.is_empty() {
        return Err(Error::Input(
            "--watch follows a live cluster; a snapshot does not change".to_string(),
        ));
    }
    if args.source.fleet()?.is_some() {
        return Err(Error::Input(
            "--watch follows one cluster; drop --all-contexts or the context list".to_string(),
        ));
    }
    let screen = match args.output.format {
        Format::Json => Screen::JsonLines,
        Format::Yaml => {
            return Err(Error::Input(
                "--watch prints tables or JSON lines (-o json); YAML has no line per document"
                    .to_string(),
            ));
        }
        Format::Table if std::io::stdout().is_terminal() && !dumb_terminal() => Screen::InPlace,
        Format::Table => Screen::Append,
        Format::Junit | Format::Sarif | Format::Markdown | Format::Github => {
            return Err(Error::Input(
                "--watch prints tables or JSON lines (-o json); run status once for -o junit, sarif, markdown or github"
                    .to_string(),
            ));
        }
    };
    let source = args.source.options();
    let scope = source.scope();
    let options = checks::Options {
        target: args.target.clone(),
    };
    let narrowed_to = args.source.narrowed_to().map(str::to_string);

    crate::source::runtime()?.block_on(async {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        // One client for the whole watch: it opens new connections itself after a loss, and
        // the kubeconfig is read once (its credentials refresh inside the client).
        let (client, _) = live::client::connect(&source.connect).await?;
        let mut last: Option<StatusReport> = None;
        let mut failures: u32 = 0;
        loop {
            let outcome = tokio::select! {
                _ = &mut ctrl_c => return Ok(0),
                outcome = live::read_inventory(client.clone(), &scope) => outcome,
            };
            let pause = match outcome {
                Ok(inventory) => {
                    if failures > 0 {
                        eprintln!("reconnected after {failures} failed attempt(s)");
                        failures = 0;
                    }
                    let mesh = mesh::resolve(&inventory, narrowed_to.as_deref());
                    let report = status::build(&inventory, &mesh, &options);
                    let changed = last.as_ref().is_none_or(|l| differs(l, &report));
                    if changed {
                        let moved = last.as_ref().map(|l| movement::between(l, &report));
                        let text = frame(screen, &report, moved.as_ref(), interval);
                        if !write(stdout, &text)? {
                            return Ok(0);
                        }
                        last = Some(report);
                    }
                    interval
                }
                Err(Error::Cluster(e)) => {
                    failures += 1;
                    let delay = backoff(failures);
                    eprintln!(
                        "connection lost: {e}; retrying in {}s (attempt {failures})",
                        delay.as_secs()
                    );
                    delay
                }
                Err(e) => return Err(e),
            };
            tokio::select! {
                _ = &mut ctrl_c => return Ok(0),
                _ = tokio::time::sleep(pause) => {}
            }
        }
    })
}

/// TERM=dumb cannot move the cursor: frames are appended there.
fn dumb_terminal() -> bool {
    std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// 1 s, 2 s, 4 s... up to 30 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

/// Reports are plain data with no timestamps: equal JSON is an unchanged cluster.
fn differs(a: &StatusReport, b: &StatusReport) -> bool {
    serde_json::to_value(a).ok() != serde_json::to_value(b).ok()
}

fn frame(
    screen: Screen,
    report: &StatusReport,
    moved: Option<&Movement>,
    every: Duration,
) -> String {
    let now = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| jiff::Timestamp::now());
    match screen {
        Screen::JsonLines => {
            let line = Frame {
                observed_at: now.to_string(),
                since_last: moved,
                report,
            };
            let mut s = serde_json::to_string(&line).expect("reports serialize to JSON");
            s.push('\n');
            s
        }
        Screen::InPlace | Screen::Append => {
            let mut s = String::new();
            if screen == Screen::InPlace {
                // Cursor home, clear the screen: the frame replaces the last one.
                s.push_str("\x1b[H\x1b[2J");
            } else {
                s.push('\n');
            }
            s.push_str(&render::heading(&format!(
                "every {}s · {now} · Ctrl-C to stop",
                every.as_secs_f64()
            )));
            s.push('\n');
            if let Some(m) = moved {
                s.push_str(&m.summary());
                s.push('\n');
            }
            s.push_str(&render::status::text(report));
            s
        }
    }
}

/// Writes a frame; `false` when the reader has gone (closed pipe): the watch is over.
fn write(stdout: &mut dyn std::io::Write, text: &str) -> Result<bool, Error> {
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::input("stdout", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_ceiling() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
    }
}
