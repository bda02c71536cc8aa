//! The resource types the fake serves.

/// One served resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// Custom resource (unstructured: sorted keys, items carry kind/apiVersion, no strategic merge).
    pub crd: bool,
    /// Whether `metadata.generation` is maintained (bumped on spec changes).
    pub generation: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
    /// `pods`, `deployments.apps`, `istiooperators.install.istio.io` (used in messages).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const fn rt(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    crd: bool,
    generation: bool,
) -> ResourceType {
    ResourceType {
        group,
        version,
        plural,
        kind,
        namespaced,
        crd,
        generation,
    }
}

pub const ISTIOOPERATORS: usize = 10;
/// The Gateway API CRDs (`gateway.networking.k8s.io`), served when enabled.
pub const GATEWAYS: usize = 11;
pub const GATEWAYCLASSES: usize = 12;
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

/// All resource types; the IstioOperator CRD is only served when enabled.
pub static RESOURCES: &[ResourceType] = &[
    rt("", "v1", "namespaces", "Namespace", false, false, false),
    rt("", "v1", "pods", "Pod", true, false, false),
    rt("", "v1", "services", "Service", true, false, false),
    rt("", "v1", "configmaps", "ConfigMap", true, false, false),
    rt("apps", "v1", "deployments", "Deployment", true, false, true),
    rt("apps", "v1", "replicasets", "ReplicaSet", true, false, true),
    rt(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        true,
        false,
        true,
    ),
    rt("apps", "v1", "daemonsets", "DaemonSet", true, false, true),
    rt(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
        false,
        true,
    ),
    rt(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
        false,
        true,
    ),
    rt(
        "install.istio.io",
        "v1alpha1",
        "istiooperators",
        "IstioOperator",
        true,
        true,
        true,
    ),
    rt(
        GATEWAY_API_GROUP,
        "v1",
        "gateways",
        "Gateway",
        true,
        true,
        true,
    ),
    rt(
        GATEWAY_API_GROUP,
        "v1",
        "gatewayclasses",
        "GatewayClass",
        false,
        true,
        true,
    ),
    // Last, so the indexes above stay put. Served for `diff` and `fix drift`, which GET and
    // apply rendered Secrets (the plugin's other commands never ask for them).
    rt("", "v1", "secrets", "Secret", true, false, false),
];

pub fn by_kind(api_version: &str, kind: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .position(|r| r.kind == kind && (api_version.is_empty() || r.api_version() == api_version))
}

pub fn by_list_kind(kind: &str) -> Option<usize> {
    let k = kind.strip_suffix("List")?;
    RESOURCES.iter().position(|r| r.kind == k)
}
