//! `version` as text: one line per component, then a table of the control planes.

use super::{table, table_text};
use crate::version::VersionReport;

pub fn text(report: &VersionReport) -> String {
    let mut out = format!("Plugin version: {}\n", report.plugin);
    if let Some(k) = &report.kubernetes {
        out.push_str(&format!("Server version: {k}\n"));
    }
    let Some(planes) = &report.control_planes else {
        return out;
    };
    if planes.is_empty() {
        out.push_str("Istio: no control plane found\n");
    } else {
        let mut t = table();
        t.set_header([
            "REVISION",
            "ISTIO",
            "CONTROL PLANE",
            "READY",
            "TAGS",
            "DEFAULT",
        ]);
        for cp in planes {
            t.add_row([
                cp.revision.clone(),
                cp.istio.clone().unwrap_or_else(|| "unknown".to_string()),
                format!("{}/{}", cp.namespace, cp.name),
                if cp.ready { "yes" } else { "no" }.to_string(),
                if cp.tags.is_empty() {
                    "-".to_string()
                } else {
                    cp.tags.join(",")
                },
                if cp.default { "yes" } else { "" }.to_string(),
            ]);
        }
        out.push_str(&table_text(&t));
    }
    for u in &report.not_checked {
        let scope = if u.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace {}", u.namespace)
        };
        out.push_str(&format!(
            "not checked: could not list {}{scope}: {}\n",
            u.resource, u.reason
        ));
    }
    out
}
