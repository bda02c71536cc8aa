//! `status` as tables.

use super::{findings_text, heading, table, table_text};
use crate::finding::Severity;
use crate::mesh::Selection;
use crate::status::StatusReport;
use std::collections::BTreeMap;

fn counts(running: &BTreeMap<String, usize>) -> String {
    if running.is_empty() {
        return "-".to_string();
    }
    running
        .iter()
        .map(|(r, n)| format!("{r}:{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn text(report: &StatusReport) -> String {
    let mut out = String::new();
    out.push_str(&format!("{}\n\n", report.progress));

    out.push_str(&heading("CONTROL PLANES"));
    out.push('\n');
    if report.control_planes.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = table();
        t.set_header([
            "REVISION",
            "VERSION",
            "READY",
            "TAGS",
            "DEFAULT",
            "DEPLOYMENT",
        ]);
        for cp in &report.control_planes {
            t.add_row([
                cp.revision.clone(),
                cp.version.clone().unwrap_or_else(|| "-".into()),
                format!("{}/{}", cp.ready_replicas, cp.replicas),
                if cp.tags.is_empty() {
                    "-".into()
                } else {
                    cp.tags.join(",")
                },
                if cp.default { "yes".into() } else { "-".into() },
                format!("{}/{}", cp.namespace, cp.name),
            ]);
        }
        out.push_str(&table_text(&t));
    }

    out.push('\n');
    out.push_str(&heading("GATEWAYS"));
    out.push('\n');
    if report.gateways.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = table();
        t.set_header(["NAMESPACE", "NAME", "KIND", "SELECTED", "RUNNING", "LAG"]);
        for g in &report.gateways {
            t.add_row([
                g.namespace.clone(),
                g.name.clone(),
                format!("{:?}", g.kind).to_lowercase(),
                match &g.selected {
                    Selection::None => "-".into(),
                    s => s.describe(),
                },
                counts(&g.running),
                g.lagging_behind
                    .as_ref()
                    .map(|r| format!("behind {r}"))
                    .unwrap_or_else(|| "-".into()),
            ]);
        }
        out.push_str(&table_text(&t));
    }

    out.push('\n');
    out.push_str(&heading("NAMESPACES"));
    out.push('\n');
    if report.namespaces.is_empty() {
        out.push_str("none\n");
    } else {
        let mut t = table();
        t.set_header([
            "NAMESPACE",
            "LABELS",
            "SELECTS",
            "PODS PER REVISION",
            "STALE",
        ]);
        for n in &report.namespaces {
            let mut labels = Vec::new();
            if let Some(v) = &n.injection_label {
                labels.push(format!("istio-injection={v}"));
            }
            if let Some(v) = &n.rev_label {
                labels.push(format!("istio.io/rev={v}"));
            }
            t.add_row([
                n.name.clone(),
                if labels.is_empty() {
                    "-".into()
                } else {
                    labels.join(",")
                },
                n.selected.describe(),
                counts(&n.running),
                n.stale.to_string(),
            ]);
        }
        out.push_str(&table_text(&t));
    }

    if !report.not_checked.is_empty() {
        out.push('\n');
        out.push_str(&heading("NOT CHECKED"));
        out.push('\n');
        for u in &report.not_checked {
            let scope = if u.namespace.is_empty() {
                "all namespaces".to_string()
            } else {
                format!("namespace {}", u.namespace)
            };
            out.push_str(&format!("{} in {}: {}\n", u.resource, scope, u.reason));
        }
    }

    out.push('\n');
    let (e, w, i) = report
        .findings
        .iter()
        .fold((0, 0, 0), |(e, w, i), f| match f.severity {
            Severity::Error => (e + 1, w, i),
            Severity::Warning => (e, w + 1, i),
            Severity::Info => (e, w, i + 1),
        });
    out.push_str(&heading(&format!(
        "FINDINGS ({e} errors, {w} warnings, {i} info)"
    )));
    out.push('\n');
    out.push_str(&findings_text(&report.findings));
    out
}
