//! Who installs a rendered manifest: an IstioOperator through `istioctl install`, or a Helm
//! release. One interface for what the diff needs of either: the marks stamped at install
//! time, who owns a live object, which live objects are candidate orphans, and where to look
//! for them.

use super::helm::{self, Release};
use super::labels::{FIELD_MANAGER, HELM_FIELD_MANAGER};
use super::manifest::Rendered;
use super::owner::{self, Owner};
use serde::Serialize;
use serde_json::Value;

/// The owner of rendered objects.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Installer {
    IstioOperator(Owner),
    Helm(HelmOwner),
}

#[derive(Debug, Clone, Serialize)]
pub struct HelmOwner {
    pub helm_release: Release,
    pub revision: String,
}

/// Who a live object belongs to, from the installer's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    /// No owner marks of this installer.
    Unmanaged,
    /// Marked as another installer's: `IstioOperator NS/NAME` or `Helm release NS/NAME`.
    Foreign(String),
}

fn describe_iop(owner: &str) -> String {
    format!("IstioOperator {owner}")
}

fn describe_release(r: &Release) -> String {
    format!("Helm release {r}")
}

impl Installer {
    pub fn revision(&self) -> &str {
        match self {
            Installer::IstioOperator(o) => &o.revision,
            Installer::Helm(h) => &h.revision,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Installer::IstioOperator(o) => o.describe(),
            Installer::Helm(h) => describe_release(&h.helm_release),
        }
    }

    /// What applies the manifest, for messages: "istioctl install would change ...".
    pub fn action(&self) -> String {
        match self {
            Installer::IstioOperator(_) => "istioctl install".to_string(),
            Installer::Helm(h) => format!("helm upgrade {}", h.helm_release.name),
        }
    }

    /// The field manager a server-side apply dry run uses: the installer's own.
    pub fn field_manager(&self) -> &'static str {
        match self {
            Installer::IstioOperator(_) => FIELD_MANAGER,
            Installer::Helm(_) => HELM_FIELD_MANAGER,
        }
    }

    /// Adds what the installer writes at apply time and the rendered output lacks.
    pub fn stamp(&self, r: &mut Rendered) {
        match self {
            Installer::IstioOperator(o) => owner::stamp(r, o),
            Installer::Helm(h) => helm::stamp(r, &h.helm_release),
        }
    }

    /// Whose a live object is. Each installer reads its own marks first; an object with none
    /// is checked for the other's, so an adoption (istioctl → Helm, or back) is named as such.
    pub fn ownership(&self, live: &Value) -> Ownership {
        match self {
            Installer::IstioOperator(o) => match owner::ownership(live, o) {
                owner::Ownership::Ours => Ownership::Ours,
                owner::Ownership::Foreign(other) => Ownership::Foreign(describe_iop(&other)),
                owner::Ownership::Unmanaged => match Release::of_object(live) {
                    Some(r) => Ownership::Foreign(describe_release(&r)),
                    None => Ownership::Unmanaged,
                },
            },
            Installer::Helm(h) => match Release::of_object(live) {
                Some(r) if r == h.helm_release => Ownership::Ours,
                Some(r) => Ownership::Foreign(describe_release(&r)),
                None => match owner::iop_owner(live) {
                    Some(iop) => Ownership::Foreign(describe_iop(&iop)),
                    None => Ownership::Unmanaged,
                },
            },
        }
    }

    /// A live object the installer put there that a manifest could render: an orphan when the
    /// manifest does not.
    pub fn is_orphan_candidate(&self, v: &Value) -> bool {
        match self {
            Installer::IstioOperator(o) => owner::is_prunable(v) && owner::selected_for_prune(v, o),
            Installer::Helm(h) => helm::is_release_object(v, &h.helm_release),
        }
    }

    /// The kinds to LIST for orphans, and the label selector that narrows them.
    pub fn orphan_lists(
        &self,
    ) -> (
        &'static [(&'static str, &'static str, &'static str)],
        String,
    ) {
        match self {
            Installer::IstioOperator(o) => (owner::PRUNE_KINDS, owner::prune_selector(o)),
            Installer::Helm(_) => (helm::CHART_KINDS, helm::list_selector()),
        }
    }

    /// The fix for a drifted object.
    pub fn drift_fix(&self) -> String {
        match self {
            Installer::IstioOperator(_) => {
                "istioctl install with this CR puts it back; or bring the change into the CR"
                    .to_string()
            }
            Installer::Helm(h) => format!(
                "helm upgrade {} (same chart and values) puts it back; or bring the change into the values",
                h.helm_release.name
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn helm_owner() -> Installer {
        Installer::Helm(HelmOwner {
            helm_release: Release {
                name: "istiod".into(),
                namespace: "istio-system".into(),
            },
            revision: "default".into(),
        })
    }

    #[test]
    fn an_istioctl_diff_names_a_release_that_owns_the_object() {
        let o = Installer::IstioOperator(Owner {
            name: Some("control-plane".into()),
            namespace: Some("istio-system".into()),
            revision: "default".into(),
        });
        let helm_owned = json!({"metadata": {"namespace": "istio-system",
            "labels": {"app.kubernetes.io/managed-by": "Helm"},
            "annotations": {"meta.helm.sh/release-name": "istiod",
                "meta.helm.sh/release-namespace": "istio-system"}}});
        assert_eq!(
            o.ownership(&helm_owned),
            Ownership::Foreign("Helm release istio-system/istiod".into())
        );
        assert_eq!(o.ownership(&json!({"metadata": {}})), Ownership::Unmanaged);
        assert_eq!(o.field_manager(), "istio-operator");
        assert_eq!(helm_owner().field_manager(), "helm");
    }

    #[test]
    fn helm_ownership_by_annotations_then_istioctl_labels() {
        let h = helm_owner();
        let obj = |labels: Value, annotations: Value| json!({"metadata": {"namespace": "istio-system", "labels": labels, "annotations": annotations}});
        let ours = json!({"meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system"});
        let theirs = json!({"meta.helm.sh/release-name": "istiod-2", "meta.helm.sh/release-namespace": "istio-system"});
        assert_eq!(h.ownership(&obj(json!({}), ours)), Ownership::Ours);
        assert_eq!(
            h.ownership(&obj(json!({}), theirs)),
            Ownership::Foreign("Helm release istio-system/istiod-2".into())
        );
        // The chart's own managed-by label and "unknown" owner name nobody.
        let chart_labels = json!({"app.kubernetes.io/managed-by": "Helm",
            "install.operator.istio.io/owning-resource": "unknown"});
        assert_eq!(
            h.ownership(&obj(chart_labels, json!({}))),
            Ownership::Unmanaged
        );
        let istioctl = json!({"operator.istio.io/managed": "Reconcile",
            "install.operator.istio.io/owning-resource": "installed-state",
            "install.operator.istio.io/owning-resource-namespace": "istio-system"});
        assert_eq!(
            h.ownership(&obj(istioctl, json!({}))),
            Ownership::Foreign("IstioOperator istio-system/installed-state".into())
        );
    }
}
