//! `fix`: the plan. A pure function of the inventory, its mesh and plain options, built from the
//! same [`remedy`] steps as every finding's `fix` line, so what `status` says to run and what
//! `fix` carries out cannot disagree. [`apply`] carries a plan out against a live cluster.
//!
//! The plan follows the guide's order: namespaces, workloads, gateways (last), then the removal
//! of a control plane nothing uses any more, which is only ever printed.

pub mod apply;
pub mod drift;

use crate::finding::Code;
use crate::inventory::{Inventory, WorkloadKind};
use crate::istio::labels::{LABEL_INJECTION, LABEL_REV};
use crate::mesh::{Mesh, UNKNOWN_REVISION, WorkloadView};
use crate::remedy::{self, Goal, Step, WorkloadRef};
use serde::Serialize;
use std::collections::BTreeSet;

/// Which part of the mesh to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    Namespaces,
    Workloads,
    Gateways,
    Drift,
    #[default]
    All,
}

impl Scope {
    fn includes(self, phase: Phase) -> bool {
        self == Scope::All
            || matches!(
                (self, phase),
                (Scope::Namespaces, Phase::Namespaces)
                    | (Scope::Workloads, Phase::Workloads)
                    | (Scope::Gateways, Phase::Gateways)
                    | (Scope::Drift, Phase::Drift)
            )
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The revision to move to (default: the newest control plane).
    pub target: Option<String>,
    pub scope: Scope,
    pub drift: drift::Options,
}

/// A rendered install compared with the cluster: the input of the plan's drift rows.
#[derive(Debug, Clone, Copy)]
pub struct Drift<'a> {
    pub rendering: &'a crate::diff::Rendering,
    pub compared: &'a crate::diff::Compared,
}

/// The guide's order: control plane first (installed by hand), then these; the install's own
/// drift last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Namespaces,
    Workloads,
    Gateways,
    Drift,
}

/// What `fix` does with a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "kebab-case")]
pub enum Disposition {
    /// `fix` carries it out.
    Apply,
    /// A command for a person to run (istioctl), printed exactly, never run.
    Run,
    /// Only a person can do it.
    Manual,
    /// `fix` will not do it, and why (a paused Deployment, a step that waits on another).
    Refused(String),
}

/// One row of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub phase: Phase,
    /// The finding this change resolves.
    pub code: Code,
    /// `Namespace bookinfo`, `Deployment bookinfo/ratings`.
    pub object: String,
    pub from: String,
    pub to: String,
    pub step: Step,
    /// The step's command line, as the finding's `fix` shows it.
    pub command: String,
    pub disposition: Disposition,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The object's resourceVersion when planned: a change whose object moved on by the time
    /// it is applied is skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    /// What a server-side apply sends; never serialized (a Secret's data is in it).
    #[serde(skip)]
    pub body: Option<Body>,
}

/// A rendered object to apply. Its `Debug` shows no content, so no Secret value reaches a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Body(pub serde_json::Value);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<rendered object>")
    }
}

impl Change {
    pub fn applies(&self) -> bool {
        self.disposition == Disposition::Apply
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub apply: usize,
    pub run: usize,
    pub manual: usize,
    pub refused: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub changes: Vec<Change>,
    /// The guide's removal of each old control plane nothing uses once the plan is carried out;
    /// printed, never run (`fix` never removes a control plane).
    pub then: Vec<String>,
    pub totals: Totals,
}

impl Plan {
    pub fn to_apply(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.applies())
    }

    /// Nothing `fix` itself would change.
    pub fn is_settled(&self) -> bool {
        self.to_apply().next().is_none()
    }
}

/// The plan for this mesh, and for the rendered install when one is given.
pub fn plan(
    inventory: &Inventory,
    mesh: &Mesh,
    drift_input: Option<Drift>,
    options: &Options,
) -> Plan {
    let target = options
        .target
        .clone()
        .or_else(|| mesh.newest_control_plane().map(|c| c.revision.clone()));
    let mut all = Vec::new();
    // Without a control plane there is nothing to move to, but a rendered install's drift
    // is still the install's own.
    if let Some(target) = &target {
        let mut builder = Builder {
            inventory,
            mesh,
            target,
            changes: Vec::new(),
        };
        builder.namespaces();
        builder.workloads();
        builder.gateways();
        all = builder.changes;
    }
    if let Some(d) = drift_input {
        all.extend(drift::changes(d.rendering, d.compared, options.drift));
    }
    let mut changes: Vec<Change> = all
        .into_iter()
        .filter(|c| options.scope.includes(c.phase))
        .collect();
    // Stable within a phase: the order the mesh lists objects in.
    changes.sort_by_key(|c| c.phase);
    let then = match &target {
        Some(target) if options.scope == Scope::All => removals(mesh, target, &changes),
        _ => Vec::new(),
    };
    let mut totals = Totals::default();
    for c in &changes {
        match c.disposition {
            Disposition::Apply => totals.apply += 1,
            Disposition::Run => totals.run += 1,
            Disposition::Manual => totals.manual += 1,
            Disposition::Refused(_) => totals.refused += 1,
        }
    }
    Plan {
        target,
        changes,
        then,
        totals,
    }
}

struct Builder<'a> {
    inventory: &'a Inventory,
    mesh: &'a Mesh,
    target: &'a str,
    changes: Vec<Change>,
}

impl Builder<'_> {
    fn push(&mut self, phase: Phase, code: Code, step: Step, note: Option<String>) {
        self.push_for(None, phase, code, step, note);
    }

    /// `about`: the workload a manual step or istioctl command is for.
    fn push_for(
        &mut self,
        about: Option<&WorkloadRef>,
        phase: Phase,
        code: Code,
        step: Step,
        note: Option<String>,
    ) {
        if self.changes.iter().any(|c| c.step == step) {
            return;
        }
        let (mut object, mut from, to) = self.describe(&step);
        if let (Some(w), "-") = (about, object.as_str()) {
            object = w.to_string();
            from = self.running(w);
        }
        let disposition = match &step {
            // Main's Gateway API and ambient steps: printed for a person until fix carries
            // them out.
            Step::Istioctl { .. }
            | Step::MoveTag { .. }
            | Step::Helm { .. }
            | Step::RelabelGateway { .. }
            | Step::WaitForRollout { .. } => Disposition::Run,
            Step::Manual { .. } => Disposition::Manual,
            Step::Restart { workload } if self.paused(workload) => Disposition::Refused(
                "the Deployment is paused: resume it (kubectl rollout resume) or restart it yourself"
                    .to_string(),
            ),
            _ => Disposition::Apply,
        };
        self.changes.push(Change {
            phase,
            code,
            object,
            from,
            to,
            command: step.command_line(),
            step,
            disposition,
            note,
            resource_version: None,
            body: None,
        });
    }

    fn paused(&self, workload: &WorkloadRef) -> bool {
        workload.kind == "Deployment"
            && self.inventory.workloads.iter().any(|w| {
                w.kind == WorkloadKind::Deployment
                    && w.meta.namespace() == workload.namespace
                    && w.meta.name() == workload.name
                    && w.spec.paused == Some(true)
            })
    }

    fn describe(&self, step: &Step) -> (String, String, String) {
        match step {
            Step::RelabelNamespace {
                namespace,
                set,
                remove,
            } => {
                let ns = self.mesh.namespace(namespace);
                let mut from = Vec::new();
                if let Some(ns) = ns {
                    if let Some(v) = &ns.rev_label {
                        from.push(format!("{LABEL_REV}={v}"));
                    }
                    if let Some(v) = &ns.injection_label {
                        from.push(format!("{LABEL_INJECTION}={v}"));
                    }
                }
                let mut to = Vec::new();
                if let Some(l) = set {
                    to.push(format!("{}={}", l.key, l.value));
                }
                if let (Some(ns), None) = (ns, set)
                    && let Some(v) = &ns.rev_label
                    && remove.as_deref() != Some(LABEL_REV)
                {
                    to.push(format!("{LABEL_REV}={v}"));
                }
                (
                    format!("Namespace {namespace}"),
                    none_if_empty(from.join(", ")),
                    none_if_empty(to.join(", ")),
                )
            }
            Step::RelabelPodTemplate { workload, set } => (
                workload.to_string(),
                self.running(workload),
                format!("{}={} (pod template)", set.key, set.value),
            ),
            Step::Restart { workload } => (
                workload.to_string(),
                self.running(workload),
                self.target.to_string(),
            ),
            Step::MoveTag { tag, revision } => {
                let from = self
                    .mesh
                    .injectors
                    .iter()
                    .find(|i| i.tag.as_deref() == Some(tag))
                    .map(|i| i.revision.clone())
                    .unwrap_or_else(|| "-".to_string());
                (format!("tag {tag}"), from, revision.clone())
            }
            Step::PatchIstioOperator {
                namespace,
                name,
                revision,
            } => {
                let from = self
                    .mesh
                    .operators
                    .iter()
                    .find(|o| &o.namespace == namespace && &o.name == name)
                    .map(|o| o.revision.clone())
                    .unwrap_or_else(|| "-".to_string());
                (
                    format!("IstioOperator {namespace}/{name}"),
                    from,
                    revision.clone(),
                )
            }
            Step::Istioctl { .. }
            | Step::Helm { .. }
            | Step::RelabelGateway { .. }
            | Step::WaitForRollout { .. }
            | Step::Manual { .. }
            | Step::ServerSideApply { .. }
            | Step::Delete { .. } => ("-".to_string(), "-".to_string(), self.target.to_string()),
        }
    }

    fn running(&self, workload: &WorkloadRef) -> String {
        self.mesh
            .workloads
            .iter()
            .find(|w| WorkloadRef::of(w) == *workload)
            .map(|w| {
                crate::checks::revision_counts(
                    self.mesh,
                    w.running.iter().filter(|(r, _)| *r != UNKNOWN_REVISION),
                )
            })
            .map(none_if_empty)
            .unwrap_or_else(|| "-".to_string())
    }

    /// Namespaces that select a revision other than the target move to it (IR106); one that
    /// carries both injection labels loses the shadowing one (IR104); one that opts out is never
    /// touched (it selects nothing).
    fn namespaces(&mut self) {
        let mesh = self.mesh;
        for ns in &mesh.namespaces {
            let selects_other = ns.selected.revision().is_some_and(|r| r != self.target)
                || matches!(ns.selected, crate::mesh::Selection::Unserved { .. });
            if selects_other {
                let code = if ns.selected.revision().is_some() {
                    Code::IR106
                } else {
                    Code::IR105
                };
                for step in remedy::for_namespace(mesh, ns, Goal::MoveTo(self.target)).steps {
                    let note = shadow_note(&step);
                    self.push(Phase::Namespaces, code, step, note);
                }
            } else if ns.injection_label.is_some() && ns.rev_label.is_some() {
                for step in remedy::for_both_labels(mesh, ns).steps {
                    let note = shadow_note(&step);
                    self.push(Phase::Namespaces, Code::IR104, step, note);
                }
            }
        }
    }

    /// Workloads whose pods run anything but the target (stale IR102, mixed IR101, or on an old
    /// revision their namespace is moving off) restart onto it.
    fn workloads(&mut self) {
        let mesh = self.mesh;
        for w in mesh.sidecar_workloads() {
            if let Some(code) = self.behind(w) {
                self.workload(Phase::Workloads, code, w);
            }
        }
    }

    /// Gateways last: lagging (IR201), on a revision without control plane (IR202) or mixed
    /// (IR204).
    fn gateways(&mut self) {
        let mesh = self.mesh;
        for gw in mesh.gateways() {
            let known: Vec<&String> = gw
                .running
                .keys()
                .filter(|r| *r != UNKNOWN_REVISION)
                .collect();
            let code = if known.iter().any(|r| mesh.control_plane(r).is_none()) {
                Code::IR202
            } else if known.iter().any(|r| mesh.is_older(r, self.target)) {
                Code::IR201
            } else if known.len() > 1 {
                Code::IR204
            } else {
                continue;
            };
            self.workload(Phase::Gateways, code, gw);
        }
    }

    fn behind(&self, w: &WorkloadView) -> Option<Code> {
        let known: Vec<&String> = w
            .running
            .keys()
            .filter(|r| *r != UNKNOWN_REVISION)
            .collect();
        if !known.iter().any(|r| r.as_str() != self.target) {
            return None;
        }
        Some(if known.len() > 1 {
            Code::IR101
        } else if w.selected.revision().is_some_and(|s| known[0] != s) {
            Code::IR102
        } else {
            Code::IR106
        })
    }

    fn workload(&mut self, phase: Phase, code: Code, w: &WorkloadView) {
        let remedy = remedy::for_workload(self.mesh, w, Goal::MoveTo(self.target));
        // A restart after a tag move or a manual step would bring back the same revision.
        let mut waits_on: Option<String> = None;
        for step in remedy.steps {
            match &step {
                Step::RelabelNamespace { .. } => {
                    let note = shadow_note(&step);
                    // A workload's namespace moves first; a gateway's with the gateway, last.
                    let phase = if phase == Phase::Workloads {
                        Phase::Namespaces
                    } else {
                        phase
                    };
                    self.push(phase, Code::IR106, step, note);
                }
                Step::MoveTag { .. } | Step::Istioctl { .. } | Step::Manual { .. } => {
                    waits_on = Some(step.command_line());
                    self.push_for(Some(&WorkloadRef::of(w)), phase, code, step, None);
                }
                Step::Restart { .. } if waits_on.is_some() => {
                    let reason = format!(
                        "waits on: {}; run it, then fix again",
                        waits_on.clone().unwrap_or_default()
                    );
                    if self.changes.iter().any(|c| c.step == step) {
                        continue;
                    }
                    let (object, from, to) = self.describe(&step);
                    self.changes.push(Change {
                        phase,
                        code,
                        object,
                        from,
                        to,
                        command: step.command_line(),
                        step,
                        disposition: Disposition::Refused(reason),
                        note: None,
                        resource_version: None,
                        body: None,
                    });
                }
                _ => self.push(phase, code, step, None),
            }
        }
    }
}

fn shadow_note(step: &Step) -> Option<String> {
    match step {
        Step::RelabelNamespace {
            remove: Some(key),
            set,
            ..
        } if key == LABEL_INJECTION => Some(match set {
            Some(_) => format!("removes {LABEL_INJECTION}=enabled, which would shadow {LABEL_REV}"),
            None => format!("removes {LABEL_INJECTION}, which shadows {LABEL_REV}"),
        }),
        Step::RelabelNamespace {
            remove: Some(key), ..
        } if key == LABEL_REV => Some(format!(
            "removes {LABEL_REV}, which {LABEL_INJECTION} shadows and no control plane serves"
        )),
        _ => None,
    }
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "-".to_string() } else { s }
}

/// The removal of each control plane other than the target that nothing uses once every change
/// `fix` applies is done: no namespace left selecting it, no pod left running it, no tag on it.
fn removals(mesh: &Mesh, target: &str, changes: &[Change]) -> Vec<String> {
    let moved_namespaces: BTreeSet<&str> = changes
        .iter()
        .filter(|c| c.applies())
        .filter_map(|c| match &c.step {
            Step::RelabelNamespace {
                namespace,
                set: Some(_),
                ..
            } => Some(namespace.as_str()),
            _ => None,
        })
        .collect();
    let moved_workloads: Vec<&WorkloadRef> = changes
        .iter()
        .filter(|c| c.applies())
        .filter_map(|c| match &c.step {
            Step::Restart { workload } | Step::RelabelPodTemplate { workload, .. } => {
                Some(workload)
            }
            _ => None,
        })
        .collect();
    let patched_crs: BTreeSet<(&str, &str)> = changes
        .iter()
        .filter(|c| c.applies())
        .filter_map(|c| match &c.step {
            Step::PatchIstioOperator {
                namespace, name, ..
            } => Some((namespace.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for cp in &mesh.control_planes {
        let rev = cp.revision.as_str();
        if rev == target {
            continue;
        }
        let namespace_uses = mesh.namespaces.iter().any(|n| {
            n.selected.revision() == Some(rev) && !moved_namespaces.contains(n.name.as_str())
        });
        let pod_uses = mesh.workloads.iter().any(|w| {
            w.running.contains_key(rev) && {
                let r = WorkloadRef::of(w);
                let restarted = moved_workloads.contains(&&r);
                let by_cr = w.owning_cr.as_ref().is_some_and(|cr| {
                    mesh.reconciled_cr(cr).is_some_and(|cr| {
                        patched_crs.contains(&(cr.namespace.as_str(), cr.name.as_str()))
                    })
                });
                !(restarted || by_cr)
            }
        });
        let tag_uses = mesh
            .injectors
            .iter()
            .any(|i| i.revision == rev && i.tag.is_some());
        if namespace_uses || pod_uses || tag_uses {
            continue;
        }
        out.push(remedy::for_unused_revision(mesh, cp).command_line());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn two() -> String {
        [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
        ]
        .concat()
    }

    fn plan_of(yaml: &str, options: &Options) -> Plan {
        let inv = inventory(yaml);
        let mesh = crate::mesh::resolve(&inv, None);
        plan(&inv, &mesh, None, options)
    }

    fn plan_to(yaml: &str, target: &str) -> Plan {
        plan_of(
            yaml,
            &Options {
                target: Some(target.into()),
                ..Options::default()
            },
        )
    }

    fn rows(p: &Plan) -> Vec<String> {
        p.changes
            .iter()
            .map(|c| format!("{:?} {} {}", c.code, c.object, c.command))
            .collect()
    }

    #[test]
    fn namespaces_then_workloads_then_the_removal() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 2, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(
            rows(&p),
            [
                "IR106 Namespace bookinfo kubectl label namespace bookinfo istio.io/rev=1-8-1 --overwrite",
                "IR106 Deployment bookinfo/ratings kubectl rollout restart deployment ratings -n bookinfo",
            ]
        );
        assert_eq!(p.totals.apply, 2);
        assert_eq!(
            p.then,
            [
                "istioctl uninstall --revision 1-8-0 (1.8–1.14: istioctl x uninstall --revision 1-8-0)"
            ]
        );
    }

    #[test]
    fn a_settled_mesh_plans_nothing() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 2, "1-8-1"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert!(p.is_settled(), "{:?}", rows(&p));
        assert!(p.changes.is_empty());
    }

    #[test]
    fn an_opted_out_namespace_is_never_touched() {
        let yaml = [
            two(),
            namespace("tools", &[("istio-injection", "disabled")]),
            pod("tools", "cart", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert!(p.is_settled(), "{:?}", rows(&p));
        assert!(
            p.changes
                .iter()
                .all(|c| !matches!(c.step, Step::RelabelNamespace { .. }))
        );
    }

    #[test]
    fn the_shadowing_label_goes_and_the_plan_says_so() {
        let yaml = [
            two(),
            namespace("shop", &[("istio-injection", "enabled")]),
            istiod("default", "1.8.0", true),
            injector("default"),
            pod("shop", "cart", 1, "default"),
        ]
        .concat();
        let p = plan_to(&yaml, "1-8-1");
        let ns = &p.changes[0];
        assert_eq!(
            ns.command,
            "kubectl label namespace shop istio.io/rev=1-8-1 istio-injection- --overwrite"
        );
        assert!(ns.note.as_deref().unwrap().contains("shadow"), "{ns:?}");
    }

    #[test]
    fn a_tag_move_is_printed_and_the_restart_waits_on_it() {
        let yaml = [
            two(),
            tag("prod-stable", "1-8-0"),
            namespace("shop", &[("istio.io/rev", "prod-stable")]),
            pod("shop", "cart", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(p.changes[0].disposition, Disposition::Run);
        assert!(matches!(
            p.changes.last().unwrap().disposition,
            Disposition::Refused(_)
        ));
        assert!(p.then.is_empty(), "the tag still uses 1-8-0");
    }

    #[test]
    fn scope_narrows_the_plan() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 2, "1-8-0"),
        ]
        .concat();
        let p = plan_of(
            &yaml,
            &Options {
                scope: Scope::Namespaces,
                ..Options::default()
            },
        );
        assert_eq!(p.changes.len(), 1);
        assert_eq!(p.changes[0].phase, Phase::Namespaces);
        assert!(p.then.is_empty());
    }

    fn row(c: &Change) -> String {
        format!(
            "{:?} {:?} {} | {} -> {} | {}",
            c.phase,
            c.code,
            c.object,
            c.from,
            c.to,
            c.note.as_deref().unwrap_or("")
        )
    }

    fn deployment(ns: &str, name: &str, paused: bool) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  paused: {paused}\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: app:1\n"
        )
    }

    #[test]
    fn each_row_says_what_it_changes_from_and_to() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            pod("bookinfo", "ratings", 2, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert!(!p.is_settled());
        assert_eq!(p.to_apply().count(), 2);
        assert_eq!(
            p.changes.iter().map(row).collect::<Vec<_>>(),
            [
                "Namespaces IR106 Namespace bookinfo | istio.io/rev=1-8-0 -> istio.io/rev=1-8-1 | ",
                "Workloads IR106 Deployment bookinfo/ratings | 1-8-0 (2 pods) -> 1-8-1 | ",
            ]
        );
    }

    #[test]
    fn totals_count_each_disposition() {
        let yaml = [
            two(),
            tag("prod-stable", "1-8-0"),
            namespace("shop", &[("istio.io/rev", "prod-stable")]),
            pod("shop", "cart", 1, "1-8-0"),
            pod("shop", "web", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        let tag_move = &p.changes[0];
        assert_eq!(
            (
                tag_move.object.as_str(),
                tag_move.from.as_str(),
                tag_move.to.as_str()
            ),
            ("tag prod-stable", "1-8-0", "1-8-1")
        );
        // One tag move to run, two restarts refused until it is done.
        assert_eq!(
            p.totals,
            Totals {
                apply: 0,
                run: 1,
                manual: 0,
                refused: 2
            },
            "{:#?}",
            p.changes.iter().map(row).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_paused_deployment_is_refused_and_only_that_one() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            deployment("bookinfo", "ratings", true),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            deployment("bookinfo", "reviews", false),
            pod("bookinfo", "reviews", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        let dispositions: Vec<(String, bool)> = p
            .changes
            .iter()
            .map(|c| (c.object.clone(), c.applies()))
            .collect();
        assert_eq!(
            dispositions,
            [
                ("Deployment bookinfo/ratings".to_string(), false),
                ("Deployment bookinfo/reviews".to_string(), true),
            ]
        );
        assert_eq!(p.totals.refused, 1);
    }

    #[test]
    fn a_namespace_asking_for_a_revision_nothing_serves_moves_to_the_target() {
        let yaml = [
            two(),
            namespace("shop", &[("istio.io/rev", "gone")]),
            pod("shop", "cart", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(
            row(&p.changes[0]),
            "Namespaces IR105 Namespace shop | istio.io/rev=gone -> istio.io/rev=1-8-1 | "
        );
    }

    #[test]
    fn a_removed_label_says_which_shadows_which() {
        let relabel = |set: Option<&str>, remove: &str| Step::RelabelNamespace {
            namespace: "shop".into(),
            set: set.map(|v| remedy::Label::new(LABEL_REV, v)),
            remove: Some(remove.into()),
        };
        assert_eq!(
            shadow_note(&relabel(Some("1-8-1"), LABEL_INJECTION)).as_deref(),
            Some("removes istio-injection=enabled, which would shadow istio.io/rev")
        );
        assert_eq!(
            shadow_note(&relabel(None, LABEL_INJECTION)).as_deref(),
            Some("removes istio-injection, which shadows istio.io/rev")
        );
        assert_eq!(
            shadow_note(&relabel(None, LABEL_REV)).as_deref(),
            Some("removes istio.io/rev, which istio-injection shadows and no control plane serves")
        );
        assert_eq!(shadow_note(&relabel(None, "team")), None);
        assert_eq!(none_if_empty(String::new()), "-");
        assert_eq!(none_if_empty("a=b".into()), "a=b");
    }

    #[test]
    fn mixed_workloads_are_ir101_and_gateways_move_last() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            pod("bookinfo", "ratings", 2, "1-8-1"),
            gateway_pod(1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        let rows: Vec<String> = p.changes.iter().map(row).collect();
        assert_eq!(
            rows[0],
            "Workloads IR101 Deployment bookinfo/ratings | 1-8-0 (1 pod), 1-8-1 (1 pod) -> 1-8-1 | "
        );
        assert!(
            rows.last().unwrap().starts_with("Gateways IR201 "),
            "{rows:#?}"
        );
    }

    #[test]
    fn a_gateway_on_two_revisions_is_ir204() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            gateway_pod(1, "1-8-0"),
            gateway_pod(2, "1-8-1"),
        ]
        .concat();
        let p = plan_to(&yaml, "1-8-0");
        let codes: Vec<(Phase, Code)> = p.changes.iter().map(|c| (c.phase, c.code)).collect();
        assert!(codes.contains(&(Phase::Gateways, Code::IR204)), "{codes:?}");
    }

    #[test]
    fn a_narrowed_plan_prints_no_removal() {
        // Only the restart is left, and it is outside the scope asked for.
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
        ]
        .concat();
        let all = plan_of(&yaml, &Options::default());
        assert_eq!(all.then.len(), 1, "{:?}", all.then);
        let p = plan_of(
            &yaml,
            &Options {
                scope: Scope::Workloads,
                ..Options::default()
            },
        );
        assert_eq!(p.changes.len(), 1);
        assert!(p.then.is_empty(), "{:?}", p.then);
    }

    /// The default revision's injector, answering `istio-injection=enabled`.
    const DEFAULT_INJECTOR: &str = "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-sidecar-injector\nwebhooks:\n- name: namespace.sidecar-injector.istio.io\n  clientConfig:\n    service: {name: istiod, namespace: istio-system, path: /inject}\n  namespaceSelector:\n    matchLabels: {istio-injection: enabled}\n";

    #[test]
    fn the_label_an_injection_label_shadows_stays_only_when_served() {
        let plan_for = |rev: &str| {
            let yaml = [
                two(),
                istiod("default", "1.8.1", true),
                DEFAULT_INJECTOR.to_string(),
                namespace(
                    "shop",
                    &[("istio.io/rev", rev), ("istio-injection", "enabled")],
                ),
                pod("shop", "cart", 1, "default"),
            ]
            .concat();
            let p = plan_to(&yaml, "default");
            p.changes.iter().map(row).collect::<Vec<_>>()
        };
        assert_eq!(
            plan_for("1-8-1"),
            [
                "Namespaces IR104 Namespace shop | istio.io/rev=1-8-1, istio-injection=enabled -> istio.io/rev=1-8-1 | removes istio-injection, which shadows istio.io/rev"
            ]
        );
        assert_eq!(
            plan_for("1-7-0"),
            [
                "Namespaces IR104 Namespace shop | istio.io/rev=1-7-0, istio-injection=enabled -> - | removes istio.io/rev, which istio-injection shadows and no control plane serves"
            ]
        );
    }

    #[test]
    fn a_bare_pod_is_a_manual_step_and_counted_so() {
        let bare = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: shop\n  labels:\n    istio.io/rev: 1-8-0\n  annotations:\n    sidecar.istio.io/status: '{\"revision\":\"1-8-0\"}'\nspec:\n  containers:\n  - name: app\n    image: app:1\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1\n    args: [proxy, sidecar]\nstatus:\n  phase: Running\n";
        let yaml = [two(), namespace("shop", &[]), bare.to_string()].concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(
            p.totals,
            Totals {
                apply: 0,
                run: 0,
                manual: 1,
                refused: 0
            },
            "{:#?}",
            p.changes.iter().map(row).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_tag_move_starts_from_the_revision_that_tag_points_at() {
        // The tag is on 1-8-1 and moves back to 1-8-0; 1-8-0's own injector is listed first.
        let yaml = [
            two(),
            tag("prod-stable", "1-8-1"),
            namespace("shop", &[("istio.io/rev", "prod-stable")]),
            pod("shop", "cart", 1, "1-8-1"),
        ]
        .concat();
        let p = plan_to(&yaml, "1-8-0");
        let tag_move = &p.changes[0];
        assert_eq!(
            (
                tag_move.object.as_str(),
                tag_move.from.as_str(),
                tag_move.to.as_str()
            ),
            ("tag prod-stable", "1-8-1", "1-8-0")
        );
    }

    #[test]
    fn an_operator_gateway_moves_by_its_own_cr_and_the_row_shows_that_crs_revision() {
        let iop = |ns: &str, name: &str, rev: &str| {
            format!(
                "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  revision: {rev}\n"
            )
        };
        // Its CR's namesake in another namespace and its namespace's other CR, listed first.
        let deployment = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istio-ingressgateway\n  namespace: istio-system\n  labels:\n    install.operator.istio.io/owning-resource: gateways\n    install.operator.istio.io/owning-resource-namespace: istio-system\n    istio.io/rev: 1-8-0\n    operator.istio.io/component: IngressGateways\nspec:\n  selector:\n    matchLabels: {app: istio-ingressgateway}\n  template:\n    metadata:\n      labels: {app: istio-ingressgateway, istio.io/rev: 1-8-0, operator.istio.io/component: IngressGateways, sidecar.istio.io/inject: \"false\"}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1\n        args: [proxy, router]\n";
        let gateway = [deployment.to_string(), gateway_pod(1, "1-8-0")].concat();
        let yaml = [
            two(),
            iop("aaa", "gateways", "1-7-0"),
            iop("istio-system", "aaa-gateways", "1-7-5"),
            iop("istio-system", "gateways", "1-8-0"),
            gateway,
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        let rows: Vec<String> = p.changes.iter().map(row).collect();
        assert_eq!(
            rows,
            ["Gateways IR201 IstioOperator istio-system/gateways | 1-8-0 -> 1-8-1 | "]
        );
        // Once its CR is patched, the gateway's pods no longer hold 1-8-0.
        assert_eq!(p.then.len(), 1, "{:?}", p.then);
    }

    #[test]
    fn a_namespace_without_workloads_moves_too_and_one_on_the_target_stays() {
        // New pods there would still get the old revision.
        let yaml = [
            two(),
            namespace("empty", &[("istio.io/rev", "1-8-0")]),
            namespace("moved", &[("istio.io/rev", "1-8-1")]),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(
            p.changes.iter().map(row).collect::<Vec<_>>(),
            ["Namespaces IR106 Namespace empty | istio.io/rev=1-8-0 -> istio.io/rev=1-8-1 | "]
        );
    }

    #[test]
    fn a_gateway_already_on_the_target_is_left_alone() {
        let yaml = [
            two(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-1"),
            gateway_pod(1, "1-8-1"),
            gateway_pod(2, "1-8-1"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert!(p.changes.is_empty(), "{:?}", rows(&p));
    }

    #[test]
    fn a_revision_a_tag_still_points_at_is_not_removed() {
        let yaml = [
            two(),
            tag("prod", "1-8-0"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
        ]
        .concat();
        let p = plan_of(&yaml, &Options::default());
        assert_eq!(p.totals.apply, 2, "{:?}", rows(&p));
        assert!(p.then.is_empty(), "{:?}", p.then);
    }
}
