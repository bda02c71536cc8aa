//! `check-overlap` as tables: the CRs, who installs which component, and the findings.

use crate::istio::iop::Cr;
use crate::overlap::Report;
use crate::render::{findings_text, heading, table, table_text};
use owo_colors::{OwoColorize, Stream};

pub fn text(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Profiles: Istio {} ({})\n\n",
        report.profiles.set.as_str(),
        report.profiles.chosen_by
    ));

    out.push_str(&heading("ISTIOOPERATORS"));
    out.push('\n');
    if report.istio_operators.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = table();
        t.set_header([
            "NAME",
            "NAMESPACE",
            "SOURCE",
            "PROFILE",
            "REVISION",
            "OBJECTS FROM",
        ]);
        for cr in &report.istio_operators {
            t.add_row([
                cr.name.clone().unwrap_or_else(|| "<unnamed>".into()),
                cr.namespace.clone(),
                cr.source.clone(),
                cr.profile.clone(),
                cr.revision_label().to_string(),
                cr.objects_from.clone(),
            ]);
        }
        out.push_str(&table_text(&t));
    }

    if !report.helm_releases.is_empty() {
        out.push('\n');
        out.push_str(&heading("HELM RELEASES"));
        out.push('\n');
        let mut t = table();
        t.set_header(["RELEASE", "NAMESPACE", "RENDERED FROM", "OBJECTS"]);
        for r in &report.helm_releases {
            t.add_row([
                r.release.name.clone(),
                r.release.namespace.clone(),
                r.rendered_from.clone(),
                r.objects.to_string(),
            ]);
        }
        out.push_str(&table_text(&t));
    }

    out.push('\n');
    out.push_str(&heading("COMPONENTS"));
    out.push('\n');
    if report.components.is_empty() {
        out.push_str("none\n");
    } else {
        let labels: Vec<String> = report.istio_operators.iter().map(|c| c.label()).collect();
        let mut t = table();
        let mut header = vec!["COMPONENT".to_string(), "NAMESPACE".into(), "NAME".into()];
        header.extend(column_names(&report.istio_operators));
        header.push("OVERLAP".into());
        t.set_header(header);
        for row in &report.components {
            let mut cells = vec![row.component.clone(), dash(&row.namespace), dash(&row.name)];
            for l in &labels {
                cells.push(if row.installed_by.contains(l) {
                    "yes".into()
                } else {
                    "-".into()
                });
            }
            cells.push(match row.overlap.as_str() {
                "overlap" => "OVERLAP"
                    .if_supports_color(Stream::Stdout, |s| s.red().bold().to_string())
                    .to_string(),
                "shared" => "shared"
                    .if_supports_color(Stream::Stdout, |s| s.yellow().to_string())
                    .to_string(),
                _ => "-".into(),
            });
            t.add_row(cells);
        }
        out.push_str(&table_text(&t));
    }

    out.push('\n');
    out.push_str(&heading("FINDINGS"));
    out.push('\n');
    out.push_str(&findings_text(&report.findings));
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    for u in &report.not_checked {
        out.push_str(&format!(
            "not checked: {} {}: {}\n",
            u.resource, u.namespace, u.reason
        ));
    }
    out
}

/// A column per CR, headed by its name; the ISTIOOPERATORS table above gives each one's file.
/// An unnamed CR, or a name two CRs share, adds the file name (never its whole path).
fn column_names(crs: &[Cr]) -> Vec<String> {
    crs.iter()
        .map(|cr| {
            let file = || {
                std::path::Path::new(&cr.source)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| cr.source.clone())
            };
            match &cr.name {
                Some(name) if crs.iter().filter(|c| c.name.as_ref() == Some(name)).count() == 1 => {
                    name.clone()
                }
                Some(name) => format!("{name} ({})", file()),
                None => format!("<unnamed> ({})", file()),
            }
        })
        .collect()
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}
