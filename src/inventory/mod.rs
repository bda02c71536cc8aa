//! The inventory: every object the checks read, from whichever source filled it.
//!
//! Snapshot files ([`crate::source::snapshot`]) and a live cluster are the two sources; the checks see
//! only this type.

pub mod gateway_api;
pub mod parse;
pub mod pods;
pub mod types;
pub mod write;

pub use gateway_api::*;
pub use parse::Object;
pub use types::*;

use crate::atom::Atom;
use std::collections::{BTreeMap, HashMap};

/// Something a source could not read, so the checks could not look at it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    /// The resource, e.g. `pods`.
    pub resource: String,
    /// Empty for cluster-wide.
    pub namespace: String,
    pub reason: String,
}

/// A kind the sources read into the inventory: what a check declares it reads, and what a
/// source may fail to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Input {
    Namespaces,
    Pods,
    Deployments,
    StatefulSets,
    DaemonSets,
    ReplicaSets,
    MutatingWebhookConfigurations,
    IstioOperators,
    /// Gateway API kinds: absent CRDs read as none (a cluster without the Gateway API has no
    /// such gateways), a refused or failed list as unread.
    Gateways,
    GatewayClasses,
    /// Only `istiod-default-validator` is listed: its `istio.io/rev` names the default revision.
    ValidatingWebhookConfigurations,
}

impl Input {
    pub const ALL: [Input; 11] = [
        Input::Namespaces,
        Input::Pods,
        Input::Deployments,
        Input::StatefulSets,
        Input::DaemonSets,
        Input::ReplicaSets,
        Input::MutatingWebhookConfigurations,
        Input::IstioOperators,
        Input::Gateways,
        Input::GatewayClasses,
        Input::ValidatingWebhookConfigurations,
    ];

    /// The API resource, as `kubectl auth can-i list` names it.
    pub fn resource(self) -> &'static str {
        match self {
            Input::Namespaces => "namespaces",
            Input::Pods => "pods",
            Input::Deployments => "deployments",
            Input::StatefulSets => "statefulsets",
            Input::DaemonSets => "daemonsets",
            Input::ReplicaSets => "replicasets",
            Input::MutatingWebhookConfigurations => "mutatingwebhookconfigurations",
            Input::IstioOperators => "istiooperators",
            Input::Gateways => "gateways.gateway.networking.k8s.io",
            Input::GatewayClasses => "gatewayclasses.gateway.networking.k8s.io",
            Input::ValidatingWebhookConfigurations => "validatingwebhookconfigurations",
        }
    }

    /// The kind of its objects.
    pub fn kind(self) -> &'static str {
        match self {
            Input::Namespaces => "Namespace",
            Input::Pods => "Pod",
            Input::Deployments => "Deployment",
            Input::StatefulSets => "StatefulSet",
            Input::DaemonSets => "DaemonSet",
            Input::ReplicaSets => "ReplicaSet",
            Input::MutatingWebhookConfigurations => "MutatingWebhookConfiguration",
            Input::IstioOperators => "IstioOperator",
            Input::Gateways => "Gateway",
            Input::GatewayClasses => "GatewayClass",
            Input::ValidatingWebhookConfigurations => "ValidatingWebhookConfiguration",
        }
    }

    /// The input an [`Unreadable`] entry takes away. A list narrowed by a selector (the
    /// control planes' `deployments (app=istiod)`, the node agents' `daemonsets (ambient)`
    /// under `-n`) counts as the whole kind; one
    /// object that could not be fetched (`pods (full spec)`) takes away no input: that pod's
    /// revision just shows as unknown.
    pub fn of_unreadable(resource: &str) -> Option<Input> {
        let kind = [" (app=istiod)", " (ambient)"]
            .iter()
            .find_map(|s| resource.strip_suffix(s))
            .unwrap_or(resource);
        Input::ALL.into_iter().find(|i| i.resource() == kind)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    pub namespaces: Vec<Namespace>,
    /// Boxed: a workload is ~0.5 KB, and a growing list of them would move and double that.
    pub workloads: Vec<Box<Workload>>,
    pub pods: pods::Pods,
    pub webhooks: Vec<MutatingWebhookConfiguration>,
    pub istio_operators: Vec<IstioOperator>,
    /// `gateway.networking.k8s.io` Gateways and GatewayClasses (none when the CRDs are absent).
    pub gateways: Vec<Gateway>,
    pub gateway_classes: Vec<GatewayClass>,
    pub validating_webhooks: Vec<ValidatingWebhookConfiguration>,
    /// Objects of kinds no check reads, counted by kind.
    pub skipped: BTreeMap<String, usize>,
    pub unreadable: Vec<Unreadable>,
    /// Where each object sits in its vector, so a later copy of the same object (the same
    /// snapshot passed twice, overlapping dumps) replaces the earlier one instead of doubling it.
    index: HashMap<(Slot, Atom, Atom), usize, foldhash::fast::RandomState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Namespace,
    Workload(WorkloadKind),
    Webhook,
    IstioOperator,
    Gateway,
    GatewayClass,
    ValidatingWebhook,
}

/// The identity an upsert keys on, taken before the object moves into its list: building it
/// used to clone the object's whole metadata (labels and all) for every object read.
fn key(slot: Slot, meta: &Meta) -> (Slot, Atom, Atom) {
    (slot, Atom::from(meta.namespace()), Atom::from(meta.name()))
}

fn upsert<T>(
    index: &mut HashMap<(Slot, Atom, Atom), usize, foldhash::fast::RandomState>,
    items: &mut Vec<T>,
    key: (Slot, Atom, Atom),
    item: T,
) {
    match index.get(&key) {
        Some(&i) => items[i] = item,
        None => {
            index.insert(key, items.len());
            items.push(item);
        }
    }
}

impl Inventory {
    pub fn add(&mut self, object: Object) {
        let index = &mut self.index;
        match object {
            Object::Namespace(o) => {
                let k = key(Slot::Namespace, &o.meta);
                upsert(index, &mut self.namespaces, k, o)
            }
            Object::Workload(o) => {
                let k = key(Slot::Workload(o.kind), &o.meta);
                upsert(index, &mut self.workloads, k, o)
            }
            Object::Pod(o) => self.pods.add(o),
            Object::MutatingWebhookConfiguration(o) => {
                let k = key(Slot::Webhook, &o.meta);
                upsert(index, &mut self.webhooks, k, o)
            }
            Object::IstioOperator(o) => {
                let k = key(Slot::IstioOperator, &o.meta);
                upsert(index, &mut self.istio_operators, k, o)
            }
            Object::Gateway(o) => {
                let k = key(Slot::Gateway, &o.meta);
                upsert(index, &mut self.gateways, k, o)
            }
            Object::GatewayClass(o) => {
                let k = key(Slot::GatewayClass, &o.meta);
                upsert(index, &mut self.gateway_classes, k, o)
            }
            Object::ValidatingWebhookConfiguration(o) => {
                let k = key(Slot::ValidatingWebhook, &o.meta);
                upsert(index, &mut self.validating_webhooks, k, o)
            }
            Object::Skipped { kind } => *self.skipped.entry(kind).or_default() += 1,
            Object::Unreadable(u) => {
                if !self.unreadable.contains(&u) {
                    self.unreadable.push(u);
                }
            }
        }
    }

    /// The inputs a source could not read (in any namespace).
    pub fn unread_inputs(&self) -> std::collections::BTreeSet<Input> {
        self.unreadable
            .iter()
            .filter_map(|u| Input::of_unreadable(&u.resource))
            .collect()
    }

    /// Keeps only what lives in `namespace` (cluster-scoped objects stay: injectors and
    /// control planes decide what a namespace selects).
    pub fn restrict_to_namespace(&mut self, namespace: &str) {
        self.namespaces.retain(|n| n.meta.name() == namespace);
        self.workloads
            .retain(|w| w.meta.namespace() == namespace || is_control_plane_namespace_object(w));
        self.pods
            .retain(|p| p.meta.namespace() == namespace || is_control_plane_pod(p));
        self.gateways.retain(|g| g.meta.namespace() == namespace);
        self.index.clear();
    }

    pub fn object_count(&self) -> usize {
        self.namespaces.len()
            + self.workloads.len()
            + self.pods.len()
            + self.webhooks.len()
            + self.istio_operators.len()
            + self.gateways.len()
            + self.gateway_classes.len()
            + self.validating_webhooks.len()
    }
}

/// Control planes stay visible under `-n`: a namespace's revision means nothing without them.
/// So do the ambient node agents, which serve every namespace (the live source lists them by
/// name cluster-wide under `-n`).
fn is_control_plane_namespace_object(w: &Workload) -> bool {
    w.meta.label("app") == Some("istiod")
        || (w.kind == WorkloadKind::DaemonSet
            && matches!(
                w.meta.name(),
                crate::istio::labels::ZTUNNEL | crate::istio::labels::ISTIO_CNI
            ))
}

fn is_control_plane_pod(p: &Pod) -> bool {
    p.meta.label("app") == Some("istiod")
}
