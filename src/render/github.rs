//! `-o github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,title=…::message`), a `::notice` per suppressed finding, an `::error`
//! per check that could not run, and a closing `::notice` with the verdict. Values are escaped as
//! the runner requires (`%`, CR and LF in messages; also `:` and `,` in properties).

use crate::finding::Severity;
use crate::verdict::{CheckState, Verdict};

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(verdict: &Verdict, exit_code: u8) -> String {
    let mut out = String::new();
    for f in &verdict.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(source) = verdict.source_of(&f.object) {
            props.push(format!("file={}", escape_property(&source.file)));
            props.push(format!("line={}", source.line));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", f.code, f.object))
        ));
        let mut message = f.message.clone();
        if !f.fix.is_empty() {
            message.push_str(&format!("\nfix: {}", f.fix));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            escape_data(&message)
        ));
    }
    for c in verdict
        .checks
        .iter()
        .filter(|c| c.state == CheckState::NotRun)
    {
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_property(&format!("{} could not run", c.name)),
            escape_data(c.reason.as_deref().unwrap_or_default())
        ));
    }
    for s in &verdict.suppressed {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property(&format!(
                "{} {} (suppressed)",
                s.finding.code, s.finding.object
            )),
            escape_data(&format!(
                "{} (suppressed by {})",
                s.finding.message, s.suppressed_by
            ))
        ));
    }
    // One summary line, so a clean run says it ran.
    let count = |s: CheckState| verdict.checks.iter().filter(|c| c.state == s).count();
    out.push_str(&format!(
        "::notice title={}::{}\n",
        escape_property(&format!("kubectl istio-rev {}", verdict.command)),
        escape_data(&format!(
            "{}: {} checks passed, {} failed, {} could not run, {} skipped; {} findings, {} suppressed",
            match exit_code {
                0 => "passed",
                1 => "failed",
                _ => "incomplete",
            },
            count(CheckState::Passed),
            count(CheckState::Failed),
            count(CheckState::NotRun),
            count(CheckState::Skipped),
            verdict.findings.len(),
            verdict.suppressed.len()
        ))
    ));
    out
}
