//! The API server's protobuf encoding of lists, read into the inventory's slim types.
//!
//! A protobuf body is the magic `k8s\0` then a `runtime.Unknown` whose `raw` is the object
//! (recording 90). The messages ([`kinds`]) declare only the fields the checks read: prost skips
//! every other field (managedFields, most of a pod's metadata, a pod template's ports, probes
//! and volumes) by its length without building it, and strings are `Bytes` slices of the
//! received body, so a page costs one buffer plus what is kept. What is kept is read by the slim
//! types' own `Deserialize` ([`value`]), as from JSON.

mod kinds;
mod value;

use crate::inventory::types::Meta;
use bytes::Bytes;
use prost::Message;
use serde::de::DeserializeOwned;

/// What a client sends to get a metadata-only list as protobuf, JSON if the server has no
/// protobuf for it: client-go's metadata client order (recording 90).
pub const ACCEPT_METADATA_LIST: &str = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// What client-go sends for built-in kinds: protobuf, else JSON (recording 92).
pub const ACCEPT_LIST: &str = "application/vnd.kubernetes.protobuf,application/json";

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

/// A page of a list: its objects and the token of the next page.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub continue_token: Option<String>,
}

/// A page of a metadata-only list.
pub type MetadataPage = Page<Meta>;

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
    #[error("{0}")]
    Fields(#[from] serde::de::value::Error),
}

fn utf8(b: &Bytes) -> Result<&str, DecodeError> {
    std::str::from_utf8(b).map_err(|_| DecodeError::Utf8)
}

/// The kind and the `raw` object of the `runtime.Unknown` inside a protobuf body.
fn unwrap(body: Bytes) -> Result<(String, Bytes), DecodeError> {
    let Some(rest) = body.strip_prefix(MAGIC) else {
        return Err(DecodeError::NoMagic);
    };
    let rest = body.slice(body.len() - rest.len()..);
    let unknown = Unknown::decode(rest)?;
    let kind = unknown.type_meta.map(|t| t.kind).unwrap_or_default();
    Ok((String::from_utf8_lossy(&kind).into_owned(), unknown.raw))
}

/// The `raw` object of a body that must hold a `kind`.
fn unwrap_kind(body: Bytes, kind: &'static str) -> Result<Bytes, DecodeError> {
    let (found, raw) = unwrap(body)?;
    if found != kind {
        return Err(DecodeError::Kind {
            expected: kind,
            found,
        });
    }
    Ok(raw)
}

/// Decodes a list message `L` and reads each item, as `L` presents it, into `T`.
fn page<L: kinds::List, T: DeserializeOwned>(raw: Bytes) -> Result<Page<T>, DecodeError> {
    let (metadata, items) = L::decode(raw)?.into_parts();
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        out.push(T::deserialize(L::value(item)?)?);
    }
    let continue_token = match metadata {
        Some(m) => Some(utf8(&m.continue_)?.to_string()).filter(|c| !c.is_empty()),
        None => None,
    };
    Ok(Page {
        items: out,
        continue_token,
    })
}

/// Any list message, but for its items: decoding it skips each item by its length.
#[derive(Clone, PartialEq, Message)]
struct ListHead {
    #[prost(message, optional, tag = "1")]
    metadata: Option<kinds::ListMeta>,
}

/// The continue token of a list body, read without decoding its items, so the next page can be
/// asked for before this one is read.
pub fn continue_token(body: &Bytes) -> Result<Option<String>, DecodeError> {
    let (_, raw) = unwrap(body.clone())?;
    match ListHead::decode(raw)?.metadata {
        Some(m) => Ok(Some(utf8(&m.continue_)?.to_string()).filter(|c| !c.is_empty())),
        None => Ok(None),
    }
}

/// Reads a `PartialObjectMetadataList` body.
pub fn metadata_list(body: Bytes) -> Result<MetadataPage, DecodeError> {
    page::<kinds::PartialObjectMetadataList, Meta>(unwrap_kind(body, "PartialObjectMetadataList")?)
}

/// A slim list item that can be read from the protobuf lists of the kinds it stands for.
pub trait FromProtobuf: DeserializeOwned {
    /// Reads the `raw` list of a body whose envelope says `kind`.
    fn page(kind: &str, raw: Bytes) -> Result<Page<Self>, DecodeError>;
}

/// Reads a list body of a built-in kind into the slim items `T`.
pub fn list<T: FromProtobuf>(body: Bytes) -> Result<Page<T>, DecodeError> {
    let (kind, raw) = unwrap(body)?;
    T::page(&kind, raw)
}

fn other_kind<T>(expected: &'static str, found: &str) -> Result<T, DecodeError> {
    Err(DecodeError::Kind {
        expected,
        found: found.to_string(),
    })
}

impl FromProtobuf for super::ApiWorkload {
    fn page(kind: &str, raw: Bytes) -> Result<Page<Self>, DecodeError> {
        match kind {
            "DeploymentList" => page::<kinds::DeploymentList, _>(raw),
            "ReplicaSetList" => page::<kinds::ReplicaSetList, _>(raw),
            "StatefulSetList" => page::<kinds::StatefulSetList, _>(raw),
            "DaemonSetList" => page::<kinds::DaemonSetList, _>(raw),
            other => other_kind("workload list", other),
        }
    }
}

impl FromProtobuf for super::ApiNamespace {
    fn page(kind: &str, raw: Bytes) -> Result<Page<Self>, DecodeError> {
        match kind {
            "NamespaceList" => page::<kinds::NamespaceList, _>(raw),
            other => other_kind("NamespaceList", other),
        }
    }
}

impl FromProtobuf for super::ApiWebhookConfiguration {
    fn page(kind: &str, raw: Bytes) -> Result<Page<Self>, DecodeError> {
        match kind {
            "MutatingWebhookConfigurationList" => {
                page::<kinds::MutatingWebhookConfigurationList, _>(raw)
            }
            other => other_kind("MutatingWebhookConfigurationList", other),
        }
    }
}

impl FromProtobuf for super::ApiValidatingWebhookConfiguration {
    fn page(kind: &str, raw: Bytes) -> Result<Page<Self>, DecodeError> {
        match kind {
            // Only its metadata is read (the default validator's revision label), and an
            // object's metadata is field 1 of every kind: the metadata-only Namespace message
            // reads it and skips the webhooks.
            "ValidatingWebhookConfigurationList" => page::<kinds::NamespaceList, _>(raw),
            other => other_kind("ValidatingWebhookConfigurationList", other),
        }
    }
}

/// An error the server sent as a protobuf `Status`.
pub fn status(body: Bytes) -> Result<kube::core::Status, DecodeError> {
    let s = Status::decode(unwrap_kind(body, "Status")?)?;
    let mut out = kube::core::Status::failure(utf8(&s.message)?, utf8(&s.reason)?)
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
    fn reads_the_recorded_deployment_list_into_the_slim_workload() {
        let page: Page<super::super::ApiWorkload> =
            list(recorded_body("92-list-deployments-namespace-protobuf")).unwrap();
        assert_eq!(page.continue_token, None);
        let [d] = &page.items[..] else {
            panic!("one Deployment")
        };
        assert_eq!(d.metadata.name(), "hello");
        assert_eq!(d.metadata.namespace(), "rec-pb");
        assert_eq!(d.spec.replicas, Some(2));
        let selector = d.spec.selector.as_ref().unwrap();
        assert_eq!(selector.match_labels.get("app"), Some("hello"));
        let template = &d.spec.template;
        assert!(template.metadata.annotations.injected);
        assert_eq!(
            template.metadata.annotations.status_revision.as_deref(),
            Some("default")
        );
        let proxy = template.spec.container("istio-proxy").unwrap();
        assert_eq!(proxy.args, Some(crate::inventory::ProxyRole::Sidecar));
        assert_eq!(
            proxy.env.ca_addr.as_deref(),
            Some("istiod.istio-system.svc:15012")
        );
        // its PROXY_CONFIG is `{}`
        assert_eq!(proxy.env.discovery_address, None);
        // no controllers ran on the recording server: the status is empty, as its JSON would be
        assert_eq!(d.status, Default::default());
    }

    #[test]
    fn an_annotation_the_checks_read_is_read_from_protobuf_as_from_json() {
        use prost::Message as _;
        // an ObjectMeta with `istio-rev.io/ignore` (field 12 entries) and a big one no check reads
        let mut meta = Vec::new();
        for (k, v) in [
            (crate::istio::labels::ANNOTATION_IGNORE, "IR201"),
            ("kubectl.kubernetes.io/last-applied-configuration", "{}"),
        ] {
            let entry = kinds::tests_entry(k, v);
            prost::encoding::bytes::encode(12, &entry, &mut meta);
        }
        let item = kinds::PartialObjectMetadata {
            metadata: Some(kinds::ObjectMeta::decode(&meta[..]).unwrap()),
        };
        let list = kinds::PartialObjectMetadataList {
            metadata: None,
            items: vec![item],
        };
        let page =
            page::<kinds::PartialObjectMetadataList, Meta>(list.encode_to_vec().into()).unwrap();
        assert_eq!(
            page.items[0].annotations.rare().ignore.as_deref(),
            Some("IR201")
        );
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
