//! IR70x: what still depends on a revision about to be removed (`gate remove-revision`), the
//! check to run before `istioctl uninstall --revision`. Every blocker is its own finding, so a
//! pipeline log lists all of them at once rather than the first.

use crate::finding::{Code, Finding, ObjectRef};
use crate::inventory::Inventory;
use crate::istio::labels::DEFAULT_REVISION;
use crate::mesh::Mesh;
use crate::remedy::{self, Goal, Step};

pub fn check(mesh: &Mesh, inventory: &Inventory, revision: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let target = match mesh
        .newest_control_plane()
        .filter(|c| c.revision != revision)
    {
        Some(cp) => cp.revision.clone(),
        None => "<another revision>".to_string(),
    };
    for ns in &mesh.namespaces {
        if ns.selected.revision() == Some(revision) {
            out.push(
                Finding::new(
                    Code::IR701,
                    ObjectRef::cluster("Namespace", &ns.name),
                    format!(
                        "namespace {} selects {}: its new pods would be injected by a revision that no longer exists",
                        ns.name,
                        ns.selected.describe()
                    ),
                )
                .revisions([revision.to_string()])
                .fix(remedy::for_namespace(mesh, ns, Goal::MoveTo(&target)).command_line()),
            );
        }
    }
    for w in &mesh.workloads {
        let selects = w.selected.revision() == Some(revision);
        let running = w.running.get(revision).copied().unwrap_or(0);
        if !selects && running == 0 {
            continue;
        }
        let mut how = Vec::new();
        if selects {
            how.push(format!("selects {}", w.selected.describe()));
        }
        if running > 0 {
            how.push(format!(
                "{} of its pods {} {revision}",
                running,
                if running == 1 { "runs" } else { "run" }
            ));
        }
        let (code, what) = if w.gateway.is_some() {
            (Code::IR704, "gateway")
        } else {
            (Code::IR702, w.kind.as_str())
        };
        out.push(
            Finding::new(
                code,
                w.object(),
                format!("{what} {}/{}: {}", w.namespace, w.name, how.join("; ")),
            )
            .revisions([revision.to_string()])
            .fix({
                // Pods left on the revision by a namespace that already moved need only a
                // restart; anything still selecting it moves first.
                let goal = if running > 0 && !selects {
                    Goal::PickUpSelection
                } else {
                    Goal::MoveTo(&target)
                };
                remedy::for_workload(mesh, w, goal).command_line()
            }),
        );
    }
    for injector in &mesh.injectors {
        if let Some(tag) = injector
            .tag
            .as_deref()
            .filter(|_| injector.revision == revision)
        {
            out.push(
                Finding::new(
                    Code::IR703,
                    ObjectRef::cluster("MutatingWebhookConfiguration", &injector.name),
                    format!("tag {tag} points at {revision}"),
                )
                .revisions([revision.to_string()])
                .fix(
                    Step::MoveTag {
                        tag: tag.to_string(),
                        revision: target.clone(),
                    }
                    .command_line(),
                ),
            );
        }
    }
    for iop in &inventory.istio_operators {
        // istioctl's saved copies of what it installed are deleted by the uninstall itself.
        if iop.meta.name().starts_with("installed-state") {
            continue;
        }
        let installs = iop
            .spec
            .get("revision")
            .and_then(|r| r.as_str())
            .filter(|r| !r.is_empty())
            .unwrap_or(DEFAULT_REVISION);
        if installs == revision {
            out.push(
                Finding::new(
                    Code::IR705,
                    ObjectRef::new("IstioOperator", iop.meta.namespace(), iop.meta.name()),
                    format!(
                        "IstioOperator {}/{} installs {revision}: the operator would reinstall it",
                        iop.meta.namespace(),
                        iop.meta.name()
                    ),
                )
                .revisions([revision.to_string()])
                .fix(format!(
                    "kubectl delete istiooperator {} -n {} (after moving what it installs to {target})",
                    iop.meta.name(),
                    iop.meta.namespace()
                )),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn every_kind_of_blocker_is_listed() {
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            tag("prod", "1-8-0"),
            namespace("old", &[("istio.io/rev", "1-8-0")]),
            namespace("tagged", &[("istio.io/rev", "prod")]),
            namespace("moved", &[("istio.io/rev", "1-8-1")]),
            pod("moved", "stale", 1, "1-8-0"),
            gateway_pod(1, "1-8-0"),
            "---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: control-plane-1-8-0\n  namespace: istio-system\nspec:\n  revision: 1-8-0\n---\napiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata:\n  name: installed-state-control-plane-1-8-0\n  namespace: istio-system\nspec:\n  revision: 1-8-0\n".to_string(),
        ]
        .concat();
        let mut inv = crate::inventory::Inventory::default();
        crate::source::snapshot::read_stream(y.as_bytes(), "test", Some(false), &mut inv).unwrap();
        let mesh = crate::mesh::resolve(&inv, None);
        let mut f: Vec<(Code, String)> = check(&mesh, &inv, "1-8-0")
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect();
        f.sort();
        assert_eq!(
            f,
            vec![
                (Code::IR701, "Namespace/old".to_string()),
                (Code::IR701, "Namespace/tagged".to_string()),
                (Code::IR702, "Deployment/moved/stale".to_string()),
                (
                    Code::IR703,
                    "MutatingWebhookConfiguration/istio-revision-tag-prod".to_string()
                ),
                (
                    Code::IR704,
                    "Deployment/istio-system/istio-ingressgateway".to_string()
                ),
                (
                    Code::IR705,
                    "IstioOperator/istio-system/control-plane-1-8-0".to_string()
                ),
            ]
        );
        assert!(check(&mesh, &inv, "1-7-0").is_empty());
    }
}
