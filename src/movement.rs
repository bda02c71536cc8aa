//! How an upgrade moved between two `status` reports (the frames of `status --watch`): pods
//! gained and lost per revision, namespaces that now select another revision, control planes
//! that appeared, went or changed readiness, findings raised and resolved.

use crate::finding::Finding;
use crate::status::StatusReport;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Movement {
    /// Proxies per revision, where the count changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<Shift<usize>>,
    /// Namespaces whose selected revision changed (`-` for none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<NamespaceShift>,
    /// Control planes by revision: `absent`, `ready` or `not ready`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub control_planes: Vec<ControlPlaneShift>,
    pub findings_before: usize,
    pub findings_after: usize,
    /// Findings (code and object) in the new frame only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub raised: Vec<String>,
    /// Findings in the old frame only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift<T> {
    pub revision: String,
    pub before: T,
    pub after: T,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamespaceShift {
    pub namespace: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlPlaneShift {
    pub revision: String,
    pub before: &'static str,
    pub after: &'static str,
}

pub fn between(before: &StatusReport, after: &StatusReport) -> Movement {
    let revisions: BTreeSet<&String> = before
        .pods_per_revision
        .keys()
        .chain(after.pods_per_revision.keys())
        .collect();
    let count = |r: &BTreeMap<String, usize>, rev: &str| r.get(rev).copied().unwrap_or(0);
    let pods = revisions
        .into_iter()
        .map(|rev| Shift {
            revision: rev.clone(),
            before: count(&before.pods_per_revision, rev),
            after: count(&after.pods_per_revision, rev),
        })
        .filter(|s| s.before != s.after)
        .collect();

    let selected = |r: &StatusReport| -> BTreeMap<String, String> {
        r.namespaces
            .iter()
            .map(|n| (n.name.clone(), n.selected.describe()))
            .collect()
    };
    let (was, now) = (selected(before), selected(after));
    let names: BTreeSet<&String> = was.keys().chain(now.keys()).collect();
    let none = "-".to_string();
    let namespaces = names
        .into_iter()
        .map(|n| NamespaceShift {
            namespace: n.clone(),
            before: was.get(n).unwrap_or(&none).clone(),
            after: now.get(n).unwrap_or(&none).clone(),
        })
        .filter(|s| s.before != s.after)
        .collect();

    let state = |r: &StatusReport, rev: &str| -> &'static str {
        match r.control_planes.iter().find(|c| c.revision == rev) {
            None => "absent",
            Some(c) if c.ready => "ready",
            Some(_) => "not ready",
        }
    };
    let planes: BTreeSet<&String> = before
        .control_planes
        .iter()
        .chain(&after.control_planes)
        .map(|c| &c.revision)
        .collect();
    let control_planes = planes
        .into_iter()
        .map(|rev| ControlPlaneShift {
            revision: rev.clone(),
            before: state(before, rev),
            after: state(after, rev),
        })
        .filter(|s| s.before != s.after)
        .collect();

    let keys = |r: &StatusReport| -> BTreeSet<String> { r.findings.iter().map(key).collect() };
    let (old, new) = (keys(before), keys(after));
    Movement {
        pods,
        namespaces,
        control_planes,
        findings_before: before.findings.len(),
        findings_after: after.findings.len(),
        raised: new.difference(&old).cloned().collect(),
        resolved: old.difference(&new).cloned().collect(),
    }
}

fn key(f: &Finding) -> String {
    let o = &f.object;
    if o.namespace.is_empty() {
        format!("{} {} {}", f.code, o.kind, o.name)
    } else {
        format!("{} {} {}/{}", f.code, o.kind, o.namespace, o.name)
    }
}

impl Movement {
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
            && self.namespaces.is_empty()
            && self.control_planes.is_empty()
            && self.raised.is_empty()
            && self.resolved.is_empty()
    }

    /// One line for the top of a frame.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "since last frame: no upgrade movement".to_string();
        }
        let mut parts = Vec::new();
        for c in &self.control_planes {
            parts.push(format!(
                "control plane {} {} → {}",
                c.revision, c.before, c.after
            ));
        }
        // Namespaces that made the same move read as one group.
        let mut moves: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for n in &self.namespaces {
            moves
                .entry((&n.before, &n.after))
                .or_default()
                .push(&n.namespace);
        }
        for ((from, to), names) in moves {
            let what = if names.len() == 1 {
                format!("namespace {}", names[0])
            } else {
                format!("namespaces {}", names.join(", "))
            };
            parts.push(format!("{what} {from} → {to}"));
        }
        if !self.pods.is_empty() {
            let pods: Vec<String> = self
                .pods
                .iter()
                .map(|s| {
                    let delta = s.after as i64 - s.before as i64;
                    format!("{} {:+} ({} → {})", s.revision, delta, s.before, s.after)
                })
                .collect();
            parts.push(format!("pods {}", pods.join(", ")));
        }
        if !self.raised.is_empty() || !self.resolved.is_empty() {
            parts.push(format!(
                "findings {} → {} ({} new, {} resolved)",
                self.findings_before,
                self.findings_after,
                self.raised.len(),
                self.resolved.len()
            ));
        }
        format!("since last frame: {}", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{checks, mesh, source};

    fn report(scenario: &str) -> StatusReport {
        let path = format!(
            "{}/testdata/scenarios/{scenario}/cluster.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let inventory = source::snapshot::load(&[source::snapshot::Input::Path(path.into())])
            .expect("scenario loads");
        let mesh = mesh::resolve(&inventory, None);
        crate::status::build(&inventory, &mesh, &checks::Options::default())
    }

    #[test]
    fn relabeling_moves_namespaces_and_raises_stale_proxies() {
        let m = between(
            &report("istioctl-2-canary-up"),
            &report("istioctl-3-relabeled"),
        );
        assert!(m.pods.is_empty(), "{m:?}");
        assert_eq!(m.namespaces.len(), 3);
        assert_eq!(m.findings_before, 1);
        assert_eq!(m.findings_after, 9);
        assert_eq!(
            m.summary(),
            "since last frame: namespaces bookinfo, legacy, shop 1-8-0 → 1-8-1; findings 1 → 9 (8 new, 0 resolved)"
        );
    }

    #[test]
    fn restarting_moves_pods_between_revisions() {
        let m = between(
            &report("istioctl-3-relabeled"),
            &report("istioctl-4-restarted"),
        );
        assert!(m.namespaces.is_empty());
        let old = m.pods.iter().find(|s| s.revision == "1-8-0").unwrap();
        let new = m.pods.iter().find(|s| s.revision == "1-8-1").unwrap();
        assert!(old.after < old.before && new.after > new.before, "{m:?}");
        assert!(!m.resolved.is_empty());
    }

    #[test]
    fn the_same_report_did_not_move() {
        let r = report("istioctl-3-relabeled");
        let m = between(&r, &r);
        assert!(m.is_empty());
        assert_eq!(m.summary(), "since last frame: no upgrade movement");
    }
}
