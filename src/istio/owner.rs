//! istioctl's owner labels: who installed an object, stamping them the way `istioctl install`
//! does at apply time, and the selector and kinds its prune uses.

use super::iop::{DEFAULT_IOP_NAMESPACE, IopInput};
use super::labels::{
    DEFAULT_REVISION, LABEL_COMPONENT, LABEL_MANAGED, LABEL_OWNER, LABEL_OWNER_NS, LABEL_REV,
};
use super::manifest::{Rendered, RenderedObject, is_base_object};
use super::profiles::ProfileSet;
use crate::error::Error;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The IstioOperator the rendered objects belong to.
#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub revision: String,
}

impl Owner {
    pub fn describe(&self) -> String {
        match (&self.name, &self.namespace) {
            (Some(n), Some(ns)) => format!("IstioOperator {ns}/{n}"),
            (Some(n), None) => format!("IstioOperator {n}"),
            _ => "an unnamed IstioOperator".to_string(),
        }
    }
}

/// The owner of rendered objects: the CR file's name and namespace, overridden by `owner_flag`
/// (`NAME` or `NAMESPACE/NAME`); the revision from `revision_flag`, else the CR's
/// `spec.revision`, else the rendered objects' most common `istio.io/rev`, else `default`.
pub fn resolve(
    iop: Option<&IopInput>,
    owner_flag: Option<&str>,
    revision_flag: Option<&str>,
    rendered: &[Rendered],
) -> Result<Owner, Error> {
    let (mut name, mut namespace) = match iop {
        Some(i) => (
            i.name.clone(),
            Some(
                i.namespace
                    .clone()
                    .unwrap_or_else(|| DEFAULT_IOP_NAMESPACE.to_string()),
            ),
        ),
        None => (None, None),
    };
    if let Some(o) = owner_flag {
        match o.split_once('/') {
            Some((ns, n)) if !ns.is_empty() && !n.is_empty() => {
                namespace = Some(ns.to_string());
                name = Some(n.to_string());
            }
            None if !o.is_empty() => {
                name = Some(o.to_string());
                namespace.get_or_insert_with(|| DEFAULT_IOP_NAMESPACE.to_string());
            }
            _ => {
                return Err(Error::Input(format!(
                    "--owner {o:?}: want NAME or NAMESPACE/NAME"
                )));
            }
        }
    }
    if name.is_none() {
        namespace = None;
    }
    let revision = revision_flag
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .or_else(|| {
            iop.and_then(|i| i.spec["revision"].as_str())
                .filter(|r| !r.is_empty())
                .map(str::to_string)
        })
        .or_else(|| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in rendered {
                if let Some(rev) = r.obj["metadata"]["labels"][LABEL_REV].as_str() {
                    *counts.entry(rev).or_default() += 1;
                }
            }
            counts
                .into_iter()
                .max_by_key(|(_, n)| *n)
                .map(|(r, _)| r.to_string())
        })
        .unwrap_or_else(|| DEFAULT_REVISION.to_string());
    Ok(Owner {
        name,
        namespace,
        revision,
    })
}

/// The component an object belongs to: its own label, else base for CRDs and base's shared
/// objects, else by name (CNI, ztunnel), else Pilot.
pub fn component_of(r: &Rendered) -> String {
    if let Some(c) = r.obj["metadata"]["labels"][LABEL_COMPONENT].as_str() {
        return c.to_string();
    }
    let thin = RenderedObject {
        id: r.id.clone(),
        labels: BTreeMap::new(),
        namespace_hint: r.obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("istio-system")
            .to_string(),
    };
    let base = is_base_object(ProfileSet::Latest, &thin) || is_base_object(ProfileSet::V1_8, &thin);
    if base {
        "Base".to_string()
    } else if r.id.name.contains("cni") {
        "Cni".to_string()
    } else if r.id.name.contains("ztunnel") {
        "Ztunnel".to_string()
    } else {
        "Pilot".to_string()
    }
}

/// Adds the owner labels `istioctl install` writes at apply time (`getOwnerLabels`): managed,
/// revision, component, and the owning resource's name and namespace when the CR is named.
/// The istioctl version label is not known here; it is never compared.
pub fn stamp(r: &mut Rendered, owner: &Owner) {
    let component = component_of(r);
    let meta = &mut r.obj["metadata"];
    if !meta["labels"].is_object() {
        meta["labels"] = Value::Object(Default::default());
    }
    let labels = meta["labels"].as_object_mut().expect("labels is an object");
    labels.insert(LABEL_MANAGED.into(), "Reconcile".into());
    labels.insert(LABEL_REV.into(), owner.revision.clone().into());
    labels.insert(LABEL_COMPONENT.into(), component.into());
    if let Some(n) = &owner.name {
        labels.insert(LABEL_OWNER.into(), n.clone().into());
    }
    if let Some(ns) = &owner.namespace {
        labels.insert(LABEL_OWNER_NS.into(), ns.clone().into());
    }
}

/// Who a live object belongs to, by its owner labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    /// No owner labels: not installed by istioctl (or relabelled by hand).
    Unmanaged,
    /// Labelled as another CR's: its namespace/name.
    Foreign(String),
}

pub fn ownership(live: &Value, owner: &Owner) -> Ownership {
    let labels = &live["metadata"]["labels"];
    let get = |k: &str| labels[k].as_str().filter(|s| !s.is_empty());
    let live_owner = get(LABEL_OWNER).filter(|o| *o != "unknown");
    if get(LABEL_MANAGED).is_none() && live_owner.is_none() {
        return Ownership::Unmanaged;
    }
    let (Some(ours), Some(theirs)) = (&owner.name, live_owner) else {
        return Ownership::Ours;
    };
    let their_ns = get(LABEL_OWNER_NS);
    let ns_differs = matches!((&owner.namespace, their_ns), (Some(a), Some(b)) if a != b);
    if ours != theirs || ns_differs {
        return Ownership::Foreign(match their_ns {
            Some(ns) => format!("{ns}/{theirs}"),
            None => theirs.to_string(),
        });
    }
    Ownership::Ours
}

/// The IstioOperator a live object's istioctl owner labels name (`NS/NAME`, `NAME`, or
/// `(unnamed)` for a managed object without a name), or none when istioctl did not install it.
pub fn iop_owner(live: &Value) -> Option<String> {
    let labels = &live["metadata"]["labels"];
    owner_name(|k| labels[k].as_str())
}

/// The same, from an inventory object's labels.
pub fn iop_owner_of_labels(labels: &crate::selector::Labels) -> Option<String> {
    owner_name(|k| labels.get(k))
}

fn owner_name<'a>(label: impl Fn(&str) -> Option<&'a str>) -> Option<String> {
    let get = |k: &str| label(k).filter(|s| !s.is_empty());
    // The charts render the owner as "unknown" under plain Helm: that names nobody.
    let name = get(LABEL_OWNER).filter(|o| *o != "unknown");
    if get(LABEL_MANAGED).is_none() && name.is_none() {
        return None;
    }
    Some(match (name, get(LABEL_OWNER_NS)) {
        (Some(n), Some(ns)) => format!("{ns}/{n}"),
        (Some(n), None) => n.to_string(),
        (None, _) => "(unnamed)".to_string(),
    })
}

/// The kinds istioctl prunes (latest `NamespacedResources` and `ClusterResources`, with the
/// 1.8 networking kinds); Pods never carry the managed label.
pub const PRUNE_KINDS: &[(&str, &str, &str)] = &[
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "DaemonSet"),
    ("", "v1", "Service"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ("networking.istio.io", "v1alpha3", "EnvoyFilter"),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
    ),
];

pub fn is_prunable(v: &Value) -> bool {
    let kind = v["kind"].as_str().unwrap_or("");
    PRUNE_KINDS.iter().any(|(_, _, k)| *k == kind)
}

/// The label selector istioctl's prune uses for this CR, without the version (so objects an
/// older istioctl stamped are found too).
pub fn prune_selector(owner: &Owner) -> String {
    let mut s = format!(
        "{LABEL_MANAGED}=Reconcile,{LABEL_REV}={},{LABEL_COMPONENT}",
        owner.revision
    );
    if let Some(n) = &owner.name {
        s.push_str(&format!(",{LABEL_OWNER}={n}"));
    }
    if let Some(ns) = &owner.namespace {
        s.push_str(&format!(",{LABEL_OWNER_NS}={ns}"));
    }
    s
}

pub fn selected_for_prune(v: &Value, owner: &Owner) -> bool {
    let labels = &v["metadata"]["labels"];
    let is = |k: &str, want: &str| labels[k].as_str() == Some(want);
    is(LABEL_MANAGED, "Reconcile")
        && is(LABEL_REV, &owner.revision)
        && labels.get(LABEL_COMPONENT).is_some()
        && owner.name.as_deref().is_none_or(|n| is(LABEL_OWNER, n))
        && owner
            .namespace
            .as_deref()
            .is_none_or(|ns| is(LABEL_OWNER_NS, ns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::manifest::identity;
    use serde_json::json;

    fn owner() -> Owner {
        Owner {
            name: Some("control-plane".into()),
            namespace: Some("istio-system".into()),
            revision: "default".into(),
        }
    }

    fn rendered(obj: Value) -> Rendered {
        let id = identity(&obj, "istio-system").unwrap();
        Rendered {
            id,
            api_version: obj["apiVersion"].as_str().unwrap().to_string(),
            obj,
        }
    }

    #[test]
    fn stamping_adds_the_installer_labels() {
        let mut r = rendered(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system",
                "labels": {"install.operator.istio.io/owning-resource": "unknown",
                           "operator.istio.io/component": "Pilot"}}}));
        stamp(&mut r, &owner());
        assert_eq!(
            r.obj["metadata"]["labels"],
            json!({
                "install.operator.istio.io/owning-resource": "control-plane",
                "install.operator.istio.io/owning-resource-namespace": "istio-system",
                "operator.istio.io/managed": "Reconcile",
                "operator.istio.io/component": "Pilot",
                "istio.io/rev": "default"
            })
        );
    }

    #[test]
    fn ownership_by_labels() {
        let o = owner();
        let live = |labels: Value| json!({"metadata": {"labels": labels}});
        assert_eq!(ownership(&live(json!({})), &o), Ownership::Unmanaged);
        assert_eq!(
            ownership(
                &live(json!({"install.operator.istio.io/owning-resource": "unknown"})),
                &o
            ),
            Ownership::Unmanaged
        );
        assert_eq!(
            ownership(
                &live(json!({"operator.istio.io/managed": "Reconcile",
                "install.operator.istio.io/owning-resource": "control-plane"})),
                &o
            ),
            Ownership::Ours
        );
        assert_eq!(
            ownership(
                &live(json!({"operator.istio.io/managed": "Reconcile",
                "install.operator.istio.io/owning-resource": "gateways",
                "install.operator.istio.io/owning-resource-namespace": "istio-ingress"})),
                &o
            ),
            Ownership::Foreign("istio-ingress/gateways".into())
        );
    }

    #[test]
    fn prune_selector_has_no_version() {
        assert_eq!(
            prune_selector(&owner()),
            "operator.istio.io/managed=Reconcile,istio.io/rev=default,operator.istio.io/component,install.operator.istio.io/owning-resource=control-plane,install.operator.istio.io/owning-resource-namespace=istio-system"
        );
    }
}
