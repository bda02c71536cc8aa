//! The `version` report: the plugin's own version, the API server's Kubernetes version and each
//! control-plane revision's Istio version (from its istiod image tag, as `status` reads it).

use crate::inventory::{Inventory, Unreadable};
use crate::mesh;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    /// This plugin's version.
    pub plugin: String,
    /// The API server's `gitVersion`; absent offline (a snapshot does not record it) and with
    /// `--client`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control_planes: Option<Vec<ControlPlaneVersion>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Unreadable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlPlaneVersion {
    pub revision: String,
    /// The Istio version; absent when the image has no tag (a digest-only reference).
    pub istio: Option<String>,
    pub namespace: String,
    pub name: String,
    pub ready: bool,
    pub tags: Vec<String>,
    pub default: bool,
}

pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The plugin's version alone (`--client`).
pub fn client_only() -> VersionReport {
    VersionReport {
        plugin: PLUGIN_VERSION.to_string(),
        kubernetes: None,
        control_planes: None,
        not_checked: Vec::new(),
    }
}

pub fn build(kubernetes: Option<String>, inventory: &Inventory) -> VersionReport {
    let mesh = mesh::resolve(inventory, None);
    let mut control_planes: Vec<ControlPlaneVersion> = mesh
        .control_planes
        .iter()
        .map(|cp| ControlPlaneVersion {
            revision: cp.revision.clone(),
            istio: cp.version.clone(),
            namespace: cp.namespace.clone(),
            name: cp.name.clone(),
            ready: cp.ready,
            tags: cp.tags.clone(),
            default: cp.default,
        })
        .collect();
    control_planes.sort_by_key(|cp| (mesh.revision_key(&cp.revision), cp.namespace.clone()));
    VersionReport {
        plugin: PLUGIN_VERSION.to_string(),
        kubernetes,
        control_planes: Some(control_planes),
        not_checked: inventory.unreadable.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_revision_with_its_istio_version_oldest_first() {
        let inputs = [crate::source::snapshot::Input::Path(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/scenarios/istioctl-3-relabeled/cluster.yaml"
            )
            .into(),
        )];
        let inventory = crate::source::snapshot::load(&inputs).unwrap();
        let report = build(Some("v1.32.0".into()), &inventory);
        let planes: Vec<(&str, Option<&str>)> = report
            .control_planes
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| (c.revision.as_str(), c.istio.as_deref()))
            .collect();
        assert_eq!(planes, [("1-8-0", Some("1.8.0")), ("1-8-1", Some("1.8.1"))]);
        assert_eq!(report.plugin, env!("CARGO_PKG_VERSION"));
    }
}
