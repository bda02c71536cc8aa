//! IR601–IR604: the ambient node agents, ztunnel and istio-cni. Neither has canary upgrades:
//! each is upgraded in place, after istiod, istio-cni first. Their skew rule: a 1.x agent works
//! with control plane 1.x and 1.x+1; the data plane may never be ahead of the control plane.
//!
//! "Ahead" is judged against the control plane that serves the agent: for ztunnel, the istiod
//! its `XDS_ADDRESS` names; istio-cni talks to no istiod, so against the newest control plane.
//! (Against the oldest, as a first reading of the rule suggests, the documented order itself —
//! new istiod, then cni, then ztunnel, old istiod removed last — would be flagged at every
//! step between.)

use super::Options;
use crate::ambient::{Agent, NodeAgent, Target};
use crate::finding::{Code, Finding, ObjectRef};
use crate::mesh::Mesh;
use crate::remedy;
use crate::revision::version_key;

/// `1.30.3-distroless` → (1, 30): the skew rules are about minor versions.
fn minor(version: &str) -> Option<(u64, u64)> {
    let k = version_key(version);
    (k.len() >= 2).then(|| (k[0], k[1]))
}

pub fn check(mesh: &Mesh, _options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let newest = mesh
        .newest_control_plane()
        .and_then(|c| Some((c, minor(c.version.as_deref()?)?)));
    for agent in &mesh.node_agents {
        let object = ObjectRef::new("DaemonSet", &agent.namespace, &agent.name);
        let what = format!("{} {}/{}", agent.agent.name(), agent.namespace, agent.name);
        let version = agent.version.as_deref();
        let agent_minor = version.and_then(minor);

        // Which control plane serves it.
        let served_by = match agent.agent {
            Agent::Ztunnel => match &agent.points_at {
                Some(Target::Revision(r)) => match mesh.control_plane(r) {
                    Some(cp) => Some(cp),
                    None => {
                        out.push(points_nowhere(mesh, agent, object.clone(), &what, r, None));
                        None
                    }
                },
                Some(Target::Tag(t)) => {
                    match mesh.resolve_tag(t).and_then(|r| mesh.control_plane(r)) {
                        Some(cp) => Some(cp),
                        None => {
                            let r = mesh.resolve_tag(t).unwrap_or(t).to_string();
                            out.push(points_nowhere(
                                mesh,
                                agent,
                                object.clone(),
                                &what,
                                &r,
                                Some(t),
                            ));
                            None
                        }
                    }
                }
                None => None,
            },
            Agent::IstioCni => newest.map(|(c, _)| c),
        };

        if let (Some(v), Some(am), Some(cp)) = (version, agent_minor, served_by)
            && let Some(cpm) = cp.version.as_deref().and_then(minor)
            && am > cpm
        {
            out.push(
                Finding::new(
                    Code::IR601,
                    object.clone(),
                    format!(
                        "{what} runs {v}, ahead of control plane {} ({}): the data plane may never be ahead of the control plane",
                        cp.revision,
                        cp.version.as_deref().unwrap_or_default()
                    ),
                )
                .revisions([cp.revision.clone()])
                .fix(remedy::for_agent_ahead(agent, v, cp).command_line()),
            );
        }

        if let (Some(v), Some(am), Some((cp, cpm))) = (version, agent_minor, newest)
            && am.0 == cpm.0
            && cpm.1 > am.1 + 1
        {
            out.push(
                Finding::new(
                    Code::IR602,
                    object.clone(),
                    format!(
                        "{what} runs {v}, {} minor versions behind the newest control plane {} ({}); {} 1.x is supported with control plane 1.x and 1.x+1 only",
                        cpm.1 - am.1,
                        cp.revision,
                        cp.version.as_deref().unwrap_or_default(),
                        agent.agent.name()
                    ),
                )
                .revisions([cp.revision.clone()])
                .fix(remedy::for_node_agent(agent, cp.version.as_deref(), None).command_line()),
            );
        }
    }

    // IR604: istio-cni before ztunnel is the documented order, one minor apart a normal step
    // in between; further apart, pods on a node get a CNI ztunnel cannot follow (istio#58523).
    let ztunnel = mesh.node_agents.iter().find(|a| a.agent == Agent::Ztunnel);
    for cni in mesh
        .node_agents
        .iter()
        .filter(|a| a.agent == Agent::IstioCni)
    {
        let (Some(z), Some(cv)) = (ztunnel, cni.version.as_deref()) else {
            continue;
        };
        let (Some(zv), Some(cm)) = (z.version.as_deref(), minor(cv)) else {
            continue;
        };
        let Some(zm) = minor(zv) else { continue };
        if cm.0 == zm.0 && cm.1 > zm.1 + 1 {
            out.push(
                Finding::new(
                    Code::IR604,
                    ObjectRef::new("DaemonSet", &cni.namespace, &cni.name),
                    format!(
                        "istio-cni {}/{} runs {cv} while ztunnel {}/{} runs {zv}: {} minor versions apart; upgrade ztunnel right after istio-cni",
                        cni.namespace, cni.name, z.namespace, z.name, cm.1 - zm.1
                    ),
                )
                .fix(remedy::for_node_agent(z, Some(cv), None).command_line()),
            );
        }
    }
    out
}

/// IR603: ztunnel's istiod does not exist, so it gets no workload config nor certificates.
fn points_nowhere(
    mesh: &Mesh,
    agent: &NodeAgent,
    object: ObjectRef,
    what: &str,
    revision: &str,
    tag: Option<&str>,
) -> Finding {
    let via = match tag {
        Some(t) => format!("tag {t} (revision {revision})"),
        None => format!("revision {revision}"),
    };
    Finding::new(
        Code::IR603,
        object,
        format!(
            "{what} points at {} ({via}), which has no control plane: new ambient pods get no certificates and no workload updates",
            agent.istiod_address.as_deref().unwrap_or_default()
        ),
    )
    .revisions([revision.to_string()])
    .fix(remedy::for_ztunnel_without_istiod(mesh, agent).command_line())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn ztunnel(version: &str, address: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: ztunnel\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {{app: ztunnel}}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/ztunnel:{version}-distroless\n        args: [proxy, ztunnel]\n        env:\n        - {{name: CA_ADDRESS, value: {address}}}\n        - {{name: XDS_ADDRESS, value: {address}}}\n"
        )
    }

    fn cni(version: &str) -> String {
        format!(
            "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: istio-cni-node\n  namespace: istio-system\nspec:\n  template:\n    metadata:\n      labels: {{k8s-app: istio-cni-node}}\n    spec:\n      containers:\n      - name: install-cni\n        image: docker.io/istio/install-cni:{version}-distroless\n"
        )
    }

    fn codes(yaml: &str) -> Vec<(Code, String)> {
        let m = mesh(yaml);
        let mut v: Vec<(Code, String)> = check(&m, &Options::default())
            .into_iter()
            .map(|f| (f.code, f.object.name))
            .collect();
        v.sort();
        v
    }

    const NEW: &str = "istiod-1-30-3.istio-system.svc:15012";
    const OLD: &str = "istiod-1-29-1.istio-system.svc:15012";

    fn both() -> String {
        [
            istiod("1-29-1", "1.29.1", true),
            istiod("1-30-3", "1.30.3", true),
        ]
        .concat()
    }

    #[test]
    fn the_documented_order_is_clean_at_every_step() {
        for (z, zaddr, c) in [
            ("1.29.1", OLD, "1.29.1"),
            ("1.29.1", OLD, "1.30.3"),
            ("1.30.3", NEW, "1.30.3"),
        ] {
            let y = [both(), ztunnel(z, zaddr), cni(c)].concat();
            assert_eq!(codes(&y), vec![], "ztunnel {z} cni {c}");
        }
    }

    #[test]
    fn ahead_behind_nowhere_and_cni_too_far_ahead() {
        let y = [
            istiod("1-29-1", "1.29.1", true),
            ztunnel("1.30.3", OLD),
            cni("1.29.1"),
        ]
        .concat();
        assert_eq!(codes(&y), vec![(Code::IR601, "ztunnel".into())]);
        let y = [
            istiod("1-30-3", "1.30.3", true),
            ztunnel("1.30.3", NEW),
            cni("1.28.0"),
        ]
        .concat();
        assert_eq!(codes(&y), vec![(Code::IR602, "istio-cni-node".into())]);
        let y = [
            istiod("1-30-3", "1.30.3", true),
            ztunnel("1.30.3", "istiod.istio-system.svc:15012"),
            cni("1.30.3"),
        ]
        .concat();
        assert_eq!(codes(&y), vec![(Code::IR603, "ztunnel".into())]);
        let y = [
            istiod("1-30-3", "1.30.3", true),
            ztunnel("1.28.0", NEW),
            cni("1.30.3"),
        ]
        .concat();
        assert_eq!(
            codes(&y),
            vec![
                (Code::IR602, "ztunnel".into()),
                (Code::IR604, "istio-cni-node".into())
            ]
        );
    }

    #[test]
    fn ztunnel_through_a_tag_service_and_its_istiod_stays_in_use() {
        let y = [
            both(),
            tag("stable", "1-29-1"),
            ztunnel(
                "1.29.1",
                "istiod-revision-tag-stable.istio-system.svc:15012",
            ),
        ]
        .concat();
        assert_eq!(codes(&y), vec![]);
        let gone = [
            istiod("1-30-3", "1.30.3", true),
            tag("stable", "1-29-1"),
            ztunnel(
                "1.29.1",
                "istiod-revision-tag-stable.istio-system.svc:15012",
            ),
        ]
        .concat();
        assert_eq!(codes(&gone), vec![(Code::IR603, "ztunnel".into())]);
        // ztunnel's istiod is not "unused": no IR304 for 1-29-1.
        let m = mesh(&[both(), ztunnel("1.29.1", OLD)].concat());
        let f = crate::checks::run(
            &m,
            &Options {
                target: Some("1-30-3".into()),
            },
            &m.unread,
        )
        .findings;
        assert!(!f.iter().any(|f| f.code == Code::IR304), "{f:?}");
    }
}
