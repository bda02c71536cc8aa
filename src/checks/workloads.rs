//! IR1xx: namespaces and workloads (sidecars).

use super::{Options, pods, revision_counts};
use crate::finding::{Code, Finding, ObjectRef};
use crate::istio::labels::{LABEL_INJECTION, LABEL_REV};
use crate::mesh::{Mesh, Selection, UNKNOWN_REVISION};

pub fn check(mesh: &Mesh, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    for ns in &mesh.namespaces {
        let object = ObjectRef::cluster("Namespace", &ns.name);
        if let (Some(injection), Some(rev)) = (&ns.injection_label, &ns.rev_label) {
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
                .fix(format!("kubectl label namespace {} {LABEL_INJECTION}-", ns.name)),
            );
        }
        if let Selection::Unserved { requested } = &ns.selected {
            out.push(unserved(
                object.clone(),
                &format!("namespace {}", ns.name),
                requested,
                mesh,
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
                .fix(format!(
                    "kubectl label namespace {} {LABEL_REV}={target} --overwrite{}",
                    ns.name,
                    if ns.injection_label.is_some() {
                        format!(" && kubectl label namespace {} {LABEL_INJECTION}-", ns.name)
                    } else {
                        String::new()
                    }
                )),
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
                .fix(w.restart_command()),
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
                    .fix(w.restart_command()),
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
                let fix = match w
                    .selected
                    .revision()
                    .filter(|s| mesh.control_plane(s).is_some())
                {
                    Some(_) => w.restart_command(),
                    None => match mesh.newest_control_plane() {
                        Some(cp) => format!(
                            "kubectl label namespace {} {LABEL_REV}={} --overwrite && {}",
                            w.namespace,
                            cp.revision,
                            w.restart_command()
                        ),
                        None => "install a control plane for this revision".to_string(),
                    },
                };
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

        if let Selection::Unserved { requested } = &w.selected {
            let namespace_unserved = mesh
                .namespaces
                .iter()
                .any(|n| n.name == w.namespace && matches!(n.selected, Selection::Unserved { .. }));
            if !namespace_unserved {
                out.push(unserved(object, &what, requested, mesh));
            }
        }
    }
    out
}

fn unserved(object: ObjectRef, what: &str, requested: &str, mesh: &Mesh) -> Finding {
    let served: Vec<String> = mesh
        .injectors
        .iter()
        .map(|i| i.tag.clone().unwrap_or_else(|| i.revision.clone()))
        .collect();
    let fix = match mesh.newest_control_plane() {
        Some(cp) => format!(
            "point it at a served revision, e.g. {LABEL_REV}={} (served: {})",
            cp.revision,
            if served.is_empty() {
                "none".to_string()
            } else {
                served.join(", ")
            }
        ),
        None => "install the control plane for that revision".to_string(),
    };
    Finding::new(
        Code::IR105,
        object,
        format!("{what} selects {requested} but no injector serves it; new pods will start without a proxy"),
    )
    .revisions([requested.to_string()])
    .fix(fix)
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
}
