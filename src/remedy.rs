//! What resolves a finding, computed from the resolution alone: what selects the object now
//! (namespace label, `istio-injection=enabled`, pod label, a tag, the default injector, the
//! rendered template of an operator gateway), what its pods run and where it should go.
//!
//! Every `status` finding's `fix` line is [`Remedy::command_line`] of a remedy built here, and
//! the `fix` command carries out the same [`Step`]s, so what a finding says and what `fix` does
//! cannot disagree. Two rules hold for every remedy:
//! * no step turns injection on where a namespace (`istio-injection=disabled`) or a pod
//!   (`sidecar.istio.io/inject`) opts out: such objects get a [`Step::Manual`] with the reason;
//! * no step points anything at a revision that has no control plane.

use crate::ambient::{Agent, NodeAgent};
use crate::finding::ObjectRef;
use crate::gateway_api::{GatewayView, SelectorSource};
use crate::istio::labels::{DEFAULT_REVISION, LABEL_INJECTION, LABEL_REV};
use crate::mesh::{
    ControlPlane, GatewayKind, InjectorMatch, Mesh, NamespaceView, Selection, Via, WorkloadView,
};
use serde::Serialize;
use std::fmt;

/// A workload by kind, namespace and name (`Deployment`, `StatefulSet`, `DaemonSet`, `Pod`...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl WorkloadRef {
    pub fn of(w: &WorkloadView) -> Self {
        WorkloadRef {
            kind: w.kind.clone(),
            namespace: w.namespace.clone(),
            name: w.name.clone(),
        }
    }

    /// `kubectl rollout restart` works on these; other pods are re-created by hand.
    pub fn can_roll(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet"
        )
    }
}

impl fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// One label to set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub key: String,
    pub value: String,
}

impl Label {
    pub fn new(key: &str, value: &str) -> Self {
        Label {
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// One change, in the order a person (or `fix`) carries them out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Set and remove namespace labels (`kubectl label namespace`).
    RelabelNamespace {
        namespace: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        set: Option<Label>,
        #[serde(skip_serializing_if = "Option::is_none")]
        remove: Option<String>,
    },
    /// Set a label on a workload's pod template; the template change rolls the pods by itself.
    RelabelPodTemplate { workload: WorkloadRef, set: Label },
    /// Point a revision tag at another revision (`istioctl tag set`): every namespace and pod
    /// using the tag follows, which is what tags are for.
    MoveTag { tag: String, revision: String },
    /// Replace a workload's pods, as `kubectl rollout restart` does (Deployment, StatefulSet,
    /// DaemonSet only: other pods are a [`Step::Manual`]).
    Restart { workload: WorkloadRef },
    /// Merge-patch `spec.revision` of an IstioOperator the in-cluster operator reconciles.
    PatchIstioOperator {
        namespace: String,
        name: String,
        revision: String,
    },
    /// Set or remove the `istio.io/rev` label of a Gateway API `Gateway`: istiod re-renders its
    /// Deployment, which rolls by itself (`kubectl label gateway`).
    RelabelGateway {
        namespace: String,
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        set: Option<Label>,
        #[serde(skip_serializing_if = "Option::is_none")]
        remove: Option<String>,
    },
    /// Wait for a rollout someone else started (istiod re-rendering a generated Deployment):
    /// restarting it changes nothing.
    WaitForRollout { workload: WorkloadRef },
    /// An istioctl command to run exactly as given; never run by `fix`.
    Istioctl { args: Vec<String> },
    /// Server-side apply an installer's rendered object as its field manager (`diff`'s drifted
    /// and missing objects); `force` takes over fields other managers own.
    ServerSideApply {
        api_version: String,
        object: ObjectRef,
        field_manager: String,
        force: bool,
    },
    /// Delete an object the installer left behind (`diff`'s orphans).
    Delete {
        api_version: String,
        object: ObjectRef,
    },
    /// A helm command to run exactly as given (the ambient node agents have no canary: their
    /// release is upgraded in place); never run by `fix`.
    Helm { args: Vec<String> },
    /// Something only a person can do, and why.
    Manual { step: String, reason: String },
}

impl Step {
    pub fn manual(step: impl Into<String>, reason: impl Into<String>) -> Step {
        Step::Manual {
            step: step.into(),
            reason: reason.into(),
        }
    }

    pub fn istioctl<I, S>(args: I) -> Step
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Step::Istioctl {
            args: args.into_iter().map(Into::into).collect(),
        }
    }

    /// A restart, or for a pod no controller re-creates, the manual step it takes.
    pub fn restart(workload: WorkloadRef) -> Step {
        if workload.can_roll() {
            return Step::Restart { workload };
        }
        if workload.kind == "Pod" {
            Step::manual(
                format!(
                    "re-create pod {} -n {} from its manifest",
                    workload.name, workload.namespace
                ),
                "a bare pod is not recreated when deleted",
            )
        } else {
            Step::manual(
                format!(
                    "re-create the pods of {} {}/{}",
                    workload.kind.to_lowercase(),
                    workload.namespace,
                    workload.name
                ),
                "kubectl rollout restart does not support this kind",
            )
        }
    }

    /// The command line that carries the step out, or the manual step's words.
    pub fn command_line(&self) -> String {
        match self {
            Step::RelabelNamespace {
                namespace,
                set,
                remove,
            } => {
                let mut line = format!("kubectl label namespace {namespace}");
                if let Some(l) = set {
                    line.push_str(&format!(" {}={}", l.key, l.value));
                }
                if let Some(key) = remove {
                    line.push_str(&format!(" {key}-"));
                }
                if set.is_some() {
                    line.push_str(" --overwrite");
                }
                line
            }
            Step::RelabelPodTemplate { workload, set } => format!(
                "kubectl patch {} {} -n {} --type merge -p '{{\"spec\":{{\"template\":{{\"metadata\":{{\"labels\":{{\"{}\":\"{}\"}}}}}}}}}}'",
                workload.kind.to_lowercase(),
                workload.name,
                workload.namespace,
                set.key,
                set.value
            ),
            Step::MoveTag { tag, revision } => {
                format!("istioctl tag set {tag} --revision {revision} --overwrite")
            }
            Step::Restart { workload } => format!(
                "kubectl rollout restart {} {} -n {}",
                workload.kind.to_lowercase(),
                workload.name,
                workload.namespace
            ),
            Step::PatchIstioOperator {
                namespace,
                name,
                revision,
            } => format!(
                "kubectl patch istiooperator {name} -n {namespace} --type merge -p '{{\"spec\":{{\"revision\":\"{revision}\"}}}}'"
            ),
            Step::RelabelGateway {
                namespace,
                name,
                set,
                remove,
            } => {
                let mut line = format!("kubectl label gateway {name} -n {namespace}");
                if let Some(l) = set {
                    line.push_str(&format!(" {}={} --overwrite", l.key, l.value));
                }
                if let Some(key) = remove {
                    line.push_str(&format!(" {key}-"));
                }
                line
            }
            Step::WaitForRollout { workload } => format!(
                "kubectl rollout status {}/{} -n {}",
                workload.kind.to_lowercase(),
                workload.name,
                workload.namespace
            ),
            Step::Istioctl { args } => format!("istioctl {}", args.join(" ")),
            Step::ServerSideApply {
                object,
                field_manager,
                force,
                ..
            } => format!(
                "kubectl apply --server-side --field-manager={field_manager}{} -f <rendered {} {}>",
                if *force { " --force-conflicts" } else { "" },
                object.kind,
                namespaced_name(object)
            ),
            Step::Delete { object, .. } => {
                let ns = if object.namespace.is_empty() {
                    String::new()
                } else {
                    format!(" -n {}", object.namespace)
                };
                format!(
                    "kubectl delete {}{ns} {}",
                    object.kind.to_lowercase(),
                    object.name
                )
            }
            Step::Helm { args } => format!("helm {}", args.join(" ")),
            Step::Manual { step, reason } if reason.is_empty() => step.clone(),
            Step::Manual { step, reason } => format!("{step} ({reason})"),
        }
    }
}

/// The steps that resolve one finding, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Remedy {
    pub steps: Vec<Step>,
}

impl Remedy {
    pub fn new(steps: Vec<Step>) -> Self {
        Remedy { steps }
    }

    pub fn one(step: Step) -> Self {
        Remedy { steps: vec![step] }
    }

    pub fn manual(step: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::one(Step::manual(step, reason))
    }

    /// The finding's `fix` text: the steps' command lines joined by `&&` when every step is a
    /// command, `; then` once a manual step is among them.
    pub fn command_line(&self) -> String {
        let manual = self.steps.iter().any(|s| matches!(s, Step::Manual { .. }));
        let lines: Vec<String> = self.steps.iter().map(Step::command_line).collect();
        lines.join(if manual { "; then " } else { " && " })
    }
}

/// Where the object should end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal<'a> {
    /// Its pods should run what it selects now: a restart.
    PickUpSelection,
    /// It should select, and its pods run, this revision.
    MoveTo(&'a str),
}

/// The remedy for a namespace.
pub fn for_namespace(mesh: &Mesh, ns: &NamespaceView, goal: Goal) -> Remedy {
    let target = match goal {
        // A namespace has no pods of its own: its workloads' findings carry their restarts.
        Goal::PickUpSelection => {
            return Remedy::manual(
                format!("restart the workloads of namespace {}", ns.name),
                "new pods pick up what the namespace selects",
            );
        }
        Goal::MoveTo(target) => target,
    };
    if let Some(missing) = without_control_plane(mesh, target) {
        return missing;
    }
    if ns.injection_label.as_deref() == Some("disabled") {
        return opted_out(
            &format!("namespace {}", ns.name),
            "istio-injection=disabled",
        );
    }
    if ns.selected.revision() == Some(target) {
        return Remedy::new(Vec::new());
    }
    Remedy::new(vec![namespace_move(mesh, &ns.name, &ns.selected, target)])
}

/// The remedy for a workload or gateway.
pub fn for_workload(mesh: &Mesh, w: &WorkloadView, goal: Goal) -> Remedy {
    if let Some(gw) = w.gateway_name.as_ref().and_then(|name| {
        mesh.gateway_api
            .iter()
            .find(|v| v.namespace == w.namespace && &v.name == name)
    }) {
        return for_gateway(mesh, gw, goal);
    }
    let workload = WorkloadRef::of(w);
    let target = match goal {
        Goal::PickUpSelection => return Remedy::one(Step::restart(workload)),
        Goal::MoveTo(target) => target,
    };
    if let Some(missing) = without_control_plane(mesh, target) {
        return missing;
    }
    // Already selects the target (a moved tag, a relabelled namespace, an applied CR): the
    // pods only need replacing.
    if w.selected.revision() == Some(target) {
        return Remedy::one(Step::restart(workload));
    }
    if w.gateway == Some(GatewayKind::Operator) {
        return operator_gateway_move(mesh, w, target);
    }
    if let Some(reason) = opt_out(mesh, w) {
        return opted_out(&workload.to_string(), reason);
    }
    let restart = Step::restart(workload.clone());
    match w.selected.via() {
        Some(Via::PodLabel) | Some(Via::DefaultInjector) if w.selected.tag().is_none() => {
            if workload.can_roll() {
                Remedy::one(Step::RelabelPodTemplate {
                    workload,
                    set: Label::new(LABEL_REV, target),
                })
            } else {
                Remedy::manual(
                    format!(
                        "re-create pod {} -n {} with label {LABEL_REV}={target}",
                        w.name, w.namespace
                    ),
                    "a bare pod's labels select its injector only when it is created",
                )
            }
        }
        // A tag (on the namespace or the pod) moves; a namespace label changes.
        _ => Remedy::new(vec![
            namespace_move(mesh, &w.namespace, &w.selected, target),
            restart,
        ]),
    }
}

/// Two injection labels on one namespace, `istio-injection=enabled` shadowing `istio.io/rev`:
/// drop the shadowing label when the revision label names a served revision with a control
/// plane (what its owner asked for), else drop the ignored one (nothing changes for new pods).
pub fn for_both_labels(mesh: &Mesh, ns: &NamespaceView) -> Remedy {
    let rev = ns.rev_label.as_deref().unwrap_or_default();
    let serves = mesh
        .injectors
        .iter()
        .find(|i| i.tag.as_deref() == Some(rev) || (i.tag.is_none() && i.revision == rev))
        .is_some_and(|i| mesh.control_plane(&i.revision).is_some());
    let remove = if serves { LABEL_INJECTION } else { LABEL_REV };
    Remedy::one(Step::RelabelNamespace {
        namespace: ns.name.clone(),
        set: None,
        remove: Some(remove.to_string()),
    })
}

/// A gateway that moved before the workloads: move the workloads (the first one's remedy shown),
/// or roll the gateway back to `rollback`, a revision that still has a control plane.
pub fn for_gateway_first(
    mesh: &Mesh,
    gateway: &WorkloadView,
    first_behind: &WorkloadView,
    gateway_runs: &str,
    rollback: Option<&str>,
) -> Remedy {
    let forward = for_workload(mesh, first_behind, Goal::MoveTo(gateway_runs)).command_line();
    let back = rollback
        .filter(|r| mesh.control_plane(r).is_some())
        .map(|r| {
            format!(
                ", or roll the gateway back: {}",
                for_workload(mesh, gateway, Goal::MoveTo(r)).command_line()
            )
        })
        .unwrap_or_default();
    Remedy::manual(
        format!("move the workloads first (e.g. {forward}){back}"),
        "gateways move last",
    )
}

/// Several injectors match one object: only a person can say which one stays.
pub fn for_overlapping_injectors(injectors: &[InjectorMatch]) -> Remedy {
    let choices: Vec<String> = injectors
        .iter()
        .map(|i| match &i.tag {
            Some(tag) => format!("istioctl tag remove {tag}"),
            None => format!(
                "kubectl delete mutatingwebhookconfiguration {}",
                i.configuration
            ),
        })
        .collect();
    Remedy::manual(
        format!(
            "keep one injector, remove the others: {}",
            choices.join(" | ")
        ),
        "which revision should inject it is a decision",
    )
}

/// A list the cluster refused: the permission it takes.
pub fn for_unreadable(resource: &str, namespace: &str) -> Remedy {
    let scope = if namespace.is_empty() {
        "-A".to_string()
    } else {
        format!("-n {namespace}")
    };
    Remedy::manual(
        format!(
            "grant list on {resource} (kubectl auth can-i list {resource} {scope}) or run with a broader token"
        ),
        "",
    )
}

/// A control plane that is not ready: look before moving anything.
pub fn for_not_ready(cp: &ControlPlane) -> Remedy {
    Remedy::manual(
        format!(
            "kubectl -n {ns} describe deployment {name}; kubectl -n {ns} logs deployment/{name}",
            ns = cp.namespace,
            name = cp.name
        ),
        "find why istiod is not ready before moving anything to it",
    )
}

/// A revision or tag name Istio cannot put in object names.
pub fn for_bad_name(name: &str) -> Remedy {
    Remedy::manual(
        format!(
            "reinstall under a name like {:?}",
            name.to_lowercase().replace(['.', '_'], "-")
        ),
        "a revision cannot be renamed in place",
    )
}

/// A tag pointing at a revision without a control plane: point it at the newest control plane,
/// or remove it when there is none.
pub fn for_dangling_tag(mesh: &Mesh, tag: &str) -> Remedy {
    Remedy::one(match mesh.newest_control_plane() {
        Some(cp) => Step::MoveTag {
            tag: tag.to_string(),
            revision: cp.revision.clone(),
        },
        None => Step::istioctl(["tag", "remove", tag]),
    })
}

/// A control plane nothing uses any more: the guide's removal, never carried out by `fix`.
pub fn for_unused_revision(mesh: &Mesh, cp: &ControlPlane) -> Remedy {
    // The CR its istiod names as owner; else one that installs its revision. A gateways-only
    // CR at the same revision is not it: deleting that one removes the gateways.
    let owner = cp.owning_cr.as_ref().and_then(|cr| mesh.reconciled_cr(cr));
    if let Some(cr) = owner.or_else(|| {
        mesh.operators
            .iter()
            .find(|o| !o.installed_state && o.revision == cp.revision)
    }) {
        return Remedy::one(Step::manual(
            format!(
                "kubectl delete istiooperator -n {} {}",
                cr.namespace, cr.name
            ),
            "the in-cluster operator removes what the CR installed",
        ));
    }
    if let Some(release) = &cp.release {
        return Remedy::one(Step::manual(
            format!("helm uninstall {} -n {}", release.name, release.namespace),
            "Helm installed it: istioctl uninstall would leave the release behind",
        ));
    }
    if cp.revision == DEFAULT_REVISION {
        return Remedy::one(Step::manual(
            "istioctl uninstall --revision default",
            "check first that nothing relies on istio-injection=enabled",
        ));
    }
    Remedy::one(Step::manual(
        format!("istioctl uninstall --revision {}", cp.revision),
        format!("1.8–1.14: istioctl x uninstall --revision {}", cp.revision),
    ))
}

/// An object the installer rendered before and no longer renders: deleted once a person has
/// checked that nothing uses it (`fix --prune`).
pub fn for_orphan(api_version: &str, object: &ObjectRef) -> Remedy {
    Remedy::one(Step::Delete {
        api_version: api_version.to_string(),
        object: object.clone(),
    })
}

fn namespaced_name(o: &ObjectRef) -> String {
    if o.namespace.is_empty() {
        o.name.clone()
    } else {
        format!("{}/{}", o.namespace, o.name)
    }
}

/// How a namespace moves to `target`: a tag it goes through moves (tags exist so that
/// namespaces keep their label), else its label changes.
fn namespace_move(mesh: &Mesh, namespace: &str, selected: &Selection, target: &str) -> Step {
    if let Some(tag) = selected.tag() {
        return Step::MoveTag {
            tag: tag.to_string(),
            revision: target.to_string(),
        };
    }
    let shadowing = mesh
        .namespace(namespace)
        .and_then(|n| n.injection_label.as_deref())
        == Some("enabled");
    Step::RelabelNamespace {
        namespace: namespace.to_string(),
        set: Some(Label::new(LABEL_REV, target)),
        remove: shadowing.then(|| LABEL_INJECTION.to_string()),
    }
}

/// The remedy for a Gateway API gateway or waypoint. It moves by its Gateway, never by its
/// Deployment (istiod re-renders and rolls that, and its pods carry
/// `sidecar.istio.io/inject: "false"`): the tag it goes through moves, else the Gateway is
/// relabelled; either way istiod rolls the pods.
pub fn for_gateway(mesh: &Mesh, gw: &GatewayView, goal: Goal) -> Remedy {
    let selected = crate::mesh::gateway_selection(gw, &mesh.injectors);
    // Without a Deployment yet there is no rollout to wait for: istiod deploys it once it owns
    // the Gateway.
    let wait: Vec<Step> = gw
        .deployment
        .iter()
        .map(|d| Step::WaitForRollout {
            workload: WorkloadRef {
                kind: "Deployment".to_string(),
                namespace: gw.namespace.clone(),
                name: d.clone(),
            },
        })
        .collect();
    // Its pods follow the template only once the owner has re-rendered it.
    let not_rerendered = |owner: &str| gw.rendered_by.as_deref().is_some_and(|r| r != owner);
    let target = match goal {
        Goal::PickUpSelection => match selected.revision() {
            Some(owner) if not_rerendered(owner) => {
                return for_gateway_not_rerendered(mesh, owner);
            }
            _ => return Remedy::new(wait),
        },
        Goal::MoveTo(target) => target,
    };
    if let Some(missing) = without_control_plane(mesh, target) {
        return missing;
    }
    if selected.revision() == Some(target) {
        if not_rerendered(target) {
            return for_gateway_not_rerendered(mesh, target);
        }
        return Remedy::new(wait);
    }
    let mut steps = vec![gateway_move(
        mesh,
        &gw.namespace,
        &gw.name,
        &selected,
        target,
    )];
    steps.extend(wait);
    Remedy::new(steps)
}

/// How a Gateway moves to `target`: the tag it goes through moves; a Gateway pinned by its own
/// label drops it when its namespace already selects `target` (it follows the namespace from
/// then on); else its label is set.
fn gateway_move(
    mesh: &Mesh,
    namespace: &str,
    name: &str,
    selected: &Selection,
    target: &str,
) -> Step {
    if let Some(tag) = selected.tag() {
        return Step::MoveTag {
            tag: tag.to_string(),
            revision: target.to_string(),
        };
    }
    let namespace_selects = mesh
        .namespace(namespace)
        .and_then(|n| n.rev_label.as_deref())
        .and_then(|l| mesh.resolve_tag(l));
    if selected.via() == Some(Via::GatewayLabel) && namespace_selects == Some(target) {
        return Step::RelabelGateway {
            namespace: namespace.to_string(),
            name: name.to_string(),
            set: None,
            remove: Some(LABEL_REV.to_string()),
        };
    }
    relabel_gateway(namespace, name, target)
}

fn relabel_gateway(namespace: &str, name: &str, revision: &str) -> Step {
    Step::RelabelGateway {
        namespace: namespace.to_string(),
        name: name.to_string(),
        set: Some(Label::new(LABEL_REV, revision)),
        remove: None,
    }
}

/// What a Gateway should be labelled to: the newest control plane, through a tag of its other
/// than `default` when it has one (the docs label Gateways with a tag, so it moves with it).
fn gateway_target(mesh: &Mesh) -> Option<String> {
    let cp = mesh.newest_control_plane()?;
    Some(
        cp.tags
            .iter()
            .find(|t| t.as_str() != DEFAULT_REVISION)
            .cloned()
            .unwrap_or_else(|| cp.revision.clone()),
    )
}

/// IR205: a Gateway no istiod owns: label it with a revision (or tag) that has a control plane.
pub fn for_unowned_gateway(mesh: &Mesh, gw: &GatewayView) -> Remedy {
    match gateway_target(mesh) {
        Some(target) => Remedy::one(relabel_gateway(&gw.namespace, &gw.name, &target)),
        None => Remedy::manual(
            format!(
                "install the control plane for {} first",
                gw.selector.as_deref().unwrap_or(DEFAULT_REVISION)
            ),
            "no istiod Deployment serves any revision",
        ),
    }
}

/// IR206: two istiods claim an unlabelled Gateway: a label naming one settles it.
pub fn for_contested_gateway(mesh: &Mesh, gw: &GatewayView) -> Remedy {
    let target = gateway_target(mesh).or_else(|| gw.owners.last().cloned());
    match target {
        Some(target) => Remedy::one(relabel_gateway(&gw.namespace, &gw.name, &target)),
        None => Remedy::manual(
            "keep the default tag on one revision only",
            "each istiod that claims the Gateway applies its own Deployment",
        ),
    }
}

/// IR207, template not re-rendered: the owning istiod has not reconciled it; only a person can
/// tell why from its state and logs.
pub fn for_gateway_not_rerendered(mesh: &Mesh, owner: &str) -> Remedy {
    let (namespace, name) = mesh
        .control_plane(owner)
        .map(|c| (c.namespace.as_str(), c.name.as_str()))
        .unwrap_or(("istio-system", "istiod"));
    Remedy::manual(
        format!(
            "check that istiod {owner} is ready and leads the gateway deployment controller: kubectl -n {namespace} logs deployment/{name}"
        ),
        "any change to the Gateway's labels or annotations requeues it",
    )
}

/// IR207, rollout stuck: the Deployment's own state says why.
pub fn for_stuck_rollout(gw: &GatewayView, deployment: &str) -> Remedy {
    Remedy::manual(
        format!(
            "kubectl describe deployment {deployment} -n {} and fix what stops its rollout",
            gw.namespace
        ),
        "the rollout makes no progress on its own",
    )
}

/// IR208: a waypoint behind the namespaces it serves. Pinned by its own label, it moves as
/// every Gateway does ([`gateway_move`]); following its namespace already, istiod is rolling it.
pub fn for_waypoint_behind(mesh: &Mesh, gw: &GatewayView, newest: &str) -> Remedy {
    if gw.selector_source != SelectorSource::Gateway {
        let workload = WorkloadRef {
            kind: "Deployment".to_string(),
            namespace: gw.namespace.clone(),
            name: gw.deployment.clone().unwrap_or_else(|| gw.name.clone()),
        };
        return Remedy::one(Step::WaitForRollout { workload });
    }
    let selected = crate::mesh::gateway_selection(gw, &mesh.injectors);
    Remedy::one(gateway_move(
        mesh,
        &gw.namespace,
        &gw.name,
        &selected,
        newest,
    ))
}

/// IR209: owned but not Programmed: its condition names the cause.
pub fn for_not_programmed(gw: &GatewayView) -> Remedy {
    Remedy::manual(
        format!("kubectl describe gateway {} -n {}", gw.name, gw.namespace),
        "fix what its Programmed condition names",
    )
}

/// Moves a node agent in place: its Helm release upgraded to `version` (the chart version, the
/// image variant stripped) and, for ztunnel, pointed at `revision`. ztunnel's upgrade resets
/// every ambient connection on each node, so it is preceded by draining the node.
pub fn for_node_agent(agent: &NodeAgent, version: Option<&str>, revision: Option<&str>) -> Remedy {
    let version = version.map(chart_version);
    let Some(release) = &agent.release else {
        let mut what = format!(
            "upgrade {} {}/{} in place",
            agent.agent.name(),
            agent.namespace,
            agent.name
        );
        if let Some(v) = version {
            what.push_str(&format!(" to {v}"));
        }
        if let Some(r) = revision {
            what.push_str(&format!(" pointing at revision {r}"));
        }
        return Remedy::manual(
            what,
            "no meta.helm.sh/release-name annotation names the release that installed it",
        );
    };
    let chart = match agent.agent {
        Agent::Ztunnel => "istio/ztunnel",
        Agent::IstioCni => "istio/cni",
    };
    let mut args = vec![
        "upgrade".to_string(),
        release.name.clone(),
        chart.to_string(),
        "-n".to_string(),
        release.namespace.clone(),
        "--reuse-values".to_string(),
    ];
    if let Some(v) = version {
        args.extend(["--version".to_string(), v.to_string()]);
    }
    if let Some(r) = revision {
        args.extend(["--set".to_string(), format!("revision={r}")]);
    }
    let helm = Step::Helm { args };
    match agent.agent {
        Agent::Ztunnel => Remedy::new(vec![
            Step::manual(
                "cordon and drain each node as ztunnel rolls, or move the workloads to a new node pool",
                "ztunnel has no canary: upgrading it resets the ambient connections on each node",
            ),
            helm,
        ]),
        Agent::IstioCni => Remedy::one(helm),
    }
}

/// IR601: a node agent newer than its control plane: upgrade the control plane first, or roll
/// the agent back to the control plane's version.
pub fn for_agent_ahead(agent: &NodeAgent, agent_version: &str, cp: &ControlPlane) -> Remedy {
    let back = for_node_agent(agent, cp.version.as_deref(), None).command_line();
    Remedy::manual(
        format!(
            "install a control plane at {v} first (helm install istiod-<rev> istio/istiod -n {ns} --set revision=<rev> --set profile=ambient --version {v}), or roll {name} back: {back}",
            v = chart_version(agent_version),
            ns = cp.namespace,
            name = agent.agent.name()
        ),
        "the data plane may never be ahead of the control plane",
    )
}

/// IR603: ztunnel pointing at a revision with no control plane: point it at the newest one.
pub fn for_ztunnel_without_istiod(mesh: &Mesh, agent: &NodeAgent) -> Remedy {
    match mesh.newest_control_plane() {
        Some(cp) => for_node_agent(agent, None, Some(&cp.revision)),
        None => Remedy::manual(
            "install the control plane ztunnel points at",
            "no istiod Deployment serves any revision",
        ),
    }
}

/// `1.30.3-distroless` → `1.30.3`: the ambient profile's image variant is no chart version.
fn chart_version(version: &str) -> &str {
    ["-distroless", "-debug"]
        .iter()
        .find_map(|v| version.strip_suffix(v))
        .unwrap_or(version)
}

/// Operator-rendered gateways move by re-rendering: patch the CR the operator reconciles, else
/// re-run istioctl with the CR's file.
fn operator_gateway_move(mesh: &Mesh, w: &WorkloadView, target: &str) -> Remedy {
    match &w.owning_cr {
        Some(cr) => match mesh.reconciled_cr(cr) {
            Some(cr) => Remedy::one(Step::PatchIstioOperator {
                namespace: cr.namespace.clone(),
                name: cr.name.clone(),
                revision: target.to_string(),
            }),
            None => Remedy::one(Step::istioctl([
                "install".to_string(),
                "-f".to_string(),
                format!("<file of IstioOperator {}>", cr.name),
                "--revision".to_string(),
                target.to_string(),
            ])),
        },
        None => Remedy::manual(
            format!(
                "re-install the IstioOperator that renders {}/{} with --revision {target}",
                w.namespace, w.name
            ),
            "no install.operator.istio.io/owning-resource label names it",
        ),
    }
}

/// Why a workload opts out of injection, if it does.
fn opt_out(mesh: &Mesh, w: &WorkloadView) -> Option<&'static str> {
    if w.opted_out {
        return Some("sidecar.istio.io/inject opts its pods out");
    }
    let ns = mesh.namespace(&w.namespace)?;
    (ns.injection_label.as_deref() == Some("disabled")).then_some("istio-injection=disabled")
}

fn opted_out(what: &str, reason: &str) -> Remedy {
    Remedy::manual(
        format!(
            "decide whether {what} should be in the mesh: it opts out of injection ({reason}) yet a proxy runs; restarting removes the proxy"
        ),
        "never turned on where it is opted out",
    )
}

fn without_control_plane(mesh: &Mesh, target: &str) -> Option<Remedy> {
    mesh.control_plane(target).is_none().then(|| {
        Remedy::manual(
            format!("install the control plane for {target} first"),
            format!("no istiod Deployment serves {target}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn workload<'a>(mesh: &'a Mesh, name: &str) -> &'a WorkloadView {
        mesh.workloads.iter().find(|w| w.name == name).unwrap()
    }

    fn two() -> String {
        [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
        ]
        .concat()
    }

    #[test]
    fn a_workload_selecting_the_target_only_restarts() {
        let m = mesh(
            &[
                two(),
                namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
                pod("bookinfo", "ratings", 1, "1-8-0"),
            ]
            .concat(),
        );
        let r = for_workload(&m, workload(&m, "ratings"), Goal::MoveTo("1-8-1"));
        assert_eq!(
            r.command_line(),
            "kubectl rollout restart deployment ratings -n bookinfo"
        );
    }

    #[test]
    fn a_namespace_label_moves_then_the_workload_restarts() {
        let m = mesh(
            &[
                two(),
                namespace(
                    "bookinfo",
                    &[("istio.io/rev", "1-8-0"), ("istio-injection", "enabled")],
                ),
                pod("bookinfo", "ratings", 1, "1-8-0"),
            ]
            .concat(),
        );
        let r = for_workload(&m, workload(&m, "ratings"), Goal::MoveTo("1-8-1"));
        assert_eq!(
            r.command_line(),
            "kubectl label namespace bookinfo istio.io/rev=1-8-1 istio-injection- --overwrite && kubectl rollout restart deployment ratings -n bookinfo"
        );
    }

    #[test]
    fn a_tag_moves_rather_than_the_label() {
        let m = mesh(
            &[
                two(),
                tag("prod-stable", "1-8-0"),
                namespace("shop", &[("istio.io/rev", "prod-stable")]),
                pod("shop", "cart", 1, "1-8-0"),
            ]
            .concat(),
        );
        let ns = m.namespace("shop").unwrap();
        assert_eq!(
            for_namespace(&m, ns, Goal::MoveTo("1-8-1")).command_line(),
            "istioctl tag set prod-stable --revision 1-8-1 --overwrite"
        );
    }

    #[test]
    fn never_a_revision_without_control_plane() {
        let m = mesh(
            &[
                two(),
                namespace("shop", &[("istio.io/rev", "1-8-0")]),
                pod("shop", "cart", 1, "1-8-0"),
            ]
            .concat(),
        );
        let r = for_workload(&m, workload(&m, "cart"), Goal::MoveTo("1-9-0"));
        assert!(matches!(r.steps.as_slice(), [Step::Manual { .. }]), "{r:?}");
        assert!(
            r.command_line()
                .starts_with("install the control plane for 1-9-0")
        );
    }

    #[test]
    fn never_enables_injection_where_a_namespace_opts_out() {
        let m = mesh(
            &[
                istiod("1-8-1", "1.8.1", true),
                injector("1-8-1"),
                namespace("tools", &[("istio-injection", "disabled")]),
                pod("tools", "cart", 1, "1-8-0"),
            ]
            .concat(),
        );
        let r = for_workload(&m, workload(&m, "cart"), Goal::MoveTo("1-8-1"));
        assert!(
            r.steps.iter().all(|s| matches!(s, Step::Manual { .. })),
            "{r:?}"
        );
        let ns = m.namespace("tools").unwrap();
        assert!(
            for_namespace(&m, ns, Goal::MoveTo("1-8-1"))
                .steps
                .iter()
                .all(|s| matches!(s, Step::Manual { .. }))
        );
    }

    #[test]
    fn bare_pods_are_manual() {
        assert!(matches!(
            Step::restart(WorkloadRef {
                kind: "Pod".into(),
                namespace: "n".into(),
                name: "p".into()
            }),
            Step::Manual { .. }
        ));
    }

    #[test]
    fn operator_gateways_without_owner_are_manual_and_render_lines() {
        let m = mesh(&[two(), gateway_pod(1, "1-8-0")].concat());
        let gw = m.gateways().next().unwrap();
        let r = for_workload(&m, gw, Goal::MoveTo("1-8-1"));
        assert!(matches!(r.steps.as_slice(), [Step::Manual { .. }]), "{r:?}");
        let patch = Step::PatchIstioOperator {
            namespace: "istio-system".into(),
            name: "gateways".into(),
            revision: "1-8-1".into(),
        };
        assert_eq!(
            patch.command_line(),
            r#"kubectl patch istiooperator gateways -n istio-system --type merge -p '{"spec":{"revision":"1-8-1"}}'"#
        );
        let relabel = Step::RelabelPodTemplate {
            workload: WorkloadRef::of(gw),
            set: Label::new(LABEL_REV, "1-8-1"),
        };
        assert_eq!(
            relabel.command_line(),
            r#"kubectl patch deployment istio-ingressgateway -n istio-system --type merge -p '{"spec":{"template":{"metadata":{"labels":{"istio.io/rev":"1-8-1"}}}}}'"#
        );
    }

    const GATEWAY: &str = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  namespace: shop\n  labels: {LABELS}\nspec:\n  gatewayClassName: istio-waypoint\n";

    fn gateway_mesh(gateway_labels: &str, namespace_labels: &[(&str, &str)]) -> Mesh {
        mesh(
            &[
                two(),
                tag("prod", "1-8-0"),
                namespace("shop", namespace_labels),
                GATEWAY.replace("{LABELS}", gateway_labels),
            ]
            .concat(),
        )
    }

    #[test]
    fn a_gateway_moves_by_its_tag_or_its_own_label_never_by_its_namespace() {
        let m = gateway_mesh("{istio.io/rev: prod}", &[]);
        assert_eq!(
            for_waypoint_behind(&m, &m.gateway_api[0], "1-8-1").command_line(),
            "istioctl tag set prod --revision 1-8-1 --overwrite"
        );
        let m = gateway_mesh("{istio.io/rev: 1-8-0}", &[("istio.io/rev", "1-8-0")]);
        assert_eq!(
            for_waypoint_behind(&m, &m.gateway_api[0], "1-8-1").command_line(),
            "kubectl label gateway web -n shop istio.io/rev=1-8-1 --overwrite"
        );
        // Its namespace already selects the target: drop the pin and follow it.
        let m = gateway_mesh("{istio.io/rev: 1-8-0}", &[("istio.io/rev", "1-8-1")]);
        assert_eq!(
            for_waypoint_behind(&m, &m.gateway_api[0], "1-8-1").command_line(),
            "kubectl label gateway web -n shop istio.io/rev-"
        );
        // Following its namespace: istiod is rolling it.
        let m = gateway_mesh("{}", &[("istio.io/rev", "1-8-1")]);
        assert_eq!(
            for_waypoint_behind(&m, &m.gateway_api[0], "1-8-1").command_line(),
            "kubectl rollout status deployment/web -n shop"
        );
    }

    #[test]
    fn an_unowned_gateway_is_labelled_with_the_newest_tag_or_revision() {
        let m = gateway_mesh("{istio.io/rev: gone}", &[]);
        assert!(m.gateway_api[0].owners.is_empty());
        assert_eq!(
            for_unowned_gateway(&m, &m.gateway_api[0]).command_line(),
            "kubectl label gateway web -n shop istio.io/rev=1-8-1 --overwrite"
        );
        let m = mesh(
            &[
                namespace("shop", &[]),
                GATEWAY.replace("{LABELS}", "{istio.io/rev: gone}"),
            ]
            .concat(),
        );
        assert!(matches!(
            for_unowned_gateway(&m, &m.gateway_api[0]).steps.as_slice(),
            [Step::Manual { .. }]
        ));
    }

    fn agent(kind: Agent, release: Option<(&str, &str)>) -> NodeAgent {
        NodeAgent {
            agent: kind,
            namespace: "istio-system".into(),
            name: "ztunnel".into(),
            version: Some("1.8.0-distroless".into()),
            revision: None,
            istiod_address: None,
            points_at: None,
            ready: 1,
            desired: 1,
            release: release.map(|(ns, name)| crate::istio::helm::Release {
                name: name.into(),
                namespace: ns.into(),
            }),
        }
    }

    #[test]
    fn node_agents_upgrade_their_own_release_in_place() {
        let cni = agent(Agent::IstioCni, Some(("istio-cni", "cni")));
        assert_eq!(
            for_node_agent(&cni, Some("1.8.1-distroless"), None).command_line(),
            "helm upgrade cni istio/cni -n istio-cni --reuse-values --version 1.8.1"
        );
        let z = agent(Agent::Ztunnel, Some(("istio-system", "ztunnel")));
        let r = for_node_agent(&z, Some("1.8.1"), Some("1-8-1"));
        assert!(
            matches!(r.steps.as_slice(), [Step::Manual { .. }, Step::Helm { .. }]),
            "the node drain comes first: {r:?}"
        );
        assert!(r.command_line().ends_with(
            "; then helm upgrade ztunnel istio/ztunnel -n istio-system --reuse-values --version 1.8.1 --set revision=1-8-1"
        ));
        // No release to upgrade: a person says how it was installed.
        let r = for_node_agent(&agent(Agent::IstioCni, None), Some("1.8.1"), None);
        assert!(matches!(r.steps.as_slice(), [Step::Manual { .. }]), "{r:?}");
    }

    #[test]
    fn a_helm_installed_revision_is_removed_by_its_release() {
        let helm = istiod("1-8-0", "1.8.0", true).replace(
            "  namespace: istio-system\n  labels:",
            "  namespace: istio-system\n  annotations:\n    meta.helm.sh/release-name: istiod-1-8-0\n    meta.helm.sh/release-namespace: istio-system\n  labels:",
        );
        let m = mesh(&helm);
        let cp = m.control_plane("1-8-0").unwrap();
        assert_eq!(
            for_unused_revision(&m, cp).command_line(),
            "helm uninstall istiod-1-8-0 -n istio-system (Helm installed it: istioctl uninstall would leave the release behind)"
        );
        let m = mesh(&istiod("1-8-0", "1.8.0", true));
        assert!(
            for_unused_revision(&m, m.control_plane("1-8-0").unwrap())
                .command_line()
                .starts_with("istioctl uninstall --revision 1-8-0")
        );
    }

    #[test]
    fn a_server_side_apply_names_its_object_by_namespace_and_name_or_name_alone() {
        let apply = |namespace: &str| {
            Step::ServerSideApply {
                api_version: "apps/v1".into(),
                object: ObjectRef::new("Deployment", namespace, "istiod-1-8-1"),
                field_manager: "istio-operator".into(),
                force: false,
            }
            .command_line()
        };
        assert_eq!(
            apply("istio-system"),
            "kubectl apply --server-side --field-manager=istio-operator -f <rendered Deployment istio-system/istiod-1-8-1>"
        );
        assert_eq!(
            apply(""),
            "kubectl apply --server-side --field-manager=istio-operator -f <rendered Deployment istiod-1-8-1>"
        );
    }

    #[test]
    fn both_labels_drop_the_shadowing_one_only_when_the_revision_label_is_served() {
        let both = |rev: &str, extra: String| {
            let m = mesh(
                &[
                    two(),
                    extra,
                    namespace(
                        "shop",
                        &[("istio.io/rev", rev), ("istio-injection", "enabled")],
                    ),
                ]
                .concat(),
            );
            for_both_labels(&m, m.namespace("shop").unwrap()).command_line()
        };
        let drop_injection = "kubectl label namespace shop istio-injection-";
        let drop_rev = "kubectl label namespace shop istio.io/rev-";
        assert_eq!(both("1-8-1", String::new()), drop_injection);
        assert_eq!(both("prod", tag("prod", "1-8-0")), drop_injection);
        // Nothing answers `1-7-0`, though untagged injectors of other revisions are installed.
        assert_eq!(both("1-7-0", String::new()), drop_rev);
        // A tag whose revision has no istiod serves nothing either.
        assert_eq!(both("old", tag("old", "1-7-0")), drop_rev);
    }

    #[test]
    fn a_generated_deployment_takes_its_fix_from_its_own_gateway() {
        let deployment = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    gateway.istio.io/managed: istio.io-mesh-controller\n    gateway.networking.k8s.io/gateway-name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web, sidecar.istio.io/inject: \"false\"}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1\n        args: [proxy, waypoint]\n";
        // Another Gateway in its namespace, listed first, and one of its name elsewhere.
        let other = |namespace: &str, name: &str| {
            GATEWAY
                .replace("name: web", &format!("name: {name}"))
                .replace("namespace: shop", &format!("namespace: {namespace}"))
                .replace("{LABELS}", "{istio.io/rev: 1-8-0}")
        };
        let m = mesh(
            &[
                two(),
                namespace("shop", &[]),
                namespace("aaa", &[]),
                other("shop", "api"),
                other("aaa", "web"),
                GATEWAY.replace("{LABELS}", "{istio.io/rev: 1-8-0}"),
                deployment.to_string(),
                pod("shop", "web", 1, "1-8-0"),
            ]
            .concat(),
        );
        let w = m
            .workloads
            .iter()
            .find(|w| w.namespace == "shop" && w.name == "web")
            .unwrap();
        assert_eq!(w.gateway_name.as_deref(), Some("web"));
        assert_eq!(
            for_workload(&m, w, Goal::MoveTo("1-8-1")).command_line(),
            "kubectl label gateway web -n shop istio.io/rev=1-8-1 --overwrite && kubectl rollout status deployment/web -n shop"
        );
    }

    #[test]
    fn an_unused_revision_is_removed_by_the_cr_its_istiod_names_never_a_gateways_cr() {
        let iop = |name: &str| {
            format!(
                "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: {name}\n  namespace: istio-system\nspec:\n  revision: 1-8-0\n"
            )
        };
        let owned = istiod("1-8-0", "1.8.0", true).replace(
            "    istio.io/rev: 1-8-0\nspec:",
            "    istio.io/rev: 1-8-0\n    install.operator.istio.io/owning-resource: control-plane-1-8-0\n    install.operator.istio.io/owning-resource-namespace: istio-system\nspec:",
        );
        // A gateways-only CR at the same revision, listed (and named) first.
        let crs = [iop("control-plane-1-8-0"), iop("aaa-gateways")].concat();
        let removal = |istiod_yaml: &str, crs: &str| {
            let m = mesh(&[istiod_yaml, crs].concat());
            for_unused_revision(&m, m.control_plane("1-8-0").unwrap()).command_line()
        };
        let want = "kubectl delete istiooperator -n istio-system control-plane-1-8-0";
        assert!(
            removal(&owned, &crs).starts_with(want),
            "{}",
            removal(&owned, &crs)
        );
        let reversed = [iop("aaa-gateways"), iop("control-plane-1-8-0")].concat();
        assert!(removal(&owned, &reversed).starts_with(want));
        // No owner label: one CR of that revision, the same whatever the listing order.
        let plain = istiod("1-8-0", "1.8.0", true);
        assert_eq!(removal(&plain, &crs), removal(&plain, &reversed));
    }
}
