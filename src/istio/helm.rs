//! Helm's install model: which release owns an object, what Helm stamps at install time, the
//! kinds Istio's charts render, and running `helm template`.
//!
//! A release is named by the `meta.helm.sh/release-name` and `-namespace` annotations Helm
//! writes on every object it installs. Nothing else identifies one: Istio's charts render
//! `app.kubernetes.io/managed-by: Helm` themselves, so istioctl installs carry that label too,
//! and Helm's release Secrets are Secrets, which this tool never reads.

use super::labels::{
    ANNOTATION_HELM_RELEASE_NAME, ANNOTATION_HELM_RELEASE_NAMESPACE, LABEL_GATEWAY_MANAGED,
    LABEL_MANAGED_BY, MANAGED_BY_HELM,
};
use super::manifest::Rendered;
use crate::error::Error;
use crate::inventory::Meta;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Helm release: its name and the namespace it is stored in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Release {
    pub name: String,
    pub namespace: String,
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl Release {
    /// `NAME` or `NAMESPACE/NAME`; a bare name is in `default_ns`.
    pub fn parse(text: &str, flag: &str, default_ns: &str) -> Result<Release, Error> {
        let (namespace, name) = match text.split_once('/') {
            Some((ns, n)) => (ns, n),
            None => (default_ns, text),
        };
        if namespace.is_empty() || name.is_empty() || name.contains('/') {
            return Err(Error::Input(format!(
                "{flag} {text:?}: want NAME or NAMESPACE/NAME"
            )));
        }
        Ok(Release {
            name: name.to_string(),
            namespace: namespace.to_string(),
        })
    }

    /// The release a live object (as JSON) belongs to, by Helm's annotations. An object
    /// annotated with a name but no namespace is taken as in its own namespace, as Helm 3.0
    /// wrote them.
    pub fn of_object(v: &Value) -> Option<Release> {
        let a = &v["metadata"]["annotations"];
        let name = a[ANNOTATION_HELM_RELEASE_NAME]
            .as_str()
            .filter(|s| !s.is_empty())?;
        let namespace = a[ANNOTATION_HELM_RELEASE_NAMESPACE]
            .as_str()
            .filter(|s| !s.is_empty())
            .or_else(|| v["metadata"]["namespace"].as_str())
            .unwrap_or_default();
        Some(Release {
            name: name.to_string(),
            namespace: namespace.to_string(),
        })
    }

    /// The same, from an inventory object's metadata.
    pub fn of_meta(m: &Meta) -> Option<Release> {
        let name = m
            .annotations
            .rare()
            .helm_release
            .as_deref()
            .filter(|s| !s.is_empty())?;
        let namespace = m
            .annotations
            .rare()
            .helm_release_namespace
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(m.namespace());
        Some(Release {
            name: name.to_string(),
            namespace: namespace.to_string(),
        })
    }
}

/// Adds what Helm writes at install and upgrade time and `helm template` does not print: the
/// two release annotations and the managed-by label (the charts render that label too; Helm
/// sets it either way).
pub fn stamp(r: &mut Rendered, release: &Release) {
    let meta = &mut r.obj["metadata"];
    for key in ["labels", "annotations"] {
        if !meta[key].is_object() {
            meta[key] = Value::Object(Default::default());
        }
    }
    meta["labels"][LABEL_MANAGED_BY] = MANAGED_BY_HELM.into();
    meta["annotations"][ANNOTATION_HELM_RELEASE_NAME] = release.name.clone().into();
    meta["annotations"][ANNOTATION_HELM_RELEASE_NAMESPACE] = release.namespace.clone().into();
}

/// The kinds Istio's charts (base, istiod, gateway, cni, ztunnel) render, as (group, version,
/// kind): where orphans of a release are looked for. Secrets are left out: the charts render
/// none, and Helm's own release Secrets are never read.
pub const CHART_KINDS: &[(&str, &str, &str)] = &[
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "DaemonSet"),
    ("", "v1", "Service"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
];

/// The label every Helm-installed object carries: narrows the orphan LISTs (annotations cannot
/// be selected on), never decides ownership.
pub fn list_selector() -> String {
    format!("{LABEL_MANAGED_BY}={MANAGED_BY_HELM}")
}

/// Objects istiod generates for a Gateway API Gateway: no chart renders them, so they are
/// never a release's orphans, whatever they copied from the Gateway.
pub fn is_gateway_generated(v: &Value) -> bool {
    let meta = &v["metadata"];
    meta["labels"].get(LABEL_GATEWAY_MANAGED).is_some()
        || meta["ownerReferences"]
            .as_array()
            .is_some_and(|refs| refs.iter().any(|r| r["kind"] == "Gateway"))
}

/// A live object the release installed that a chart could have rendered: a candidate orphan.
pub fn is_release_object(v: &Value, release: &Release) -> bool {
    let kind = v["kind"].as_str().unwrap_or("");
    CHART_KINDS.iter().any(|(_, _, k)| *k == kind)
        && Release::of_object(v).as_ref() == Some(release)
        && !is_gateway_generated(v)
}

/// How `--helm` renders a release: `helm template RELEASE CHART -n NAMESPACE [-f VALUES]...
/// [--set revision=REV] [--version V]`.
#[derive(Debug, Clone)]
pub struct Template<'a> {
    pub release: &'a Release,
    pub chart: &'a str,
    pub values: &'a [String],
    pub revision: Option<&'a str>,
    pub chart_version: Option<&'a str>,
}

impl Template<'_> {
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "template".to_string(),
            self.release.name.clone(),
            self.chart.to_string(),
            "--namespace".to_string(),
            self.release.namespace.clone(),
        ];
        for v in self.values {
            args.push("--values".to_string());
            args.push(v.clone());
        }
        if let Some(r) = self.revision.filter(|r| !r.is_empty()) {
            args.push("--set".to_string());
            args.push(format!("revision={r}"));
        }
        if let Some(v) = self.chart_version.filter(|v| !v.is_empty()) {
            args.push("--version".to_string());
            args.push(v.to_string());
        }
        args
    }

    /// Runs helm and returns what it printed.
    pub fn run(&self, helm: &Path) -> Result<String, Error> {
        let args = self.args();
        let what = format!("{} {}", helm.display(), args.join(" "));
        let output = Command::new(helm)
            .args(&args)
            .output()
            .map_err(|e| Error::input(&what, e))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(Error::input(
                &what,
                format!(
                    "{}: {}",
                    output.status,
                    stderr
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("no output")
                ),
            ));
        }
        String::from_utf8(output.stdout).map_err(|e| Error::input(&what, e))
    }
}

/// The helm to render with: `--helm-bin PATH` (which must exist), else `helm` on PATH.
pub fn locate(explicit: Option<&str>) -> Result<Option<PathBuf>, Error> {
    if let Some(p) = explicit {
        let path = PathBuf::from(p);
        if !path.is_file() {
            return Err(Error::input(format!("--helm-bin {p}"), "no such file"));
        }
        return Ok(Some(path));
    }
    let Some(paths) = std::env::var_os("PATH") else {
        return Ok(None);
    };
    Ok(std::env::split_paths(&paths)
        .map(|d| d.join("helm"))
        .find(|p| p.is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::istio::manifest::identity;
    use serde_json::json;

    fn release() -> Release {
        Release {
            name: "istiod-canary".into(),
            namespace: "istio-system".into(),
        }
    }

    #[test]
    fn release_names_parse() {
        assert_eq!(
            Release::parse("istiod-canary", "--helm-release", "istio-system").unwrap(),
            release()
        );
        assert_eq!(
            Release::parse("istio-ingress/gw", "--helm-release", "x")
                .unwrap()
                .to_string(),
            "istio-ingress/gw"
        );
        for bad in ["", "/x", "x/", "a/b/c"] {
            assert!(
                Release::parse(bad, "--helm-release", "ns").is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn releases_come_from_the_annotations_only() {
        let managed_only = json!({"metadata": {"namespace": "istio-system",
            "labels": {"app.kubernetes.io/managed-by": "Helm"}}});
        assert_eq!(Release::of_object(&managed_only), None);
        let annotated = json!({"metadata": {"namespace": "istio-system", "annotations": {
            "meta.helm.sh/release-name": "istiod-canary",
            "meta.helm.sh/release-namespace": "istio-system"}}});
        assert_eq!(Release::of_object(&annotated), Some(release()));
    }

    #[test]
    fn stamping_adds_the_release_marks() {
        let obj = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "istiod-canary", "namespace": "istio-system"}});
        let mut r = Rendered {
            id: identity(&obj, "istio-system").unwrap(),
            api_version: "v1".into(),
            obj,
        };
        stamp(&mut r, &release());
        assert_eq!(
            r.obj["metadata"],
            json!({"name": "istiod-canary", "namespace": "istio-system",
                "labels": {"app.kubernetes.io/managed-by": "Helm"},
                "annotations": {"meta.helm.sh/release-name": "istiod-canary",
                    "meta.helm.sh/release-namespace": "istio-system"}})
        );
    }

    #[test]
    fn gateway_generated_objects_are_never_release_objects() {
        let annotations = json!({"meta.helm.sh/release-name": "istiod-canary",
            "meta.helm.sh/release-namespace": "istio-system"});
        let by_label = json!({"kind": "Deployment", "metadata": {"namespace": "istio-system",
            "annotations": annotations, "labels": {"gateway.istio.io/managed": "istio.io-gateway-controller"}}});
        let by_owner = json!({"kind": "Service", "metadata": {"namespace": "istio-system",
            "annotations": annotations, "ownerReferences": [{"kind": "Gateway", "name": "gw"}]}});
        let plain = json!({"kind": "Service", "metadata": {"namespace": "istio-system",
            "annotations": annotations}});
        let secret = json!({"kind": "Secret", "metadata": {"namespace": "istio-system",
            "annotations": annotations}});
        assert!(!is_release_object(&by_label, &release()));
        assert!(!is_release_object(&by_owner, &release()));
        assert!(!is_release_object(&secret, &release()));
        assert!(is_release_object(&plain, &release()));
    }

    #[test]
    fn template_arguments() {
        let values = vec!["a.yaml".to_string(), "b.yaml".to_string()];
        let t = Template {
            release: &release(),
            chart: "istio/istiod",
            values: &values,
            revision: Some("canary"),
            chart_version: Some("1.24.0"),
        };
        assert_eq!(
            t.args().join(" "),
            "template istiod-canary istio/istiod --namespace istio-system --values a.yaml --values b.yaml --set revision=canary --version 1.24.0"
        );
    }
}
