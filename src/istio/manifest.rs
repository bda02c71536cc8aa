//! Rendered manifests (`istioctl manifest generate`, `helm template`): the identity of every
//! object, and the whole objects for a comparison with the cluster.

use super::labels::{LABEL_COMPONENT, LABEL_REV};
use super::objects::ObjId;
use super::profiles::ProfileSet;
use crate::error::Error;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const CORE: &str = "";

/// Whether a rendered object belongs to the base chart: by its component label when the
/// charts stamp one, else CRDs and the shared objects base creates (by name).
pub fn is_base_object(set: ProfileSet, o: &RenderedObject) -> bool {
    if let Some(c) = o.labels.get(LABEL_COMPONENT) {
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
            shared.contains(&id.name) && !o.labels.contains_key(LABEL_REV)
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

/// One rendered object.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: ObjId,
    pub api_version: String,
    pub obj: Value,
}

/// Every non-empty document of a YAML stream, as whole values. Whole objects of any kind are
/// what diff compares, so the inventory's slim reader does not fit here.
pub fn yaml_documents(name: &str, text: &str) -> Result<Vec<Value>, Error> {
    let options = serde_saphyr::options! { budget: None };
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| {
            Error::parse(
                name,
                None,
                e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                }),
            )
        })?;
    Ok(docs.into_iter().flatten().collect())
}

/// Parses rendered output into whole objects; identities and validation come from
/// [`read_manifest`], the shared parser of rendered manifests.
pub fn read_rendered(name: &str, text: &str, default_ns: &str) -> Result<Vec<Rendered>, Error> {
    let thin = read_manifest(name, text, default_ns)?;
    let docs: Vec<Value> = yaml_documents(name, text)?
        .into_iter()
        .filter(|v| !v.is_null())
        .collect();
    if docs.len() != thin.len() {
        return Err(Error::parse(
            name,
            None,
            "documents could not be told apart",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (t, mut obj) in thin.into_iter().zip(docs) {
        if !seen.insert(t.id.clone()) {
            return Err(Error::Input(format!("{name}: {} is rendered twice", t.id)));
        }
        if let Some(meta) = obj["metadata"].as_object_mut() {
            if t.id.namespace.is_empty() {
                meta.remove("namespace");
            } else {
                meta.insert("namespace".into(), Value::String(t.id.namespace.clone()));
            }
        }
        let api_version = obj["apiVersion"].as_str().unwrap_or("v1").to_string();
        out.push(Rendered {
            id: t.id,
            api_version,
            obj,
        });
    }
    Ok(out)
}

/// An object's identity from its apiVersion/kind/metadata.
pub fn identity(v: &Value, default_ns: &str) -> Option<ObjId> {
    let kind = v["kind"].as_str()?;
    let name = v["metadata"]["name"].as_str()?;
    let api_version = v["apiVersion"].as_str().unwrap_or("v1");
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let ns = v["metadata"]["namespace"].as_str().unwrap_or(default_ns);
    Some(ObjId::new(group, kind, ns, name))
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
    fn rendered_objects_get_their_namespace() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: istiod\n---\n# only a comment\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: ignored\n";
        let r = read_rendered("m.yaml", text, "istio-canary").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].obj["metadata"]["namespace"], "istio-canary");
        assert_eq!(r[0].id.to_string(), "Service/istio-canary/istiod");
        assert!(r[1].obj["metadata"].get("namespace").is_none());
        assert_eq!(r[1].api_version, "rbac.authorization.k8s.io/v1");
        let twice = format!("{text}---\n{text}");
        assert!(read_rendered("m.yaml", &twice, "x").is_err());
    }
}
