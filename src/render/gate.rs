//! A gate as a table: the verdict, every check with how it ended, then the findings.

use super::{findings_text, heading, table, table_text};
use crate::gate::GateReport;
use crate::verdict::{CheckState, Verdict};
use owo_colors::{OwoColorize, Stream};

fn state(s: CheckState) -> String {
    let text = s.as_str();
    match s {
        CheckState::Passed => text
            .if_supports_color(Stream::Stdout, |t| t.green().to_string())
            .to_string(),
        CheckState::Failed => text
            .if_supports_color(Stream::Stdout, |t| t.red().bold().to_string())
            .to_string(),
        CheckState::NotRun => text
            .if_supports_color(Stream::Stdout, |t| t.yellow().bold().to_string())
            .to_string(),
        CheckState::Skipped => text.to_string(),
    }
}

pub fn text(report: &GateReport, verdict: &Verdict, exit_code: u8) -> String {
    let mut out = String::new();
    let result = match exit_code {
        0 => "PASSED",
        1 => "FAILED",
        _ => "INCOMPLETE (something could not be checked)",
    };
    let count = |s: CheckState| verdict.checks.iter().filter(|c| c.state == s).count();
    out.push_str(&format!(
        "{} {}: {result} — {} passed, {} failed, {} could not run, {} skipped\n",
        verdict.command,
        report.revision,
        count(CheckState::Passed),
        count(CheckState::Failed),
        count(CheckState::NotRun),
        count(CheckState::Skipped),
    ));
    let mut t = table();
    t.set_header(["CHECK", "RESULT", "DETAILS"]);
    for c in &verdict.checks {
        let details = match c.state {
            CheckState::Failed => {
                let n = c.findings(&verdict.findings).count();
                format!("{n} finding{}", if n == 1 { "" } else { "s" })
            }
            CheckState::Passed => c.title.clone(),
            _ => c.reason.clone().unwrap_or_default(),
        };
        t.add_row([c.name.clone(), state(c.state), details]);
    }
    out.push('\n');
    out.push_str(&table_text(&t));
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    out.push_str(&heading(&format!("FINDINGS ({})", verdict.findings.len())));
    out.push('\n');
    out.push_str(&findings_text(&verdict.findings));
    out
}
