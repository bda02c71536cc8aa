//! Who installed each control-plane revision and each revision tag: a Helm release (by the
//! `meta.helm.sh/release-*` annotations), an IstioOperator (by istioctl's owner labels), or
//! nothing. Tags applied with `helm template … | kubectl apply` or `istioctl tag` belong to no
//! release by design (Istio's Helm upgrade guide says so): that is reported as such, never as
//! drift.

use crate::inventory::{Inventory, Meta, WorkloadKind};
use crate::istio::helm::Release;
use crate::istio::labels::{LABEL_REV, LABEL_TAG};
use crate::istio::owner::iop_owner_of_labels;
use crate::mesh::Mesh;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InstalledBy {
    HelmRelease {
        name: String,
        namespace: String,
    },
    /// `NS/NAME`, `NAME`, or `(unnamed)`.
    IstioOperator {
        name: String,
    },
    /// No installer's marks.
    None,
}

impl InstalledBy {
    pub fn of(meta: &Meta) -> InstalledBy {
        if let Some(r) = Release::of_meta(meta) {
            return InstalledBy::HelmRelease {
                name: r.name,
                namespace: r.namespace,
            };
        }
        match iop_owner_of_labels(&meta.labels) {
            Some(name) => InstalledBy::IstioOperator { name },
            None => InstalledBy::None,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            InstalledBy::HelmRelease { name, namespace } => {
                format!("Helm release {namespace}/{name}")
            }
            InstalledBy::IstioOperator { name } => format!("IstioOperator {name}"),
            InstalledBy::None => "no release".to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionInstall {
    pub revision: String,
    /// The control plane's Deployment, `NAMESPACE/NAME`.
    pub deployment: String,
    pub installed_by: InstalledBy,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagInstall {
    pub tag: String,
    pub revision: String,
    /// The tag's MutatingWebhookConfiguration.
    pub webhook: String,
    pub installed_by: InstalledBy,
    /// Why a tag without a release is normal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Installs {
    pub revisions: Vec<RevisionInstall>,
    pub tags: Vec<TagInstall>,
}

/// Said of a tag no release owns: how the docs make them, and that it is not drift.
pub const UNOWNED_TAG_NOTE: &str = "applied outside Helm (helm template -s templates/revision-tags-mwc.yaml | kubectl apply, or istioctl tag): not drift";

impl Installs {
    pub fn build(inventory: &Inventory, mesh: &Mesh) -> Installs {
        let revisions = mesh
            .control_planes
            .iter()
            .map(|cp| {
                let installed_by = inventory
                    .workloads
                    .iter()
                    .find(|w| {
                        w.kind == WorkloadKind::Deployment
                            && w.meta.namespace() == cp.namespace
                            && w.meta.name() == cp.name
                    })
                    .map(|w| InstalledBy::of(&w.meta))
                    .unwrap_or(InstalledBy::None);
                RevisionInstall {
                    revision: cp.revision.clone(),
                    deployment: format!("{}/{}", cp.namespace, cp.name),
                    installed_by,
                }
            })
            .collect();
        let mut tags: Vec<TagInstall> = inventory
            .webhooks
            .iter()
            .filter_map(|mwc| {
                let tag = mwc.meta.label(LABEL_TAG)?;
                let installed_by = InstalledBy::of(&mwc.meta);
                Some(TagInstall {
                    tag: tag.to_string(),
                    revision: mwc.meta.label(LABEL_REV).unwrap_or_default().to_string(),
                    webhook: mwc.meta.name().to_string(),
                    note: (installed_by == InstalledBy::None).then(|| UNOWNED_TAG_NOTE.to_string()),
                    installed_by,
                })
            })
            .collect();
        tags.sort_by(|a, b| a.tag.cmp(&b.tag).then(a.webhook.cmp(&b.webhook)));
        Installs { revisions, tags }
    }

    /// Whether any revision or tag was installed by Helm: only then is the view shown, so a
    /// mesh installed with istioctl alone reads as before.
    pub fn has_helm(&self) -> bool {
        let helm = |i: &InstalledBy| matches!(i, InstalledBy::HelmRelease { .. });
        self.revisions.iter().any(|r| helm(&r.installed_by))
            || self.tags.iter().any(|t| helm(&t.installed_by))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::IstioAnnotations;

    fn meta(labels: &[(&str, &str)], release: Option<(&str, Option<&str>)>) -> Meta {
        Meta {
            name: Some("istiod-canary".into()),
            namespace: Some("istio-system".into()),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: {
                let mut a = IstioAnnotations::default();
                if let Some((name, namespace)) = release {
                    a.rare_mut().helm_release = Some(name.into());
                    a.rare_mut().helm_release_namespace = namespace.map(Into::into);
                }
                a
            },
            ..Default::default()
        }
    }

    #[test]
    fn the_release_annotations_name_the_installer() {
        // The charts' own managed-by label and "unknown" owner name nobody.
        let chart = [
            ("app.kubernetes.io/managed-by", "Helm"),
            ("install.operator.istio.io/owning-resource", "unknown"),
        ];
        assert_eq!(InstalledBy::of(&meta(&chart, None)), InstalledBy::None);
        assert_eq!(
            InstalledBy::of(&meta(&chart, Some(("istiod-canary", Some("istio-system"))))),
            InstalledBy::HelmRelease {
                name: "istiod-canary".into(),
                namespace: "istio-system".into()
            }
        );
        // Helm 3.0 wrote no namespace annotation: the object's own namespace.
        assert_eq!(
            InstalledBy::of(&meta(&[], Some(("istiod", None)))).describe(),
            "Helm release istio-system/istiod"
        );
        let istioctl = [
            ("operator.istio.io/managed", "Reconcile"),
            ("install.operator.istio.io/owning-resource", "control-plane"),
            (
                "install.operator.istio.io/owning-resource-namespace",
                "istio-system",
            ),
        ];
        assert_eq!(
            InstalledBy::of(&meta(&istioctl, None)).describe(),
            "IstioOperator istio-system/control-plane"
        );
        assert_eq!(
            InstalledBy::of(&meta(&[("operator.istio.io/managed", "Reconcile")], None)).describe(),
            "IstioOperator (unnamed)"
        );
    }
}
