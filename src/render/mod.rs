//! Printing: every report becomes a `String` here; nothing else in the crate writes to stdout.

pub mod diff;
pub mod fix;
pub mod overlap;
pub mod status;
pub mod version;

use crate::finding::{Finding, Severity};
use owo_colors::{OwoColorize, Stream};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Yaml,
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
