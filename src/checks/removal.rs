//! IR70x: what still depends on a revision about to be removed (`gate remove-revision`), the
//! check to run before `istioctl uninstall --revision`. Every blocker is its own finding, so a
//! pipeline log lists all of them at once rather than the first.

use crate::ambient::Target;
use crate::finding::{Code, Finding, ObjectRef};
use crate::gateway_api::DeployedKind;
use crate::inventory::{Input, Inventory};
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
    for w in mesh.workloads.iter().filter(|w| w.gateway_name.is_none()) {
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
    out.extend(gateway_api_blockers(mesh, revision, &target));
    out.extend(ztunnel_blockers(mesh, revision, &target));
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

/// What the checks of codes raised here read, where they read more than the workloads do: the
/// Gateway API ones read what ownership reads (as IR205-IR209 do), ztunnel's what IR603 reads.
pub fn inputs(code: Code) -> Option<&'static [Input]> {
    match code {
        Code::IR706 => Some(super::GATEWAY_OWNER_AND_PODS),
        Code::IR707 => Some(&[
            Input::DaemonSets,
            Input::Deployments,
            Input::MutatingWebhookConfigurations,
        ]),
        _ => None,
    }
}

/// IR706: a Gateway API gateway or waypoint the revision owns (alone or with another), whose
/// Deployment it last rendered, or whose pods run it. The Gateway is the blocker, Deployment or
/// not: an owned Gateway with none yet is deployed by its owner once istiod gets to it.
fn gateway_api_blockers(mesh: &Mesh, revision: &str, target: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for gw in &mesh.gateway_api {
        let owned = gw.owners.iter().any(|o| o == revision);
        let rendered = gw.rendered_by.as_deref() == Some(revision);
        let running = gw.running.get(revision).copied().unwrap_or(0);
        if !owned && !rendered && running == 0 {
            continue;
        }
        let mut how = Vec::new();
        if owned {
            how.push(match gw.owners.as_slice() {
                [_] => format!("owned by {revision}"),
                owners => format!("claimed by {}", owners.join(", ")),
            });
        }
        if rendered && let Some(d) = &gw.deployment {
            how.push(format!("its Deployment {d} rendered by {revision}"));
        }
        if running > 0 {
            how.push(format!(
                "{running} of its pods {} {revision}",
                if running == 1 { "runs" } else { "run" }
            ));
        }
        let noun = match gw.kind {
            DeployedKind::Gateway => "Gateway",
            DeployedKind::Waypoint => "waypoint",
        };
        let goal = if owned {
            Goal::MoveTo(target)
        } else {
            Goal::PickUpSelection
        };
        out.push(
            Finding::new(
                Code::IR706,
                ObjectRef::new("Gateway", &gw.namespace, &gw.name),
                format!("{noun} {}/{}: {}", gw.namespace, gw.name, how.join("; ")),
            )
            .revisions([revision.to_string()])
            .fix(remedy::for_gateway(mesh, gw, goal).command_line()),
        );
    }
    out
}

/// IR707: ztunnel pointing straight at the revision's istiod. Through a tag's Service it follows
/// the tag, which IR703 already asks to move.
fn ztunnel_blockers(mesh: &Mesh, revision: &str, target: &str) -> Vec<Finding> {
    mesh.node_agents
        .iter()
        .filter(|a| a.points_at == Some(Target::Revision(revision.to_string())))
        .map(|z| {
            let fix = if mesh.control_plane(target).is_some() {
                remedy::for_node_agent(z, None, Some(target))
            } else {
                remedy::Remedy::manual(
                    "point ztunnel at the revision that stays",
                    "no other control plane is installed",
                )
            };
            Finding::new(
                Code::IR707,
                ObjectRef::new("DaemonSet", &z.namespace, &z.name),
                format!(
                    "ztunnel {}/{} points at {} ({revision}): every ambient pod's certificates and workload updates come from it",
                    z.namespace,
                    z.name,
                    z.istiod_address.as_deref().unwrap_or_default()
                ),
            )
            .revisions([revision.to_string()])
            .fix(fix.command_line())
        })
        .collect()
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

    #[test]
    fn gateways_without_deployment_and_ztunnel_by_address_only() {
        let ztunnel = |address: &str| {
            format!(
                "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ztunnel\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {{app: ztunnel}}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/ztunnel:1.8.0\n        env:\n        - {{name: XDS_ADDRESS, value: {address}}}\n"
            )
        };
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            tag("prod", "1-8-0"),
            namespace("shop", &[]),
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  namespace: shop\n  labels: {istio.io/rev: 1-8-0}\nspec:\n  gatewayClassName: istio\n".to_string(),
            ztunnel("istiod-1-8-0.istio-system.svc:15012"),
        ]
        .concat();
        let m = mesh(&y);
        let inv = crate::inventory::Inventory::default();
        let f: Vec<(Code, String)> = check(&m, &inv, "1-8-0")
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect();
        assert!(
            f.contains(&(Code::IR706, "Gateway/shop/web".into())),
            "{f:?}"
        );
        let web = check(&m, &inv, "1-8-0")
            .into_iter()
            .find(|f| f.code == Code::IR706)
            .unwrap();
        assert_eq!(
            web.message, "Gateway shop/web: owned by 1-8-0",
            "no pods: no count"
        );
        assert!(
            f.contains(&(Code::IR707, "DaemonSet/istio-system/ztunnel".into())),
            "{f:?}"
        );
        // Through the tag's Service ztunnel follows the tag: IR703 is the blocker, not ztunnel.
        let m = mesh(&y.replace(
            "istiod-1-8-0.istio-system.svc:15012",
            "istiod-revision-tag-prod.istio-system.svc:15012",
        ));
        let codes: Vec<Code> = check(&m, &inv, "1-8-0")
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert!(
            codes.contains(&Code::IR703) && !codes.contains(&Code::IR707),
            "{codes:?}"
        );
    }

    #[test]
    fn each_workload_blocker_says_how_it_depends_and_moves_to_the_newest_other_revision() {
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("old", &[("istio.io/rev", "1-8-0")]),
            pod("old", "fresh", 1, "1-8-1"),
            pod("old", "both", 1, "1-8-0"),
            namespace("moved", &[("istio.io/rev", "1-8-1")]),
            pod("moved", "stale", 1, "1-8-0"),
            pod("moved", "stale", 2, "1-8-0"),
        ]
        .concat();
        let m = mesh(&y);
        let f = check(&m, &crate::inventory::Inventory::default(), "1-8-0");
        let get = |object: &str| {
            f.iter()
                .find(|f| f.object.to_string() == object)
                .unwrap_or_else(|| panic!("no {object}: {f:#?}"))
        };
        let ns = get("Namespace/old");
        assert!(ns.fix.contains("istio.io/rev=1-8-1"), "{}", ns.fix);
        // Pods left behind by a namespace that moved: a restart.
        let stale = get("Deployment/moved/stale");
        assert_eq!(
            stale.message,
            "Deployment moved/stale: 2 of its pods run 1-8-0"
        );
        assert_eq!(
            stale.fix,
            "kubectl rollout restart deployment stale -n moved"
        );
        // Selecting it, with or without pods on it: it moves first.
        let fresh = get("Deployment/old/fresh");
        assert!(
            fresh
                .message
                .starts_with("Deployment old/fresh: selects 1-8-0")
        );
        assert!(!fresh.message.contains("of its pods"), "{}", fresh.message);
        let both = get("Deployment/old/both");
        assert!(
            both.message
                .starts_with("Deployment old/both: selects 1-8-0")
                && both.message.ends_with("; 1 of its pods runs 1-8-0"),
            "{}",
            both.message
        );
        for w in [fresh, both] {
            assert!(w.fix.contains("1-8-1"), "{}", w.fix);
            assert!(!w.fix.starts_with("kubectl rollout restart"), "{}", w.fix);
        }
    }

    #[test]
    fn the_gateway_api_and_ztunnel_blockers_do_not_run_without_what_they_read() {
        use crate::verdict::{CheckState, Verdict};
        for (code, resource) in [
            (Code::IR706, "pods"),
            (Code::IR706, "gatewayclasses.gateway.networking.k8s.io"),
            (Code::IR707, "daemonsets"),
            (Code::IR707, "deployments"),
        ] {
            let unreadable = crate::inventory::Unreadable {
                resource: resource.to_string(),
                namespace: String::new(),
                reason: "forbidden".to_string(),
            };
            let v = Verdict::by_code("t", &[code], vec![], vec![], &[unreadable]);
            assert_eq!(v.checks[0].state, CheckState::NotRun, "{code:?} {resource}");
        }
    }

    #[test]
    fn pods_left_behind_restart_onto_what_their_namespace_selects_not_the_newest() {
        // The namespace moved to 1-8-1; 1-9-0 is newer still. A restart finishes the move.
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            istiod("1-9-0", "1.9.0", true),
            injector("1-9-0"),
            namespace("moved", &[("istio.io/rev", "1-8-1")]),
            pod("moved", "stale", 1, "1-8-0"),
        ]
        .concat();
        let f = check(&mesh(&y), &crate::inventory::Inventory::default(), "1-8-0");
        assert_eq!(
            f.iter().map(|f| f.fix.as_str()).collect::<Vec<_>>(),
            ["kubectl rollout restart deployment stale -n moved"]
        );
    }
}
