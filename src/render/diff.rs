//! The diff report for people: findings, colored unified diffs, ignored differences and the
//! summary line.

use crate::diff::{Report, Summary};
use owo_colors::{OwoColorize, Stream};

fn colored_diff(diff: &str) -> String {
    let mut out = String::new();
    for line in diff.lines() {
        let l = if line.starts_with("+++") || line.starts_with("---") {
            line.if_supports_color(Stream::Stdout, |t| t.bold().to_string())
                .to_string()
        } else if line.starts_with('+') {
            line.if_supports_color(Stream::Stdout, |t| t.green().to_string())
                .to_string()
        } else if line.starts_with('-') {
            line.if_supports_color(Stream::Stdout, |t| t.red().to_string())
                .to_string()
        } else if line.starts_with("@@") {
            line.if_supports_color(Stream::Stdout, |t| t.cyan().to_string())
                .to_string()
        } else {
            line.to_string()
        };
        out.push_str("    ");
        out.push_str(&l);
        out.push('\n');
    }
    out
}

pub fn text(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Rendered: {} ({} objects), owner {}, revision {}\n",
        report.rendered_from,
        report.rendered_objects,
        report.owner.describe(),
        report.owner.revision()
    ));
    out.push_str(&format!(
        "Against: {}; compared by {}\n\n",
        report.against, report.compared_by
    ));
    if report.findings.is_empty() {
        out.push_str("No drift.\n");
    }
    for f in &report.findings {
        let x = &f.finding;
        out.push_str(&format!(
            "{} {} {}: {}\n",
            x.code,
            crate::render::severity_label(x.severity),
            x.object,
            x.message
        ));
        if !x.fix.is_empty() {
            out.push_str(&format!("      fix: {}\n", x.fix));
        }
        if !f.diff.is_empty() {
            out.push_str(&colored_diff(&f.diff));
        }
    }
    if !report.ignored.is_empty() {
        out.push('\n');
        out.push_str(&crate::render::heading("Ignored differences"));
        out.push('\n');
        for i in &report.ignored {
            out.push_str(&format!("  {}: {}\n", i.object, i.paths.join(", ")));
        }
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    out.push_str(&summary_line(&report.summary));
    out.push('\n');
    out
}

fn summary_line(s: &Summary) -> String {
    crate::render::heading(&s.line())
}
