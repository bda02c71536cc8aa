//! Which revision a pod runs, and how revisions are named and ordered.

use crate::inventory::{Container, Pod};

use crate::istio::labels::{DEFAULT_REVISION, LABEL_REV};

/// The revision a pod's proxy runs, and the signal it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub revision: Option<String>,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Annotation `istio.io/rev` (injection templates since 1.18).
    Annotation,
    /// `revision` in the `sidecar.istio.io/status` annotation (1.11+).
    StatusAnnotation,
    /// Label `istio.io/rev` (the 1.6–1.10 injector).
    Label,
    /// The istiod address the proxy was configured with.
    ProxyAddress,
    /// A proxy whose revision no signal tells.
    Unknown,
}

/// The revision the pod's proxy runs, or `None` when the pod has no proxy at all.
///
/// `service.istio.io/canonical-revision` is deliberately never read: it is the application's
/// version, not the control plane's.
pub fn running_revision(pod: &Pod, is_known_revision: impl Fn(&str) -> bool) -> Option<Running> {
    let proxy = pod.spec.proxy()?;
    let non_empty = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    let found = |revision: String, source| Running {
        revision: Some(revision),
        source,
    };
    if let Some(rev) = non_empty(pod.meta.annotations.rev.as_deref()) {
        return Some(found(rev, Source::Annotation));
    }
    if let Some(rev) = non_empty(pod.meta.annotations.status_revision.as_deref()) {
        return Some(found(rev, Source::StatusAnnotation));
    }
    let from_address = address_revision(proxy);
    if let Some(rev) = non_empty(pod.meta.label(LABEL_REV)) {
        // A label set by the user to a tag (1.10) is not what the injector wrote; the proxy's
        // own istiod address then tells the revision that really injected it.
        if is_known_revision(&rev) || from_address.is_none() {
            return Some(found(rev, Source::Label));
        }
    }
    Some(match from_address {
        Some(rev) => found(rev, Source::ProxyAddress),
        None => Running {
            revision: None,
            source: Source::Unknown,
        },
    })
}

/// `istiod-<rev>.<ns>.svc[:port]` → `<rev>`; `istiod.<ns>.svc` → `default`.
fn address_revision(proxy: &Container) -> Option<String> {
    [
        proxy.env.discovery_address.as_deref(),
        proxy.env.ca_addr.as_deref(),
    ]
    .into_iter()
    .flatten()
    .find_map(revision_from_istiod_host)
}

pub fn revision_from_istiod_host(address: &str) -> Option<String> {
    let host = address.split(':').next()?;
    let service = host.split('.').next()?;
    if service == "istiod" {
        return Some(DEFAULT_REVISION.to_string());
    }
    service
        .strip_prefix("istiod-")
        .filter(|r| !r.is_empty())
        .map(str::to_string)
}

/// The tag of an image reference, e.g. `docker.io/istio/pilot:1.8.0` → `1.8.0`.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next()?;
    let last = without_digest.rsplit('/').next()?;
    last.split_once(':')
        .map(|(_, tag)| tag)
        .filter(|t| !t.is_empty())
}

/// A sort key from the numbers in a version or revision name: `1-8-1` and `1.8.1` → [1, 8, 1].
pub fn version_key(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// DNS-1123 label: what a revision must be to appear in object names (`istiod-<rev>`).
pub fn is_dns1123_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{IstioAnnotations, Meta, PodSpec, PodStatus, ProxyEnv};

    fn pod(labels: &[(&str, &str)], ann: IstioAnnotations, ca_addr: Option<&str>) -> Pod {
        Pod {
            meta: Meta {
                name: Some("p".into()),
                namespace: Some("n".into()),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                annotations: ann,
                ..Meta::default()
            },
            spec: PodSpec {
                proxy: Some(Container {
                    name: "istio-proxy".into(),
                    image: Some("docker.io/istio/proxyv2:1.8.0".into()),
                    args: None,
                    env: ProxyEnv {
                        ca_addr: ca_addr.map(Into::into),
                        ..ProxyEnv::default()
                    },
                }),
                native_sidecar: false,
            },
            status: PodStatus::default(),
        }
    }

    fn rev(p: &Pod) -> (Option<String>, Source) {
        let r = running_revision(p, |r| r.starts_with("1-")).unwrap();
        (r.revision, r.source)
    }

    #[test]
    fn each_era_signal_in_precedence_order() {
        let ann = IstioAnnotations {
            rev: Some("1-30-3".into()),
            status_revision: Some("1-29-1".into()),
            injected: true,
            ..Default::default()
        };
        assert_eq!(
            rev(&pod(&[], ann, None)),
            (Some("1-30-3".into()), Source::Annotation)
        );
        let ann = IstioAnnotations {
            status_revision: Some("1-29-1".into()),
            injected: true,
            ..Default::default()
        };
        assert_eq!(
            rev(&pod(&[("istio.io/rev", "x")], ann, None)),
            (Some("1-29-1".into()), Source::StatusAnnotation)
        );
        assert_eq!(
            rev(&pod(
                &[("istio.io/rev", "1-8-0")],
                IstioAnnotations::default(),
                None
            )),
            (Some("1-8-0".into()), Source::Label)
        );
        assert_eq!(
            rev(&pod(
                &[],
                IstioAnnotations::default(),
                Some("istiod-1-8-1.istio-system.svc:15012")
            )),
            (Some("1-8-1".into()), Source::ProxyAddress)
        );
        assert_eq!(
            rev(&pod(
                &[("istio.io/rev", "")],
                IstioAnnotations::default(),
                Some("istiod.istio-system.svc:15012")
            )),
            (Some("default".into()), Source::ProxyAddress)
        );
    }

    #[test]
    fn a_tag_label_defers_to_the_proxy_address() {
        let p = pod(
            &[("istio.io/rev", "prod-stable")],
            IstioAnnotations::default(),
            Some("istiod-1-8-0.istio-system.svc:15012"),
        );
        assert_eq!(rev(&p), (Some("1-8-0".into()), Source::ProxyAddress));
    }

    #[test]
    fn a_revision_label_is_kept_when_known_or_when_nothing_else_tells() {
        // A known revision's label wins over the address (the injector wrote it)...
        let p = pod(
            &[("istio.io/rev", "1-9-0")],
            IstioAnnotations::default(),
            Some("istiod-1-8-0.istio-system.svc:15012"),
        );
        assert_eq!(rev(&p), (Some("1-9-0".into()), Source::Label));
        // ...and an unknown one is all there is without an address.
        let p = pod(
            &[("istio.io/rev", "prod-stable")],
            IstioAnnotations::default(),
            None,
        );
        assert_eq!(rev(&p), (Some("prod-stable".into()), Source::Label));
    }

    #[test]
    fn canonical_revision_is_never_read() {
        let p = pod(
            &[("service.istio.io/canonical-revision", "1-8-1")],
            IstioAnnotations::default(),
            None,
        );
        assert_eq!(rev(&p), (None, Source::Unknown));
    }

    #[test]
    fn names_and_versions() {
        assert_eq!(image_tag("docker.io/istio/pilot:1.8.0"), Some("1.8.0"));
        assert_eq!(
            image_tag("localhost:5000/istio/pilot:1.30.3-distroless"),
            Some("1.30.3-distroless")
        );
        assert_eq!(image_tag("localhost:5000/istio/pilot"), None);
        assert!(version_key("1-8-1") < version_key("1-10-0"));
        assert_eq!(version_key("1.30.3"), vec![1, 30, 3]);
        assert!(is_dns1123_label("1-8-1"));
        assert!(!is_dns1123_label("1.8.1"));
        assert!(!is_dns1123_label("-a"));
        assert!(!is_dns1123_label("Canary"));
    }
}
