//! The slim objects an inventory holds: only the fields the checks read.
//!
//! They deserialize straight from `kubectl get -o json|yaml` output (and from API responses), so
//! a 100k-pod snapshot never exists as full typed objects: unknown fields are skipped while
//! parsing, and the few annotations and env vars that carry revisions are extracted on the way.

use crate::atom::Atom;
use crate::selector::{LabelSelector, Labels};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerReference {
    #[serde(default)]
    pub kind: Atom,
    #[serde(default)]
    pub name: Atom,
    #[serde(default)]
    pub uid: Atom,
    #[serde(default)]
    pub controller: Option<bool>,
}

/// Object metadata, without managedFields and with only the Istio annotations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<Atom>,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: IstioAnnotations,
    #[serde(default, deserialize_with = "nullable_exact")]
    pub owner_references: Vec<OwnerReference>,
}

impl Meta {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or_default()
    }
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or_default()
    }
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }
    /// The owner the garbage collector follows: the one marked `controller: true`.
    pub fn controller(&self) -> Option<&OwnerReference> {
        self.owner_references
            .iter()
            .find(|o| o.controller == Some(true))
            .or_else(|| self.owner_references.first())
    }
}

/// A JSON `null` where a map or list is expected means empty, as in the API server.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A list, as [`nullable`], without the spare room a growing `Vec` keeps: an inventory holds
/// one per object (owner references, containers, conditions), mostly of one or two entries.
fn nullable_exact<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut v: Vec<T> = nullable(d)?;
    v.shrink_to_fit();
    Ok(v)
}

use crate::istio::labels::{
    ANNOTATION_HELM_RELEASE_NAME, ANNOTATION_HELM_RELEASE_NAMESPACE, ANNOTATION_IGNORE,
    ANNOTATION_INJECT, ANNOTATION_REV, ANNOTATION_STATUS, ANNOTATION_TEMPLATES,
};

/// The annotations that say which revision injected a pod and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IstioAnnotations {
    /// `istio.io/rev` (written by injection templates since 1.18).
    pub rev: Option<Atom>,
    /// `sidecar.istio.io/status` is present: the pod went through the injector.
    pub injected: bool,
    /// The `revision` field of `sidecar.istio.io/status` (1.11+).
    pub status_revision: Option<Atom>,
    /// Boxed, and only when one of them is set: every pod and workload holds these annotations,
    /// few carry any of the rare ones.
    pub rare: Option<Box<RareAnnotations>>,
}

/// The annotations only some objects carry: gateways, opt-outs, suppressions, Helm releases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RareAnnotations {
    /// `inject.istio.io/templates`, e.g. `gateway`.
    pub templates: Option<Atom>,
    /// `sidecar.istio.io/inject` as an annotation (the older, pre-label form).
    pub inject: Option<Atom>,
    /// `istio-rev.io/ignore`: finding codes not to report on this object.
    pub ignore: Option<Atom>,
    /// `meta.helm.sh/release-name`: the Helm release that installed the object.
    pub helm_release: Option<Atom>,
    /// `meta.helm.sh/release-namespace`.
    pub helm_release_namespace: Option<Atom>,
}

static NO_RARE_ANNOTATIONS: RareAnnotations = RareAnnotations {
    templates: None,
    inject: None,
    ignore: None,
    helm_release: None,
    helm_release_namespace: None,
};

impl<'de> Deserialize<'de> for IstioAnnotations {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IstioAnnotations;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of annotations")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IstioAnnotations::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(IstioAnnotations::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = IstioAnnotations::default();
                while let Some(key) = map.next_key::<AnnotationKey>()? {
                    match key {
                        AnnotationKey::Rev => out.rev = Some(map.next_value()?),
                        AnnotationKey::Status => {
                            let raw: String = map.next_value()?;
                            out.set_status(&raw);
                        }
                        AnnotationKey::Templates => {
                            out.rare_mut().templates = Some(map.next_value()?)
                        }
                        AnnotationKey::Inject => out.rare_mut().inject = Some(map.next_value()?),
                        AnnotationKey::Ignore => out.rare_mut().ignore = Some(map.next_value()?),
                        AnnotationKey::HelmRelease => {
                            out.rare_mut().helm_release = Some(map.next_value()?)
                        }
                        AnnotationKey::HelmReleaseNamespace => {
                            out.rare_mut().helm_release_namespace = Some(map.next_value()?)
                        }
                        AnnotationKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

impl IstioAnnotations {
    pub fn rare(&self) -> &RareAnnotations {
        self.rare.as_deref().unwrap_or(&NO_RARE_ANNOTATIONS)
    }

    /// For setting one of the rare annotations: only then is their box made.
    pub fn rare_mut(&mut self) -> &mut RareAnnotations {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Records a `sidecar.istio.io/status` value.
    pub fn set_status(&mut self, raw: &str) {
        self.injected = true;
        self.status_revision = status_revision(raw);
    }

    /// From a full annotation map, as the API returns it.
    pub fn from_map(map: &std::collections::BTreeMap<String, String>) -> Self {
        let status = map.get(ANNOTATION_STATUS);
        let rare = RareAnnotations {
            templates: map.get(ANNOTATION_TEMPLATES).map(Atom::from),
            inject: map.get(ANNOTATION_INJECT).map(Atom::from),
            ignore: map.get(ANNOTATION_IGNORE).map(Atom::from),
            helm_release: map.get(ANNOTATION_HELM_RELEASE_NAME).map(Atom::from),
            helm_release_namespace: map.get(ANNOTATION_HELM_RELEASE_NAMESPACE).map(Atom::from),
        };
        IstioAnnotations {
            rev: map.get(ANNOTATION_REV).map(Atom::from),
            injected: status.is_some(),
            status_revision: status.and_then(|s| status_revision(s)),
            rare: (rare != NO_RARE_ANNOTATIONS).then(|| Box::new(rare)),
        }
    }
}

/// The `revision` in a `sidecar.istio.io/status` JSON value. Injectors before 1.11 do not write
/// one, and a malformed value must not fail the whole snapshot: it just carries no revision.
fn status_revision(raw: &str) -> Option<Atom> {
    #[derive(Deserialize)]
    struct Status {
        #[serde(default)]
        revision: Option<Atom>,
    }
    serde_json::from_str::<Status>(raw)
        .ok()
        .and_then(|s| s.revision)
        .filter(|r| !r.is_empty())
}

/// Reads a string and keeps only which of a few known values it is: the many keys and values a
/// pod carries that no check reads are compared where they lie, never copied.
macro_rules! string_match {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:pat),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq)]
        enum $name {
            $($variant,)*
            Other,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok(match v {
                            $($text => $name::$variant,)*
                            _ => $name::Other,
                        })
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

string_match!(
    /// An annotation key.
    AnnotationKey {
        Rev = ANNOTATION_REV,
        Status = ANNOTATION_STATUS,
        Templates = ANNOTATION_TEMPLATES,
        Inject = ANNOTATION_INJECT,
        Ignore = ANNOTATION_IGNORE,
        HelmRelease = ANNOTATION_HELM_RELEASE_NAME,
        HelmReleaseNamespace = ANNOTATION_HELM_RELEASE_NAMESPACE,
    }
);

string_match!(
    /// One of a container's first two args.
    Arg {
        Proxy = "proxy",
        Sidecar = "sidecar",
        Router = "router",
        Waypoint = "waypoint",
        Ztunnel = "ztunnel",
    }
);

string_match!(
    /// An env var's name.
    EnvName {
        CaAddr = "CA_ADDR",
        ProxyConfig = "PROXY_CONFIG",
        CaAddress = "CA_ADDRESS",
        XdsAddress = "XDS_ADDRESS",
    }
);

string_match!(
    /// A field of an env var.
    EnvField {
        Name = "name",
        Value = "value",
    }
);

/// What an `istio-proxy` container is running as, from its first two args.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyRole {
    Sidecar,
    Router,
    /// `proxy waypoint`: an ambient waypoint (or east-west gateway) istiod deployed.
    Waypoint,
    /// `proxy ztunnel`: the ambient node proxy.
    Ztunnel,
}

impl ProxyRole {
    pub fn from_args(first: Option<&str>, second: Option<&str>) -> Option<Self> {
        match (first?, second?) {
            ("proxy", "router") => Some(ProxyRole::Router),
            ("proxy", "sidecar") => Some(ProxyRole::Sidecar),
            ("proxy", "waypoint") => Some(ProxyRole::Waypoint),
            ("proxy", "ztunnel") => Some(ProxyRole::Ztunnel),
            _ => None,
        }
    }

    pub fn second_arg(self) -> &'static str {
        match self {
            ProxyRole::Sidecar => "sidecar",
            ProxyRole::Router => "router",
            ProxyRole::Waypoint => "waypoint",
            ProxyRole::Ztunnel => "ztunnel",
        }
    }
}

/// A container, reduced to what identifies an Istio proxy and the control plane it talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    #[serde(default)]
    pub name: Atom,
    #[serde(default)]
    pub image: Option<Atom>,
    #[serde(default, deserialize_with = "proxy_role")]
    pub args: Option<ProxyRole>,
    #[serde(default)]
    pub env: ProxyEnv,
}

fn proxy_role<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ProxyRole>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<ProxyRole>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of args")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let first = seq.next_element::<Arg>()?;
            let second = match first {
                Some(_) => seq.next_element::<Arg>()?,
                None => None,
            };
            if second.is_some() {
                while seq.next_element::<Arg>()?.is_some() {}
            }
            Ok(match (first, second) {
                (Some(Arg::Proxy), Some(Arg::Router)) => Some(ProxyRole::Router),
                (Some(Arg::Proxy), Some(Arg::Sidecar)) => Some(ProxyRole::Sidecar),
                (Some(Arg::Proxy), Some(Arg::Waypoint)) => Some(ProxyRole::Waypoint),
                (Some(Arg::Proxy), Some(Arg::Ztunnel)) => Some(ProxyRole::Ztunnel),
                _ => None,
            })
        }
    }
    d.deserialize_option(V)
}

/// The two env vars that name the istiod a proxy was configured for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// `CA_ADDR`, e.g. `istiod-1-8-0.istio-system.svc:15012`.
    pub ca_addr: Option<Atom>,
    /// `discoveryAddress` inside `PROXY_CONFIG`.
    pub discovery_address: Option<Atom>,
    /// ztunnel's addresses, boxed: only a ztunnel container has them, and every pod's proxy
    /// carries this struct.
    pub ztunnel: Option<Box<ZtunnelAddresses>>,
}

/// ztunnel's `CA_ADDRESS` and `XDS_ADDRESS` (it does not read `CA_ADDR`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZtunnelAddresses {
    pub ca_address: Option<Atom>,
    pub xds_address: Option<Atom>,
}

impl ProxyEnv {
    pub fn ca_address(&self) -> Option<&str> {
        self.ztunnel.as_ref()?.ca_address.as_deref()
    }
    pub fn xds_address(&self) -> Option<&str> {
        self.ztunnel.as_ref()?.xds_address.as_deref()
    }
    pub fn set_ztunnel(&mut self, ca_address: Option<Atom>, xds_address: Option<Atom>) {
        if ca_address.is_some() || xds_address.is_some() {
            self.ztunnel = Some(Box::new(ZtunnelAddresses {
                ca_address,
                xds_address,
            }));
        }
    }
}

impl<'de> Deserialize<'de> for ProxyEnv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// An env var; the value is kept only for the names read (kubectl and the API server
        /// print `name` before `value`).
        struct EnvVar {
            name: EnvName,
            value: Option<String>,
        }
        impl<'de> Deserialize<'de> for EnvVar {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = EnvVar;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("an env var")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvVar, A::Error> {
                        let mut name = None;
                        let mut value = None;
                        while let Some(key) = map.next_key::<EnvField>()? {
                            match key {
                                EnvField::Name => name = Some(map.next_value::<EnvName>()?),
                                EnvField::Value if name != Some(EnvName::Other) => {
                                    value = map.next_value::<Option<String>>()?
                                }
                                _ => {
                                    map.next_value::<IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(EnvVar {
                            name: name.unwrap_or(EnvName::Other),
                            value,
                        })
                    }
                }
                d.deserialize_map(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProxyEnv;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of env vars")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ProxyEnv, E> {
                Ok(ProxyEnv::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<ProxyEnv, E> {
                Ok(ProxyEnv::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ProxyEnv, A::Error> {
                let mut out = ProxyEnv::default();
                while let Some(var) = seq.next_element::<EnvVar>()? {
                    match var.name {
                        EnvName::CaAddr => out.ca_addr = var.value.map(Atom::from),
                        EnvName::ProxyConfig => {
                            out.discovery_address = var.value.as_deref().and_then(discovery_address)
                        }
                        EnvName::CaAddress => {
                            let xds = out.xds_address().map(Atom::from);
                            out.set_ztunnel(var.value.map(Atom::from), xds)
                        }
                        EnvName::XdsAddress => {
                            let ca = out.ca_address().map(Atom::from);
                            out.set_ztunnel(ca, var.value.map(Atom::from))
                        }
                        EnvName::Other => {}
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

pub fn discovery_address(proxy_config: &str) -> Option<Atom> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct ProxyConfig {
        #[serde(default)]
        discovery_address: Option<Atom>,
    }
    serde_json::from_str::<ProxyConfig>(proxy_config)
        .ok()
        .and_then(|c| c.discovery_address)
}

use crate::istio::labels::PROXY_CONTAINER;

/// The containers of a pod, of which only the proxy is kept: one slot, and where it sat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSpec {
    /// The `istio-proxy` container: from `containers`, else from `initContainers`.
    pub proxy: Option<Container>,
    /// The proxy is an init container: a native sidecar (Istio 1.19+ with
    /// `ENABLE_NATIVE_SIDECARS`).
    pub native_sidecar: bool,
}

impl PodSpec {
    pub fn proxy(&self) -> Option<&Container> {
        self.proxy.as_ref()
    }

    /// A pod's proxy as found in its `containers` and `initContainers`.
    pub fn from_containers(
        containers: Option<Container>,
        init_containers: Option<Container>,
    ) -> Self {
        match (containers, init_containers) {
            (Some(proxy), _) => PodSpec {
                proxy: Some(proxy),
                native_sidecar: false,
            },
            (None, proxy) => PodSpec {
                native_sidecar: proxy.is_some(),
                proxy,
            },
        }
    }
}

impl<'de> Deserialize<'de> for PodSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Lists {
            #[serde(default, deserialize_with = "only_proxy")]
            containers: Option<Container>,
            #[serde(default, deserialize_with = "only_proxy")]
            init_containers: Option<Container>,
        }
        let lists = Lists::deserialize(d)?;
        Ok(PodSpec::from_containers(
            lists.containers,
            lists.init_containers,
        ))
    }
}

fn only_proxy<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Container>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Container>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of containers")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_seq(V)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut proxy = None;
            while let Some(c) = seq.next_element::<Container>()? {
                if proxy.is_none() && c.name == PROXY_CONTAINER {
                    proxy = Some(c);
                }
            }
            Ok(proxy)
        }
    }
    d.deserialize_option(V)
}

/// Pod-template containers kept for the control plane's version: the `discovery` container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSpec {
    #[serde(default, deserialize_with = "nullable_exact")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable_exact")]
    pub init_containers: Vec<Container>,
}

impl TemplateSpec {
    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers
            .iter()
            .chain(self.init_containers.iter())
            .find(|c| c.name == name)
    }
}

/// A pod template's metadata: a template has no name, uid or owners of its own, and every
/// workload holds one, so it keeps only what its pods inherit that the checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TemplateMeta {
    #[serde(default, deserialize_with = "nullable")]
    pub labels: Labels,
    #[serde(default)]
    pub annotations: IstioAnnotations,
}

impl TemplateMeta {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PodTemplate {
    #[serde(default)]
    pub metadata: TemplateMeta,
    #[serde(default)]
    pub spec: TemplateSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    #[serde(default)]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub selector: Option<LabelSelector>,
    #[serde(default)]
    pub template: PodTemplate,
    /// A paused Deployment does not roll out template changes.
    #[serde(default)]
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Condition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadStatus {
    #[serde(default)]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub ready_replicas: Option<i32>,
    #[serde(default)]
    pub available_replicas: Option<i32>,
    #[serde(default)]
    pub updated_replicas: Option<i32>,
    /// DaemonSets count differently.
    #[serde(default)]
    pub number_ready: Option<i32>,
    #[serde(default)]
    pub desired_number_scheduled: Option<i32>,
    #[serde(default, deserialize_with = "nullable_exact")]
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
}

impl WorkloadKind {
    pub fn from_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub meta: Meta,
    pub spec: WorkloadSpec,
    pub status: WorkloadStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PodStatus {
    #[serde(default)]
    pub phase: Option<Atom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub meta: Meta,
    pub spec: PodSpec,
    pub status: PodStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub meta: Meta,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ServiceReference {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    /// The URL path the API server calls (`/inject` for Istio's injectors).
    #[serde(default)]
    pub path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ClientConfig {
    #[serde(default)]
    pub service: Option<ServiceReference>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub client_config: ClientConfig,
    #[serde(default)]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default)]
    pub object_selector: Option<LabelSelector>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutatingWebhookConfiguration {
    pub meta: Meta,
    pub webhooks: Vec<Webhook>,
}

/// IstioOperator CRs are few and `check-overlap` needs their whole spec, so it is kept as is.
#[derive(Debug, Clone, PartialEq)]
pub struct IstioOperator {
    pub meta: Meta,
    pub spec: serde_json::Value,
}
