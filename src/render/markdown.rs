//! `-o markdown`: a pull-request comment. A one-line verdict, the checks, the findings that count
//! (with their fix) and, folded, what was suppressed.

use crate::verdict::{CheckState, Verdict};

/// Markdown table cells: a `|` or a newline would end the cell or the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(verdict: &Verdict, exit_code: u8) -> String {
    let mut out = String::new();
    let headline = match exit_code {
        0 => "✅ passed",
        1 => "❌ failed",
        _ => "⚠️ incomplete: something could not be checked",
    };
    out.push_str(&format!(
        "### kubectl istio-rev {}: {headline}\n\n",
        verdict.command
    ));
    let count = |s: CheckState| verdict.checks.iter().filter(|c| c.state == s).count();
    out.push_str(&format!(
        "{} checks: {} passed, {} failed, {} could not run, {} skipped. {} findings, {} suppressed.\n\n",
        verdict.checks.len(),
        count(CheckState::Passed),
        count(CheckState::Failed),
        count(CheckState::NotRun),
        count(CheckState::Skipped),
        verdict.findings.len(),
        verdict.suppressed.len()
    ));
    out.push_str("| check | result | details |\n| --- | --- | --- |\n");
    for c in &verdict.checks {
        let details = match c.state {
            CheckState::Failed => {
                let n = c.findings(&verdict.findings).count();
                format!("{}: {n} finding{}", c.title, if n == 1 { "" } else { "s" })
            }
            CheckState::Passed => c.title.clone(),
            CheckState::NotRun | CheckState::Skipped => c.reason.clone().unwrap_or_default(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.name,
            c.state.as_str(),
            cell(&details)
        ));
    }
    if !verdict.findings.is_empty() {
        out.push_str(
            "\n| code | severity | object | finding | fix |\n| --- | --- | --- | --- | --- |\n",
        );
        for f in &verdict.findings {
            out.push_str(&format!(
                "| {} | {} | `{}` | {} | {} |\n",
                f.code,
                f.severity,
                f.object,
                cell(&f.message),
                if f.fix.is_empty() {
                    String::new()
                } else {
                    format!("`{}`", cell(&f.fix))
                }
            ));
        }
    }
    if !verdict.suppressed.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>{} suppressed</summary>\n\n| code | object | finding | suppressed by |\n| --- | --- | --- | --- |\n",
            verdict.suppressed.len()
        ));
        for s in &verdict.suppressed {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                s.finding.code,
                s.finding.object,
                cell(&s.finding.message),
                cell(&s.suppressed_by)
            ));
        }
        out.push_str("\n</details>\n");
    }
    out
}
