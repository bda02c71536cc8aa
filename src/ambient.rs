//! The ambient data plane: the ztunnel and istio-cni node agents, and which namespaces and
//! pods are enrolled in ambient mode.
//!
//! Neither agent is injected or revisioned the way sidecars are: the ztunnel chart puts its
//! revision in an `istio.io/rev` *annotation* and in `CA_ADDRESS`/`XDS_ADDRESS`
//! (`istiod[-<rev>].<ns>.svc:15012`); the istio-cni chart only labels its DaemonSet
//! `istio.io/rev`, and the agent talks to ztunnel, not to istiod. Both are upgraded in place,
//! one per node (no canary), so their versions are what the skew rules compare.

use crate::inventory::{Inventory, Pod, Workload, WorkloadKind};
use crate::istio::helm::Release;
use crate::istio::labels::{
    CNI_CONTAINER, ISTIO_CNI, LABEL_DATAPLANE_MODE, LABEL_REV, PROXY_CONTAINER, TAG_SERVICE_PREFIX,
    ZTUNNEL,
};
use crate::revision::{image_tag, revision_from_istiod_host};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Agent {
    Ztunnel,
    IstioCni,
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Ztunnel => ZTUNNEL,
            Agent::IstioCni => "istio-cni",
        }
    }
}

/// One node agent DaemonSet.
#[derive(Debug, Clone, Serialize)]
pub struct NodeAgent {
    pub agent: Agent,
    pub namespace: String,
    pub name: String,
    /// The image tag of its container, variant included (`1.30.3-distroless`).
    pub version: Option<String>,
    /// ztunnel: the `istio.io/rev` annotation; istio-cni: its `istio.io/rev` label.
    pub revision: Option<String>,
    /// ztunnel: the istiod its `XDS_ADDRESS` (else `CA_ADDRESS`) names, as written.
    pub istiod_address: Option<String>,
    /// That address read as a revision (`istiod` → `default`), or as a tag's Service
    /// (`istiod-revision-tag-<tag>`).
    pub points_at: Option<Target>,
    pub ready: i32,
    pub desired: i32,
    /// The Helm release that installed it (`meta.helm.sh/release-*`): what upgrades it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<Release>,
}

/// What an istiod address names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "via", content = "name", rename_all = "lowercase")]
pub enum Target {
    Revision(String),
    Tag(String),
}

/// Whether a DaemonSet is one of the ambient node agents (they are never sidecar workloads,
/// though ztunnel's container is called `istio-proxy`).
pub fn agent_of(w: &Workload) -> Option<Agent> {
    if w.kind != WorkloadKind::DaemonSet {
        return None;
    }
    let labels = &w.spec.template.metadata.labels;
    if w.meta.name() == ZTUNNEL || labels.get("app") == Some(ZTUNNEL) {
        Some(Agent::Ztunnel)
    } else if w.meta.name() == ISTIO_CNI || labels.get("k8s-app") == Some(ISTIO_CNI) {
        Some(Agent::IstioCni)
    } else {
        None
    }
}

pub fn node_agents(inventory: &Inventory) -> Vec<NodeAgent> {
    let mut out: Vec<NodeAgent> = inventory
        .workloads
        .iter()
        .filter_map(|w| {
            let agent = agent_of(w)?;
            let template = &w.spec.template;
            let container = match agent {
                Agent::Ztunnel => PROXY_CONTAINER,
                Agent::IstioCni => CNI_CONTAINER,
            };
            let main = template
                .spec
                .container(container)
                .or_else(|| template.spec.containers.first());
            let version = main
                .and_then(|c| c.image.as_deref())
                .and_then(image_tag)
                .map(str::to_string);
            let (revision, istiod_address) = match agent {
                Agent::Ztunnel => (
                    template
                        .metadata
                        .annotations
                        .rev
                        .or(w.meta.annotations.rev)
                        .map(String::from),
                    main.and_then(|c| c.env.xds_address().or(c.env.ca_address()))
                        .map(str::to_string),
                ),
                Agent::IstioCni => (w.meta.label(LABEL_REV).map(str::to_string), None),
            };
            Some(NodeAgent {
                agent,
                namespace: w.meta.namespace().to_string(),
                name: w.meta.name().to_string(),
                points_at: istiod_address.as_deref().and_then(target),
                version,
                revision: revision.filter(|r| !r.is_empty()),
                istiod_address,
                release: Release::of_meta(&w.meta),
                ready: w.status.number_ready.unwrap_or(0),
                desired: w.status.desired_number_scheduled.unwrap_or(0),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (a.agent as u8, &a.namespace, &a.name).cmp(&(b.agent as u8, &b.namespace, &b.name))
    });
    out
}

/// `istiod-revision-tag-<tag>.<ns>.svc:15012` names a tag's Service (1.28+); otherwise the
/// address names a revision's Service as proxies' addresses do.
fn target(address: &str) -> Option<Target> {
    let service = address.split(':').next()?.split('.').next()?;
    if let Some(tag) = service.strip_prefix(TAG_SERVICE_PREFIX) {
        return Some(Target::Tag(tag.to_string()));
    }
    revision_from_istiod_host(address).map(Target::Revision)
}

/// Pods enrolled in ambient mode, per namespace: the pod's `istio.io/dataplane-mode`, else its
/// namespace's, is `ambient`; a pod with a sidecar (`sidecar.istio.io/status`) is never ambient.
pub fn ambient_pods(inventory: &Inventory) -> BTreeMap<String, usize> {
    let modes: BTreeMap<&str, &str> = inventory
        .namespaces
        .iter()
        .filter_map(|n| Some((n.meta.name(), n.meta.label(LABEL_DATAPLANE_MODE)?)))
        .collect();
    let mut out = BTreeMap::new();
    for (pod, count) in inventory.pods.shapes() {
        if is_ambient(pod, modes.get(pod.meta.namespace()).copied()) {
            *out.entry(pod.meta.namespace().to_string()).or_insert(0) += count;
        }
    }
    out
}

fn is_ambient(pod: &Pod, namespace_mode: Option<&str>) -> bool {
    if matches!(pod.status.phase.as_deref(), Some("Succeeded" | "Failed")) {
        return false;
    }
    if pod.meta.annotations.injected || pod.spec.proxy().is_some() {
        return false;
    }
    pod.meta.label(LABEL_DATAPLANE_MODE).or(namespace_mode) == Some("ambient")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::checks::testing::inventory;

    #[test]
    fn ztunnel_and_cni_are_read_from_their_daemonsets() {
        let inv = inventory(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ztunnel\n  namespace: istio-system\n  annotations:\n    istio.io/rev: 1-30-3\nspec:\n  template:\n    metadata:\n      labels: {app: ztunnel}\n      annotations: {istio.io/rev: 1-30-3}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/ztunnel:1.30.3-distroless\n        args: [proxy, ztunnel]\n        env:\n        - {name: CA_ADDRESS, value: istiod-1-30-3.istio-system.svc:15012}\n        - {name: XDS_ADDRESS, value: istiod-revision-tag-stable.istio-system.svc:15012}\nstatus: {numberReady: 3, desiredNumberScheduled: 3}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: istio-cni-node\n  namespace: istio-system\n  labels: {istio.io/rev: 1-29-1, k8s-app: istio-cni-node}\nspec:\n  template:\n    metadata:\n      labels: {k8s-app: istio-cni-node}\n    spec:\n      containers:\n      - name: install-cni\n        image: docker.io/istio/install-cni:1.29.1-distroless\n",
        );
        let agents = node_agents(&inv);
        assert_eq!(agents.len(), 2);
        let z = &agents[0];
        assert_eq!(z.agent, Agent::Ztunnel);
        assert_eq!(z.version.as_deref(), Some("1.30.3-distroless"));
        assert_eq!(z.revision.as_deref(), Some("1-30-3"));
        assert_eq!(z.points_at, Some(Target::Tag("stable".into())));
        assert_eq!((z.ready, z.desired), (3, 3));
        let c = &agents[1];
        assert_eq!(c.agent, Agent::IstioCni);
        assert_eq!(c.revision.as_deref(), Some("1-29-1"));
        assert_eq!(c.version.as_deref(), Some("1.29.1-distroless"));
        assert_eq!(
            target("istiod.istio-system.svc:15012"),
            Some(Target::Revision("default".into()))
        );
    }

    #[test]
    fn sidecar_wins_and_pods_opt_out() {
        let pod = |name: &str, labels: &str, annotations: &str| {
            format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  labels: {{{labels}}}\n  annotations: {{{annotations}}}\nspec:\n  containers:\n  - name: app\n    image: app:1\n"
            )
        };
        let inv = inventory(&[
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio.io/dataplane-mode: ambient}\n".to_string(),
            pod("a", "app: a", ""),
            pod("b", "istio.io/dataplane-mode: none", ""),
            pod("c", "app: c", "sidecar.istio.io/status: '{}'"),
        ].concat());
        assert_eq!(
            ambient_pods(&inv),
            BTreeMap::from([("shop".to_string(), 1)])
        );
    }

    #[test]
    fn node_agents_are_known_by_their_name_or_their_pods_label() {
        let ds = |name: &str, labels: &str| {
            let inv = inventory(&format!(
                "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {{{labels}}}\n    spec:\n      containers:\n      - name: c\n        image: c:1\n"
            ));
            agent_of(&inv.workloads[0])
        };
        assert_eq!(ds("ztunnel", "x: y"), Some(Agent::Ztunnel));
        assert_eq!(ds("ambient-ztunnel", "app: ztunnel"), Some(Agent::Ztunnel));
        assert_eq!(ds("istio-cni-node", "x: y"), Some(Agent::IstioCni));
        assert_eq!(ds("cni", "k8s-app: istio-cni-node"), Some(Agent::IstioCni));
        assert_eq!(ds("fluentd", "app: fluentd"), None);
    }

    #[test]
    fn findings_and_fixes_name_the_agents_as_their_charts_do() {
        assert_eq!(Agent::Ztunnel.name(), "ztunnel");
        assert_eq!(Agent::IstioCni.name(), "istio-cni");
    }
}
