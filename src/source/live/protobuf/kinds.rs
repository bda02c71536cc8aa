//! The built-in kinds' protobuf messages, declared with only the fields the slim inventory types
//! read (field numbers of k8s.io/api's and apimachinery's `generated.proto`). prost skips every
//! other field by its length without building it: managedFields, the annotations' values no
//! check reads stay slices of the body, a pod template's ports, probes, volumes and resources
//! are never decoded.
//!
//! Each message says what its JSON would be ([`Value`]); the slim type reads that with the
//! same `Deserialize` it reads JSON with.

use super::value::{Value, entries, nonzero, seq, text};
use super::{DecodeError, utf8};
use bytes::Bytes;
use prost::Message;

type Fields<'a> = Result<Value<'a>, DecodeError>;

#[derive(Clone, PartialEq, Message)]
pub(super) struct ListMeta {
    #[prost(bytes = "bytes", tag = "3")]
    pub continue_: Bytes,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct ObjectMeta {
    #[prost(bytes = "bytes", tag = "1")]
    name: Bytes,
    #[prost(bytes = "bytes", tag = "3")]
    namespace: Bytes,
    #[prost(bytes = "bytes", tag = "5")]
    uid: Bytes,
    /// Map entries on the wire; read as pairs so no map of all of them is built.
    #[prost(message, repeated, tag = "11")]
    labels: Vec<Entry>,
    #[prost(message, repeated, tag = "12")]
    annotations: Vec<Entry>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<OwnerRef>,
}

#[derive(Clone, PartialEq, Message)]
struct Entry {
    #[prost(bytes = "bytes", tag = "1")]
    key: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    value: Bytes,
}

#[derive(Clone, PartialEq, Message)]
struct OwnerRef {
    #[prost(bytes = "bytes", tag = "1")]
    kind: Bytes,
    #[prost(bytes = "bytes", tag = "3")]
    name: Bytes,
    #[prost(bytes = "bytes", tag = "4")]
    uid: Bytes,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
}

fn pairs(entries: &[Entry]) -> Result<Vec<(&str, Value<'_>)>, DecodeError> {
    entries
        .iter()
        .map(|e| Ok((utf8(&e.key)?, Value::Str(utf8(&e.value)?))))
        .collect()
}

/// Annotations as [`pairs`], their values checked as UTF-8 only if read.
fn annotation_pairs(entries: &[Entry]) -> Result<Vec<(&str, Value<'_>)>, DecodeError> {
    entries
        .iter()
        .map(|e| Ok((utf8(&e.key)?, Value::Text(&e.value))))
        .collect()
}

impl ObjectMeta {
    pub(super) fn value(&self) -> Fields<'_> {
        let owners = self
            .owner_references
            .iter()
            .map(|o| {
                Ok(Value::map([
                    ("kind", Some(Value::Str(utf8(&o.kind)?))),
                    ("name", Some(Value::Str(utf8(&o.name)?))),
                    ("uid", Some(Value::Str(utf8(&o.uid)?))),
                    ("controller", o.controller.map(Value::Bool)),
                ]))
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Value::map([
            ("name", text(utf8(&self.name)?)),
            ("namespace", text(utf8(&self.namespace)?)),
            ("uid", text(utf8(&self.uid)?)),
            ("labels", entries(pairs(&self.labels)?)),
            ("annotations", entries(annotation_pairs(&self.annotations)?)),
            ("ownerReferences", seq(owners)),
        ]))
    }
}

fn meta(m: &Option<ObjectMeta>) -> Result<Option<Value<'_>>, DecodeError> {
    m.as_ref().map(ObjectMeta::value).transpose()
}

#[derive(Clone, PartialEq, Message)]
struct LabelSelector {
    #[prost(message, repeated, tag = "1")]
    match_labels: Vec<Entry>,
    #[prost(message, repeated, tag = "2")]
    match_expressions: Vec<Requirement>,
}

#[derive(Clone, PartialEq, Message)]
struct Requirement {
    #[prost(bytes = "bytes", tag = "1")]
    key: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    operator: Bytes,
    #[prost(bytes = "bytes", repeated, tag = "3")]
    values: Vec<Bytes>,
}

fn strings(items: &[Bytes]) -> Result<Vec<Value<'_>>, DecodeError> {
    items.iter().map(|s| Ok(Value::Str(utf8(s)?))).collect()
}

/// A `*LabelSelector`: present or not.
fn selector(s: &Option<LabelSelector>) -> Result<Option<Value<'_>>, DecodeError> {
    let Some(s) = s else { return Ok(None) };
    let expressions = s
        .match_expressions
        .iter()
        .map(|r| {
            Ok(Value::map([
                ("key", Some(Value::Str(utf8(&r.key)?))),
                ("operator", Some(Value::Str(utf8(&r.operator)?))),
                ("values", seq(strings(&r.values)?)),
            ]))
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(Some(Value::map([
        ("matchLabels", entries(pairs(&s.match_labels)?)),
        ("matchExpressions", seq(expressions)),
    ])))
}

#[derive(Clone, PartialEq, Message)]
struct PodTemplateSpec {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, optional, tag = "2")]
    spec: Option<PodSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct PodSpec {
    #[prost(message, repeated, tag = "2")]
    containers: Vec<Container>,
    #[prost(message, repeated, tag = "20")]
    init_containers: Vec<Container>,
}

#[derive(Clone, PartialEq, Message)]
struct Container {
    #[prost(bytes = "bytes", tag = "1")]
    name: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    image: Bytes,
    #[prost(bytes = "bytes", repeated, tag = "4")]
    args: Vec<Bytes>,
    #[prost(message, repeated, tag = "7")]
    env: Vec<EnvVar>,
}

#[derive(Clone, PartialEq, Message)]
struct EnvVar {
    #[prost(bytes = "bytes", tag = "1")]
    name: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    value: Bytes,
}

fn containers(list: &[Container]) -> Result<Option<Value<'_>>, DecodeError> {
    let items = list
        .iter()
        .map(|c| {
            let env = c
                .env
                .iter()
                .map(|e| {
                    Ok(Value::map([
                        ("name", Some(Value::Str(utf8(&e.name)?))),
                        ("value", text(utf8(&e.value)?)),
                    ]))
                })
                .collect::<Result<_, DecodeError>>()?;
            Ok(Value::map([
                ("name", Some(Value::Str(utf8(&c.name)?))),
                ("image", text(utf8(&c.image)?)),
                ("args", seq(strings(&c.args)?)),
                ("env", seq(env)),
            ]))
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(seq(items))
}

fn template(t: &Option<PodTemplateSpec>) -> Result<Option<Value<'_>>, DecodeError> {
    let Some(t) = t else { return Ok(None) };
    let spec = match &t.spec {
        Some(s) => Some(Value::map([
            ("containers", containers(&s.containers)?),
            ("initContainers", containers(&s.init_containers)?),
        ])),
        None => None,
    };
    Ok(Some(Value::map([
        ("metadata", meta(&t.metadata)?),
        ("spec", spec),
    ])))
}

#[derive(Clone, PartialEq, Message)]
struct Condition {
    #[prost(bytes = "bytes", tag = "1")]
    type_: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    status: Bytes,
}

fn conditions(list: &[Condition]) -> Result<Option<Value<'_>>, DecodeError> {
    let items = list
        .iter()
        .map(|c| {
            Ok(Value::map([
                ("type", Some(Value::Str(utf8(&c.type_)?))),
                ("status", Some(Value::Str(utf8(&c.status)?))),
            ]))
        })
        .collect::<Result<_, DecodeError>>()?;
    Ok(seq(items))
}

/// Deployments', ReplicaSets' and StatefulSets' spec (DaemonSets number theirs apart).
#[derive(Clone, PartialEq, Message)]
struct ReplicatedSpec {
    #[prost(int32, optional, tag = "1")]
    replicas: Option<i32>,
    #[prost(message, optional, tag = "2")]
    selector: Option<LabelSelector>,
    #[prost(message, optional, tag = "3")]
    template: Option<PodTemplateSpec>,
}

impl ReplicatedSpec {
    fn value(&self) -> Fields<'_> {
        Ok(Value::map([
            ("replicas", self.replicas.map(|r| Value::Int(r.into()))),
            ("selector", selector(&self.selector)?),
            ("template", template(&self.template)?),
        ]))
    }
}

/// A Deployment's spec: the replicated fields, and `paused` (field 7), which `fix` reads to refuse
/// a restart that would never roll out. Its own message because field 7 is another field, of
/// another wire type, in the other kinds (a StatefulSet's `updateStrategy`).
#[derive(Clone, PartialEq, Message)]
struct DeploymentSpec {
    #[prost(int32, optional, tag = "1")]
    replicas: Option<i32>,
    #[prost(message, optional, tag = "2")]
    selector: Option<LabelSelector>,
    #[prost(message, optional, tag = "3")]
    template: Option<PodTemplateSpec>,
    #[prost(bool, tag = "7")]
    paused: bool,
}

impl DeploymentSpec {
    fn value(&self) -> Fields<'_> {
        Ok(Value::map([
            ("replicas", self.replicas.map(|r| Value::Int(r.into()))),
            ("selector", selector(&self.selector)?),
            ("template", template(&self.template)?),
            // `omitempty` in the JSON: absent when false.
            ("paused", self.paused.then_some(Value::Bool(true))),
        ]))
    }
}

#[derive(Clone, PartialEq, Message)]
struct DaemonSetSpec {
    #[prost(message, optional, tag = "1")]
    selector: Option<LabelSelector>,
    #[prost(message, optional, tag = "2")]
    template: Option<PodTemplateSpec>,
}

#[derive(Clone, PartialEq, Message)]
struct DeploymentStatus {
    #[prost(int32, tag = "2")]
    replicas: i32,
    #[prost(int32, tag = "3")]
    updated_replicas: i32,
    #[prost(int32, tag = "4")]
    available_replicas: i32,
    #[prost(message, repeated, tag = "6")]
    conditions: Vec<Condition>,
    #[prost(int32, tag = "7")]
    ready_replicas: i32,
}

#[derive(Clone, PartialEq, Message)]
struct ReplicaSetStatus {
    #[prost(int32, tag = "1")]
    replicas: i32,
    #[prost(int32, tag = "4")]
    ready_replicas: i32,
    #[prost(int32, tag = "5")]
    available_replicas: i32,
    #[prost(message, repeated, tag = "6")]
    conditions: Vec<Condition>,
}

#[derive(Clone, PartialEq, Message)]
struct StatefulSetStatus {
    #[prost(int32, tag = "2")]
    replicas: i32,
    #[prost(int32, tag = "3")]
    ready_replicas: i32,
    #[prost(int32, tag = "5")]
    updated_replicas: i32,
    #[prost(message, repeated, tag = "10")]
    conditions: Vec<Condition>,
    #[prost(int32, tag = "11")]
    available_replicas: i32,
}

#[derive(Clone, PartialEq, Message)]
struct DaemonSetStatus {
    #[prost(int32, tag = "3")]
    desired_number_scheduled: i32,
    #[prost(int32, tag = "4")]
    number_ready: i32,
    #[prost(message, repeated, tag = "10")]
    conditions: Vec<Condition>,
}

/// A count the JSON always carries (no `omitempty`).
fn count<'a>(i: i32) -> Option<Value<'a>> {
    Some(Value::Int(i.into()))
}

macro_rules! object {
    ($name:ident, $list:ident, $spec:ty, $status:ty) => {
        #[derive(Clone, PartialEq, Message)]
        pub(super) struct $name {
            #[prost(message, optional, tag = "1")]
            metadata: Option<ObjectMeta>,
            #[prost(message, optional, tag = "2")]
            spec: Option<$spec>,
            #[prost(message, optional, tag = "3")]
            status: Option<$status>,
        }

        #[derive(Clone, PartialEq, Message)]
        pub(super) struct $list {
            #[prost(message, optional, tag = "1")]
            pub metadata: Option<ListMeta>,
            #[prost(message, repeated, tag = "2")]
            pub items: Vec<$name>,
        }
    };
}

object!(Deployment, DeploymentList, DeploymentSpec, DeploymentStatus);
object!(ReplicaSet, ReplicaSetList, ReplicatedSpec, ReplicaSetStatus);
object!(
    StatefulSet,
    StatefulSetList,
    ReplicatedSpec,
    StatefulSetStatus
);
object!(DaemonSet, DaemonSetList, DaemonSetSpec, DaemonSetStatus);

/// A workload as its JSON: metadata, spec and the status fields of its kind.
fn workload<'a>(
    metadata: &'a Option<ObjectMeta>,
    spec: Option<Value<'a>>,
    status: Option<Value<'a>>,
) -> Fields<'a> {
    Ok(Value::map([
        ("metadata", meta(metadata)?),
        ("spec", spec),
        ("status", status),
    ]))
}

impl Deployment {
    pub(super) fn value(&self) -> Fields<'_> {
        let status = match &self.status {
            Some(s) => Some(Value::map([
                ("replicas", nonzero(s.replicas)),
                ("updatedReplicas", nonzero(s.updated_replicas)),
                ("readyReplicas", nonzero(s.ready_replicas)),
                ("availableReplicas", nonzero(s.available_replicas)),
                ("conditions", conditions(&s.conditions)?),
            ])),
            None => None,
        };
        let spec = self.spec.as_ref().map(DeploymentSpec::value).transpose()?;
        workload(&self.metadata, spec, status)
    }
}

impl ReplicaSet {
    pub(super) fn value(&self) -> Fields<'_> {
        let status = match &self.status {
            Some(s) => Some(Value::map([
                ("replicas", count(s.replicas)),
                ("readyReplicas", nonzero(s.ready_replicas)),
                ("availableReplicas", nonzero(s.available_replicas)),
                ("conditions", conditions(&s.conditions)?),
            ])),
            None => None,
        };
        let spec = self.spec.as_ref().map(ReplicatedSpec::value).transpose()?;
        workload(&self.metadata, spec, status)
    }
}

impl StatefulSet {
    pub(super) fn value(&self) -> Fields<'_> {
        let status = match &self.status {
            Some(s) => Some(Value::map([
                ("replicas", count(s.replicas)),
                ("readyReplicas", nonzero(s.ready_replicas)),
                ("updatedReplicas", nonzero(s.updated_replicas)),
                ("availableReplicas", count(s.available_replicas)),
                ("conditions", conditions(&s.conditions)?),
            ])),
            None => None,
        };
        let spec = self.spec.as_ref().map(ReplicatedSpec::value).transpose()?;
        workload(&self.metadata, spec, status)
    }
}

impl DaemonSet {
    pub(super) fn value(&self) -> Fields<'_> {
        let status = match &self.status {
            Some(s) => Some(Value::map([
                ("desiredNumberScheduled", count(s.desired_number_scheduled)),
                ("numberReady", count(s.number_ready)),
                ("conditions", conditions(&s.conditions)?),
            ])),
            None => None,
        };
        let spec = match &self.spec {
            Some(s) => Some(Value::map([
                ("selector", selector(&s.selector)?),
                ("template", template(&s.template)?),
            ])),
            None => None,
        };
        workload(&self.metadata, spec, status)
    }
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct Namespace {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct NamespaceList {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ListMeta>,
    #[prost(message, repeated, tag = "2")]
    pub items: Vec<Namespace>,
}

impl Namespace {
    pub(super) fn value(&self) -> Fields<'_> {
        Ok(Value::map([("metadata", meta(&self.metadata)?)]))
    }
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct MutatingWebhookConfiguration {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
    #[prost(message, repeated, tag = "2")]
    webhooks: Vec<MutatingWebhook>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct MutatingWebhookConfigurationList {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ListMeta>,
    #[prost(message, repeated, tag = "2")]
    pub items: Vec<MutatingWebhookConfiguration>,
}

#[derive(Clone, PartialEq, Message)]
struct MutatingWebhook {
    #[prost(bytes = "bytes", tag = "1")]
    name: Bytes,
    #[prost(message, optional, tag = "2")]
    client_config: Option<ClientConfig>,
    #[prost(message, optional, tag = "5")]
    namespace_selector: Option<LabelSelector>,
    #[prost(message, optional, tag = "11")]
    object_selector: Option<LabelSelector>,
}

#[derive(Clone, PartialEq, Message)]
struct ClientConfig {
    #[prost(message, optional, tag = "1")]
    service: Option<ServiceReference>,
    #[prost(bytes = "bytes", optional, tag = "3")]
    url: Option<Bytes>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceReference {
    #[prost(bytes = "bytes", tag = "1")]
    namespace: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    name: Bytes,
    #[prost(bytes = "bytes", optional, tag = "3")]
    path: Option<Bytes>,
}

fn pointer(s: &Option<Bytes>) -> Result<Option<Value<'_>>, DecodeError> {
    s.as_ref().map(|s| Ok(Value::Str(utf8(s)?))).transpose()
}

impl MutatingWebhookConfiguration {
    pub(super) fn value(&self) -> Fields<'_> {
        let webhooks = self
            .webhooks
            .iter()
            .map(|w| {
                let client = match &w.client_config {
                    Some(c) => {
                        let service = match &c.service {
                            Some(s) => Some(Value::map([
                                ("namespace", Some(Value::Str(utf8(&s.namespace)?))),
                                ("name", Some(Value::Str(utf8(&s.name)?))),
                                ("path", pointer(&s.path)?),
                            ])),
                            None => None,
                        };
                        Some(Value::map([
                            ("service", service),
                            ("url", pointer(&c.url)?),
                        ]))
                    }
                    None => None,
                };
                Ok(Value::map([
                    ("name", Some(Value::Str(utf8(&w.name)?))),
                    ("clientConfig", client),
                    ("namespaceSelector", selector(&w.namespace_selector)?),
                    ("objectSelector", selector(&w.object_selector)?),
                ]))
            })
            .collect::<Result<_, DecodeError>>()?;
        Ok(Value::map([
            ("metadata", meta(&self.metadata)?),
            ("webhooks", seq(webhooks)),
        ]))
    }
}

/// The objects of a `PartialObjectMetadataList`: only their metadata.
#[derive(Clone, PartialEq, Message)]
pub(super) struct PartialObjectMetadata {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ObjectMeta>,
}

#[derive(Clone, PartialEq, Message)]
pub(super) struct PartialObjectMetadataList {
    #[prost(message, optional, tag = "1")]
    pub metadata: Option<ListMeta>,
    #[prost(message, repeated, tag = "2")]
    pub items: Vec<PartialObjectMetadata>,
}

/// A list message: its `ListMeta`, its items, and each item as its JSON.
pub(super) trait List: Message + Default {
    type Item;
    fn into_parts(self) -> (Option<ListMeta>, Vec<Self::Item>);
    fn value(item: &Self::Item) -> Fields<'_>;
}

macro_rules! list {
    ($list:ident, $item:ident, $value:expr) => {
        impl List for $list {
            type Item = $item;
            fn into_parts(self) -> (Option<ListMeta>, Vec<$item>) {
                (self.metadata, self.items)
            }
            fn value(item: &$item) -> Fields<'_> {
                $value(item)
            }
        }
    };
}

list!(DeploymentList, Deployment, Deployment::value);
list!(ReplicaSetList, ReplicaSet, ReplicaSet::value);
list!(StatefulSetList, StatefulSet, StatefulSet::value);
list!(DaemonSetList, DaemonSet, DaemonSet::value);
list!(NamespaceList, Namespace, Namespace::value);
list!(
    MutatingWebhookConfigurationList,
    MutatingWebhookConfiguration,
    MutatingWebhookConfiguration::value
);
// A metadata-only item reads as its ObjectMeta alone: the slim type is `Meta` itself.
list!(
    PartialObjectMetadataList,
    PartialObjectMetadata,
    PartialObjectMetadata::value
);

impl PartialObjectMetadata {
    fn value(&self) -> Fields<'_> {
        match &self.metadata {
            Some(m) => m.value(),
            None => Ok(Value::Map(Vec::new())),
        }
    }
}

#[cfg(test)]
pub(super) fn tests_entry(key: &str, value: &str) -> Vec<u8> {
    Entry {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
    }
    .encode_to_vec()
}
