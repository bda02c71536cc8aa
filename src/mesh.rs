//! The mesh as the checks see it: control planes, injectors and tags, namespaces, workloads and
//! gateways, each with the revision it selects now and the revisions its pods run.

use crate::finding::ObjectRef;
use crate::inventory::{Input, Inventory, Pod, ProxyRole, Workload, WorkloadKind};
use crate::istio::labels::{
    ANNOTATION_INJECT, DEFAULT_REVISION, INSTALLED_STATE_PREFIX, LABEL_COMPONENT,
    LABEL_DATAPLANE_MODE, LABEL_INJECTION, LABEL_OWNER, LABEL_OWNER_NS, LABEL_REV, LABEL_TAG,
    PROXY_CONTAINER,
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
    pub ready_replicas: i32,
    pub replicas: i32,
    /// Revision tags pointing here.
    pub tags: Vec<String>,
    /// Answers `istio-injection=enabled`.
    pub default: bool,
    /// The Helm release that installed its Deployment (`meta.helm.sh/release-*`): what removes
    /// it.
    #[serde(skip)]
    pub release: Option<crate::istio::helm::Release>,
    /// The IstioOperator CR istioctl or the operator stamped on its Deployment: what removes it.
    #[serde(skip)]
    pub owning_cr: Option<CrRef>,
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

/// One injector's webhook that matches an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InjectorMatch {
    /// The MutatingWebhookConfiguration.
    pub configuration: String,
    pub webhook: String,
    pub revision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

impl std::fmt::Display for InjectorMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} ({})",
            self.configuration, self.webhook, self.revision
        )
    }
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
        via: Via,
    },
    /// Asks for `requested` (a revision, a tag, or `default` via `istio-injection=enabled`)
    /// but no injector answers.
    Unserved { requested: String, via: Via },
    /// Cannot be told: an input of the selection (the injectors, or the namespace's labels)
    /// could not be read.
    Unknown { unread: String },
}

/// What makes a namespace or pod template select its revision: the one thing to change to move
/// it (and what `remedy` changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The namespace's `istio.io/rev` label (a revision or a tag).
    NamespaceLabel,
    /// The namespace's `istio-injection=enabled`: the default injector answers.
    InjectionEnabled,
    /// The pod template's `istio.io/rev` label (a revision or a tag).
    PodLabel,
    /// No revision label anywhere: the default injector's object webhook
    /// (`sidecar.istio.io/inject=true`) or an injector that selects without labels.
    DefaultInjector,
    /// An operator-rendered gateway: the `istio.io/rev` istioctl rendered into its pod template.
    Rendered,
    /// A Gateway API `Gateway`'s own `istio.io/rev` label (a revision or a tag); its namespace's
    /// label is [`Via::NamespaceLabel`].
    GatewayLabel,
    /// An unlabelled Gateway in an unlabelled namespace: the revision holding the `default` tag,
    /// or from 1.28 the default revision of `istiod-default-validator`.
    DefaultRevision,
}

impl Selection {
    pub fn revision(&self) -> Option<&str> {
        match self {
            Selection::Revision { revision, .. } => Some(revision),
            _ => None,
        }
    }

    pub fn via(&self) -> Option<Via> {
        match self {
            Selection::Revision { via, .. } | Selection::Unserved { via, .. } => Some(*via),
            Selection::None | Selection::Unknown { .. } => None,
        }
    }

    /// The revision tag the selection goes through, if any.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Selection::Revision { tag, .. } => tag.as_deref(),
            _ => None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Selection::None => "-".to_string(),
            Selection::Revision {
                revision,
                tag: Some(tag),
                ..
            } => format!("{revision} (tag {tag})"),
            Selection::Revision {
                revision,
                tag: None,
                ..
            } => revision.clone(),
            Selection::Unserved { requested, .. } => format!("{requested} (no injector)"),
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
    /// The IstioOperator CR istioctl stamped as its owner (`install.operator.istio.io/owning-resource`).
    #[serde(skip)]
    pub owning_cr: Option<CrRef>,
    /// Its pods opt out of injection (`sidecar.istio.io/inject`).
    #[serde(skip)]
    pub opted_out: bool,
    /// Set when more than one injector matches its pods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlapping_injectors: Vec<InjectorMatch>,
}

/// An IstioOperator CR by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrRef {
    pub namespace: String,
    pub name: String,
}

/// An IstioOperator CR in the cluster: one the in-cluster operator reconciles, or the
/// `installed-state-*` record `istioctl install` leaves behind (which nothing reconciles).
#[derive(Debug, Clone)]
pub struct OperatorCr {
    pub namespace: String,
    pub name: String,
    pub revision: String,
    pub installed_state: bool,
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
    /// Set when more than one injector matches it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overlapping_injectors: Vec<InjectorMatch>,
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
    #[serde(skip)]
    pub operators: Vec<OperatorCr>,
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
        order_key(
            self.control_plane(revision)
                .and_then(|c| c.version.as_deref()),
            revision,
        )
    }

    pub fn is_older(&self, a: &str, b: &str) -> bool {
        self.revision_key(a) < self.revision_key(b)
    }

    pub fn namespace(&self, name: &str) -> Option<&NamespaceView> {
        self.namespaces.iter().find(|n| n.name == name)
    }

    /// The CR the in-cluster operator reconciles under this name (never an `installed-state-*`
    /// record).
    pub fn reconciled_cr(&self, cr: &CrRef) -> Option<&OperatorCr> {
        self.operators
            .iter()
            .find(|o| !o.installed_state && o.namespace == cr.namespace && o.name == cr.name)
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

/// The version's numbers, or the revision name's when the version has none (`latest`): one
/// order for the control planes and for `Mesh::revision_key`, so the newest control plane is
/// the last revision.
fn order_key(version: Option<&str>, revision: &str) -> Vec<u64> {
    version
        .map(version_key)
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| version_key(revision))
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
    // Oldest first, before anything reads them: a Gateway's claimants (IR206) and every list
    // built from them follow this order, never the order objects were read in.
    control_planes.sort_by(|a, b| {
        order_key(a.version.as_deref(), &a.revision)
            .cmp(&order_key(b.version.as_deref(), &b.revision))
            .then(a.revision.cmp(&b.revision))
    });
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
                overlapping_injectors: overlapping(&injectors, &n.meta.labels, &Labels::new()),
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
        operators: operators(inventory),
    };
    mark_unknown_selections(&mut mesh);
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

/// The cluster's IstioOperator CRs, by namespace and name (not in the order the API listed them:
/// a choice among them must not depend on it).
fn operators(inventory: &Inventory) -> Vec<OperatorCr> {
    let mut out: Vec<OperatorCr> = inventory
        .istio_operators
        .iter()
        .map(|iop| OperatorCr {
            namespace: iop.meta.namespace().to_string(),
            name: iop.meta.name().to_string(),
            revision: iop
                .spec
                .get("revision")
                .and_then(|r| r.as_str())
                .filter(|r| !r.is_empty())
                .unwrap_or(DEFAULT_REVISION)
                .to_string(),
            installed_state: iop.meta.name().starts_with(INSTALLED_STATE_PREFIX),
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

fn injectors(inventory: &Inventory) -> Vec<Injector> {
    let mut out: Vec<Injector> = inventory
        .webhooks
        .iter()
        .filter_map(|mwc| {
            let revision = match mwc.meta.label(LABEL_REV) {
                Some(rev) => rev,
                None if mwc.webhooks.iter().any(is_unrevisioned_injector) => DEFAULT_REVISION,
                None => return None,
            };
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

/// The sidecar injector of charts from before revisions (`istio-sidecar-injector` with no
/// `istio.io/rev` label): a webhook named `*.sidecar-injector.istio.io` calling `istiod` or
/// `istio-sidecar-injector` at `/inject`. It injects for the revision every unlabelled object
/// belongs to, `default`.
fn is_unrevisioned_injector(webhook: &crate::inventory::Webhook) -> bool {
    let named = webhook.name == "sidecar-injector.istio.io"
        || webhook.name.ends_with(".sidecar-injector.istio.io");
    named
        && webhook.client_config.service.as_ref().is_some_and(|s| {
            matches!(s.name.as_str(), "istiod" | "istio-sidecar-injector")
                && s.path.as_deref() == Some("/inject")
        })
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
                release: crate::istio::helm::Release::of_meta(&w.meta),
                owning_cr: owning_cr(&w.meta),
            }
        })
        .collect()
}

/// The IstioOperator CR named by an object's `install.operator.istio.io/owning-resource` labels.
fn owning_cr(meta: &crate::inventory::Meta) -> Option<CrRef> {
    Some(CrRef {
        name: meta.label(LABEL_OWNER)?.to_string(),
        namespace: meta
            .label(LABEL_OWNER_NS)
            .unwrap_or(meta.namespace())
            .to_string(),
    })
}

/// Whether a pod opts out of injection, exactly as Istio's `injectRequired`
/// (`pkg/kube/inject/inject.go`) decides: the `sidecar.istio.io/inject` label, when present
/// (even empty), beats the annotation; `"true"` injects, `"false"` opts out, and anything else
/// (empty, or a value Istio only logs as invalid) falls back to the injection policy, which is
/// `enabled` in every chart. The webhooks' `objectSelector` sees only the label, so a pod with
/// annotation `"false"` and label `"true"` is injected.
pub fn pod_opts_out(labels: &Labels, annotation: Option<&str>) -> bool {
    labels.get(ANNOTATION_INJECT).or(annotation) == Some("false")
}

/// Evaluates every injector's webhooks against a namespace's and a pod's labels, as the API
/// server does on pod CREATE. `opted_out` is the pod's own opt-out ([`pod_opts_out`]), which the
/// injector itself honours.
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
    let injection = namespace_labels.get(LABEL_INJECTION);
    let via = if injection == Some("enabled") {
        Via::InjectionEnabled
    } else if namespace_labels.contains_key(LABEL_REV) {
        Via::NamespaceLabel
    } else if pod_labels.contains_key(LABEL_REV) {
        Via::PodLabel
    } else {
        Via::DefaultInjector
    };
    // Several matching injectors (an overlap istioctl refuses to create) inject in webhook
    // order; the first by name is the API server's order.
    if let Some(i) = matching.first() {
        return Selection::Revision {
            revision: i.revision.clone(),
            tag: i.tag.clone(),
            via,
        };
    }
    let requested = match injection {
        Some("enabled") => Some(DEFAULT_REVISION.to_string()),
        Some(_) => None,
        None => namespace_labels
            .get(LABEL_REV)
            .or_else(|| pod_labels.get(LABEL_REV))
            .map(str::to_string),
    };
    match requested {
        Some(requested) => Selection::Unserved { requested, via },
        None => Selection::None,
    }
}

/// The injectors that would all be called for a pod with these labels, when there is more than
/// one (istioctl refuses to create this, "webhook overlaps with others"; the API server calls
/// them all, in name order). One entry per configuration: its first matching webhook.
fn overlapping(
    injectors: &[Injector],
    namespace_labels: &Labels,
    pod_labels: &Labels,
) -> Vec<InjectorMatch> {
    let matched: Vec<InjectorMatch> = injectors
        .iter()
        .filter_map(|i| {
            let w = i.webhooks.iter().find(|w| {
                optional_matches(w.namespace_selector.as_ref(), namespace_labels)
                    && optional_matches(w.object_selector.as_ref(), pod_labels)
            })?;
            Some(InjectorMatch {
                configuration: i.name.clone(),
                webhook: w.name.clone(),
                revision: i.revision.clone(),
                tag: i.tag.clone(),
            })
        })
        .collect();
    if matched.len() > 1 {
        matched
    } else {
        Vec::new()
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
                    kind: deploy.kind.to_string(),
                    namespace: ns,
                    name: deploy.name.to_string(),
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
        kind: owner.kind.to_string(),
        namespace: ns,
        name: owner.name.to_string(),
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
        labels.get(LABEL_COMPONENT),
        Some("IngressGateways" | "EgressGateways")
    ) {
        return Some(GatewayKind::Operator);
    }
    if annotations
        .rare()
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
        .map(|w| &**w)
        .filter(|w| w.kind == WorkloadKind::ReplicaSet)
        .map(|w| ((w.meta.namespace(), w.meta.name()), w))
        .collect();
    let owners: HashMap<(&str, &str, &str), &Workload> = inventory
        .workloads
        .iter()
        .map(|w| &**w)
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
        let opted_out = pod_opts_out(labels, annotations.rare().inject.as_deref());
        let ns = namespace_labels
            .get(owner.namespace.as_str())
            .copied()
            .unwrap_or(&no_labels);
        let selected = match gateway {
            Some(GatewayKind::Operator) => match labels.get(LABEL_REV) {
                Some(rev) if !rev.is_empty() => Selection::Revision {
                    revision: rev.to_string(),
                    tag: None,
                    via: Via::Rendered,
                },
                _ => Selection::None,
            },
            _ => select(injectors, ns, labels, opted_out),
        };
        let istiod = labels.get("app") == Some("istiod");
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
        let owning_cr = acc.template.and_then(|w| owning_cr(&w.meta));
        let overlapping_injectors = match gateway {
            Some(GatewayKind::Operator) => Vec::new(),
            _ if opted_out => Vec::new(),
            _ => overlapping(injectors, ns, labels),
        };
        out.push(WorkloadView {
            overlapping_injectors,
            owning_cr,
            opted_out,
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
        w.selected = gateway_selection(view, injectors);
        view.running = w.running.clone();
    }
}

/// What a Gateway selects, as istiod's ownership decides it: its one owner (through a tag when
/// its selector is one), the selector no control plane answers, or nothing when two claim it.
pub fn gateway_selection(
    view: &crate::gateway_api::GatewayView,
    injectors: &[Injector],
) -> Selection {
    use crate::gateway_api::SelectorSource;
    let via = match view.selector_source {
        SelectorSource::Gateway => Via::GatewayLabel,
        SelectorSource::Namespace => Via::NamespaceLabel,
        SelectorSource::Unlabelled => Via::DefaultRevision,
    };
    match view.owners.as_slice() {
        [owner] => Selection::Revision {
            revision: owner.clone(),
            tag: view.selector.clone().filter(|s| {
                s != owner
                    && injectors
                        .iter()
                        .any(|i| i.tag.as_deref() == Some(s.as_str()))
            }),
            via,
        },
        [] => Selection::Unserved {
            requested: view
                .selector
                .clone()
                .unwrap_or_else(|| DEFAULT_REVISION.to_string()),
            via,
        },
        // Two istiods claim it: neither is "the" selection.
        _ => Selection::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_claimants_follow_the_control_planes_order_not_the_read_order() {
        // Found by the object-order property test: IR206 listed the two claimants of a Gateway
        // in the order the istiod Deployments were read, because control planes were sorted only
        // after the Gateway views had been built from them.
        let yaml =
            include_str!("../testdata/scenarios/broken-ir206-gateway-two-owners/cluster.yaml");
        let inv = crate::checks::testing::inventory(yaml);
        let mut reversed = inv.clone();
        reversed.workloads.reverse();
        reversed.webhooks.reverse();
        let owners = |inv: &Inventory| -> Vec<Vec<String>> {
            resolve(inv, None)
                .gateway_api
                .into_iter()
                .map(|g| g.owners)
                .collect()
        };
        let forward = owners(&inv);
        assert!(forward.iter().any(|o| o.len() == 2), "{forward:?}");
        assert_eq!(owners(&reversed), forward);
    }
    use crate::checks::testing::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Every label/annotation combination, as `injectRequired` decides under the `enabled`
    /// policy: the label, when present, decides; else the annotation; only `"false"` opts out.
    #[test]
    fn the_inject_label_beats_the_annotation_in_every_combination() {
        let label_values = [None, Some("true"), Some("false"), Some(""), Some("no")];
        let annotation_values = [None, Some("true"), Some("false"), Some("")];
        for label in label_values {
            for annotation in annotation_values {
                let pod = match label {
                    Some(v) => labels(&[(ANNOTATION_INJECT, v)]),
                    None => Labels::new(),
                };
                let decided_by = label.or(annotation);
                assert_eq!(
                    pod_opts_out(&pod, annotation),
                    decided_by == Some("false"),
                    "label {label:?}, annotation {annotation:?}"
                );
            }
        }
        // The case: annotation "false", label "true" is injected.
        assert!(!pod_opts_out(
            &labels(&[(ANNOTATION_INJECT, "true")]),
            Some("false")
        ));
        // An empty label still hides the annotation (Istio checks presence, not value).
        assert!(!pod_opts_out(
            &labels(&[(ANNOTATION_INJECT, "")]),
            Some("false")
        ));
    }

    #[test]
    fn a_workload_with_annotation_false_and_label_true_is_stale_when_behind() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-0").replace(
                "    pod-template-hash: 5d8f7c9b4\n  annotations:\n",
                "    pod-template-hash: 5d8f7c9b4\n    sidecar.istio.io/inject: \"true\"\n  annotations:\n    sidecar.istio.io/inject: \"false\"\n",
            ),
        ]
        .concat();
        let m = mesh(&y);
        let w = m.workloads.iter().find(|w| w.name == "ratings").unwrap();
        assert!(!w.opted_out);
        assert_eq!(w.selected.revision(), Some("1-8-1"), "{:?}", w.selected);
    }

    #[test]
    fn control_planes_are_ordered_as_their_revisions_are() {
        // An istiod whose image tag has no version in it (`latest`) is ordered by its revision
        // name, as `Mesh::revision_key` orders it: the control planes (and so the newest, the
        // default `--target`) must follow the same order as `revisions`, not put it first.
        let y = [
            istiod("1-31-0", "latest", true),
            istiod("1-30-3", "1.30.3", true),
        ]
        .concat();
        let m = mesh(&y);
        let order: Vec<&str> = m
            .control_planes
            .iter()
            .map(|c| c.revision.as_str())
            .collect();
        assert_eq!(order, m.revisions);
        assert_eq!(m.newest_control_plane().unwrap().revision, "1-31-0");
    }

    fn findings_on(yaml: &str, object: &str) -> Vec<crate::finding::Code> {
        let m = mesh(yaml);
        let outcome = crate::checks::run(&m, &Default::default(), &m.unread);
        outcome
            .findings
            .iter()
            .filter(|f| f.object.to_string() == object)
            .map(|f| f.code)
            .collect()
    }

    #[test]
    fn a_generated_gateways_stale_pods_are_ir207_and_no_stale_proxies_of_its_namespace() {
        // istiod rolls a generated Deployment itself: a restart would not move it, so IR102
        // (and the namespace's stale count, which asks for a restart) would be wrong advice.
        let yaml =
            include_str!("../testdata/scenarios/broken-ir207-gateway-not-rerendered/cluster.yaml");
        let codes = findings_on(yaml, "Gateway/istio-ingress/bookinfo-gateway");
        assert!(codes.contains(&crate::finding::Code::IR207), "{codes:?}");
        assert!(!codes.contains(&crate::finding::Code::IR102), "{codes:?}");
        let m = mesh(yaml);
        let gw = m
            .workloads
            .iter()
            .find(|w| w.gateway_name.as_deref() == Some("bookinfo-gateway"))
            .unwrap();
        assert!(gw.proxies() > 0);
        assert_eq!(m.namespace("istio-ingress").unwrap().stale, 0);
    }

    #[test]
    fn an_operator_gateways_stale_pods_are_ir102_and_stale_proxies_of_its_namespace() {
        let yaml = include_str!(
            "../testdata/scenarios/operator-5a-gateway-cr-applied-not-restarted/cluster.yaml"
        );
        let codes = findings_on(yaml, "Deployment/istio-system/istio-ingressgateway");
        assert!(codes.contains(&crate::finding::Code::IR102), "{codes:?}");
        let m = mesh(yaml);
        assert_eq!(m.namespace("istio-system").unwrap().stale, 1);
    }

    #[test]
    fn the_table_names_gateway_kinds_as_the_json_does() {
        for kind in [
            GatewayKind::Operator,
            GatewayKind::Injected,
            GatewayKind::GatewayApi,
            GatewayKind::Waypoint,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().to_string())
            );
        }
    }

    #[test]
    fn an_injector_match_reads_configuration_webhook_and_revision() {
        let m = InjectorMatch {
            configuration: "istio-sidecar-injector-1-8-0".into(),
            webhook: "sidecar-injector.istio.io".into(),
            revision: "1-8-0".into(),
            tag: None,
        };
        assert_eq!(
            m.to_string(),
            "istio-sidecar-injector-1-8-0/sidecar-injector.istio.io (1-8-0)"
        );
    }

    #[test]
    fn revisions_order_by_their_control_planes_versions_before_their_names() {
        // Names that tell nothing ("stable", "canary"), and a name that tells the opposite of
        // the version ("1-99-0" runs 1.20.0): the version decides.
        let y = [
            istiod("stable", "1.29.1", true),
            istiod("canary", "1.30.3", true),
            istiod("1-99-0", "1.20.0", true),
            // No version in the image: the name is all there is.
            istiod("1-31-0", "latest", true),
        ]
        .concat();
        let m = mesh(&y);
        assert!(m.is_older("stable", "canary"));
        assert!(!m.is_older("canary", "stable"));
        assert!(m.is_older("1-99-0", "stable"));
        assert_eq!(m.revision_key("1-31-0"), vec![1, 31, 0]);
        assert!(m.is_older("canary", "1-31-0"));
        assert_eq!(m.revisions, ["1-99-0", "stable", "canary", "1-31-0"]);
    }

    #[test]
    fn only_the_cr_of_that_namespace_and_name_that_an_operator_reconciles_is_reconciled() {
        let iop = |ns: &str, name: &str, rev: &str| {
            format!(
                "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  revision: {rev}\n"
            )
        };
        let y = [
            iop("istio-system", "gateways", "1-8-1"),
            iop("istio-operator", "gateways", "1-8-0"),
            iop("istio-system", "installed-state-control-plane", "1-8-0"),
        ]
        .concat();
        let m = mesh(&y);
        let cr = |ns: &str, name: &str| CrRef {
            namespace: ns.into(),
            name: name.into(),
        };
        let found = |ns: &str, name: &str| {
            m.reconciled_cr(&cr(ns, name))
                .map(|o| (o.namespace.clone(), o.name.clone(), o.revision.clone()))
        };
        assert_eq!(
            found("istio-system", "gateways"),
            Some(("istio-system".into(), "gateways".into(), "1-8-1".into()))
        );
        assert_eq!(
            found("istio-operator", "gateways"),
            Some(("istio-operator".into(), "gateways".into(), "1-8-0".into()))
        );
        // istioctl's record of an install: nothing reconciles it.
        assert_eq!(found("istio-system", "installed-state-control-plane"), None);
        assert_eq!(found("istio-system", "control-plane"), None);
        assert_eq!(found("default", "gateways"), None);
    }

    #[test]
    fn the_mesh_is_ambient_with_a_node_agent_an_enrolled_namespace_or_an_enrolled_pod() {
        let sidecars = [
            istiod("1-30-3", "1.30.3", true),
            namespace("shop", &[("istio.io/dataplane-mode", "none")]),
            pod("shop", "web", 1, "1-30-3"),
        ]
        .concat();
        assert!(!mesh(&sidecars).is_ambient());
        let ztunnel = "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ztunnel\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {app: ztunnel}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/ztunnel:1.30.3\n";
        assert!(mesh(&format!("{sidecars}{ztunnel}")).is_ambient());
        // The namespace alone (no pod yet), or one pod alone (its namespace unlabelled).
        assert!(
            mesh(&namespace(
                "shop",
                &[("istio.io/dataplane-mode", "ambient")]
            ))
            .is_ambient()
        );
        let enrolled_pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: db\n  namespace: data\n  labels: {istio.io/dataplane-mode: ambient}\nspec:\n  containers:\n  - name: app\n    image: app:1\n";
        let m = mesh(&format!(
            "{sidecars}{}{enrolled_pod}",
            namespace("data", &[])
        ));
        assert_eq!(m.namespace("data").unwrap().ambient_pods, 1);
        assert!(m.is_ambient());
    }

    #[test]
    fn a_namespace_counts_its_own_workloads_pods_and_those_behind_what_they_select() {
        let y = [
            istiod("1-8-0", "1.8.0", true),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-0"),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            namespace("other", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            pod("bookinfo", "ratings", 2, "1-8-0"),
            pod("bookinfo", "ratings", 3, "1-8-1"),
            pod("bookinfo", "reviews", 1, "1-8-1"),
            pod("other", "db", 1, "1-8-0"),
        ]
        .concat();
        let m = mesh(&y);
        let ns = m.namespace("bookinfo").unwrap();
        assert_eq!(
            ns.running,
            BTreeMap::from([("1-8-0".to_string(), 2), ("1-8-1".to_string(), 2)])
        );
        assert_eq!(ns.stale, 2);
        let other = m.namespace("other").unwrap();
        assert_eq!(other.running, BTreeMap::from([("1-8-0".to_string(), 1)]));
        assert_eq!(other.stale, 0);
    }

    #[test]
    fn a_revision_only_pods_run_is_a_revision_and_an_untold_one_is_not() {
        // A proxy whose revision nothing tells runs "unknown": no revision of that name.
        let untold = pod("bookinfo", "reviews", 1, "x").replace(
            "    sidecar.istio.io/status: '{\"revision\":\"x\"}'\n",
            "    other: a\n",
        );
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-7-0"),
            untold,
        ]
        .concat();
        let m = mesh(&y);
        let reviews = m.workloads.iter().find(|w| w.name == "reviews").unwrap();
        assert_eq!(
            reviews.running.keys().collect::<Vec<_>>(),
            [UNKNOWN_REVISION]
        );
        assert_eq!(m.revisions, ["1-7-0", "1-8-1"]);
    }

    fn unlabelled_mwc(webhook: &str, service: &str, path: &str) -> String {
        format!(
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: mwc-{service}-{webhook}\nwebhooks:\n- name: {webhook}\n  clientConfig:\n    service: {{name: {service}, namespace: istio-system, path: {path}}}\n"
        )
    }

    #[test]
    fn an_unlabelled_injector_is_the_default_revisions_only_when_named_and_called_as_istios() {
        let injects = |webhook: &str, service: &str, path: &str| {
            let m = mesh(&unlabelled_mwc(webhook, service, path));
            match m.injectors.as_slice() {
                [] => false,
                [i] => {
                    assert_eq!(i.revision, DEFAULT_REVISION);
                    true
                }
                more => panic!("{more:?}"),
            }
        };
        assert!(injects("sidecar-injector.istio.io", "istiod", "/inject"));
        assert!(injects(
            "namespace.sidecar-injector.istio.io",
            "istio-sidecar-injector",
            "/inject"
        ));
        assert!(!injects(
            "sidecar-injector.istio.io",
            "cert-manager",
            "/inject"
        ));
        assert!(!injects("sidecar-injector.istio.io", "istiod", "/validate"));
        assert!(!injects("webhook.cert-manager.io", "istiod", "/inject"));
        assert!(!injects("xsidecar-injector.istio.io", "istiod", "/inject"));
        assert!(!injects(
            "webhook.cert-manager.io",
            "cert-manager",
            "/mutate"
        ));
    }

    #[test]
    fn the_default_control_plane_is_the_one_whose_injector_answers_istio_injection_enabled() {
        // A revisioned injector selects by `istio.io/rev` and refuses `istio-injection`; only
        // an injector that takes `istio-injection=enabled` with any pod labels is the default.
        let revisioned = [istiod("1-8-1", "1.8.1", true), injector("1-8-1")].concat();
        assert!(!mesh(&revisioned).control_planes[0].default);
        let unrevisioned = [
            istiod("default", "1.8.1", true),
            unlabelled_mwc("sidecar-injector.istio.io", "istiod", "/inject"),
        ]
        .concat();
        assert!(mesh(&unrevisioned).control_planes[0].default);
        // Answers only pods labelled for it: not `istio-injection=enabled` as such.
        let object_only = unrevisioned.replace(
            "  clientConfig:\n",
            "  objectSelector:\n    matchLabels: {sidecar.istio.io/inject: \"true\"}\n  clientConfig:\n",
        );
        assert!(!mesh(&object_only).control_planes[0].default);
    }

    #[test]
    fn a_control_plane_is_ready_with_a_ready_replica_and_not_unavailable() {
        let cp = |ready_replicas: &str, conditions: &str| {
            let y = istiod("1-8-1", "1.8.1", true)
                .replace(
                    "readyReplicas: 1",
                    &format!("readyReplicas: {ready_replicas}"),
                )
                .replace(
                    "  conditions:\n  - type: Available\n    status: \"True\"\n",
                    conditions,
                );
            mesh(&y).control_planes[0].ready
        };
        let available = |status: &str| {
            format!(
                "  conditions:\n  - type: Progressing\n    status: \"True\"\n  - type: Available\n    status: \"{status}\"\n"
            )
        };
        assert!(cp("1", &available("True")));
        assert!(!cp("1", &available("False")));
        assert!(!cp("0", &available("True")));
        // No Available condition reported: the ready replica decides.
        assert!(cp("1", ""));
    }

    #[test]
    fn a_selection_says_which_label_makes_it() {
        let y = [injector("1-8-1"), tag("prod", "1-8-1")].concat();
        let m = mesh(&y);
        let via = |ns: &[(&str, &str)], pod: &[(&str, &str)]| {
            select(&m.injectors, &labels(ns), &labels(pod), false).via()
        };
        assert_eq!(
            via(&[("istio-injection", "enabled")], &[]),
            Some(Via::InjectionEnabled)
        );
        assert_eq!(
            via(&[("istio.io/rev", "prod")], &[]),
            Some(Via::NamespaceLabel)
        );
        assert_eq!(via(&[], &[("istio.io/rev", "1-8-1")]), Some(Via::PodLabel));
        assert_eq!(via(&[("istio-injection", "disabled")], &[]), None);
        let s = select(
            &m.injectors,
            &labels(&[("istio.io/rev", "prod")]),
            &Labels::new(),
            false,
        );
        assert_eq!((s.revision(), s.tag()), (Some("1-8-1"), Some("prod")));
    }

    /// A Deployment in `ns` with these pod-template labels and no pods.
    fn deployment(ns: &str, name: &str, template_labels: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 0\n  template:\n    metadata:\n      labels: {{{template_labels}}}\n    spec:\n      containers:\n      - name: app\n        image: app:1\n"
        )
    }

    fn replica_set(ns: &str, name: &str, controller: Option<(&str, &str)>) -> String {
        let owner = controller
            .map(|(kind, name)| {
                format!("  ownerReferences:\n  - {{apiVersion: apps/v1, kind: {kind}, name: {name}, uid: u, controller: true}}\n")
            })
            .unwrap_or_default();
        format!(
            "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: {name}\n  namespace: {ns}\n{owner}spec:\n  replicas: 0\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: app:1\n"
        )
    }

    fn workload_names(m: &Mesh) -> Vec<String> {
        m.workloads
            .iter()
            .map(|w| format!("{}/{}/{}", w.kind, w.namespace, w.name))
            .collect()
    }

    #[test]
    fn a_workload_selects_by_its_template_not_by_its_pods_labels() {
        // The template opts out; the pod, created before, does not say so.
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            deployment(
                "bookinfo",
                "ratings",
                "app: ratings, sidecar.istio.io/inject: \"false\"",
            ),
            replica_set(
                "bookinfo",
                "ratings-5d8f7c9b4",
                Some(("Deployment", "ratings")),
            ),
            pod("bookinfo", "ratings", 1, "1-8-1"),
        ]
        .concat();
        let m = mesh(&y);
        assert_eq!(workload_names(&m), ["Deployment/bookinfo/ratings"]);
        let w = &m.workloads[0];
        assert!(w.opted_out);
        assert_eq!(w.selected, Selection::None);
    }

    #[test]
    fn pods_belong_to_the_owner_their_replica_set_names() {
        // An Argo Rollout's ReplicaSet: `<name>-<hash>` like a Deployment's, but not one.
        let y = [
            istiod("1-8-1", "1.8.1", true),
            namespace("bookinfo", &[]),
            replica_set("bookinfo", "web-5d8f7c9b4", Some(("Rollout", "web"))),
            pod("bookinfo", "web", 1, "1-8-1"),
        ]
        .concat();
        assert_eq!(workload_names(&mesh(&y)), ["Rollout/bookinfo/web"]);
    }

    #[test]
    fn workloads_are_what_runs_a_proxy_or_selects_one_never_istiod_agents_or_replica_sets() {
        let ztunnel = "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ztunnel\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {app: ztunnel}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/ztunnel:1.30.3\n";
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            // Some meshes label istiod's own namespace: istiod is still no sidecar workload.
            namespace("istio-system", &[("istio.io/rev", "1-8-1")]),
            ztunnel.to_string(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            // Scaled to zero: selects 1-8-1 all the same; its ReplicaSet is no workload.
            deployment("bookinfo", "ratings", "app: ratings"),
            replica_set(
                "bookinfo",
                "ratings-5d8f7c9b4",
                Some(("Deployment", "ratings")),
            ),
            // A ReplicaSet nothing owns is its own workload.
            replica_set("bookinfo", "legacy", None),
            namespace("plain", &[]),
            deployment("plain", "tools", "app: tools"),
        ]
        .concat();
        assert_eq!(
            workload_names(&mesh(&y)),
            ["Deployment/bookinfo/ratings", "ReplicaSet/bookinfo/legacy"]
        );
    }

    fn router_pod(ns: &str, name: &str) -> String {
        gateway_pod(1, "1-8-1")
            .replace("    operator.istio.io/component: IngressGateways\n", "")
            .replace("    sidecar.istio.io/inject: \"false\"\n", "")
            .replace("namespace: istio-system", &format!("namespace: {ns}"))
            .replace("istio-ingressgateway", name)
    }

    #[test]
    fn a_workload_whose_pods_run_proxy_router_is_a_gateway_even_without_a_template() {
        let m = mesh(&[namespace("edge", &[]), router_pod("edge", "edge-gw")].concat());
        let w = m.workloads.iter().find(|w| w.name == "edge-gw").unwrap();
        assert_eq!(w.gateway, Some(GatewayKind::Operator));
        // The revision its template renders.
        assert_eq!(
            w.selected,
            Selection::Revision {
                revision: "1-8-1".into(),
                tag: None,
                via: Via::Rendered
            }
        );
    }

    #[test]
    fn pods_without_a_proxy_are_counted_apart() {
        let bare = |i: usize| {
            pod("bookinfo", "ratings", i, "1-8-1")
                .replace("  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1\n    args: [proxy, sidecar]\n", "")
                .replace("    sidecar.istio.io/status: '{\"revision\":\"1-8-1\"}'\n", "    other: a\n")
        };
        let y = [
            namespace("bookinfo", &[]),
            bare(1),
            bare(2),
            pod("bookinfo", "ratings", 3, "1-8-1"),
        ]
        .concat();
        let m = mesh(&y);
        let w = m.workloads.iter().find(|w| w.name == "ratings").unwrap();
        assert_eq!((w.proxies(), w.without_proxy), (1, 2));
    }

    #[test]
    fn an_operator_gateway_selects_the_revision_rendered_into_it_or_none() {
        let y = [istiod("1-8-1", "1.8.1", true), injector("1-8-1")].concat();
        let m = mesh(&format!("{y}{}", gateway_pod(1, "1-8-0")));
        let gw = m.gateways().next().unwrap();
        assert_eq!(
            gw.selected,
            Selection::Revision {
                revision: "1-8-0".into(),
                tag: None,
                via: Via::Rendered
            }
        );
        let unlabelled = gateway_pod(1, "1-8-0")
            .replace("    istio.io/rev: 1-8-0\n", "    istio.io/rev: \"\"\n");
        let m = mesh(&format!("{y}{unlabelled}"));
        assert_eq!(m.gateways().next().unwrap().selected, Selection::None);
    }

    #[test]
    fn overlapping_injectors_are_listed_for_the_workloads_they_would_inject() {
        // A second injector that answers every pod, beside the namespace's own.
        let everything = "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-sidecar-injector-1-8-0\n  labels:\n    istio.io/rev: 1-8-0\nwebhooks:\n- name: sidecar-injector.istio.io\n";
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            everything.to_string(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-1"),
            pod("bookinfo", "opted", 1, "1-8-1").replace(
                "    pod-template-hash: 5d8f7c9b4\n",
                "    pod-template-hash: 5d8f7c9b4\n    sidecar.istio.io/inject: \"false\"\n",
            ),
            router_pod("bookinfo", "edge-gw"),
        ]
        .concat();
        let m = mesh(&y);
        let overlaps = |name: &str| {
            m.workloads
                .iter()
                .find(|w| w.name == name)
                .unwrap()
                .overlapping_injectors
                .iter()
                .map(|i| i.revision.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(overlaps("ratings"), ["1-8-0", "1-8-1"]);
        assert!(overlaps("opted").is_empty());
        assert!(overlaps("edge-gw").is_empty());
    }

    #[test]
    fn selections_that_depend_on_what_was_not_read_are_unknown() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            namespace("off", &[("istio-injection", "disabled")]),
            namespace("plain", &[]),
            pod("bookinfo", "ratings", 1, "1-8-1"),
            gateway_pod(1, "1-8-1"),
        ]
        .concat();
        let unread = |inputs: &[Input]| {
            let mut inv = inventory(&y);
            for i in inputs {
                inv.unreadable.push(crate::inventory::Unreadable {
                    resource: i.resource().to_string(),
                    namespace: String::new(),
                    reason: "forbidden".into(),
                });
            }
            resolve(&inv, None)
        };
        let unknown = |s: &str| Selection::Unknown { unread: s.into() };
        let ns = |m: &Mesh, name: &str| m.namespace(name).unwrap().selected.clone();
        let workload = |m: &Mesh, name: &str| {
            m.workloads
                .iter()
                .find(|w| w.name == name)
                .unwrap()
                .selected
                .clone()
        };
        let rendered = Selection::Revision {
            revision: "1-8-1".into(),
            tag: None,
            via: Via::Rendered,
        };

        let m = unread(&[Input::MutatingWebhookConfigurations]);
        assert_eq!(ns(&m, "bookinfo"), unknown("mutatingwebhookconfigurations"));
        assert_eq!(ns(&m, "off"), unknown("mutatingwebhookconfigurations"));
        assert_eq!(ns(&m, "plain"), Selection::None);
        assert_eq!(
            workload(&m, "ratings"),
            unknown("mutatingwebhookconfigurations")
        );
        assert_eq!(workload(&m, "istio-ingressgateway"), rendered);

        let m = unread(&[Input::Namespaces]);
        assert!(matches!(ns(&m, "bookinfo"), Selection::Unserved { .. }));
        assert_eq!(workload(&m, "ratings"), unknown("namespaces"));
        assert_eq!(workload(&m, "istio-ingressgateway"), rendered);

        let m = unread(&[Input::MutatingWebhookConfigurations, Input::Namespaces]);
        assert_eq!(
            workload(&m, "ratings"),
            unknown("mutatingwebhookconfigurations and namespaces")
        );

        let m = unread(&[]);
        assert!(matches!(
            workload(&m, "ratings"),
            Selection::Unserved { .. }
        ));
    }

    #[test]
    fn a_gateway_is_linked_to_its_own_deployment_only() {
        // Deployments listed before it: one of the same name in another namespace, one in its
        // namespace.
        let yaml =
            include_str!("../testdata/scenarios/broken-ir207-gateway-not-rerendered/cluster.yaml");
        let extra = [
            pod("bookinfo", "bookinfo-gateway-istio", 1, "1-30-3"),
            pod("istio-ingress", "aaa", 1, "1-30-3"),
        ]
        .concat();
        let m = mesh(&format!("{yaml}\n{extra}"));
        let linked: Vec<String> = m
            .workloads
            .iter()
            .filter(|w| w.gateway_name.is_some())
            .map(|w| format!("{}/{}", w.namespace, w.name))
            .collect();
        assert_eq!(
            linked,
            ["bookinfo/waypoint", "istio-ingress/bookinfo-gateway-istio"]
        );
    }

    #[test]
    fn a_gateway_selects_its_one_owner_through_its_tag_or_asks_for_what_no_istiod_answers() {
        let gw = |labels: &str| {
            format!(
                "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  namespace: shop\n  labels: {{{labels}}}\nspec:\n  gatewayClassName: istio\n"
            )
        };
        let selection = |y: &str| {
            let m = mesh(y);
            gateway_selection(&m.gateway_api[0], &m.injectors)
        };
        let revision = |tag: Option<&str>, via: Via| Selection::Revision {
            revision: "1-30-3".into(),
            tag: tag.map(str::to_string),
            via,
        };
        // Only the tag's webhook is installed: the selection still goes through the tag.
        let y = [
            istiod("1-30-3", "1.30.3", true),
            tag("prod", "1-30-3"),
            namespace("shop", &[]),
        ]
        .concat();
        assert_eq!(
            selection(&format!("{y}{}", gw("istio.io/rev: prod"))),
            revision(Some("prod"), Via::GatewayLabel)
        );
        assert_eq!(
            selection(&format!("{y}{}", gw("istio.io/rev: 1-30-3"))),
            revision(None, Via::GatewayLabel)
        );
        assert_eq!(
            selection(&format!("{y}{}", gw("istio.io/rev: 1-29-0"))),
            Selection::Unserved {
                requested: "1-29-0".into(),
                via: Via::GatewayLabel
            }
        );
        assert_eq!(
            selection(&format!("{y}{}", gw("app: web"))),
            Selection::Unserved {
                requested: "default".into(),
                via: Via::DefaultRevision
            }
        );
    }

    #[test]
    fn a_bare_replica_set_and_a_deployment_with_its_own_controller_select_by_their_templates() {
        // Both templates opt out; their pods, created before, do not say so. A Deployment owned
        // by another controller (a Gateway, an operator's CR) is still the workload.
        let opted_out = "sidecar.istio.io/inject: \"false\"";
        let owned = deployment("bookinfo", "ratings", &format!("app: ratings, {opted_out}"))
            .replace(
                "  namespace: bookinfo\nspec:",
                "  namespace: bookinfo\n  ownerReferences:\n  - {apiVersion: example.com/v1, kind: App, name: ratings, uid: u, controller: true}\nspec:",
            );
        let bare = replica_set("bookinfo", "legacy", None).replace(
            "labels: {app: legacy}",
            &format!("labels: {{app: legacy, {opted_out}}}"),
        );
        let legacy_pod = pod("bookinfo", "legacy", 1, "1-8-1").replace(
            "kind: ReplicaSet, name: legacy-5d8f7c9b4",
            "kind: ReplicaSet, name: legacy",
        );
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            owned,
            replica_set(
                "bookinfo",
                "ratings-5d8f7c9b4",
                Some(("Deployment", "ratings")),
            ),
            pod("bookinfo", "ratings", 1, "1-8-1"),
            bare,
            legacy_pod,
        ]
        .concat();
        let m = mesh(&y);
        assert_eq!(
            workload_names(&m),
            ["Deployment/bookinfo/ratings", "ReplicaSet/bookinfo/legacy"]
        );
        for w in &m.workloads {
            assert!(w.opted_out, "{}", w.name);
            assert_eq!(w.selected, Selection::None, "{}", w.name);
        }
    }
}
