//! One streaming visitor for every input shape: a single object, or a `List`/`*List` whose items
//! are handed to a sink one at a time, so a list is never held whole.

use super::gateway_api::*;
use super::types::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One object of a kind the inventory keeps, or the kind of one it skipped.
#[derive(Debug, Clone)]
pub enum Object {
    Namespace(Namespace),
    Workload(Box<Workload>),
    Pod(Pod),
    MutatingWebhookConfiguration(MutatingWebhookConfiguration),
    IstioOperator(IstioOperator),
    Gateway(Gateway),
    GatewayClass(GatewayClass),
    ValidatingWebhookConfiguration(ValidatingWebhookConfiguration),
    Skipped {
        kind: String,
    },
    /// What the source of a snapshot could not read (see [`NOT_READ_KIND`]).
    Unreadable(super::Unreadable),
}

/// The kind of the document `kubectl istio-rev snapshot` writes for each list it could not read,
/// so a replay of the snapshot knows what is missing, skips the same checks and reports the same
/// IR901 findings as the live run did.
pub const NOT_READ_KIND: &str = "NotRead";
pub const NOT_READ_API_VERSION: &str = "kubectl-istio-rev/v1";

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotRead {
    resource: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    reason: String,
}

pub type Sink<'a> = dyn FnMut(Object) -> Result<(), String> + 'a;

/// Reads one document (a map) and sends every object in it to `sink`.
pub struct DocumentSeed<'a, 'b> {
    pub sink: &'a mut Sink<'b>,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let sink = self.sink;
        let RawOutcome { raw, items } = d.deserialize_any(RawVisitor {
            sink: Some(&mut *sink),
        })?;
        match items {
            Some(_) => check_list_kind(raw.kind.as_deref()).map_err(de::Error::custom),
            None => {
                let object = raw.into_object(None).map_err(de::Error::custom)?;
                sink(object).map_err(de::Error::custom)
            }
        }
    }
}

fn check_list_kind(kind: Option<&str>) -> Result<(), String> {
    match kind {
        Some(kind) if !kind.ends_with("List") => {
            Err(format!("has `items` but kind {kind} is not a List"))
        }
        _ => Ok(()),
    }
}

/// The kind of a List's items when they name none: the API server's own lists
/// (`kubectl get --raw`, curl) leave `kind` and `apiVersion` out of their items, and the List's
/// kind names them (`DeploymentList` → `Deployment`). A plain `List` names no item kind.
pub fn item_kind(list_kind: Option<&str>) -> Option<String> {
    list_kind
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty())
        .map(str::to_string)
}

/// What surrounds the `items` of a List whose items a fast path of the snapshot reader sent to
/// the sink one by one: read on its own, it must not name a kind other than a List. Gives the
/// kind of the items it names ([`item_kind`]).
pub struct ListHeadSeed;

impl<'de> DeserializeSeed<'de> for ListHeadSeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        let RawOutcome { raw, .. } = d.deserialize_any(RawVisitor { sink: None })?;
        check_list_kind(raw.kind.as_deref()).map_err(de::Error::custom)?;
        Ok(item_kind(raw.kind.as_deref()))
    }
}

#[derive(Default)]
enum Body {
    #[default]
    None,
    Pod(PodSpec),
    Workload(Box<WorkloadSpec>),
    Any(serde_json::Value),
}

#[derive(Default)]
enum StatusBody {
    #[default]
    None,
    Pod(PodStatus),
    Workload(WorkloadStatus),
    Any(serde_json::Value),
}

#[derive(Default)]
struct RawObject {
    api_version: Option<String>,
    kind: Option<String>,
    meta: Option<Meta>,
    /// The metadata of an object whose kind was not known when it was read (no `kind`, or
    /// `kind` after `metadata`): typed only if the kind turns out to be one the checks read.
    meta_any: Option<serde_json::Value>,
    spec: Body,
    status: StatusBody,
    webhooks: Option<Vec<Webhook>>,
    not_read: Option<NotRead>,
}

struct RawOutcome {
    raw: RawObject,
    items: Option<usize>,
}

/// How a kind's `spec` is read, decided by the `kind` seen before it (kubectl and the API
/// server always print `kind` first; an object that does not is read generically).
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Pod,
    Workload,
    Keep,
    /// Spec and status both read generically (Gateway API objects: few, small).
    KeepAll,
    /// A kind the checks read only the metadata (and webhooks) of.
    MetaOnly,
    /// A kind the checks skip: nothing past its kind is parsed, so whatever else it holds
    /// (a Service's `ownerReferences[].uid: null` in Istio's goldens) cannot reject the file.
    Ignore,
    Unknown,
}

fn shape(kind: Option<&str>) -> Shape {
    match kind {
        None => Shape::Unknown,
        Some("Pod") => Shape::Pod,
        Some(k) if WorkloadKind::from_kind(k).is_some() => Shape::Workload,
        Some("IstioOperator") => Shape::Keep,
        Some(
            "Namespace"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | NOT_READ_KIND,
        ) => Shape::MetaOnly,
        Some("Gateway" | "GatewayClass") => Shape::KeepAll,
        Some(_) => Shape::Ignore,
    }
}

struct RawVisitor<'a, 'b> {
    sink: Option<&'a mut Sink<'b>>,
}

impl<'de> Visitor<'de> for RawVisitor<'_, '_> {
    type Value = RawOutcome;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object or List (a map with apiVersion and kind)")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<RawOutcome, A::Error> {
        let mut raw = RawObject::default();
        let mut items = None;
        while let Some(key) = map.next_key::<FieldKey>()? {
            match key {
                FieldKey::ApiVersion => raw.api_version = map.next_value()?,
                FieldKey::Kind => raw.kind = Some(map.next_value()?),
                FieldKey::Metadata => match shape(raw.kind.as_deref()) {
                    Shape::Ignore => {
                        map.next_value::<IgnoredAny>()?;
                    }
                    Shape::Unknown => raw.meta_any = Some(map.next_value()?),
                    Shape::Pod
                    | Shape::Workload
                    | Shape::Keep
                    | Shape::KeepAll
                    | Shape::MetaOnly => raw.meta = Some(map.next_value()?),
                },
                FieldKey::Spec => {
                    raw.spec = match shape(raw.kind.as_deref()) {
                        Shape::Pod => Body::Pod(map.next_value()?),
                        Shape::Workload => Body::Workload(Box::new(map.next_value()?)),
                        Shape::Keep | Shape::KeepAll | Shape::Unknown => {
                            Body::Any(map.next_value()?)
                        }
                        Shape::MetaOnly | Shape::Ignore => {
                            map.next_value::<IgnoredAny>()?;
                            Body::None
                        }
                    }
                }
                FieldKey::Status => {
                    raw.status = match shape(raw.kind.as_deref()) {
                        Shape::Pod => StatusBody::Pod(map.next_value()?),
                        Shape::Workload => StatusBody::Workload(map.next_value()?),
                        Shape::Unknown | Shape::KeepAll => StatusBody::Any(map.next_value()?),
                        Shape::Keep | Shape::MetaOnly | Shape::Ignore => {
                            map.next_value::<IgnoredAny>()?;
                            StatusBody::None
                        }
                    }
                }
                FieldKey::Webhooks if shape(raw.kind.as_deref()) == Shape::Ignore => {
                    map.next_value::<IgnoredAny>()?;
                }
                FieldKey::Webhooks => raw.webhooks = map.next_value::<Option<Vec<Webhook>>>()?,
                FieldKey::NotRead if raw.kind.as_deref() == Some(NOT_READ_KIND) => {
                    raw.not_read = Some(map.next_value()?)
                }
                FieldKey::Items => match self.sink.take() {
                    Some(sink) => {
                        let kind = item_kind(raw.kind.as_deref());
                        items = Some(map.next_value_seed(ItemsSeed { sink, kind })?)
                    }
                    None => {
                        return Err(de::Error::custom("a List nested inside a List item"));
                    }
                },
                FieldKey::Other | FieldKey::NotRead => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(RawOutcome { raw, items })
    }
}

enum FieldKey {
    ApiVersion,
    Kind,
    Metadata,
    Spec,
    Status,
    Webhooks,
    NotRead,
    Items,
    Other,
}

impl<'de> serde::Deserialize<'de> for FieldKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FieldKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldKey, E> {
                Ok(match v {
                    "apiVersion" => FieldKey::ApiVersion,
                    "kind" => FieldKey::Kind,
                    "metadata" => FieldKey::Metadata,
                    "spec" => FieldKey::Spec,
                    "status" => FieldKey::Status,
                    "webhooks" => FieldKey::Webhooks,
                    "notRead" => FieldKey::NotRead,
                    "items" => FieldKey::Items,
                    _ => FieldKey::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct ItemsSeed<'a, 'b> {
    sink: &'a mut Sink<'b>,
    /// The items' kind when they name none ([`item_kind`]).
    kind: Option<String>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<usize, E> {
        Ok(0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut count = 0;
        loop {
            let next = seq
                .next_element_seed(ItemSeed)
                .map_err(|e| de::Error::custom(format!("item {}: {e}", count + 1)))?;
            let Some(Item(raw)) = next else { break };
            count += 1;
            let object = raw
                .into_object(self.kind.as_deref())
                .map_err(|e| de::Error::custom(format!("item {count}: {e}")))?;
            (self.sink)(object).map_err(|e| de::Error::custom(format!("item {count}: {e}")))?;
        }
        Ok(count)
    }
}

/// One item of a List. The snapshot reader's fast paths find each item's bounds in the input
/// and read it from its own slice with this seed.
pub struct ItemSeed;

/// An item as read, before it is checked and turned into an [`Object`].
pub struct Item(RawObject);

impl Item {
    /// `list_kind`: the kind of the items of the List it came from ([`item_kind`]), for an item
    /// that names none.
    pub fn into_object(self, list_kind: Option<&str>) -> Result<Object, String> {
        self.0.into_object(list_kind)
    }
}

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Item;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Item, D::Error> {
        Ok(Item(d.deserialize_any(RawVisitor { sink: None })?.raw))
    }
}

fn typed<T: serde::de::DeserializeOwned + Default>(
    value: serde_json::Value,
    what: &str,
) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("invalid {what}: {e}"))
}

impl RawObject {
    fn into_object(self, list_kind: Option<&str>) -> Result<Object, String> {
        let kind = self
            .kind
            .filter(|k| !k.is_empty())
            .or_else(|| list_kind.map(str::to_string))
            .ok_or_else(|| "not a Kubernetes object: it has no kind".to_string())?;
        if kind == NOT_READ_KIND {
            let n = self
                .not_read
                .ok_or_else(|| format!("{kind} has no notRead"))?;
            return Ok(Object::Unreadable(super::Unreadable {
                resource: n.resource,
                namespace: n.namespace,
                reason: n.reason,
            }));
        }
        let gateway_api = self
            .api_version
            .as_deref()
            .and_then(|v| v.split_once('/'))
            .is_some_and(|(group, _)| group == GATEWAY_API_GROUP);
        let keep = matches!(
            kind.as_str(),
            "Namespace"
                | "Pod"
                | "MutatingWebhookConfiguration"
                | "ValidatingWebhookConfiguration"
                | "IstioOperator"
        ) || WorkloadKind::from_kind(&kind).is_some()
            // Istio's own networking.istio.io Gateway shares the kind name.
            || (gateway_api && matches!(kind.as_str(), "Gateway" | "GatewayClass"));
        if !keep {
            return Ok(Object::Skipped { kind });
        }
        let meta = match (self.meta, self.meta_any) {
            (Some(meta), _) => Some(meta),
            (None, Some(v)) => {
                Some(typed::<Meta>(v, "metadata").map_err(|e| format!("{kind}: {e}"))?)
            }
            (None, None) => None,
        };
        let mut meta = meta.ok_or_else(|| format!("{kind} has no metadata"))?;
        if meta.name().is_empty() {
            return Err(format!("{kind} has no metadata.name"));
        }
        let cluster_scoped = matches!(
            kind.as_str(),
            "Namespace"
                | "MutatingWebhookConfiguration"
                | "ValidatingWebhookConfiguration"
                | "GatewayClass"
        );
        if cluster_scoped {
            meta.namespace = None;
        } else if meta.namespace().is_empty() {
            // What kubectl does with a namespaced object that names none.
            meta.namespace = Some("default".into());
        }
        let describe = |kind: &str, meta: &Meta| {
            if meta.namespace().is_empty() {
                format!("{kind} {}", meta.name())
            } else {
                format!("{kind} {}/{}", meta.namespace(), meta.name())
            }
        };
        let context = describe(&kind, &meta);
        let in_context = |e: String| format!("{context}: {e}");
        Ok(match kind.as_str() {
            "Namespace" => Object::Namespace(Namespace { meta }),
            "Pod" => {
                let spec = match self.spec {
                    Body::Pod(s) => s,
                    Body::Any(v) => typed(v, "spec").map_err(in_context)?,
                    _ => PodSpec::default(),
                };
                let status = match self.status {
                    StatusBody::Pod(s) => s,
                    StatusBody::Any(v) => typed(v, "status").map_err(in_context)?,
                    _ => PodStatus::default(),
                };
                Object::Pod(Pod { meta, spec, status })
            }
            "MutatingWebhookConfiguration" => {
                Object::MutatingWebhookConfiguration(MutatingWebhookConfiguration {
                    meta,
                    webhooks: self.webhooks.unwrap_or_default(),
                })
            }
            "ValidatingWebhookConfiguration" => {
                Object::ValidatingWebhookConfiguration(ValidatingWebhookConfiguration { meta })
            }
            "Gateway" => Object::Gateway(Gateway {
                meta,
                spec: match self.spec {
                    Body::Any(v) => typed(v, "spec").map_err(in_context)?,
                    _ => GatewaySpec::default(),
                },
                status: match self.status {
                    StatusBody::Any(v) => typed(v, "status").map_err(in_context)?,
                    _ => GatewayStatus::default(),
                },
            }),
            "GatewayClass" => Object::GatewayClass(GatewayClass {
                meta,
                spec: match self.spec {
                    Body::Any(v) => typed(v, "spec").map_err(in_context)?,
                    _ => GatewayClassSpec::default(),
                },
            }),
            "IstioOperator" => Object::IstioOperator(IstioOperator {
                meta,
                spec: match self.spec {
                    Body::Any(v) => v,
                    _ => serde_json::Value::Null,
                },
            }),
            other => {
                let kind = WorkloadKind::from_kind(other).expect("checked above");
                let spec = match self.spec {
                    Body::Workload(s) => *s,
                    Body::Any(v) => typed(v, "spec").map_err(in_context)?,
                    _ => WorkloadSpec::default(),
                };
                let status = match self.status {
                    StatusBody::Workload(s) => s,
                    StatusBody::Any(v) => typed(v, "status").map_err(in_context)?,
                    _ => WorkloadStatus::default(),
                };
                Object::Workload(Box::new(Workload {
                    kind,
                    meta,
                    spec,
                    status,
                }))
            }
        })
    }
}
