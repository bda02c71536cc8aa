//! IR2xx: gateways, which the doc upgrades last, after workloads are verified on the new
//! revision.

use super::workloads::sorted;
use super::{Options, pods, reference_revision, revision_counts};
use crate::finding::{Code, Finding};
use crate::istio::labels::DEFAULT_REVISION;
use crate::mesh::{GatewayKind, Mesh, UNKNOWN_REVISION, Via, WorkloadView};
use crate::remedy::{self, Goal};

pub fn check(mesh: &Mesh, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let reference = reference_revision(mesh, options);
    for gw in mesh.gateways() {
        let object = gw.object();
        let what = match &gw.gateway_name {
            Some(name) if gw.gateway == Some(GatewayKind::Waypoint) => {
                format!("waypoint {}/{name} (Deployment {})", gw.namespace, gw.name)
            }
            Some(name) => format!("Gateway {}/{name} (Deployment {})", gw.namespace, gw.name),
            None => format!("gateway {}/{}", gw.namespace, gw.name),
        };
        let running: Vec<&str> = sorted(
            mesh,
            gw.running
                .keys()
                .map(String::as_str)
                .filter(|r| *r != UNKNOWN_REVISION),
        )
        .into_iter()
        .map(|r| {
            gw.running
                .get_key_value(&r)
                .map(|(k, _)| k.as_str())
                .unwrap_or_default()
        })
        .collect();

        if running.len() > 1 {
            out.push(
                Finding::new(
                    Code::IR204,
                    object.clone(),
                    format!(
                        "{what} runs {} revisions: {}",
                        running.len(),
                        revision_counts(
                            mesh,
                            gw.running.iter().filter(|(r, _)| *r != UNKNOWN_REVISION)
                        )
                    ),
                )
                .revisions(running.iter().map(|s| s.to_string()))
                .fix(remedy::for_workload(mesh, gw, Goal::PickUpSelection).command_line()),
            );
        }

        for rev in &running {
            if mesh.control_plane(rev).is_none() {
                out.push(
                    Finding::new(
                        Code::IR202,
                        object.clone(),
                        format!(
                            "{what} runs {rev} ({}) but no control plane serves {rev}: it gets no configuration updates and its certificates will not rotate",
                            pods(gw.running[*rev])
                        ),
                    )
                    .revisions([rev.to_string()])
                    .fix(
                        remedy::for_workload(mesh, gw, Goal::MoveTo(reference.unwrap_or(rev)))
                            .command_line(),
                    ),
                );
            } else if let Some(reference) = reference
                && mesh.is_older(rev, reference)
            {
                let against = if options.target.is_some() {
                    format!("the target {reference}")
                } else {
                    format!("the newest control plane {reference}")
                };
                out.push(
                    Finding::new(
                        Code::IR201,
                        object.clone(),
                        format!(
                            "{what} runs {rev} ({}), older than {against}",
                            pods(gw.running[*rev])
                        ),
                    )
                    .revisions([rev.to_string(), reference.to_string()])
                    .fix(remedy::for_workload(mesh, gw, Goal::MoveTo(reference)).command_line()),
                );
            }
        }

        // Needs every workload in view, which `-n` takes away. A gateway pinned by its own
        // label to a tag other than `default` (a canary gateway) moves ahead by design.
        if mesh.narrowed_to.is_none()
            && !is_canary_gateway(gw)
            && let Some(newest) = running.last()
        {
            // Only revisions that still have a control plane count: a workload stuck on a
            // removed one is IR103, and nothing can roll back to it.
            let behind_on = |r: &String| {
                r != UNKNOWN_REVISION && mesh.is_older(r, newest) && mesh.control_plane(r).is_some()
            };
            let behind: Vec<&WorkloadView> = mesh
                .sidecar_workloads()
                .filter(|w| w.running.keys().any(behind_on))
                .collect();
            if !behind.is_empty() {
                let pods_behind: usize = behind
                    .iter()
                    .flat_map(|w| w.running.iter())
                    .filter(|(r, _)| behind_on(r))
                    .map(|(_, n)| n)
                    .sum();
                let old: Vec<String> = sorted(
                    mesh,
                    behind
                        .iter()
                        .flat_map(|w| w.running.keys())
                        .filter(|r| behind_on(r))
                        .map(String::as_str),
                );
                let mut revisions = old.clone();
                revisions.push(newest.to_string());
                out.push(
                    Finding::new(
                        Code::IR203,
                        object.clone(),
                        format!(
                            "{what} already runs {newest} while {} in {} workload{} still run {}; gateways should move last",
                            pods(pods_behind),
                            behind.len(),
                            if behind.len() == 1 { "" } else { "s" },
                            old.join(", ")
                        ),
                    )
                    .revisions(revisions)
                    .fix(
                        remedy::for_gateway_first(mesh, gw, behind[0], newest, old.last().map(String::as_str))
                            .command_line(),
                    ),
                );
            }
        }
    }
    out
}

/// An injected gateway whose own pod label names a tag other than `default`.
fn is_canary_gateway(gw: &WorkloadView) -> bool {
    gw.gateway == Some(GatewayKind::Injected)
        && gw.selected.via() == Some(Via::PodLabel)
        && gw.selected.tag().is_some_and(|t| t != DEFAULT_REVISION)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn findings(yaml: &str, options: &Options) -> Vec<(Code, String)> {
        check(&mesh(yaml), options)
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect()
    }

    const GW: &str = "Deployment/istio-system/istio-ingressgateway";

    fn two_revisions() -> String {
        [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
        ]
        .concat()
    }

    #[test]
    fn gateway_lagging_the_newest_control_plane() {
        let y = [two_revisions(), gateway_pod(1, "1-8-0")].concat();
        assert_eq!(
            findings(&y, &Options::default()),
            vec![(Code::IR201, GW.into())]
        );
    }

    #[test]
    fn gateway_on_target_is_not_lagging() {
        let y = [two_revisions(), gateway_pod(1, "1-8-0")].concat();
        let target = Options {
            target: Some("1-8-0".into()),
        };
        assert_eq!(findings(&y, &target), vec![]);
    }

    #[test]
    fn gateway_without_control_plane() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            gateway_pod(1, "1-8-0"),
        ]
        .concat();
        assert_eq!(
            findings(&y, &Options::default()),
            vec![(Code::IR202, GW.into())]
        );
    }

    #[test]
    fn gateway_first_and_mixed() {
        let y = [
            two_revisions(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            gateway_pod(1, "1-8-1"),
            gateway_pod(2, "1-8-0"),
        ]
        .concat();
        let f = findings(&y, &Options::default());
        assert!(f.contains(&(Code::IR204, GW.into())), "{f:?}");
        assert!(f.contains(&(Code::IR203, GW.into())), "{f:?}");
        assert!(f.contains(&(Code::IR201, GW.into())), "{f:?}");
    }

    #[test]
    fn a_workload_on_a_removed_revision_does_not_hold_the_gateway_back() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
            gateway_pod(1, "1-8-1"),
        ]
        .concat();
        assert_eq!(findings(&y, &Options::default()), vec![]);
    }

    #[test]
    fn an_injected_gateway_following_a_tag_through_its_namespace_is_no_canary() {
        // Only the gateway's own pod label makes it a canary: through the namespace label the
        // tag moves the gateway ahead of the workloads like any other (IR203).
        let gw = pod("edge", "gw", 1, "1-8-1").replace(
            "  annotations:\n",
            "  annotations:\n    inject.istio.io/templates: gateway\n",
        );
        let y = [
            two_revisions(),
            tag("prod", "1-8-1"),
            namespace("edge", &[("istio.io/rev", "prod")]),
            gw,
            namespace("bookinfo", &[("istio.io/rev", "1-8-0")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
        ]
        .concat();
        let f = findings(&y, &Options::default());
        assert!(
            f.contains(&(Code::IR203, "Deployment/edge/gw".into())),
            "{f:?}"
        );
    }
}
