//! IR205–IR209: Gateway API gateways and waypoints istiod deploys itself. IR201–IR204 apply
//! to them through their generated Deployments, as to every gateway; these are what only a
//! Gateway has: an owner decided by labels and tags, and a Programmed condition.

use super::{Options, pods, revision_counts};
use crate::finding::{Code, Finding, ObjectRef};
use crate::gateway_api::{DeployedKind, GatewayView, SelectorSource};
use crate::istio::labels::LABEL_REV;
use crate::mesh::{Mesh, UNKNOWN_REVISION};
use crate::remedy;

pub fn check(mesh: &Mesh, _options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for gw in &mesh.gateway_api {
        let object = ObjectRef::new("Gateway", &gw.namespace, &gw.name);
        let what = format!("{} {}/{}", noun(gw), gw.namespace, gw.name);
        match gw.owners.as_slice() {
            [] => out.push(unowned(mesh, gw, object.clone(), &what)),
            [owner] => {
                out.extend(stale_pods(mesh, gw, owner, object.clone(), &what));
                out.extend(not_programmed(gw, owner, object.clone(), &what));
            }
            owners => out.push(
                Finding::new(
                    Code::IR206,
                    object.clone(),
                    format!(
                        "{what} is claimed by {} revisions ({}): each istiod applies its own Deployment, so its pods churn between them",
                        owners.len(),
                        owners.join(", ")
                    ),
                )
                .revisions(owners.iter().cloned())
                .fix(remedy::for_contested_gateway(mesh, gw).command_line()),
            ),
        }
        if gw.kind == DeployedKind::Waypoint && mesh.narrowed_to.is_none() {
            out.extend(waypoint_behind(mesh, gw, object, &what));
        }
    }
    out
}

fn noun(gw: &GatewayView) -> &'static str {
    match gw.kind {
        DeployedKind::Gateway => "Gateway",
        DeployedKind::Waypoint => "waypoint",
    }
}

/// IR205: no istiod's `IsMine` holds, so nothing deploys it and its status stays at the CRD
/// default (`Programmed: Unknown`, "Waiting for controller").
fn unowned(mesh: &Mesh, gw: &GatewayView, object: ObjectRef, what: &str) -> Finding {
    let why = match (&gw.selector, gw.selector_source) {
        (Some(sel), SelectorSource::Gateway) => {
            format!("its label {LABEL_REV}={sel} names no revision or tag with a control plane")
        }
        (Some(sel), _) => format!(
            "its namespace's label {LABEL_REV}={sel} names no revision or tag with a control plane"
        ),
        (None, _) => "it is unlabelled and no revision holds the default tag (nor, from 1.28, the default revision of istiod-default-validator)".to_string(),
    };
    Finding::new(
        Code::IR205,
        object,
        format!("{what}: no control plane reconciles it, {why}; nothing is deployed for it and its status stays \"Waiting for controller\""),
    )
    .revisions(gw.selector.iter().cloned())
    .fix(remedy::for_unowned_gateway(mesh, gw).command_line())
}

/// IR207: the owner is known, but the pods (or the pod template) say another revision.
fn stale_pods(
    mesh: &Mesh,
    gw: &GatewayView,
    owner: &str,
    object: ObjectRef,
    what: &str,
) -> Option<Finding> {
    let deployment = gw.deployment.as_deref()?;
    let stale: Vec<(&String, &usize)> = gw
        .running
        .iter()
        .filter(|(r, _)| *r != UNKNOWN_REVISION && r.as_str() != owner)
        .collect();
    let template_stale = gw.rendered_by.as_deref().is_some_and(|r| r != owner);
    // Pods behind a template already rendered by the owner are a rollout under way (IR204 and
    // IR201 say so); only one that makes no progress is stuck.
    if !template_stale && (stale.is_empty() || !gw.rollout_stuck) {
        return None;
    }
    let (detail, fix) = if template_stale {
        (
            format!(
                "its Deployment {deployment} is still rendered by {} (pod template {LABEL_REV}): istiod {owner} has not re-rendered it",
                gw.rendered_by.as_deref().unwrap_or_default()
            ),
            remedy::for_gateway_not_rerendered(mesh, owner),
        )
    } else {
        (
            format!(
                "{} of its Deployment {deployment} still run {} and the rollout makes no progress",
                stale.iter().map(|(_, n)| **n).sum::<usize>(),
                revision_counts(mesh, stale.iter().copied())
            ),
            remedy::for_stuck_rollout(gw, deployment),
        )
    };
    let mut revisions: Vec<String> = stale.iter().map(|(r, _)| r.to_string()).collect();
    if let Some(r) = gw.rendered_by.as_deref().filter(|r| *r != owner)
        && !revisions.iter().any(|x| x == r)
    {
        revisions.push(r.to_string());
    }
    revisions.push(owner.to_string());
    Some(
        Finding::new(
            Code::IR207,
            object,
            format!("{what} is owned by {owner}, but {detail}"),
        )
        .revisions(revisions)
        .fix(fix.command_line()),
    )
}

/// IR209: owned, yet istiod reports it not Programmed (no address, a bad listener...).
/// `Unknown` with an owner is istiod not having written status yet: not a finding on its own.
fn not_programmed(gw: &GatewayView, owner: &str, object: ObjectRef, what: &str) -> Option<Finding> {
    let (status, reason) = gw.programmed.as_ref()?;
    if status != "False" {
        return None;
    }
    let message = if gw.programmed_message.is_empty() {
        String::new()
    } else {
        format!(": {}", gw.programmed_message)
    };
    Some(
        Finding::new(
            Code::IR209,
            object,
            format!("{what} (owned by {owner}) is not Programmed, reason {reason}{message}"),
        )
        .revisions([owner.to_string()])
        .fix(remedy::for_not_programmed(gw).command_line()),
    )
}

/// IR208: a waypoint must move with the namespaces it serves; one left on an older revision
/// (its own `istio.io/rev` label pinned, or not re-rendered) serves them from an older istiod.
fn waypoint_behind(mesh: &Mesh, gw: &GatewayView, object: ObjectRef, what: &str) -> Vec<Finding> {
    let current = gw
        .running
        .keys()
        .filter(|r| *r != UNKNOWN_REVISION)
        .min_by(|a, b| mesh.revision_key(a).cmp(&mesh.revision_key(b)))
        .cloned()
        .or_else(|| gw.owners.first().cloned());
    let Some(current) = current else {
        return Vec::new();
    };
    let mut ahead: Vec<(String, String)> = Vec::new();
    for ns in &gw.serves {
        let Some(selected) = mesh
            .namespaces
            .iter()
            .find(|n| &n.name == ns)
            .and_then(|n| n.rev_label.as_deref())
            .and_then(|l| mesh.resolve_tag(l))
        else {
            continue;
        };
        if mesh.is_older(&current, selected) {
            ahead.push((ns.clone(), selected.to_string()));
        }
    }
    let Some((_, newest)) = ahead
        .iter()
        .max_by(|a, b| mesh.revision_key(&a.1).cmp(&mesh.revision_key(&b.1)))
        .cloned()
    else {
        return Vec::new();
    };
    let on = if gw.running.is_empty() {
        format!("is owned by {current}")
    } else {
        format!(
            "runs {current} ({})",
            pods(gw.running.get(&current).copied().unwrap_or(0))
        )
    };
    let namespaces: Vec<String> = ahead.iter().map(|(ns, r)| format!("{ns} ({r})")).collect();
    let fix = remedy::for_waypoint_behind(mesh, gw, &newest).command_line();
    vec![
        Finding::new(
            Code::IR208,
            object,
            format!(
                "{what} {on}, older than the revision the namespaces it serves select now: {}",
                namespaces.join(", ")
            ),
        )
        .revisions([current, newest])
        .fix(fix),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::mesh::GatewayKind;

    fn gateway(labels: &str, class: &str) -> String {
        format!(
            "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  namespace: shop\n  labels: {{{labels}}}\nspec:\n  gatewayClassName: {class}\nstatus:\n  conditions:\n  - {{type: Programmed, status: \"True\", reason: Programmed, message: ok}}\n"
        )
    }

    /// The Deployment istiod renders for `rev`, with the Gateway's labels copied (a tag
    /// label stays a tag on the pods; only the annotation carries the revision).
    fn generated(copied_rev: &str, rendered: &str, pods: &[&str], progressing: &str) -> String {
        let mut s = format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-istio\n  namespace: shop\n  labels:\n    gateway.istio.io/managed: istio.io-gateway-controller\n    gateway.networking.k8s.io/gateway-name: web\nspec:\n  replicas: {n}\n  template:\n    metadata:\n      labels:\n        istio.io/rev: {copied_rev}\n        gateway.istio.io/managed: istio.io-gateway-controller\n        gateway.networking.k8s.io/gateway-name: web\n        sidecar.istio.io/inject: \"false\"\n      annotations:\n        istio.io/rev: {rendered}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1.30.3\n        args: [proxy, router]\nstatus:\n  conditions:\n  - {{type: Progressing, status: \"{progressing}\"}}\n",
            n = pods.len()
        );
        for (i, rev) in pods.iter().enumerate() {
            s.push_str(&format!(
                "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-istio-6b9f-{i}\n  namespace: shop\n  labels:\n    istio.io/rev: {copied_rev}\n    gateway.istio.io/managed: istio.io-gateway-controller\n    gateway.networking.k8s.io/gateway-name: web\n    pod-template-hash: 6b9f\n  annotations:\n    istio.io/rev: {rev}\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: web-istio-6b9f, uid: u, controller: true}}\nspec:\n  containers:\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1\n    args: [proxy, router]\nstatus:\n  phase: Running\n"
            ));
        }
        s
    }

    fn all(yaml: &str) -> Vec<(Code, String)> {
        let m = mesh(yaml);
        crate::checks::run(&m, &Options::default(), &m.unread)
            .findings
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect()
    }

    const GW: &str = "Gateway/shop/web";

    fn canary() -> String {
        [
            istiod("1-29-1", "1.29.1", true),
            injector("1-29-1"),
            istiod("1-30-3", "1.30.3", true),
            injector("1-30-3"),
            tag("prod", "1-30-3"),
            namespace("shop", &[]),
        ]
        .concat()
    }

    #[test]
    fn a_finished_upgrade_through_a_tag_is_clean_and_never_an_operator_gateway() {
        let y = [
            istiod("1-30-3", "1.30.3", true),
            injector("1-30-3"),
            tag("prod", "1-30-3"),
            namespace("shop", &[]),
            gateway("istio.io/rev: prod", "istio"),
            generated("prod", "1-30-3", &["1-30-3", "1-30-3"], "True"),
        ]
        .concat();
        let m = mesh(&y);
        let gw = m
            .gateways()
            .next()
            .expect("the generated Deployment is a gateway");
        assert_eq!(gw.gateway, Some(GatewayKind::GatewayApi));
        assert_eq!(gw.object().to_string(), GW);
        assert_eq!(all(&y), vec![], "no IR102 from the copied tag label");
    }

    #[test]
    fn no_owner_and_two_owners() {
        let y = [canary(), gateway("istio.io/rev: 1-28-0", "istio")].concat();
        let f = all(&y);
        assert!(f.contains(&(Code::IR205, GW.into())), "{f:?}");
        assert!(!f.iter().any(|(c, _)| *c == Code::IR206), "{f:?}");
        let y = [
            istiod("default", "1.30.3", true),
            istiod("1-30-3", "1.30.3", true),
            injector("1-30-3"),
            tag("default", "1-30-3"),
            namespace("shop", &[]),
            gateway("", "istio"),
        ]
        .concat();
        assert_eq!(all(&y), vec![(Code::IR206, GW.into())]);
    }

    #[test]
    fn a_rollout_under_way_is_not_stuck_but_one_not_rerendered_is() {
        let rolling = [
            canary(),
            gateway("istio.io/rev: prod", "istio"),
            generated("prod", "1-30-3", &["1-29-1", "1-30-3"], "True"),
        ]
        .concat();
        let f = all(&rolling);
        assert!(!f.iter().any(|(c, _)| *c == Code::IR207), "{f:?}");
        assert!(f.contains(&(Code::IR204, GW.into())), "{f:?}");
        let stuck = rolling.replace(
            "status: \"True\"}\n---\napiVersion: v1",
            "status: \"False\"}\n---\napiVersion: v1",
        );
        assert!(all(&stuck).contains(&(Code::IR207, GW.into())));
        let not_rerendered = [
            canary(),
            gateway("istio.io/rev: prod", "istio"),
            generated("prod", "1-29-1", &["1-29-1"], "True"),
        ]
        .concat();
        assert!(all(&not_rerendered).contains(&(Code::IR207, GW.into())));
    }

    #[test]
    fn a_pinned_waypoint_behind_its_namespace() {
        let y = [
            canary(),
            namespace("shop", &[("istio.io/rev", "prod")]),
            gateway("istio.io/rev: 1-29-1", "istio-waypoint"),
        ]
        .concat();
        let f = all(&y);
        assert!(f.contains(&(Code::IR208, GW.into())), "{f:?}");
        let following = [canary(), gateway("", "istio-waypoint")].concat();
        assert!(!all(&following).iter().any(|(c, _)| *c == Code::IR208));
        // With -n the namespaces a waypoint serves are not all in view: no verdict.
        let mut inv = crate::inventory::Inventory::default();
        crate::source::snapshot::read_stream(y.as_bytes(), "test", Some(false), &mut inv).unwrap();
        let narrowed = crate::mesh::resolve(&inv, Some("shop"));
        assert!(
            !check(&narrowed, &Options::default())
                .iter()
                .any(|f| f.code == Code::IR208)
        );
    }

    #[test]
    fn not_programmed_only_when_false() {
        let y = [
            canary(),
            gateway("istio.io/rev: prod", "istio").replace(
                "status: \"True\", reason: Programmed",
                "status: \"False\", reason: AddressNotAssigned",
            ),
        ]
        .concat();
        assert!(all(&y).contains(&(Code::IR209, GW.into())));
    }

    #[test]
    fn ir207_names_every_revision_involved_and_never_the_owners_own_pods() {
        let ir207 = |pods: &[&str], rendered: &str, progressing: &str| {
            let y = [
                canary(),
                gateway("istio.io/rev: prod", "istio"),
                generated("prod", rendered, pods, progressing),
            ]
            .concat();
            check(&mesh(&y), &Options::default())
                .into_iter()
                .find(|f| f.code == Code::IR207)
                .map(|f| f.revisions)
        };
        // A stuck rollout whose pods all run the owner already: nothing is stale.
        assert_eq!(ir207(&["1-30-3", "1-30-3"], "1-30-3", "False"), None);
        // Not re-rendered: the stale template's revision is named even with no pod on it...
        assert_eq!(
            ir207(&[], "1-29-1", "True"),
            Some(vec!["1-29-1".to_string(), "1-30-3".to_string()])
        );
        // ...and beside the revisions the pods run.
        assert_eq!(
            ir207(&["1-28-0"], "1-29-1", "True"),
            Some(vec![
                "1-28-0".to_string(),
                "1-29-1".to_string(),
                "1-30-3".to_string()
            ])
        );
    }

    #[test]
    fn a_waypoint_whose_pods_still_run_an_older_revision_is_behind_its_namespace() {
        // Owned through the tag by 1-30-3, as its namespace selects, but its pods run 1-29-1:
        // what serves the namespace is the revision the pods run, not the owner.
        let y = [
            canary(),
            namespace("shop", &[("istio.io/rev", "prod")]),
            gateway("istio.io/rev: prod", "istio-waypoint"),
            generated("prod", "1-30-3", &["1-29-1"], "True")
                .replace("istio.io-gateway-controller", "istio.io-mesh-controller"),
        ]
        .concat();
        let f = all(&y);
        assert!(f.contains(&(Code::IR208, GW.into())), "{f:?}");
    }
}
