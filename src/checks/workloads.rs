//! IR1xx: namespaces and workloads (sidecars).

use super::{Options, pods, revision_counts};
use crate::finding::{Code, Finding, ObjectRef};
use crate::istio::labels::{LABEL_INJECTION, LABEL_REV};
use crate::mesh::{InjectorMatch, Mesh, Selection, UNKNOWN_REVISION};
use crate::remedy::{self, Goal, Remedy};

pub fn check(mesh: &Mesh, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for ns in &mesh.namespaces {
        let object = ObjectRef::cluster("Namespace", &ns.name);
        // Only `enabled` shadows the revision label: with `disabled` the namespace opts out,
        // as Istio's own analyzer (IST0123) sees it, and nothing is wrong.
        if let (Some(injection @ "enabled"), Some(rev)) =
            (ns.injection_label.as_deref(), &ns.rev_label)
        {
            out.push(
                Finding::new(
                    Code::IR104,
                    object.clone(),
                    format!(
                        "namespace {} has both {LABEL_INJECTION}={injection} and {LABEL_REV}={rev}; {LABEL_INJECTION} wins, so {LABEL_REV} is ignored",
                        ns.name
                    ),
                )
                .revisions([rev.clone()])
                .fix(remedy::for_both_labels(mesh, ns).command_line()),
            );
        }
        if let Selection::Unserved { requested, .. } = &ns.selected {
            let target = super::reference_revision(mesh, options).unwrap_or(requested);
            out.push(unserved(
                object.clone(),
                &format!("namespace {}", ns.name),
                requested,
                remedy::for_namespace(mesh, ns, Goal::MoveTo(target)),
            ));
        }
        if !ns.overlapping_injectors.is_empty() {
            out.push(overlap(
                object.clone(),
                &format!("namespace {}", ns.name),
                &ns.overlapping_injectors,
            ));
        }
        if let (Some(target), Some(selected)) = (&options.target, ns.selected.revision())
            && selected != target
        {
            out.push(
                Finding::new(
                    Code::IR106,
                    object,
                    format!(
                        "namespace {} still selects {} (target {target})",
                        ns.name,
                        ns.selected.describe()
                    ),
                )
                .revisions([selected.to_string(), target.clone()])
                .fix(remedy::for_namespace(mesh, ns, Goal::MoveTo(target)).command_line()),
            );
        }
    }

    for w in mesh.workloads.iter() {
        let object = w.object();
        let what = format!("{} {}/{}", w.kind, w.namespace, w.name);
        let known: Vec<&String> = w
            .running
            .keys()
            .filter(|r| *r != UNKNOWN_REVISION)
            .collect();

        if w.gateway.is_none() && known.len() > 1 {
            out.push(
                Finding::new(
                    Code::IR101,
                    object.clone(),
                    format!(
                        "{what} runs {} revisions: {}",
                        known.len(),
                        revision_counts(
                            mesh,
                            w.running.iter().filter(|(r, _)| *r != UNKNOWN_REVISION)
                        )
                    ),
                )
                .revisions(sorted(mesh, known.iter().map(|s| s.as_str())))
                .fix(remedy::for_workload(mesh, w, Goal::PickUpSelection).command_line()),
            );
        }

        // A Gateway API gateway's pods follow its owner through istiod, not a restart: IR207.
        let generated = w.gateway.is_some_and(|k| k.is_gateway_api());
        if let Some(selected) = w.selected.revision().filter(|_| !generated) {
            let stale: Vec<(&String, &usize)> = w
                .running
                .iter()
                .filter(|(r, _)| *r != UNKNOWN_REVISION && r.as_str() != selected)
                .collect();
            let count: usize = stale.iter().map(|(_, n)| **n).sum();
            if count > 0 {
                let why = if w.gateway == Some(crate::mesh::GatewayKind::Operator) {
                    "its pod template selects"
                } else {
                    "its namespace and pod labels select"
                };
                let mut revisions = sorted(mesh, stale.iter().map(|(r, _)| r.as_str()));
                let stale_list = revisions.join(", ");
                revisions.push(selected.to_string());
                out.push(
                    Finding::new(
                        Code::IR102,
                        object.clone(),
                        format!(
                            "{what}: {count} of {} still run{} {stale_list}, but {why} {} now; restart to pick it up",
                            pods(w.proxies()),
                            if count == 1 { "s" } else { "" },
                            w.selected.describe()
                        ),
                    )
                    .revisions(revisions)
                    .fix(remedy::for_workload(mesh, w, Goal::PickUpSelection).command_line()),
                );
            }
        }

        if w.gateway.is_none() {
            let orphaned: Vec<&str> = known
                .iter()
                .map(|r| r.as_str())
                .filter(|r| mesh.control_plane(r).is_none())
                .collect();
            if !orphaned.is_empty() {
                // Restarting helps only when what it selects now has a control plane.
                let goal = match w
                    .selected
                    .revision()
                    .filter(|s| mesh.control_plane(s).is_some())
                {
                    Some(_) => Goal::PickUpSelection,
                    None => Goal::MoveTo(
                        super::reference_revision(mesh, options).unwrap_or(orphaned[0]),
                    ),
                };
                let fix = remedy::for_workload(mesh, w, goal).command_line();
                out.push(
                    Finding::new(
                        Code::IR103,
                        object.clone(),
                        format!(
                            "{what} runs {} with no control plane (no istiod Deployment for {})",
                            revision_counts(
                                mesh,
                                w.running
                                    .iter()
                                    .filter(|(r, _)| orphaned.contains(&r.as_str()))
                            ),
                            orphaned.join(", ")
                        ),
                    )
                    .revisions(orphaned.iter().map(|s| s.to_string()))
                    .fix(fix),
                );
            }
        }

        // Reported on the namespace when the namespace alone already matches them all.
        if !w.overlapping_injectors.is_empty()
            && mesh
                .namespace(&w.namespace)
                .is_none_or(|n| n.overlapping_injectors != w.overlapping_injectors)
        {
            out.push(overlap(object.clone(), &what, &w.overlapping_injectors));
        }

        if let Selection::Unserved { requested, .. } = &w.selected {
            let namespace_unserved = mesh
                .namespaces
                .iter()
                .any(|n| n.name == w.namespace && matches!(n.selected, Selection::Unserved { .. }));
            if !namespace_unserved {
                let target = super::reference_revision(mesh, options).unwrap_or(requested);
                let fix = remedy::for_workload(mesh, w, Goal::MoveTo(target));
                out.push(unserved(object, &what, requested, fix));
            }
        }
    }
    out
}

fn overlap(object: ObjectRef, what: &str, injectors: &[InjectorMatch]) -> Finding {
    let listed: Vec<String> = injectors.iter().map(ToString::to_string).collect();
    let mut revisions: Vec<String> = injectors.iter().map(|i| i.revision.clone()).collect();
    revisions.dedup();
    Finding::new(
        Code::IR107,
        object,
        format!(
            "{what} is matched by {} injectors: {}; the API server calls every one, so its pods' revision depends on webhook order",
            injectors.len(),
            listed.join(", ")
        ),
    )
    .revisions(revisions)
    .fix(remedy::for_overlapping_injectors(injectors).command_line())
}

fn unserved(object: ObjectRef, what: &str, requested: &str, fix: Remedy) -> Finding {
    Finding::new(
        Code::IR105,
        object,
        format!("{what} selects {requested} but no injector serves it; new pods will start without a proxy"),
    )
    .revisions([requested.to_string()])
    .fix(fix.command_line())
}

pub(crate) fn sorted<'a>(mesh: &Mesh, revisions: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = revisions.map(str::to_string).collect();
    v.sort_by(|a, b| {
        mesh.revision_key(a)
            .cmp(&mesh.revision_key(b))
            .then(a.cmp(b))
    });
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn codes(yaml: &str, options: &Options) -> Vec<(Code, String)> {
        let mesh = mesh(yaml);
        check(&mesh, options)
            .into_iter()
            .map(|f| (f.code, f.object.to_string()))
            .collect()
    }

    fn base() -> String {
        [
            istiod("1-8-0", "1.8.0", true),
            injector("1-8-0"),
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
        ]
        .concat()
    }

    #[test]
    fn a_clean_namespace_raises_nothing() {
        let y = [
            base(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "productpage", 1, "1-8-1"),
        ]
        .concat();
        assert_eq!(codes(&y, &Options::default()), vec![]);
    }

    #[test]
    fn stale_proxies_after_relabel() {
        let y = [
            base(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "productpage", 1, "1-8-0"),
            pod("bookinfo", "productpage", 2, "1-8-0"),
        ]
        .concat();
        let mesh = mesh(&y);
        let f = check(&mesh, &Options::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, Code::IR102);
        assert_eq!(f[0].revisions, vec!["1-8-0", "1-8-1"]);
        assert!(
            f[0].message.contains("2 of 2 pods still run 1-8-0, but"),
            "{}",
            f[0].message
        );
        assert_eq!(
            f[0].fix,
            "kubectl rollout restart deployment productpage -n bookinfo"
        );
    }

    #[test]
    fn mixed_revisions_mid_rollout() {
        let y = [
            base(),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "reviews", 1, "1-8-0"),
            pod("bookinfo", "reviews", 2, "1-8-1"),
        ]
        .concat();
        let c = codes(&y, &Options::default());
        assert!(
            c.contains(&(Code::IR101, "Deployment/bookinfo/reviews".into())),
            "{c:?}"
        );
        assert!(
            c.contains(&(Code::IR102, "Deployment/bookinfo/reviews".into())),
            "{c:?}"
        );
    }

    #[test]
    fn revision_without_control_plane() {
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            namespace("bookinfo", &[("istio.io/rev", "1-8-1")]),
            pod("bookinfo", "ratings", 1, "1-8-0"),
        ]
        .concat();
        let c = codes(&y, &Options::default());
        assert_eq!(
            c,
            vec![
                (Code::IR102, "Deployment/bookinfo/ratings".into()),
                (Code::IR103, "Deployment/bookinfo/ratings".into())
            ]
        );
    }

    #[test]
    fn both_labels_and_unserved_and_target() {
        let y = [
            base(),
            namespace(
                "a",
                &[("istio.io/rev", "1-8-0"), ("istio-injection", "enabled")],
            ),
            namespace("b", &[("istio.io/rev", "1-9-0")]),
            namespace("c", &[("istio.io/rev", "1-8-0")]),
        ]
        .concat();
        let c = codes(
            &y,
            &Options {
                target: Some("1-8-1".into()),
            },
        );
        assert!(c.contains(&(Code::IR104, "Namespace/a".into())), "{c:?}");
        // No default injector answers istio-injection=enabled here.
        assert!(c.contains(&(Code::IR105, "Namespace/a".into())), "{c:?}");
        assert!(c.contains(&(Code::IR105, "Namespace/b".into())), "{c:?}");
        assert!(c.contains(&(Code::IR106, "Namespace/c".into())), "{c:?}");
        assert!(
            !c.iter()
                .any(|(code, o)| *code == Code::IR106 && o == "Namespace/b")
        );
    }

    #[test]
    fn tags_resolve_to_their_revision() {
        let y = [
            base(),
            tag("prod-stable", "1-8-1"),
            namespace("shop", &[("istio.io/rev", "prod-stable")]),
            pod("shop", "cart", 1, "1-8-0"),
        ]
        .concat();
        let mesh = mesh(&y);
        let f = check(&mesh, &Options::default());
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].code, Code::IR102);
        assert!(
            f[0].message.contains("select 1-8-1 (tag prod-stable) now"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn injection_disabled_with_a_revision_label_is_no_ir104() {
        let y = [
            base(),
            namespace(
                "tools",
                &[("istio.io/rev", "1-8-1"), ("istio-injection", "disabled")],
            ),
        ]
        .concat();
        assert_eq!(codes(&y, &Options::default()), vec![]);
    }

    #[test]
    fn two_injectors_for_one_namespace_is_ir107_once() {
        let y = [
            base(),
            tag("canary", "1-8-1"),
            // A second tag webhook that also answers istio.io/rev=1-8-1 namespaces.
            tag("canary", "1-8-1")
                .replace("istio-revision-tag-canary", "istio-revision-tag-copy")
                .replace("[\"canary\"]", "[\"1-8-1\"]"),
            namespace("shop", &[("istio.io/rev", "1-8-1")]),
            pod("shop", "cart", 1, "1-8-1"),
        ]
        .concat();
        let c = codes(&y, &Options::default());
        assert_eq!(c, vec![(Code::IR107, "Namespace/shop".into())], "{c:?}");
    }

    #[test]
    fn ir105_on_a_workload_only_when_its_namespace_is_not_already_unserved() {
        let y = [
            base(),
            // The namespace asks for 1-9-0: reported once, on the namespace.
            namespace("b", &[("istio.io/rev", "1-9-0")]),
            pod("b", "x", 1, "1-8-1"),
            // An unlabeled namespace; the pod's own label asks for 1-9-0.
            namespace("a", &[]),
            pod("a", "y", 1, "1-8-1")
                .replace("    app: y\n", "    app: y\n    istio.io/rev: \"1-9-0\"\n"),
        ]
        .concat();
        let ir105: Vec<String> = codes(&y, &Options::default())
            .into_iter()
            .filter(|(c, _)| *c == Code::IR105)
            .map(|(_, o)| o)
            .collect();
        assert_eq!(ir105, ["Namespace/b", "Deployment/a/y"]);
    }

    #[test]
    fn a_workload_without_overlapping_injectors_is_no_ir107_even_without_its_namespace() {
        // Pods of a namespace the inventory does not hold (e.g. a -n snapshot).
        let y = [base(), pod("gone", "cart", 1, "1-8-1")].concat();
        assert_eq!(codes(&y, &Options::default()), vec![]);
    }
}
