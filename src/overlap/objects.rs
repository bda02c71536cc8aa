//! The objects a component creates: predicted from the chart templates' names, or read exactly
//! from a rendered manifest (`istioctl manifest generate`).

use super::iop::{Component, ComponentKind};
use super::profiles::ProfileSet;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

/// Whether a rendered object belongs to the base chart: by its component label when the
/// charts stamp one, else CRDs and the shared objects base creates (by name).
pub fn is_base_object(set: ProfileSet, o: &RenderedObject) -> bool {
    if let Some(c) = o.labels.get("operator.istio.io/component") {
        return c == "Base";
    }
    let id = &o.id;
    if id.kind == "CustomResourceDefinition" {
        return true;
    }
    match set {
        ProfileSet::V1_8 => {
            let ns = o.namespace_hint.as_str();
            let shared = [
                format!("istiod-{ns}"),
                format!("istio-reader-{ns}"),
                "istiod-service-account".to_string(),
                "istio-reader-service-account".to_string(),
            ];
            // Base objects in 1.8 carry no `istio.io/rev` label; pilot's do.
            shared.contains(&id.name) && !o.labels.contains_key("istio.io/rev")
        }
        ProfileSet::Latest => {
            matches!(
                id.name.as_str(),
                "istio-reader-service-account" | "istiod-default-validator"
            )
        }
    }
}

/// One object of a rendered manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedObject {
    pub id: ObjId,
    pub labels: BTreeMap<String, String>,
    /// The namespace cluster-scoped objects are named after (the install namespace).
    pub namespace_hint: String,
}

#[derive(Deserialize)]
struct Thin {
    #[serde(default, rename = "apiVersion")]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: ThinMeta,
}

#[derive(Deserialize, Default)]
struct ThinMeta {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Reads the output of `istioctl manifest generate`. `default_ns` fills namespaced objects that
/// name none (istioctl applies them to the install namespace).
pub fn read_manifest(
    name: &str,
    text: &str,
    default_ns: &str,
) -> Result<Vec<RenderedObject>, Error> {
    let options = serde_saphyr::options! { budget: None };
    let docs: Vec<Option<Thin>> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
            Error::parse(
                name,
                None,
                e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                }),
            )
        })?;
    let mut out = Vec::new();
    for (i, doc) in docs.into_iter().flatten().enumerate() {
        if doc.kind.is_empty() || doc.metadata.name.is_empty() {
            return Err(Error::parse(
                name,
                Some(i + 1),
                "not a Kubernetes object (no kind or metadata.name)",
            ));
        }
        if doc.kind == "IstioOperator" {
            return Err(Error::parse(
                name,
                Some(i + 1),
                "an IstioOperator: pass the CR with -f and its rendered output with --manifest",
            ));
        }
        let group = doc
            .api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or(CORE);
        let ns = if doc.metadata.namespace.is_empty() {
            default_ns
        } else {
            doc.metadata.namespace.as_str()
        };
        out.push(RenderedObject {
            id: ObjId::new(group, &doc.kind, ns, &doc.metadata.name),
            labels: doc.metadata.labels.unwrap_or_default(),
            namespace_hint: ns.to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_manifest_identities() {
        let text = "# comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: istiod\n  namespace: istio-system\n---\n---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-sidecar-injector\n  namespace: ignored\n  labels:\n    istio.io/rev: default\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: istiod\n";
        let objs = read_manifest("m.yaml", text, "istio-system").unwrap();
        let ids: Vec<String> = objs.iter().map(|o| o.id.to_string()).collect();
        assert_eq!(
            ids,
            [
                "Deployment/istio-system/istiod",
                "MutatingWebhookConfiguration/istio-sidecar-injector",
                "Service/istio-system/istiod"
            ]
        );
        assert_eq!(objs[1].id.group, "admissionregistration.k8s.io");
        assert_eq!(objs[2].id.group, "");
    }

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
