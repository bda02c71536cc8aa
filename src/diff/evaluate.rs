//! Turns what was observed of each rendered object into findings.

use super::ignore::{self, Rule};
use super::report::{DiffFinding, Ignored, LOCAL, Observed, Report, SERVER_DRY_RUN, Summary};
use super::{compare, normalize, unified};
use crate::finding::{Code, Finding};
use crate::istio::installer::{Installer, Ownership};
use crate::istio::labels::LABEL_HELM_CHART;
use crate::istio::labels::{LABEL_COMPONENT, LABEL_NOT_PRUNED, LABEL_VERSION};
use crate::istio::manifest::{Rendered, identity};
use crate::istio::objects::ObjId;
use serde_json::Value;
use std::collections::BTreeSet;

/// `spec.replicas` ignored on every workload a rendered or live HPA scales.
pub(super) fn hpa_rules(
    rendered: &[Rendered],
    observed: &[Observed],
    candidates: &[Value],
) -> Vec<Rule> {
    let hpas = rendered
        .iter()
        .map(|r| &r.obj)
        .chain(observed.iter().filter_map(|o| o.live.as_ref()))
        .chain(candidates.iter())
        .filter(|v| v["kind"] == "HorizontalPodAutoscaler");
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for h in hpas {
        let target = &h["spec"]["scaleTargetRef"];
        let (Some(kind), Some(name)) = (target["kind"].as_str(), target["name"].as_str()) else {
            continue;
        };
        let ns = h["metadata"]["namespace"].as_str().unwrap_or("");
        if seen.insert((kind.to_string(), ns.to_string(), name.to_string())) {
            out.push(ignore::hpa_replicas(kind, ns, name));
        }
    }
    out
}

/// Turns what was observed into findings.
pub fn evaluate(
    rendered: &[Rendered],
    observed: &[Observed],
    candidates: &[Value],
    owner: &Installer,
    rules: &[Rule],
) -> Report {
    let mut findings = Vec::new();
    let mut ignored = Vec::new();
    let mut summary = Summary::default();
    let mut methods = BTreeSet::new();
    let mut local_reasons = BTreeSet::new();
    for (r, o) in rendered.iter().zip(observed) {
        let plain = |code: Code, message: String| DiffFinding {
            finding: Finding::new(code, r.id.object_ref(), message),
            group: r.id.group.clone(),
            compared_by: String::new(),
            changed_paths: Vec::new(),
            ignored_paths: Vec::new(),
            diff: String::new(),
        };
        if let Some(reason) = &o.unreadable {
            findings.push(plain(
                Code::IR901,
                format!("not checked: could not read it: {reason}"),
            ));
            continue;
        }
        let Some(live) = &o.live else {
            summary.missing += 1;
            findings.push(plain(
                Code::IR502,
                format!(
                    "missing: rendered but not in the cluster ({} would create it)",
                    owner.action()
                ),
            ));
            continue;
        };
        match owner.ownership(live) {
            Ownership::Unmanaged => {
                summary.unmanaged += 1;
                findings.push(plain(Code::IR504, unmanaged_message(owner)));
                continue;
            }
            Ownership::Foreign(other) => {
                summary.owned_elsewhere += 1;
                let mut f = plain(Code::IR405, owned_elsewhere_message(owner, &other));
                f.finding.revisions = vec![owner.revision().to_string()];
                findings.push(f);
                continue;
            }
            Ownership::Ours => {}
        }
        let method = if o.merged.is_some() {
            SERVER_DRY_RUN
        } else {
            LOCAL
        };
        methods.insert(method);
        if let Some(reason) = &o.local_reason {
            local_reasons.insert(reason.clone());
        }
        let c = compare_one(r, live, o.merged.as_ref(), rules);
        if c.changed.is_empty() {
            summary.in_sync += 1;
            if !c.ignored.is_empty() {
                ignored.push(Ignored {
                    object: r.id.object_ref(),
                    paths: c.ignored,
                });
            }
            continue;
        }
        summary.drifted += 1;
        let shown: Vec<&str> = c.changed.iter().take(3).map(String::as_str).collect();
        let more = c.changed.len().saturating_sub(3);
        let mut message = format!(
            "drifted: {} would change {}",
            owner.action(),
            shown.join(", ")
        );
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
        findings.push(DiffFinding {
            finding: Finding::new(Code::IR501, r.id.object_ref(), message).fix(owner.drift_fix()),
            group: r.id.group.clone(),
            compared_by: method.to_string(),
            changed_paths: c.changed,
            ignored_paths: c.ignored,
            diff: c.diff,
        });
    }
    let rendered_ids: BTreeSet<&ObjId> = rendered.iter().map(|r| &r.id).collect();
    for v in candidates {
        let Some(id) = identity(v, "") else { continue };
        if rendered_ids.contains(&id) {
            continue;
        }
        let labels = &v["metadata"]["labels"];
        if labels[LABEL_NOT_PRUNED].as_str() == Some("true") {
            continue;
        }
        summary.orphaned += 1;
        let message = orphan_message(owner, labels);
        let ns_flag = if id.namespace.is_empty() {
            String::new()
        } else {
            format!(" -n {}", id.namespace)
        };
        findings.push(DiffFinding {
            finding: Finding::new(Code::IR503, id.object_ref(), message)
                .revisions([owner.revision().to_string()])
                .fix(format!(
                    "kubectl delete {}{ns_flag} {} (after checking nothing uses it)",
                    id.kind.to_lowercase(),
                    id.name
                )),
            group: id.group.clone(),
            compared_by: String::new(),
            changed_paths: Vec::new(),
            ignored_paths: Vec::new(),
            diff: String::new(),
        });
    }
    findings.sort_by(|a, b| {
        let (x, y) = (&a.finding, &b.finding);
        y.severity
            .cmp(&x.severity)
            .then(x.code.cmp(&y.code))
            .then(x.object.cmp(&y.object))
    });
    let compared_by = describe_method(&methods, &local_reasons, owner.field_manager());
    Report {
        rendered_from: String::new(),
        against: String::new(),
        compared_by,
        owner: owner.clone(),
        rendered_objects: rendered.len(),
        summary,
        findings,
        ignored,
        ignore_rules: rules.to_vec(),
        notes: Vec::new(),
        not_checked: Vec::new(),
    }
}

fn unmanaged_message(owner: &Installer) -> String {
    match owner {
        Installer::IstioOperator(_) => {
            "exists without istioctl's owner labels: istioctl install would take it over"
                .to_string()
        }
        Installer::Helm(h) => format!(
            "exists without Helm's release annotations: helm install {} refuses it (\"cannot be imported into the current release\") unless --take-ownership",
            h.helm_release.name
        ),
    }
}

fn owned_elsewhere_message(owner: &Installer, other: &str) -> String {
    match owner {
        Installer::Helm(_) if other.starts_with("IstioOperator") => format!(
            "owned by {other} (istioctl's owner labels): {} takes it over only with --take-ownership, and server-side apply then conflicts with field manager istio-operator (istio#59630); uninstall the CR's component or remove its owner labels first",
            owner.describe()
        ),
        Installer::Helm(_) => format!(
            "owned by {other}: helm refuses to install it into {} (\"cannot be imported into the current release\"), and with --take-ownership the two releases fight over it",
            owner.describe()
        ),
        Installer::IstioOperator(_) => match other.strip_prefix("IstioOperator ") {
            Some(short) => format!(
                "labelled as owned by {other}: installing {} would take it over, and {short}'s next install would take it back",
                owner.describe()
            ),
            None => format!(
                "labelled as owned by {other}: installing {} would take it over, and the release's next helm upgrade would take it back",
                owner.describe()
            ),
        },
    }
}

fn orphan_message(owner: &Installer, labels: &Value) -> String {
    match owner {
        Installer::IstioOperator(o) => {
            let component = labels[LABEL_COMPONENT].as_str().unwrap_or("");
            let mut message = format!(
                "orphaned: carries {}'s owner labels (revision {}, component {component}) but is no longer rendered",
                o.describe(),
                o.revision
            );
            if let Some(version) = labels[LABEL_VERSION].as_str() {
                message.push_str(&format!(
                    "; stamped by istioctl {version} (istioctl only prunes objects of its own version)"
                ));
            }
            message
        }
        Installer::Helm(h) => {
            let mut message = format!(
                "orphaned: annotated as {}'s but no longer rendered",
                owner.describe()
            );
            if let Some(chart) = labels[LABEL_HELM_CHART].as_str() {
                message.push_str(&format!("; rendered by chart {chart}"));
            }
            message.push_str(&format!(
                " (helm upgrade {} deletes only what the release's last manifest lists)",
                h.helm_release.name
            ));
            message
        }
    }
}

fn describe_method(
    methods: &BTreeSet<&str>,
    local_reasons: &BTreeSet<String>,
    field_manager: &str,
) -> String {
    let server = format!("server-side apply dry run as field manager {field_manager}");
    let local = format!(
        "rendered fields against live objects, normalized ({})",
        local_reasons.iter().cloned().collect::<Vec<_>>().join("; ")
    );
    match (methods.contains(SERVER_DRY_RUN), methods.contains(LOCAL)) {
        (true, true) => format!("{server}; some objects by {local}"),
        (true, false) => server,
        (false, true) => local,
        (false, false) => "nothing compared (no rendered object exists as ours)".to_string(),
    }
}

pub struct Comparison {
    pub changed: Vec<String>,
    pub ignored: Vec<String>,
    pub diff: String,
}

/// Compares one object: `merged` from a server dry run, or predicted by overlaying the
/// rendered fields on live.
pub fn compare_one(
    r: &Rendered,
    live: &Value,
    merged: Option<&Value>,
    rules: &[Rule],
) -> Comparison {
    let mut live_c = live.clone();
    compare::strip_noise(&mut live_c);
    let mut merged_c = match merged {
        Some(m) => m.clone(),
        None => {
            let mut rendered = r.obj.clone();
            normalize::fold_string_data(&mut rendered);
            compare::overlay(&live_c, &rendered, "")
        }
    };
    compare::strip_noise(&mut merged_c);
    let mut ignored = Vec::new();
    for rule in rules.iter().filter(|rule| rule.matches(&r.id)) {
        ignored.extend(ignore::apply(rule, &mut live_c, &mut merged_c));
    }
    ignored.sort();
    ignored.dedup();
    let changed = compare::changed_paths(&live_c, &merged_c);
    let diff = if changed.is_empty() {
        String::new()
    } else {
        unified::unified(&r.id, &live_c, &merged_c)
    };
    Comparison {
        changed,
        ignored,
        diff,
    }
}
