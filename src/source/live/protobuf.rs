//! The API server's protobuf encoding of metadata-only lists, read into the inventory's [`Meta`].
//!
//! A protobuf body is the magic `k8s\0` then a `runtime.Unknown` whose `raw` is the object
//! (recording 90). The messages below declare only the fields the checks read: prost skips every
//! other field (managedFields, most of a pod's metadata) by its length without building it, and
//! strings are `Bytes` slices of the received body, so a page costs one buffer plus what is kept.

use crate::inventory::types::{IstioAnnotations, Meta, OwnerReference};
use crate::istio::labels::{
    ANNOTATION_INJECT, ANNOTATION_REV, ANNOTATION_STATUS, ANNOTATION_TEMPLATES,
};
use bytes::Bytes;
use prost::Message;

/// What a client sends to get a metadata-only list as protobuf, JSON if the server has no
/// protobuf for it: client-go's metadata client order (recording 90).
pub const ACCEPT_METADATA_LIST: &str = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// The media type of a protobuf response.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";

/// Whether a response's `Content-Type` says protobuf: the server decides, whatever was asked.
pub fn is_protobuf(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|c| c.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(MEDIA_TYPE))
}

#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "bytes", tag = "2")]
    raw: Bytes,
}

#[derive(Clone, PartialEq, Message)]
struct TypeMeta {
    #[prost(bytes = "bytes", tag = "1")]
    api_version: Bytes,
    #[prost(bytes = "bytes", tag = "2")]
    kind: Bytes,
}

#[derive(Clone, PartialEq, Message)]
struct ListMeta {
    #[prost(bytes = "bytes", tag = "3")]
    continue_: Bytes,
}

#[derive(Clone, PartialEq, Message)]
struct PartialObjectMetadataList {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ListMeta>,
    #[prost(message, repeated, tag = "2")]
    items: Vec<PartialObjectMetadata>,
}

#[derive(Clone, PartialEq, Message)]
struct PartialObjectMetadata {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ObjectMeta>,
}

#[derive(Clone, PartialEq, Message)]
struct ObjectMeta {
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

#[derive(Clone, PartialEq, Message)]
struct Status {
    #[prost(bytes = "bytes", tag = "2")]
    status: Bytes,
    #[prost(bytes = "bytes", tag = "3")]
    message: Bytes,
    #[prost(bytes = "bytes", tag = "4")]
    reason: Bytes,
    #[prost(message, optional, tag = "5")]
    details: Option<StatusDetails>,
    #[prost(int32, tag = "6")]
    code: i32,
}

#[derive(Clone, PartialEq, Message)]
struct StatusDetails {
    #[prost(int32, tag = "5")]
    retry_after_seconds: i32,
}

/// A page of a metadata-only list: its objects and the token of the next page.
#[derive(Debug, Default)]
pub struct MetadataPage {
    pub items: Vec<Meta>,
    pub continue_token: Option<String>,
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not a Kubernetes protobuf body (no k8s\\0 prefix)")]
    NoMagic,
    #[error("invalid protobuf: {0}")]
    Invalid(#[from] prost::DecodeError),
    #[error("expected a {expected}, the server sent a {found}")]
    Kind {
        expected: &'static str,
        found: String,
    },
    #[error("a string that is not UTF-8")]
    Utf8,
}

/// The `runtime.Unknown` inside a protobuf body, checked to hold a `kind`.
fn unwrap(body: Bytes, kind: &'static str) -> Result<Bytes, DecodeError> {
    let Some(rest) = body.strip_prefix(MAGIC) else {
        return Err(DecodeError::NoMagic);
    };
    let rest = body.slice(body.len() - rest.len()..);
    let unknown = Unknown::decode(rest)?;
    let found = unknown.type_meta.map(|t| t.kind).unwrap_or_default();
    if found != kind.as_bytes() {
        return Err(DecodeError::Kind {
            expected: kind,
            found: String::from_utf8_lossy(&found).into_owned(),
        });
    }
    Ok(unknown.raw)
}

/// Reads a `PartialObjectMetadataList` body.
pub fn metadata_list(body: Bytes) -> Result<MetadataPage, DecodeError> {
    let raw = unwrap(body, "PartialObjectMetadataList")?;
    let list = PartialObjectMetadataList::decode(raw)?;
    let items = list
        .items
        .into_iter()
        .map(|i| meta(i.metadata.unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    let continue_token = list
        .metadata
        .map(|m| text(m.continue_))
        .transpose()?
        .filter(|c| !c.is_empty());
    Ok(MetadataPage {
        items,
        continue_token,
    })
}

/// An error the server sent as a protobuf `Status`.
pub fn status(body: Bytes) -> Result<kube::core::Status, DecodeError> {
    let s = Status::decode(unwrap(body, "Status")?)?;
    let mut out = kube::core::Status::failure(&text(s.message)?, &text(s.reason)?)
        .with_code(u16::try_from(s.code).unwrap_or_default());
    if let Some(d) = s.details.filter(|d| d.retry_after_seconds > 0) {
        out.details = Some(kube::core::response::StatusDetails {
            retry_after_seconds: u32::try_from(d.retry_after_seconds).unwrap_or_default(),
            name: String::new(),
            group: String::new(),
            kind: String::new(),
            uid: String::new(),
            causes: Vec::new(),
        });
    }
    out.status = match &*s.status {
        b"Success" => Some(kube::core::response::StatusSummary::Success),
        _ => Some(kube::core::response::StatusSummary::Failure),
    };
    Ok(out)
}

fn text(b: Bytes) -> Result<String, DecodeError> {
    String::from_utf8(b.into()).map_err(|_| DecodeError::Utf8)
}

fn optional_text(b: Bytes) -> Result<Option<String>, DecodeError> {
    Ok(Some(text(b)?).filter(|s| !s.is_empty()))
}

fn meta(m: ObjectMeta) -> Result<Meta, DecodeError> {
    let mut labels = crate::selector::Labels::new();
    for e in m.labels {
        labels.insert(text(e.key)?, text(e.value)?);
    }
    let mut annotations = IstioAnnotations::default();
    for e in m.annotations {
        let slot = match std::str::from_utf8(&e.key).map_err(|_| DecodeError::Utf8)? {
            ANNOTATION_STATUS => {
                let value = std::str::from_utf8(&e.value).map_err(|_| DecodeError::Utf8)?;
                annotations.set_status(value);
                continue;
            }
            ANNOTATION_REV => &mut annotations.rev,
            ANNOTATION_TEMPLATES => &mut annotations.templates,
            ANNOTATION_INJECT => &mut annotations.inject,
            _ => continue,
        };
        *slot = Some(text(e.value)?);
    }
    let mut owner_references = m
        .owner_references
        .into_iter()
        .map(|o| {
            Ok(OwnerReference {
                kind: text(o.kind)?,
                name: text(o.name)?,
                uid: text(o.uid)?,
                controller: o.controller,
            })
        })
        .collect::<Result<Vec<_>, DecodeError>>()?;
    owner_references.shrink_to_fit();
    Ok(Meta {
        name: optional_text(m.name)?,
        namespace: optional_text(m.namespace)?,
        uid: optional_text(m.uid)?,
        labels,
        annotations,
        owner_references,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of a recorded response: what follows the blank line after the headers.
    fn recorded_body(name: &str) -> Bytes {
        let path = format!(
            "{}/tests/fake-apiserver/recordings/{name}.response.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let raw = std::fs::read(&path).expect("recording");
        let at = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("headers end");
        Bytes::from(raw[at + 4..].to_vec())
    }

    #[test]
    fn reads_the_recorded_metadata_list() {
        let page = metadata_list(recorded_body(
            "90-list-pods-namespace-metadata-only-protobuf",
        ))
        .unwrap();
        let names: Vec<&str> = page.items.iter().map(Meta::name).collect();
        assert_eq!(names, ["hello-0", "hello-1", "hello-2"]);
        let pod = &page.items[0];
        assert_eq!(pod.namespace(), "rec-pb");
        assert_eq!(pod.label("app"), Some("hello"));
        assert!(pod.annotations.injected);
        assert_eq!(page.continue_token, None);
    }

    #[test]
    fn reads_the_continue_token_inside_the_body() {
        let page = metadata_list(recorded_body(
            "91-list-pods-all-namespaces-metadata-only-protobuf-limit-2",
        ))
        .unwrap();
        assert_eq!(page.items.len(), 2);
        let token = page.continue_token.unwrap();
        assert!(token.starts_with("eyJ2Ijoi"), "{token}");
    }

    #[test]
    fn reads_a_protobuf_status() {
        let s = status(recorded_body("94-list-istiooperators-protobuf-only-406")).unwrap();
        assert_eq!(s.code, 406);
        assert_eq!(s.reason, "NotAcceptable");
        assert!(s.message.starts_with("only the following media types"));
    }

    #[test]
    fn refuses_a_body_without_the_magic_or_of_another_kind() {
        assert!(matches!(
            metadata_list(Bytes::from_static(b"{\"kind\":\"PodList\"}")),
            Err(DecodeError::NoMagic)
        ));
        let err = metadata_list(recorded_body("94-list-istiooperators-protobuf-only-406"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "expected a PartialObjectMetadataList, the server sent a Status"
        );
    }

    #[test]
    fn content_type_decides() {
        assert!(is_protobuf(Some("application/vnd.kubernetes.protobuf")));
        assert!(is_protobuf(Some(
            "application/vnd.kubernetes.protobuf;stream=watch"
        )));
        assert!(!is_protobuf(Some("application/json")));
        assert!(!is_protobuf(None));
    }
}
