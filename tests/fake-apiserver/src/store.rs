//! Object storage: every object is kept as its serialized JSON bytes (list-item form) plus a
//! small parsed index (namespace, name, labels). Listing streams these bytes directly.

use crate::json;
use crate::resources::{RESOURCES, ResourceType};
use crate::util;
use bytes::Bytes;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

/// One stored object.
#[derive(Debug)]
pub struct StoredObject {
    pub namespace: String,
    pub name: String,
    /// Sorted label pairs (for selectors).
    pub labels: Vec<(String, String)>,
    /// Compact JSON. Built-in kinds: without `kind`/`apiVersion` (as list items are sent);
    /// custom resources: with them (alphabetical keys).
    pub bytes: Bytes,
    /// Byte range of the `metadata` value inside `bytes`.
    pub meta: Range<usize>,
    /// The metadata as a protobuf `ObjectMeta`, encoded the first time a client asks for it.
    pub protobuf_meta: std::sync::OnceLock<Bytes>,
    /// The whole object as protobuf (the kinds `protobuf_full` encodes), encoded the first time
    /// a client asks for it: the fake then serves both encodings from bytes it holds.
    pub protobuf_full: std::sync::OnceLock<Bytes>,
    /// The values of the field selectors a pod supports (`status.phase`, `spec.nodeName`, …),
    /// read from `bytes` the first time a selector asks: a real API server evaluates field
    /// selectors on objects it already holds decoded, so filtering must not cost a JSON parse of
    /// every pod on every page.
    pub selectable_fields: std::sync::OnceLock<Vec<(&'static str, String)>>,
}

impl StoredObject {
    pub fn metadata_bytes(&self) -> &[u8] {
        &self.bytes[self.meta.clone()]
    }
    pub fn protobuf_meta(&self) -> Bytes {
        self.protobuf_meta
            .get_or_init(|| {
                Bytes::from(
                    crate::protobuf::object_meta(self.metadata_bytes())
                        .expect("stored metadata is valid JSON"),
                )
            })
            .clone()
    }
    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels
            .binary_search_by(|(a, _)| a.as_str().cmp(k))
            .ok()
            .map(|i| self.labels[i].1.as_str())
    }
    /// Parses the full object (with `kind`/`apiVersion`).
    pub fn to_value(&self, res: &ResourceType) -> Value {
        let mut v: Value = serde_json::from_slice(&self.bytes).expect("stored json");
        if let Value::Object(m) = &mut v {
            m.insert("kind".into(), Value::String(res.kind.into()));
            m.insert("apiVersion".into(), Value::String(res.api_version()));
        }
        v
    }
    /// Writes the object as a top-level document (with `kind`/`apiVersion`).
    pub fn write_full(&self, res: &ResourceType, out: &mut Vec<u8>) {
        if res.crd {
            out.extend_from_slice(&self.bytes);
        } else {
            out.extend_from_slice(b"{\"kind\":");
            serde_json::to_writer(&mut *out, res.kind).ok();
            out.extend_from_slice(b",\"apiVersion\":");
            serde_json::to_writer(&mut *out, &res.api_version()).ok();
            out.push(b',');
            out.extend_from_slice(&self.bytes[1..]);
        }
    }
    pub fn write_partial(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":",
        );
        out.extend_from_slice(self.metadata_bytes());
        out.push(b'}');
    }
}

pub type Key = (String, String);

/// All objects of all types plus the cluster-wide revision counter.
#[derive(Default)]
pub struct Store {
    pub rv: u64,
    pub tables: Vec<BTreeMap<Key, Arc<StoredObject>>>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            rv: 1,
            tables: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
        }
    }

    pub fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    pub fn get(&self, res: usize, ns: &str, name: &str) -> Option<&Arc<StoredObject>> {
        self.tables[res].get(&(ns.to_string(), name.to_string()))
    }

    /// Stores an already-encoded object.
    pub fn put_encoded(&mut self, res: usize, o: StoredObject) {
        self.tables[res].insert((o.namespace.clone(), o.name.clone()), Arc::new(o));
    }

    /// Encodes and stores `v` (which must carry final metadata).
    pub fn put(&mut self, res: usize, v: &Value) -> Arc<StoredObject> {
        let o = Arc::new(encode(&RESOURCES[res], v));
        self.tables[res].insert((o.namespace.clone(), o.name.clone()), o.clone());
        o
    }
}

/// Serializes an object into its stored form.
pub fn encode(res: &ResourceType, v: &Value) -> StoredObject {
    let meta = &v["metadata"];
    let namespace = meta["namespace"].as_str().unwrap_or("").to_string();
    let name = meta["name"].as_str().unwrap_or("").to_string();
    let mut labels: Vec<(String, String)> = meta["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    labels.sort();
    let mut out = Vec::with_capacity(1024);
    let range = if res.crd {
        json::write_with_meta_range(&mut out, v, true)
    } else {
        json::write_item(&mut out, v)
    };
    StoredObject {
        namespace,
        name,
        labels,
        bytes: Bytes::from(out),
        meta: range,
        protobuf_meta: Default::default(),
        protobuf_full: Default::default(),
        selectable_fields: Default::default(),
    }
}

/// Error while loading objects.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for LoadError {}

/// Parses `kubectl get -o yaml|json` output, multi-document YAML, single objects, or API list
/// responses (`PodList` with items lacking kind/apiVersion) into individual objects.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, LoadError> {
    let t = text.trim_start();
    let docs: Vec<Value> = if t.starts_with('{') || t.starts_with('[') {
        let mut out = Vec::new();
        for v in serde_json::Deserializer::from_str(t).into_iter::<Value>() {
            out.push(v.map_err(|e| LoadError(format!("invalid JSON: {e}")))?);
        }
        out
    } else {
        let mut opts = serde_saphyr::Options::default();
        opts.budget = None;
        serde_saphyr::from_multiple_with_options::<Value>(text, opts)
            .map_err(|e| LoadError(format!("invalid YAML: {e}")))?
    };
    let mut out = Vec::new();
    for d in docs {
        flatten(d, &mut out)?;
    }
    Ok(out)
}

fn flatten(d: Value, out: &mut Vec<Value>) -> Result<(), LoadError> {
    match d {
        Value::Null => Ok(()),
        Value::Array(a) => {
            for x in a {
                flatten(x, out)?;
            }
            Ok(())
        }
        Value::Object(mut m) => {
            let kind = m
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if kind == "List" || (kind.ends_with("List") && m.contains_key("items")) {
                let item_type = crate::resources::by_list_kind(&kind).map(|i| &RESOURCES[i]);
                let api_version = m
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if let Some(Value::Array(items)) = m.remove("items") {
                    for mut it in items {
                        if let (Some(rt), Value::Object(im)) = (item_type, &mut it) {
                            im.entry("kind").or_insert_with(|| json!(rt.kind));
                            im.entry("apiVersion")
                                .or_insert_with(|| json!(api_version.clone()));
                        }
                        flatten(it, out)?;
                    }
                }
                Ok(())
            } else {
                out.push(Value::Object(m));
                Ok(())
            }
        }
        other => Err(LoadError(format!("not an object: {other}"))),
    }
}

/// Fills in server-assigned metadata for an object being loaded or created.
pub fn assign_metadata(v: &mut Value, res: &ResourceType, rv: u64, keep_existing_rv: bool) {
    let m = v
        .as_object_mut()
        .expect("object")
        .entry("metadata")
        .or_insert_with(|| json!({}));
    let Some(m) = m.as_object_mut() else { return };
    if !m.get("uid").is_some_and(Value::is_string) {
        m.insert("uid".into(), json!(util::uuid()));
    }
    if !m.get("creationTimestamp").is_some_and(Value::is_string) {
        m.insert("creationTimestamp".into(), json!(util::now_rfc3339()));
    }
    if !(keep_existing_rv && m.get("resourceVersion").is_some_and(Value::is_string)) {
        m.insert("resourceVersion".into(), json!(rv.to_string()));
    }
    if res.generation && !m.contains_key("generation") {
        m.insert("generation".into(), json!(1));
    }
    if !res.namespaced {
        m.remove("namespace");
    }
}
