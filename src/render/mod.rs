//! Printing: every report becomes a `String` here; nothing else in the crate writes to stdout.

pub mod diff;
pub mod gate;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod overlap;
pub mod sarif;
pub mod status;
pub mod version;

use crate::finding::{Finding, Severity};
use crate::suppress::Suppressed;
use crate::verdict::{CheckRun, Verdict};
use owo_colors::{OwoColorize, Stream};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
    Junit,
    Sarif,
    Markdown,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Applies `--color`; `auto` leaves the decision to the terminal and `NO_COLOR`.
pub fn set_color(choice: ColorChoice) {
    match choice {
        ColorChoice::Auto => owo_colors::unset_override(),
        ColorChoice::Always => owo_colors::set_override(true),
        ColorChoice::Never => owo_colors::set_override(false),
    }
}

pub fn json<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("reports serialize to JSON");
    s.push('\n');
    s
}

pub fn yaml<T: Serialize>(value: &T) -> String {
    serde_saphyr::to_string(value).expect("reports serialize to YAML")
}

/// The version of the `-o json|yaml` envelope (`docs/report.schema.json`): bumped when a field
/// is removed or changes meaning, never for an added one.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    command: &'a str,
    /// `pass`, `fail` or `incomplete`, as the exit code says.
    result: &'static str,
    #[serde(rename = "exitCode")]
    exit_code: u8,
    checks: &'a [CheckRun],
    #[serde(flatten)]
    report: &'a T,
    suppressed: &'a [Suppressed],
}

/// Renders a command's outcome in any `-o`: `table` (the command's own, then what was
/// suppressed), `json`/`yaml` (the command's report inside the versioned envelope), and the CI
/// formats, built from the verdict alone so every command speaks them the same.
pub fn report<T: Serialize>(
    format: Format,
    verdict: &Verdict,
    exit_code: u8,
    native: &T,
    table: impl FnOnce() -> String,
) -> String {
    let envelope = || Envelope {
        schema_version: SCHEMA_VERSION,
        command: &verdict.command,
        result: match exit_code {
            0 => "pass",
            1 => "fail",
            _ => "incomplete",
        },
        exit_code,
        checks: &verdict.checks,
        report: native,
        suppressed: &verdict.suppressed,
    };
    match format {
        Format::Table => {
            let mut out = table();
            out.push_str(&suppressed_text(&verdict.suppressed));
            out
        }
        Format::Json => json(&envelope()),
        Format::Yaml => yaml(&envelope()),
        Format::Junit => junit::render(verdict, &timestamp(), &hostname()),
        Format::Sarif => sarif::render(verdict),
        Format::Markdown => markdown::render(verdict, exit_code),
        Format::Github => github::render(verdict, exit_code),
    }
}

/// The checks that could not run and why (a gate's table shows every check instead).
pub fn not_run_text(verdict: &Verdict) -> String {
    let not_run: Vec<&CheckRun> = verdict
        .checks
        .iter()
        .filter(|c| c.state == crate::verdict::CheckState::NotRun)
        .collect();
    let mut out = String::new();
    if not_run.is_empty() {
        return out;
    }
    out.push('\n');
    out.push_str(&heading(&format!("COULD NOT RUN ({})", not_run.len())));
    out.push('\n');
    for c in not_run {
        // The catalogue title would read as a verdict ("no injector serves it"), which is
        // exactly what a check that could not run must not say; the check's own short name
        // does not.
        let short = crate::checks::CHECKS
            .iter()
            .find(|k| k.code.as_str() == c.name)
            .map(|k| format!(" {}", k.name))
            .unwrap_or_default();
        out.push_str(&format!(
            "{}{short}: {}\n",
            c.name,
            c.reason.as_deref().unwrap_or_default()
        ));
    }
    out
}

/// Suppressed findings, listed with the rule that suppressed them.
pub fn suppressed_text(suppressed: &[Suppressed]) -> String {
    let mut out = String::new();
    if suppressed.is_empty() {
        return out;
    }
    out.push('\n');
    out.push_str(&heading(&format!(
        "SUPPRESSED ({}, not counted)",
        suppressed.len()
    )));
    out.push('\n');
    for s in suppressed {
        out.push_str(&format!(
            "{} {} {}: {}\n      suppressed by: {}{}\n",
            s.finding.code,
            s.finding.severity,
            s.finding.object,
            s.finding.message,
            s.suppressed_by,
            s.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    out
}

/// The JUnit report's time, UTC without a zone as the Ant XSD wants; `SOURCE_DATE_EPOCH` (the
/// reproducible-builds convention) fixes it.
fn timestamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    now.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

pub fn severity_label(severity: Severity) -> String {
    let s = severity.as_str();
    match severity {
        Severity::Error => s
            .if_supports_color(Stream::Stdout, |t| t.red().bold().to_string())
            .to_string(),
        Severity::Warning => s
            .if_supports_color(Stream::Stdout, |t| t.yellow().to_string())
            .to_string(),
        Severity::Info => s
            .if_supports_color(Stream::Stdout, |t| t.cyan().to_string())
            .to_string(),
    }
}

pub fn heading(s: &str) -> String {
    s.if_supports_color(Stream::Stdout, |t| t.bold().to_string())
        .to_string()
}

/// The findings as a human reads them: one block per finding, worst first.
pub fn findings_text(findings: &[Finding]) -> String {
    let mut out = String::new();
    if findings.is_empty() {
        out.push_str("No findings.\n");
        return out;
    }
    for f in findings {
        out.push_str(&format!(
            "{} {} {}: {}\n",
            f.code,
            severity_label(f.severity),
            f.object,
            f.message
        ));
        if !f.fix.is_empty() {
            out.push_str(&format!("      fix: {}\n", f.fix));
        }
    }
    out
}

pub fn table() -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::NOTHING);
    t
}

/// comfy-table pads every cell; trailing blanks are noise in terminals and snapshots.
pub fn table_text(t: &comfy_table::Table) -> String {
    let mut s = String::new();
    for line in t.to_string().lines() {
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}
