//! `status` as tables, for one cluster or a fleet (then every table gains a CLUSTER column).

use super::{findings_text, heading, table, table_text};
use crate::finding::Severity;
use crate::inventory::Input;
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

/// One cluster's outcome in a fleet run.
pub enum Outcome<'a> {
    Report(&'a StatusReport),
    Failed(String),
}

pub fn text(report: &StatusReport) -> String {
    render(&[(None, Outcome::Report(report))])
}

pub fn fleet_text(clusters: &[(String, Outcome)]) -> String {
    let rows: Vec<(Option<&str>, Outcome)> = clusters
        .iter()
        .map(|(name, o)| {
            let o = match o {
                Outcome::Report(r) => Outcome::Report(r),
                Outcome::Failed(e) => Outcome::Failed(e.clone()),
            };
            (Some(name.as_str()), o)
        })
        .collect();
    render(&rows)
}

/// A table whose first column is the cluster when there are several.
struct Section {
    table: comfy_table::Table,
    rows: usize,
    fleet: bool,
    /// Why an empty section is unknown rather than empty: its input was not read.
    unread: Option<&'static str>,
}

impl Section {
    fn new(fleet: bool, header: &[&str]) -> Self {
        let mut table = table();
        let mut h: Vec<&str> = Vec::new();
        if fleet {
            h.push("CLUSTER");
        }
        h.extend_from_slice(header);
        table.set_header(h);
        Section {
            table,
            rows: 0,
            fleet,
            unread: None,
        }
    }

    fn row(&mut self, cluster: Option<&str>, cells: Vec<String>) {
        let mut row = Vec::new();
        if self.fleet {
            row.push(cluster.unwrap_or_default().to_string());
        }
        row.extend(cells);
        self.table.add_row(row);
        self.rows += 1;
    }

    fn write(self, out: &mut String, title: &str) {
        out.push('\n');
        out.push_str(&heading(title));
        out.push('\n');
        if let (0, Some(resource)) = (self.rows, self.unread) {
            out.push_str(&format!("unknown ({resource} not read)\n"));
        } else if self.rows == 0 {
            out.push_str("none\n");
        } else {
            out.push_str(&table_text(&self.table));
        }
    }
}

fn render(clusters: &[(Option<&str>, Outcome)]) -> String {
    let fleet = clusters.iter().any(|(c, _)| c.is_some());
    let reports: Vec<(Option<&str>, &StatusReport)> = clusters
        .iter()
        .filter_map(|(c, o)| match o {
            Outcome::Report(r) => Some((*c, *r)),
            Outcome::Failed(_) => None,
        })
        .collect();
    let mut out = String::new();
    for (cluster, outcome) in clusters {
        let line = match outcome {
            Outcome::Report(r) => r.progress.clone(),
            Outcome::Failed(e) => format!("NOT READ: {e}"),
        };
        match cluster {
            Some(c) => out.push_str(&format!("{c}: {line}\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }

    let mut control_planes = Section::new(
        fleet,
        &[
            "REVISION",
            "VERSION",
            "READY",
            "TAGS",
            "DEFAULT",
            "DEPLOYMENT",
        ],
    );
    // Columns only an ambient or Gateway API mesh has, so other reports keep their shape.
    let gateway_api = reports
        .iter()
        .any(|(_, r)| r.gateways.iter().any(|g| g.programmed.is_some()));
    let ambient = reports.iter().any(|(_, r)| {
        r.namespaces
            .iter()
            .any(|n| n.dataplane_mode.is_some() || n.ambient_pods > 0)
    });
    let mut gateway_header = vec!["NAMESPACE", "NAME", "KIND", "SELECTED", "RUNNING", "LAG"];
    if gateway_api {
        gateway_header.push("PROGRAMMED");
    }
    let mut gateways = Section::new(fleet, &gateway_header);
    let mut namespace_header = vec![
        "NAMESPACE",
        "LABELS",
        "SELECTS",
        "PODS PER REVISION",
        "STALE",
    ];
    if ambient {
        namespace_header.extend(["DATAPLANE", "AMBIENT PODS"]);
    }
    let mut namespaces = Section::new(fleet, &namespace_header);
    let mut installs = Section::new(fleet, &["REVISION OR TAG", "OBJECT", "INSTALLED BY"]);
    let mut not_checked = Vec::new();
    for (cluster, report) in &reports {
        let unread: std::collections::BTreeSet<Input> = report
            .not_checked
            .iter()
            .filter_map(|u| Input::of_unreadable(&u.resource))
            .collect();
        let pods_unread = unread.contains(&Input::Pods);
        let running = |r: &BTreeMap<String, usize>| {
            if pods_unread {
                "unknown".to_string()
            } else {
                counts(r)
            }
        };
        if unread.contains(&Input::Deployments) {
            control_planes.unread = Some(Input::Deployments.resource());
        }
        if unread.contains(&Input::Pods) {
            gateways.unread = Some(Input::Pods.resource());
        }
        if unread.contains(&Input::Namespaces) {
            namespaces.unread = Some(Input::Namespaces.resource());
        }
        for r in report.installed_by.iter().flat_map(|i| &i.revisions) {
            installs.row(
                *cluster,
                vec![
                    format!("revision {}", r.revision),
                    format!("Deployment {}", r.deployment),
                    r.installed_by.describe(),
                ],
            );
        }
        for t in report.installed_by.iter().flat_map(|i| &i.tags) {
            let mut by = t.installed_by.describe();
            if let Some(note) = &t.note {
                by.push_str(&format!(": {note}"));
            }
            installs.row(
                *cluster,
                vec![
                    format!("tag {} → {}", t.tag, t.revision),
                    format!("MutatingWebhookConfiguration {}", t.webhook),
                    by,
                ],
            );
        }
        for cp in &report.control_planes {
            control_planes.row(
                *cluster,
                vec![
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
                ],
            );
        }
        for g in &report.gateways {
            let selected = match (&g.selected, &g.owners) {
                (Selection::Unserved { requested, .. }, Some(_)) => {
                    format!("{requested} (no control plane)")
                }
                (Selection::None, Some(owners)) if owners.len() > 1 => {
                    format!("claimed by {}", owners.join(", "))
                }
                (Selection::None, _) => "-".into(),
                (s, _) => s.describe(),
            };
            let mut cells = vec![
                g.namespace.clone(),
                g.name.clone(),
                g.kind.as_str().to_string(),
                selected,
                running(&g.running),
                g.lagging_behind
                    .as_ref()
                    .map(|r| format!("behind {r}"))
                    .unwrap_or_else(|| "-".into()),
            ];
            if gateway_api {
                cells.push(g.programmed.clone().unwrap_or_else(|| "-".into()));
            }
            gateways.row(*cluster, cells);
        }
        for n in &report.namespaces {
            let mut labels = Vec::new();
            if let Some(v) = &n.injection_label {
                labels.push(format!("istio-injection={v}"));
            }
            if let Some(v) = &n.rev_label {
                labels.push(format!("istio.io/rev={v}"));
            }
            let mut cells = vec![
                n.name.clone(),
                if labels.is_empty() {
                    "-".into()
                } else {
                    labels.join(",")
                },
                n.selected.describe(),
                running(&n.running),
                if pods_unread || matches!(n.selected, Selection::Unknown { .. }) {
                    "unknown".to_string()
                } else {
                    n.stale.to_string()
                },
            ];
            if ambient {
                cells.push(n.dataplane_mode.clone().unwrap_or_else(|| "-".into()));
                cells.push(if pods_unread {
                    "unknown".to_string()
                } else {
                    n.ambient_pods.to_string()
                });
            }
            namespaces.row(*cluster, cells);
        }
        for u in &report.not_checked {
            let scope = if u.namespace.is_empty() {
                "all namespaces".to_string()
            } else {
                format!("namespace {}", u.namespace)
            };
            let prefix = cluster.map(|c| format!("{c}: ")).unwrap_or_default();
            not_checked.push(format!(
                "{prefix}{} in {}: {}\n",
                u.resource, scope, u.reason
            ));
        }
    }
    control_planes.write(&mut out, "CONTROL PLANES");
    if reports.iter().any(|(_, r)| r.installed_by.is_some()) {
        installs.write(&mut out, "INSTALLED BY");
    }
    gateways.write(&mut out, "GATEWAYS");
    namespaces.write(&mut out, "NAMESPACES");
    if !not_checked.is_empty() {
        out.push('\n');
        out.push_str(&heading("NOT CHECKED"));
        out.push('\n');
        not_checked.iter().for_each(|l| out.push_str(l));
    }

    let all = reports.iter().flat_map(|(_, r)| r.findings.iter());
    let (e, w, i) = all.fold((0, 0, 0), |(e, w, i), f| match f.severity {
        Severity::Error => (e + 1, w, i),
        Severity::Warning => (e, w + 1, i),
        Severity::Info => (e, w, i + 1),
    });
    out.push('\n');
    out.push_str(&heading(&format!(
        "FINDINGS ({e} errors, {w} warnings, {i} info)"
    )));
    out.push('\n');
    if fleet {
        for (cluster, report) in &reports {
            if report.findings.is_empty() {
                continue;
            }
            out.push_str(&format!("[{}]\n", cluster.unwrap_or_default()));
            out.push_str(&findings_text(&report.findings));
        }
        if e + w + i == 0 {
            out.push_str("No findings.\n");
        }
    } else if let Some((_, report)) = reports.first() {
        out.push_str(&findings_text(&report.findings));
    }
    out
}
