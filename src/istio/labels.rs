//! Every Istio label, annotation and field-manager name the tool reads or writes, in one place,
//! so a check, the diff's stamping and a fix can never spell one differently.

/// The revision a namespace, pod or webhook belongs to (label), or a pod was injected by
/// (annotation, written by injection templates since 1.18).
pub const LABEL_REV: &str = "istio.io/rev";
/// A revision tag's name, on the tag's MutatingWebhookConfiguration.
pub const LABEL_TAG: &str = "istio.io/tag";
/// The pre-revision namespace switch: `enabled` selects the default revision, `disabled` opts
/// out.
pub const LABEL_INJECTION: &str = "istio-injection";
/// The revision every unlabelled object belongs to.
pub const DEFAULT_REVISION: &str = "default";

pub const ANNOTATION_REV: &str = LABEL_REV;
/// Present once a pod went through the injector; its `revision` field since 1.11.
pub const ANNOTATION_STATUS: &str = "sidecar.istio.io/status";
/// The injection templates used (`gateway` for injection-based gateways).
pub const ANNOTATION_TEMPLATES: &str = "inject.istio.io/templates";
/// The per-pod injection switch (label and annotation share the name).
pub const ANNOTATION_INJECT: &str = "sidecar.istio.io/inject";
/// This tool's own annotation: finding codes (globs, comma-separated) not to report on the
/// object that carries it, e.g. `istio-rev.io/ignore: IR102,IR2*`.
pub const ANNOTATION_IGNORE: &str = "istio-rev.io/ignore";
/// The application's version, never a proxy's revision.
pub const LABEL_CANONICAL_REVISION: &str = "service.istio.io/canonical-revision";

/// The sidecar proxy's container name.
pub const PROXY_CONTAINER: &str = "istio-proxy";

// The owner labels istioctl stamps at apply time (`getOwnerLabels`) and prunes by.
pub const LABEL_OWNER: &str = "install.operator.istio.io/owning-resource";
pub const LABEL_OWNER_NS: &str = "install.operator.istio.io/owning-resource-namespace";
pub const LABEL_NOT_PRUNED: &str = "install.operator.istio.io/owning-resource-not-pruned";
pub const LABEL_MANAGED: &str = "operator.istio.io/managed";
pub const LABEL_COMPONENT: &str = "operator.istio.io/component";
pub const LABEL_VERSION: &str = "operator.istio.io/version";
/// The name prefix of the IstioOperator record `istioctl install` saves (nothing reconciles it).
pub const INSTALLED_STATE_PREFIX: &str = "installed-state";
/// The field manager istioctl applies as.
pub const FIELD_MANAGER: &str = "istio-operator";

/// The IstioOperator API group prefix (`install.istio.io/v1alpha1`).
pub const IOP_API_PREFIX: &str = "install.istio.io/";

// What Helm stamps at install and upgrade time (`setMetadataVisitor`): the release that owns an
// object. `app.kubernetes.io/managed-by: Helm` is rendered by Istio's charts themselves, so
// istioctl installs carry it too: it narrows a list, it never names an owner.
pub const ANNOTATION_HELM_RELEASE_NAME: &str = "meta.helm.sh/release-name";
pub const ANNOTATION_HELM_RELEASE_NAMESPACE: &str = "meta.helm.sh/release-namespace";
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The value Helm hard-codes for `.Release.Service`.
pub const MANAGED_BY_HELM: &str = "Helm";
/// The chart and version that rendered an object (`<chart>-<version>`).
pub const LABEL_HELM_CHART: &str = "helm.sh/chart";
/// The field manager Helm 4 applies as (and Helm 3 creates and patches as).
pub const HELM_FIELD_MANAGER: &str = "helm";

/// Set by istiod on the objects it generates for a Gateway API Gateway (no chart renders them):
/// `istio.io-<controller>`; istiod overwrites only objects carrying it.
pub const LABEL_GATEWAY_MANAGED: &str = "gateway.istio.io/managed";

// Kubernetes Gateway API gateways istiod deploys itself, and ambient mode.
/// On every object istiod generates for a Gateway (copied to its pods).
pub const LABEL_GATEWAY_NAME: &str = "gateway.networking.k8s.io/gateway-name";
pub const LABEL_GATEWAY_CLASS_NAME: &str = "gateway.networking.k8s.io/gateway-class-name";
/// The built-in GatewayClasses and their controllers (`classinfo.go`).
pub const CLASS_ISTIO: &str = "istio";
pub const CLASS_WAYPOINT: &str = "istio-waypoint";
pub const CLASS_EAST_WEST: &str = "istio-east-west";
pub const CLASS_REMOTE: &str = "istio-remote";
pub const CONTROLLER_GATEWAY: &str = "istio.io/gateway-controller";
pub const CONTROLLER_MESH: &str = "istio.io/mesh-controller";
pub const CONTROLLER_EAST_WEST: &str = "istio.io/eastwest-controller";
pub const CONTROLLER_UNMANAGED: &str = "istio.io/unmanaged-gateway";
/// The base chart's validating webhook; its `istio.io/rev` is the default revision (1.28+).
pub const DEFAULT_VALIDATOR: &str = "istiod-default-validator";
/// The `default` revision tag's webhook.
pub const DEFAULT_TAG_WEBHOOK: &str = "istio-revision-tag-default";
/// A tag's istiod Service, `istiod-revision-tag-<tag>`.
pub const TAG_SERVICE_PREFIX: &str = "istiod-revision-tag-";
/// `ambient` enrols a namespace or pod in ambient mode; `none` on a pod opts it out.
pub const LABEL_DATAPLANE_MODE: &str = "istio.io/dataplane-mode";
/// Which waypoint a namespace, service or pod uses, and where it lives.
pub const LABEL_USE_WAYPOINT: &str = "istio.io/use-waypoint";
pub const LABEL_USE_WAYPOINT_NAMESPACE: &str = "istio.io/use-waypoint-namespace";
/// The ambient node agents: DaemonSet names the charts give them.
pub const ZTUNNEL: &str = "ztunnel";
pub const ISTIO_CNI: &str = "istio-cni-node";
/// The istio-cni agent's container.
pub const CNI_CONTAINER: &str = "install-cni";
