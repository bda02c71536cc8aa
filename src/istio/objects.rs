//! Object identities, and the objects a component creates, predicted from the chart templates'
//! names (without a rendered manifest).

use super::iop::{Component, ComponentKind};
use super::profiles::ProfileSet;
use serde::Serialize;
use std::fmt;

/// An object's identity: group, kind, namespace (empty when cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjId {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjId {
    pub fn new(group: &str, kind: &str, namespace: &str, name: &str) -> ObjId {
        let namespace = if is_cluster_scoped(kind) {
            ""
        } else {
            namespace
        };
        ObjId {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn object_ref(&self) -> crate::finding::ObjectRef {
        crate::finding::ObjectRef::new(&self.kind, &self.namespace, &self.name)
    }
}

impl fmt::Display for ObjId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The cluster-scoped kinds Istio's charts render.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "CustomResourceDefinition"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "Namespace"
            | "PriorityClass"
            | "GatewayClass"
    )
}

const APPS: &str = "apps";
const CORE: &str = "";
const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// The objects a component instance creates, by the chart templates' naming rules: the ones
/// that identify it (Deployments, Services, webhooks, the shared RBAC), not every object.
pub fn predicted(set: ProfileSet, c: &Component, revision: Option<&str>) -> Vec<ObjId> {
    let ns = c.namespace.as_str();
    let rev = |base: &str| match revision {
        Some(r) => format!("{base}-{r}"),
        None => base.to_string(),
    };
    // The injector webhook takes the namespace as a suffix outside istio-system.
    let injector = {
        let n = rev("istio-sidecar-injector");
        if ns == "istio-system" {
            n
        } else {
            format!("{n}-{ns}")
        }
    };
    match c.component {
        ComponentKind::Base => match set {
            ProfileSet::V1_8 => vec![
                ObjId::new(
                    "apiextensions.k8s.io",
                    "CustomResourceDefinition",
                    "",
                    "*.istio.io",
                ),
                ObjId::new(CORE, "ServiceAccount", ns, "istiod-service-account"),
                ObjId::new(CORE, "ServiceAccount", ns, "istio-reader-service-account"),
                ObjId::new(RBAC, "ClusterRole", "", &format!("istiod-{ns}")),
                ObjId::new(RBAC, "ClusterRole", "", &format!("istio-reader-{ns}")),
                ObjId::new(RBAC, "ClusterRoleBinding", "", &format!("istiod-{ns}")),
                ObjId::new(
                    RBAC,
                    "ClusterRoleBinding",
                    "",
                    &format!("istio-reader-{ns}"),
                ),
                ObjId::new(RBAC, "Role", ns, &format!("istiod-{ns}")),
                ObjId::new(RBAC, "RoleBinding", ns, &format!("istiod-{ns}")),
                ObjId::new(
                    ADMISSION,
                    "ValidatingWebhookConfiguration",
                    "",
                    &format!("istiod-{ns}"),
                ),
            ],
            ProfileSet::Latest => vec![
                ObjId::new(
                    "apiextensions.k8s.io",
                    "CustomResourceDefinition",
                    "",
                    "*.istio.io",
                ),
                ObjId::new(CORE, "ServiceAccount", ns, "istio-reader-service-account"),
                ObjId::new(
                    ADMISSION,
                    "ValidatingWebhookConfiguration",
                    "",
                    "istiod-default-validator",
                ),
            ],
        },
        ComponentKind::Pilot => {
            let mut v = vec![
                ObjId::new(APPS, "Deployment", ns, &rev("istiod")),
                ObjId::new(CORE, "Service", ns, &rev("istiod")),
                ObjId::new(CORE, "ConfigMap", ns, &rev("istio")),
                ObjId::new(CORE, "ConfigMap", ns, &rev("istio-sidecar-injector")),
                ObjId::new(ADMISSION, "MutatingWebhookConfiguration", "", &injector),
            ];
            if set == ProfileSet::Latest {
                v.push(ObjId::new(CORE, "ServiceAccount", ns, &rev("istiod")));
                v.push(ObjId::new(
                    RBAC,
                    "ClusterRole",
                    "",
                    &format!("{}-{ns}", rev("istiod-clusterrole")),
                ));
                v.push(ObjId::new(
                    ADMISSION,
                    "ValidatingWebhookConfiguration",
                    "",
                    &format!("{}-{ns}", rev("istio-validator")),
                ));
            }
            v
        }
        ComponentKind::IstiodRemote => vec![
            ObjId::new(CORE, "Service", ns, &rev("istiod")),
            ObjId::new(ADMISSION, "MutatingWebhookConfiguration", "", &injector),
        ],
        ComponentKind::Cni => vec![
            ObjId::new(APPS, "DaemonSet", ns, "istio-cni-node"),
            ObjId::new(RBAC, "ClusterRole", "", "istio-cni"),
        ],
        ComponentKind::Ztunnel => vec![
            ObjId::new(APPS, "DaemonSet", ns, "ztunnel"),
            ObjId::new(CORE, "ServiceAccount", ns, "ztunnel"),
        ],
        ComponentKind::IngressGateway | ComponentKind::EgressGateway => vec![
            ObjId::new(APPS, "Deployment", ns, &c.name),
            ObjId::new(CORE, "Service", ns, &c.name),
            ObjId::new(
                CORE,
                "ServiceAccount",
                ns,
                &format!("{}-service-account", c.name),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::iop::ComponentKind;

    #[test]
    fn predicted_pilot_names_are_revisioned() {
        let c = Component {
            component: ComponentKind::Pilot,
            name: "istiod-1-8-1".into(),
            namespace: "istio-system".into(),
            enabled: true,
        };
        let ids: Vec<String> = predicted(ProfileSet::V1_8, &c, Some("1-8-1"))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(ids.contains(&"Deployment/istio-system/istiod-1-8-1".to_string()));
        assert!(ids.contains(&"ConfigMap/istio-system/istio-1-8-1".to_string()));
        assert!(
            ids.contains(&"MutatingWebhookConfiguration/istio-sidecar-injector-1-8-1".to_string())
        );
    }
}
