//! IR3xx: control planes, injectors and revision tags.

use super::Options;
use crate::finding::{Code, Finding, ObjectRef};
use crate::istio::labels::DEFAULT_REVISION;
use crate::mesh::Mesh;
use crate::remedy;
use crate::revision::is_dns1123_label;
use std::collections::BTreeSet;

pub fn check(mesh: &Mesh, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    // The revision an upgrade is about to install: caught before istioctl fails on it.
    if let Some(target) = options.target.as_deref()
        && target != DEFAULT_REVISION
        && !is_dns1123_label(target)
        && mesh.control_plane(target).is_none()
    {
        out.push(bad_name(
            ObjectRef::cluster("Revision", target),
            "target revision",
            target,
        ));
    }
    for cp in &mesh.control_planes {
        if !cp.ready {
            out.push(
                Finding::new(
                    Code::IR301,
                    cp.object(),
                    format!(
                        "control plane {} ({}) is not ready: {}/{} replicas ready",
                        cp.revision, cp.name, cp.ready_replicas, cp.replicas
                    ),
                )
                .revisions([cp.revision.clone()])
                .fix(remedy::for_not_ready(cp).command_line()),
            );
        }
        if cp.revision != DEFAULT_REVISION && !is_dns1123_label(&cp.revision) {
            out.push(bad_name(cp.object(), "revision", &cp.revision));
        }
    }
    for injector in &mesh.injectors {
        let object = ObjectRef::cluster("MutatingWebhookConfiguration", &injector.name);
        if injector.revision != DEFAULT_REVISION && !is_dns1123_label(&injector.revision) {
            out.push(bad_name(object.clone(), "revision", &injector.revision));
        }
        if let Some(tag) = &injector.tag {
            if !is_dns1123_label(tag) {
                out.push(bad_name(object.clone(), "tag", tag));
            }
            if mesh.control_plane(&injector.revision).is_none() {
                out.push(
                    Finding::new(
                        Code::IR303,
                        object,
                        format!(
                            "tag {tag} points to revision {} which has no control plane; namespaces using {tag} get no proxy",
                            injector.revision
                        ),
                    )
                    .revisions([injector.revision.clone()])
                    .fix(remedy::for_dangling_tag(mesh, tag).command_line()),
                );
            }
        }
    }
    if mesh.narrowed_to.is_none() {
        out.extend(unused_revisions(mesh, options));
    }
    out
}

fn bad_name(object: ObjectRef, what: &str, name: &str) -> Finding {
    Finding::new(
        Code::IR302,
        object,
        format!("{what} {name:?} is not a DNS-1123 label (lowercase letters, digits and '-'); Istio puts it in object names, so dots break install"),
    )
    .revisions([name.to_string()])
    .fix(remedy::for_bad_name(name).command_line())
}

/// IR304: a control plane no pod runs, no namespace or workload selects, and no tag points to.
/// The revision being upgraded to is never "unused any more": a canary just installed is idle
/// until namespaces move to it.
fn unused_revisions(mesh: &Mesh, options: &Options) -> Vec<Finding> {
    let heading_to = super::reference_revision(mesh, options);
    let mut used: BTreeSet<&str> = BTreeSet::new();
    for w in &mesh.workloads {
        used.extend(w.running.keys().map(String::as_str));
        used.extend(w.selected.revision());
    }
    for ns in &mesh.namespaces {
        used.extend(ns.selected.revision());
    }
    for injector in mesh.injectors.iter().filter(|i| i.tag.is_some()) {
        used.insert(&injector.revision);
    }
    // Gateways and waypoints istiod deployed keep their owners in use; ztunnel keeps the
    // istiod it points at.
    for gw in &mesh.gateway_api {
        used.extend(gw.owners.iter().map(String::as_str));
        used.extend(gw.running.keys().map(String::as_str));
    }
    for agent in &mesh.node_agents {
        match &agent.points_at {
            Some(crate::ambient::Target::Revision(r)) => {
                used.insert(r);
            }
            Some(crate::ambient::Target::Tag(t)) => used.extend(mesh.resolve_tag(t)),
            None => {}
        }
    }
    mesh.control_planes
        .iter()
        .filter(|cp| !used.contains(cp.revision.as_str()))
        .filter(|cp| Some(cp.revision.as_str()) != heading_to)
        .map(|cp| {
            Finding::new(
                Code::IR304,
                cp.object(),
                format!(
                    "revision {} is no longer used: no proxy runs it, no namespace, workload or tag selects it; safe to remove",
                    cp.revision
                ),
            )
            .revisions([cp.revision.clone()])
            .fix(remedy::for_unused_revision(mesh, cp).command_line())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn findings(yaml: &str) -> Vec<(Code, String)> {
        check(&mesh(yaml), &Options::default())
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect()
    }

    #[test]
    fn not_ready_and_unused() {
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", false),
            injector("1-8-1"),
            namespace("a", &[("istio.io/rev", "1-8-1")]),
        ]
        .concat();
        let f = findings(&y);
        assert!(
            f.contains(&(Code::IR301, "Deployment/istio-system/istiod-1-8-1".into())),
            "{f:?}"
        );
        assert!(
            f.contains(&(Code::IR304, "Deployment/istio-system/istiod-1-8-0".into())),
            "{f:?}"
        );
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn dotted_revision_and_dangling_tag() {
        let y = [
            istiod("1.8.1", "1.8.1", true),
            injector("1.8.1"),
            tag("prod", "1-7-0"),
            namespace("a", &[("istio.io/rev", "1.8.1")]),
        ]
        .concat();
        let f = findings(&y);
        assert!(
            f.contains(&(Code::IR302, "Deployment/istio-system/istiod-1.8.1".into())),
            "{f:?}"
        );
        assert!(
            f.contains(&(
                Code::IR303,
                "MutatingWebhookConfiguration/istio-revision-tag-prod".into()
            )),
            "{f:?}"
        );
        assert_eq!(f.len(), 3, "{f:?}");
    }

    #[test]
    fn a_fresh_canary_is_not_unused() {
        let y = [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("a", &[("istio.io/rev", "1-8-0")]),
        ]
        .concat();
        assert_eq!(findings(&y), vec![]);
    }

    #[test]
    fn a_tag_keeps_its_revision_in_use() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            tag("canary", "1-8-1"),
        ]
        .concat();
        assert_eq!(findings(&y), vec![]);
    }

    #[test]
    fn a_target_that_cannot_be_a_revision_name_is_ir302_before_the_upgrade() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("a", &[("istio.io/rev", "1-8-1")]),
        ]
        .concat();
        let target = |t: &str| {
            let options = Options {
                target: Some(t.to_string()),
            };
            check(&mesh(&y), &options)
                .into_iter()
                .map(|f| (f.code, f.object.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            target("1.9.0"),
            [(Code::IR302, "Revision/1.9.0".to_string())]
        );
        assert_eq!(target("1-9-0"), []);
        assert_eq!(target("default"), []);
    }
}
