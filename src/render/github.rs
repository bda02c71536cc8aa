//! `-o github`: GitHub Actions workflow commands, one annotation per finding
//! (`::error file=…,line=…,title=…::message`), a `::notice` per suppressed finding and a
//! `::error` per check that could not run. Values are escaped as the runner requires (`%`, CR
//! and LF in messages; also `:` and `,` in properties).

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

pub fn render(verdict: &Verdict) -> String {
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
    out
}
