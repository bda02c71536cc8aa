//! The mesh as the checks see it: control planes, injectors and tags, namespaces, workloads and
//! gateways, each with the revision it selects now and the revisions its pods run.

use crate::finding::ObjectRef;
use crate::inventory::{Input, Inventory, Pod, ProxyRole, Workload, WorkloadKind};
use crate::istio::labels::{
    ANNOTATION_INJECT, DEFAULT_REVISION, LABEL_COMPONENT, LABEL_DATAPLANE_MODE, LABEL_INJECTION,
    LABEL_REV, LABEL_TAG, PROXY_CONTAINER,
};
use crate::revision::{image_tag, running_revision, version_key};
use crate::selector::{Labels, optional_matches};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct ControlPlane {
    pub revision: String,
    pub namespace: String,
    pub name: String,
    pub version: Option<String>,
    pub ready: bool,
    pub ready_replicas: i64,
    pub replicas: i64,
    /// Revision tags pointing here.
    pub tags: Vec<String>,
    /// Answers `istio-injection=enabled`.
    pub default: bool,
}

impl ControlPlane {
    pub fn object(&self) -> ObjectRef {
        ObjectRef::new("Deployment", &self.namespace, &self.name)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Injector {
    pub name: String,
    pub revision: String,
    pub tag: Option<String>,
    #[serde(skip)]
    pub webhooks: Vec<crate::inventory::Webhook>,
}

/// What a namespace or pod template selects now, as the API server's webhook matching decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Selection {
    /// No injection.
    None,
    /// `revision`, possibly through `tag`.
    Revision {
        revision: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
    },
    /// Asks for `requested` (a revision, a tag, or `default` via `istio-injection=enabled`)
    /// but no injector answers.
    Unserved { requested: String },
    /// Cannot be told: an input of the selection (the injectors, or the namespace's labels)
    /// could not be read.
    Unknown { unread: String },
}

impl Selection {
    pub fn revision(&self) -> Option<&str> {
        match self {
            Selection::Revision { revision, .. } => Some(revision),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Selection::None => "-".to_string(),
            Selection::Revision {
                revision,
                tag: Some(tag),
            } => format!("{revision} (tag {tag})"),
            Selection::Revision {
                revision,
                tag: None,
            } => revision.clone(),
            Selection::Unserved { requested } => format!("{requested} (no injector)"),
            Selection::Unknown { unread } => format!("unknown ({unread} not read)"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GatewayKind {
    /// Rendered by istioctl/the operator (`operator.istio.io/component`), upgraded by
    /// re-installing the gateways IstioOperator with the new revision.
    Operator,
    /// Injected with the `gateway` template (`image: auto`), upgraded by relabel or tag move
    /// plus a restart.
    Injected,
    /// A Kubernetes Gateway API `Gateway` istiod deployed itself; upgraded by relabelling the
    /// Gateway or moving its tag (istiod re-renders and rolls the Deployment).
    #[serde(rename = "gateway-api")]
    GatewayApi,
    /// An ambient waypoint (`istio-waypoint` class), upgraded the same way.
    Waypoint,
}

impl GatewayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayKind::Operator => "operator",
            GatewayKind::Injected => "injected",
            GatewayKind::GatewayApi => "gateway-api",
            GatewayKind::Waypoint => "waypoint",
        }
    }

    /// Deployed by istiod for a Gateway API `Gateway`: the Gateway is the object of findings.
    pub fn is_gateway_api(self) -> bool {
        matches!(self, GatewayKind::GatewayApi | GatewayKind::Waypoint)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadView {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub gateway: Option<GatewayKind>,
    pub selected: Selection,
    /// Pods per running revision; `unknown` for a proxy whose revision nothing tells.
    pub running: BTreeMap<String, usize>,
    /// Pods with no proxy.
    pub without_proxy: usize,
    /// The Gateway API `Gateway` istiod generated this Deployment for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_name: Option<String>,
}

impl WorkloadView {
    /// What findings name: the workload, or the Gateway a generated Deployment belongs to.
    pub fn object(&self) -> ObjectRef {
        match &self.gateway_name {
            Some(gw) => ObjectRef::new("Gateway", &self.namespace, gw),
            None => ObjectRef::new(&self.kind, &self.namespace, &self.name),
        }
    }

    pub fn proxies(&self) -> usize {
        self.running.values().sum()
    }

    /// The `kubectl` command that replaces this workload's pods.
    pub fn restart_command(&self) -> String {
        match self.kind.as_str() {
            "Deployment" | "StatefulSet" | "DaemonSet" => format!(
                "kubectl rollout restart {} {} -n {}",
                self.kind.to_lowercase(),
                self.name,
                self.namespace
            ),
            "Pod" => format!(
                "kubectl delete pod {} -n {} (a bare pod is not recreated: re-create it from its manifest)",
                self.name, self.namespace
            ),
            other => format!(
                "re-create the pods of {} {}/{}",
                other.to_lowercase(),
                self.namespace,
                self.name
            ),
        }
    }
}

pub const UNKNOWN_REVISION: &str = "unknown";

#[derive(Debug, Clone, Serialize)]
pub struct NamespaceView {
    pub name: String,
    /// The injection labels, as set.
    pub injection_label: Option<String>,
    pub rev_label: Option<String>,
    pub selected: Selection,
    pub running: BTreeMap<String, usize>,
    /// Proxies whose revision differs from what their workload selects now.
    pub stale: usize,
    /// `istio.io/dataplane-mode`, as set (`ambient`, `none`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataplane_mode: Option<String>,
    /// Pods in ambient mode (no sidecar), counted apart from the sidecar proxies in `running`.
    pub ambient_pods: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mesh {
    /// Oldest first.
    pub control_planes: Vec<ControlPlane>,
    pub injectors: Vec<Injector>,
    pub namespaces: Vec<NamespaceView>,
    /// Every workload with a proxy, or selecting injection, gateways included.
    pub workloads: Vec<WorkloadView>,
    /// Revisions named anywhere (control planes, injectors, pods), oldest first.
    pub revisions: Vec<String>,
    /// Set under `-n`: what lives in other namespaces was not looked at.
    pub narrowed_to: Option<String>,
    /// The inputs the source could not read: what depends on them is unknown.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub unread: BTreeSet<Input>,
    /// Gateway API gateways and waypoints of Istio's classes, with their owning revisions.
    pub gateway_api: Vec<crate::gateway_api::GatewayView>,
    /// The ambient node agents (ztunnel, istio-cni).
    pub node_agents: Vec<crate::ambient::NodeAgent>,
}

impl Mesh {
    pub fn control_plane(&self, revision: &str) -> Option<&ControlPlane> {
        self.control_planes.iter().find(|c| c.revision == revision)
    }

    pub fn newest_control_plane(&self) -> Option<&ControlPlane> {
        self.control_planes.last()
    }

    /// Orders two revisions: by their control planes' versions when known, else by the
    /// numbers in their names.
    pub fn revision_key(&self, revision: &str) -> Vec<u64> {
        self.control_plane(revision)
            .and_then(|c| c.version.as_deref())
            .map(version_key)
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| version_key(revision))
    }

    pub fn is_older(&self, a: &str, b: &str) -> bool {
        self.revision_key(a) < self.revision_key(b)
    }

    pub fn gateways(&self) -> impl Iterator<Item = &WorkloadView> {
        self.workloads.iter().filter(|w| w.gateway.is_some())
    }

    pub fn sidecar_workloads(&self) -> impl Iterator<Item = &WorkloadView> {
        self.workloads.iter().filter(|w| w.gateway.is_none())
    }

    /// The mesh runs ambient: a node agent is installed or a namespace is enrolled.
    pub fn is_ambient(&self) -> bool {
        !self.node_agents.is_empty()
            || self
                .namespaces
                .iter()
                .any(|n| n.dataplane_mode.as_deref() == Some("ambient") || n.ambient_pods > 0)
    }

    /// The revision a tag points to, or the revision itself.
    pub fn resolve_tag<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        if self.control_plane(name).is_some() {
            return Some(name);
        }
        self.injectors
            .iter()
            .find(|i| i.tag.as_deref() == Some(name))
            .map(|i| i.revision.as_str())
    }
}

/// Resolves the inventory into the mesh view.
pub fn resolve(inventory: &Inventory, narrowed_to: Option<&str>) -> Mesh {
    let injectors = injectors(inventory);
    let namespace_labels: HashMap<&str, &Labels> = inventory
        .namespaces
        .iter()
        .map(|n| (n.meta.name(), &n.meta.labels))
        .collect();

    let mut control_planes = control_planes(inventory, &injectors);
    let known: BTreeSet<String> = control_planes
        .iter()
        .map(|c| c.revision.clone())
        .chain(injectors.iter().map(|i| i.revision.clone()))
        .collect();

    let mut workloads = workloads(inventory, &injectors, &known, &namespace_labels);
    let gateway_api = {
        let istiods: Vec<crate::gateway_api::Istiod> = control_planes
            .iter()
            .map(|c| crate::gateway_api::Istiod {
                revision: &c.revision,
                version: c.version.as_deref(),
            })
            .collect();
        let tags: Vec<crate::gateway_api::Tag> = injectors
            .iter()
            .filter_map(|i| {
                Some(crate::gateway_api::Tag {
                    tag: i.tag.as_deref()?,
                    revision: &i.revision,
                })
            })
            .collect();
        let mut views = crate::gateway_api::resolve(inventory, &istiods, &tags);
        attach_generated(&mut views, &mut workloads, &injectors);
        views
    };
    let ambient_pods = crate::ambient::ambient_pods(inventory);

    let mut namespaces: Vec<NamespaceView> = inventory
        .namespaces
        .iter()
        .map(|n| {
            let name = n.meta.name().to_string();
            let selected = select(&injectors, &n.meta.labels, &Labels::new(), false);
            let mut running = BTreeMap::new();
            let mut stale = 0;
            for w in workloads.iter().filter(|w| w.namespace == name) {
                for (rev, count) in &w.running {
                    *running.entry(rev.clone()).or_insert(0) += count;
                    // A generated gateway's pods follow istiod's rollout, never a restart.
                    let generated = w.gateway.is_some_and(|k| k.is_gateway_api());
                    if !generated && w.selected.revision().is_some_and(|s| s != rev) {
                        stale += count;
                    }
                }
            }
            NamespaceView {
                name,
                injection_label: n.meta.label(LABEL_INJECTION).map(str::to_string),
                rev_label: n.meta.label(LABEL_REV).map(str::to_string),
                selected,
                running,
                stale,
                dataplane_mode: n.meta.label(LABEL_DATAPLANE_MODE).map(str::to_string),
                ambient_pods: ambient_pods.get(n.meta.name()).copied().unwrap_or(0),
            }
        })
        .collect();
    namespaces.sort_by(|a, b| a.name.cmp(&b.name));

    let mut revisions: BTreeSet<String> = known.clone();
    for w in &workloads {
        revisions.extend(w.running.keys().filter(|r| *r != UNKNOWN_REVISION).cloned());
    }
    let mut mesh = Mesh {
        control_planes: Vec::new(),
        injectors,
        namespaces,
        workloads,
        revisions: Vec::new(),
        narrowed_to: narrowed_to.map(str::to_string),
        unread: inventory.unread_inputs(),
        gateway_api,
        node_agents: crate::ambient::node_agents(inventory),
    };
    mark_unknown_selections(&mut mesh);
    control_planes.sort_by(|a, b| {
        version_key(a.version.as_deref().unwrap_or(&a.revision))
            .cmp(&version_key(b.version.as_deref().unwrap_or(&b.revision)))
            .then(a.revision.cmp(&b.revision))
    });
    mesh.control_planes = control_planes;
    let mut revisions: Vec<String> = revisions.into_iter().collect();
    revisions.sort_by(|a, b| {
        mesh.revision_key(a)
            .cmp(&mesh.revision_key(b))
            .then(a.cmp(b))
    });
    mesh.revisions = revisions;
    mesh
}

fn injectors(inventory: &Inventory) -> Vec<Injector> {
    let mut out: Vec<Injector> = inventory
        .webhooks
        .iter()
        .filter_map(|mwc| {
            let revision = mwc.meta.label(LABEL_REV)?;
            Some(Injector {
                name: mwc.meta.name().to_string(),
                revision: revision.to_string(),
                tag: mwc.meta.label(LABEL_TAG).map(str::to_string),
                webhooks: mwc.webhooks.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn control_planes(inventory: &Inventory, injectors: &[Injector]) -> Vec<ControlPlane> {
    let default_revisions: BTreeSet<&str> = injectors
        .iter()
        .filter(|i| {
            let enabled: Labels = [(LABEL_INJECTION.to_string(), "enabled".to_string())].into();
            i.webhooks.iter().any(|w| {
                optional_matches(w.namespace_selector.as_ref(), &enabled)
                    && optional_matches(w.object_selector.as_ref(), &Labels::new())
            })
        })
        .map(|i| i.revision.as_str())
        .collect();
    inventory
        .workloads
        .iter()
        .filter(|w| w.kind == WorkloadKind::Deployment && w.meta.label("app") == Some("istiod"))
        .map(|w| {
            let revision = w
                .meta
                .label(LABEL_REV)
                .or_else(|| w.spec.template.metadata.label(LABEL_REV))
                .filter(|r| !r.is_empty())
                .unwrap_or(DEFAULT_REVISION)
                .to_string();
            let version = w
                .spec
                .template
                .spec
                .container("discovery")
                .and_then(|c| c.image.as_deref())
                .and_then(image_tag)
                .map(str::to_string);
            let replicas = w.spec.replicas.unwrap_or(1);
            let ready_replicas = w.status.ready_replicas.unwrap_or(0);
            let available = w
                .status
                .conditions
                .iter()
                .find(|c| c.type_ == "Available")
                .is_none_or(|c| c.status == "True");
            let mut tags: Vec<String> = injectors
                .iter()
                .filter(|i| i.revision == revision)
                .filter_map(|i| i.tag.clone())
                .collect();
            tags.sort();
            tags.dedup();
            ControlPlane {
                default: default_revisions.contains(revision.as_str()),
                ready: ready_replicas >= 1 && available,
                revision,
                namespace: w.meta.namespace().to_string(),
                name: w.meta.name().to_string(),
                version,
                ready_replicas,
                replicas,
                tags,
            }
        })
        .collect()
}

/// Evaluates every injector's webhooks against a namespace's and a pod's labels, as the API
/// server does on pod CREATE. `opted_out` is the pod-level `sidecar.istio.io/inject: "false"`
/// annotation, which the injector itself honours.
pub fn select(
    injectors: &[Injector],
    namespace_labels: &Labels,
    pod_labels: &Labels,
    opted_out: bool,
) -> Selection {
    if opted_out {
        return Selection::None;
    }
    let matching: Vec<&Injector> = injectors
        .iter()
        .filter(|i| {
            i.webhooks.iter().any(|w| {
                optional_matches(w.namespace_selector.as_ref(), namespace_labels)
                    && optional_matches(w.object_selector.as_ref(), pod_labels)
            })
        })
        .collect();
    // Several matching injectors (an overlap istioctl refuses to create) inject in webhook
    // order; the first by name is the API server's order.
    if let Some(i) = matching.first() {
        return Selection::Revision {
            revision: i.revision.clone(),
            tag: i.tag.clone(),
        };
    }
    let requested = match namespace_labels.get(LABEL_INJECTION).map(String::as_str) {
        Some("enabled") => Some(DEFAULT_REVISION.to_string()),
        Some(_) => None,
        None => namespace_labels
            .get(LABEL_REV)
            .or_else(|| pod_labels.get(LABEL_REV))
            .cloned(),
    };
    let pod_opt_out = pod_labels.get(ANNOTATION_INJECT).map(String::as_str) == Some("false");
    match requested {
        Some(requested) if !pod_opt_out => Selection::Unserved { requested },
        _ => Selection::None,
    }
}

/// A workload's identity: the top owner of its pods.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Owner {
    kind: String,
    namespace: String,
    name: String,
}

fn top_owner(pod: &Pod, replica_sets: &HashMap<(&str, &str), &Workload>) -> Owner {
    let ns = pod.meta.namespace().to_string();
    let Some(owner) = pod.meta.controller() else {
        return Owner {
            kind: "Pod".into(),
            namespace: ns,
            name: pod.meta.name().to_string(),
        };
    };
    if owner.kind == "ReplicaSet" {
        if let Some(rs) = replica_sets.get(&(pod.meta.namespace(), owner.name.as_str())) {
            if let Some(deploy) = rs.meta.controller() {
                return Owner {
                    kind: deploy.kind.clone(),
                    namespace: ns,
                    name: deploy.name.clone(),
                };
            }
        } else if let Some(hash) = pod.meta.label("pod-template-hash") {
            // The ReplicaSet was not in the snapshot: its name is `<deployment>-<hash>`.
            if let Some(deploy) = owner.name.strip_suffix(&format!("-{hash}")) {
                return Owner {
                    kind: "Deployment".into(),
                    namespace: ns,
                    name: deploy.to_string(),
                };
            }
        }
    }
    Owner {
        kind: owner.kind.clone(),
        namespace: ns,
        name: owner.name.clone(),
    }
}

fn gateway_kind(
    labels: &Labels,
    annotations: &crate::inventory::IstioAnnotations,
    proxy_role: Option<ProxyRole>,
) -> Option<GatewayKind> {
    // Checked first: a generated Deployment runs `proxy router` like an operator gateway.
    match crate::gateway_api::generated_kind(labels) {
        Some(crate::gateway_api::DeployedKind::Gateway) => return Some(GatewayKind::GatewayApi),
        Some(crate::gateway_api::DeployedKind::Waypoint) => return Some(GatewayKind::Waypoint),
        None => {}
    }
    if matches!(
        labels.get(LABEL_COMPONENT).map(String::as_str),
        Some("IngressGateways" | "EgressGateways")
    ) {
        return Some(GatewayKind::Operator);
    }
    if annotations
        .templates
        .as_deref()
        .is_some_and(|t| t.split(',').any(|t| t.trim() == "gateway"))
    {
        return Some(GatewayKind::Injected);
    }
    (proxy_role == Some(ProxyRole::Router)).then_some(GatewayKind::Operator)
}

fn workloads(
    inventory: &Inventory,
    injectors: &[Injector],
    known: &BTreeSet<String>,
    namespace_labels: &HashMap<&str, &Labels>,
) -> Vec<WorkloadView> {
    let no_labels = Labels::new();
    let replica_sets: HashMap<(&str, &str), &Workload> = inventory
        .workloads
        .iter()
        .filter(|w| w.kind == WorkloadKind::ReplicaSet)
        .map(|w| ((w.meta.namespace(), w.meta.name()), w))
        .collect();
    let owners: HashMap<(&str, &str, &str), &Workload> = inventory
        .workloads
        .iter()
        .filter(|w| w.kind != WorkloadKind::ReplicaSet || w.meta.controller().is_none())
        .map(|w| ((w.kind.as_str(), w.meta.namespace(), w.meta.name()), w))
        .collect();

    struct Acc<'a> {
        template: Option<&'a Workload>,
        first_pod: Option<&'a Pod>,
        running: BTreeMap<String, usize>,
        without_proxy: usize,
        router: bool,
    }
    let mut groups: BTreeMap<Owner, Acc> = BTreeMap::new();
    let is_known = |r: &str| known.contains(r);
    for (pod, count) in inventory.pods.shapes() {
        let owner = top_owner(pod, &replica_sets);
        let acc = groups.entry(owner.clone()).or_insert_with(|| Acc {
            template: owners
                .get(&(
                    owner.kind.as_str(),
                    owner.namespace.as_str(),
                    owner.name.as_str(),
                ))
                .copied(),
            first_pod: None,
            running: BTreeMap::new(),
            without_proxy: 0,
            router: false,
        });
        acc.first_pod.get_or_insert(pod);
        match running_revision(pod, is_known) {
            Some(r) => {
                let rev = r.revision.unwrap_or_else(|| UNKNOWN_REVISION.to_string());
                *acc.running.entry(rev).or_insert(0) += count;
                acc.router |= pod.spec.proxy().and_then(|c| c.args) == Some(ProxyRole::Router);
            }
            None => acc.without_proxy += count,
        }
    }
    // Workloads with no pod yet (scaled to zero, or not scheduled) still select a revision.
    for w in inventory.workloads.iter() {
        if w.kind == WorkloadKind::ReplicaSet && w.meta.controller().is_some() {
            continue;
        }
        let owner = Owner {
            kind: w.kind.as_str().to_string(),
            namespace: w.meta.namespace().to_string(),
            name: w.meta.name().to_string(),
        };
        groups.entry(owner).or_insert(Acc {
            template: Some(w),
            first_pod: None,
            running: BTreeMap::new(),
            without_proxy: 0,
            router: false,
        });
    }

    let mut out = Vec::new();
    for (owner, acc) in groups {
        let (labels, annotations, template_role) = match (acc.template, acc.first_pod) {
            (Some(w), _) => (
                &w.spec.template.metadata.labels,
                &w.spec.template.metadata.annotations,
                w.spec
                    .template
                    .spec
                    .container(PROXY_CONTAINER)
                    .and_then(|c| c.args),
            ),
            (None, Some(p)) => (&p.meta.labels, &p.meta.annotations, None),
            (None, None) => continue,
        };
        let role = if acc.router {
            Some(ProxyRole::Router)
        } else {
            template_role
        };
        let gateway = gateway_kind(labels, annotations, role);
        let ns = namespace_labels
            .get(owner.namespace.as_str())
            .copied()
            .unwrap_or(&no_labels);
        let selected = match gateway {
            Some(GatewayKind::Operator) => match labels.get(LABEL_REV) {
                Some(rev) if !rev.is_empty() => Selection::Revision {
                    revision: rev.clone(),
                    tag: None,
                },
                _ => Selection::None,
            },
            _ => select(
                injectors,
                ns,
                labels,
                annotations.inject.as_deref() == Some("false"),
            ),
        };
        let istiod = labels.get("app").map(String::as_str) == Some("istiod");
        // ztunnel and istio-cni are node agents, never sidecar workloads.
        let node_agent = acc
            .template
            .is_some_and(|w| crate::ambient::agent_of(w).is_some());
        if istiod
            || node_agent
            || (acc.running.is_empty() && selected == Selection::None && gateway.is_none())
        {
            continue;
        }
        out.push(WorkloadView {
            kind: owner.kind,
            namespace: owner.namespace,
            name: owner.name,
            gateway,
            selected,
            running: acc.running,
            without_proxy: acc.without_proxy,
            gateway_name: None,
        });
    }
    out
}

/// What a namespace or workload selects is unknown when the injectors were not read (none
/// would answer, which reads as "no injector serves it"), and a workload's also when its
/// namespace's labels were not read. Operator-rendered gateways select by their own pod
/// template's label, which is in hand.
fn mark_unknown_selections(mesh: &mut Mesh) {
    let webhooks = mesh.unread.contains(&Input::MutatingWebhookConfigurations);
    let namespaces = mesh.unread.contains(&Input::Namespaces);
    let unread = |also_namespaces: bool| {
        let mut v = Vec::new();
        if webhooks {
            v.push(Input::MutatingWebhookConfigurations.resource());
        }
        if also_namespaces && namespaces {
            v.push(Input::Namespaces.resource());
        }
        v.join(" and ")
    };
    if webhooks {
        for n in &mut mesh.namespaces {
            if n.selected != Selection::None || n.injection_label.is_some() || n.rev_label.is_some()
            {
                n.selected = Selection::Unknown {
                    unread: unread(false),
                };
            }
        }
    }
    if webhooks || namespaces {
        for w in &mut mesh.workloads {
            if w.gateway != Some(GatewayKind::Operator) {
                w.selected = Selection::Unknown {
                    unread: unread(true),
                };
            }
        }
    }
}

/// Links each Gateway to the Deployment istiod generated for it: the Deployment then selects
/// the Gateway's owning revision (not its copied `istio.io/rev` label, which may be a tag) and
/// findings name the Gateway; the Gateway gets the pods' running revisions.
fn attach_generated(
    views: &mut [crate::gateway_api::GatewayView],
    workloads: &mut [WorkloadView],
    injectors: &[Injector],
) {
    for view in views.iter_mut() {
        let Some(deployment) = &view.deployment else {
            continue;
        };
        let Some(w) = workloads.iter_mut().find(|w| {
            w.kind == "Deployment" && w.namespace == view.namespace && &w.name == deployment
        }) else {
            continue;
        };
        w.gateway_name = Some(view.name.clone());
        w.selected = match view.owners.as_slice() {
            [owner] => Selection::Revision {
                revision: owner.clone(),
                tag: view.selector.clone().filter(|s| {
                    s != owner
                        && injectors
                            .iter()
                            .any(|i| i.tag.as_deref() == Some(s.as_str()))
                }),
            },
            [] => Selection::Unserved {
                requested: view
                    .selector
                    .clone()
                    .unwrap_or_else(|| DEFAULT_REVISION.to_string()),
            },
            // Two istiods claim it: neither is "the" selection.
            _ => Selection::None,
        };
        view.running = w.running.clone();
    }
}
