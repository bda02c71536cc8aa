//! The `status` report: where the cluster stands in the doc's upgrade flow, and what is wrong.

use crate::checks::{self, Options};
use crate::finding::Finding;
use crate::inventory::{Input, Inventory, Unreadable};
use crate::mesh::{ControlPlane, Mesh, NamespaceView, Selection, UNKNOWN_REVISION, WorkloadView};
use crate::remedy;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub progress: String,
    pub control_planes: Vec<ControlPlane>,
    pub gateways: Vec<GatewayRow>,
    pub namespaces: Vec<NamespaceView>,
    pub pods_per_revision: BTreeMap<String, usize>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Unreadable>,
    /// The checks that did not run because an input of theirs could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_checks: Vec<crate::finding::Code>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Who installed each revision and tag; present when Helm installed any of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installed_by: Option<crate::installs::Installs>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayRow {
    pub namespace: String,
    pub name: String,
    pub kind: crate::mesh::GatewayKind,
    pub selected: Selection,
    pub running: BTreeMap<String, usize>,
    /// The revision it should move to, when it runs an older one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lagging_behind: Option<String>,
    /// Gateway API gateways and waypoints: the revisions that claim the Gateway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<String>>,
    /// Gateway API gateways and waypoints: the Deployment istiod generated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Gateway API gateways and waypoints: the `Programmed` condition (`True`, `False
    /// (<reason>)`, or `-` when istiod never wrote one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programmed: Option<String>,
}

pub fn build(inventory: &Inventory, mesh: &Mesh, options: &Options) -> StatusReport {
    let checks::Outcome {
        mut findings,
        skipped: skipped_checks,
    } = checks::run(mesh, options, &mesh.unread);
    let skipped = |input: Input| {
        checks::skipped_by(&[input].into())
            .iter()
            .map(|c| format!("{} {}", c.code, c.name))
            .collect::<Vec<String>>()
    };
    findings.extend(checks::access::check(&inventory.unreadable, &skipped));
    crate::finding::sort_findings(&mut findings);
    let reference = checks::reference_revision(mesh, options);
    let lagging = |running: &BTreeMap<String, usize>| {
        reference
            .filter(|r| {
                running
                    .keys()
                    .any(|k| k != UNKNOWN_REVISION && mesh.is_older(k, r))
            })
            .map(str::to_string)
    };
    let view = |namespace: &str, name: &str| {
        mesh.gateway_api
            .iter()
            .find(|v| v.namespace == namespace && v.name == name)
    };
    let mut gateways: Vec<GatewayRow> = mesh
        .gateways()
        .map(|g| {
            let generated = g
                .gateway_name
                .as_deref()
                .and_then(|name| view(&g.namespace, name));
            GatewayRow {
                namespace: g.namespace.clone(),
                name: g.gateway_name.clone().unwrap_or_else(|| g.name.clone()),
                kind: g.gateway.expect("gateways() yields gateways"),
                selected: g.selected.clone(),
                running: g.running.clone(),
                lagging_behind: lagging(&g.running),
                owners: generated.map(|v| v.owners.clone()),
                deployment: generated.map(|_| g.name.clone()),
                programmed: generated.map(|v| v.programmed_text()),
            }
        })
        .collect();
    // Gateways istiod deployed nothing for (yet): unowned, or left to the user.
    for v in &mesh.gateway_api {
        if gateways
            .iter()
            .any(|g| g.deployment.is_some() && g.namespace == v.namespace && g.name == v.name)
        {
            continue;
        }
        gateways.push(GatewayRow {
            namespace: v.namespace.clone(),
            name: v.name.clone(),
            kind: match v.kind {
                crate::gateway_api::DeployedKind::Gateway => crate::mesh::GatewayKind::GatewayApi,
                crate::gateway_api::DeployedKind::Waypoint => crate::mesh::GatewayKind::Waypoint,
            },
            selected: crate::mesh::gateway_selection(v, &mesh.injectors),
            running: BTreeMap::new(),
            lagging_behind: None,
            owners: Some(v.owners.clone()),
            deployment: None,
            programmed: Some(v.programmed_text()),
        });
    }
    let mut pods_per_revision = BTreeMap::new();
    for w in &mesh.workloads {
        for (rev, n) in &w.running {
            *pods_per_revision.entry(rev.clone()).or_insert(0) += n;
        }
    }
    let namespaces: Vec<NamespaceView> = mesh
        .namespaces
        .iter()
        .filter(|n| {
            n.selected != Selection::None
                || !n.running.is_empty()
                || n.ambient_pods > 0
                || n.dataplane_mode.is_some()
                || n.rev_label.is_some()
                || n.injection_label.is_some()
        })
        .cloned()
        .collect();
    StatusReport {
        progress: progress(mesh, options),
        control_planes: mesh.control_planes.clone(),
        gateways,
        namespaces,
        pods_per_revision,
        findings,
        not_checked: inventory.unreadable.clone(),
        skipped_checks: skipped_checks.iter().map(|c| c.code).collect(),
        skipped_kinds: inventory.skipped.clone(),
        installed_by: Some(crate::installs::Installs::build(inventory, mesh))
            .filter(crate::installs::Installs::has_helm),
    }
}

/// One line: where the cluster is in the doc's flow (install new control plane → relabel →
/// restart workloads → upgrade gateways → remove the old control plane) and the next step.
pub fn progress(mesh: &Mesh, options: &Options) -> String {
    // Where the upgrade stands is made of every input but ReplicaSets and IstioOperators (no
    // verdict depends on them): with one missing, the line says what is unknown and proposes no
    // step built on the gap.
    let unread: Vec<&str> = mesh
        .unread
        .iter()
        .filter(|i| !matches!(i, Input::IstioOperators | Input::ReplicaSets))
        .map(|i| i.resource())
        .collect();
    let unknown_next = || format!("unknown until {} can be read (IR901)", unread.join(", "));
    if mesh.unread.contains(&Input::Deployments) {
        return format!(
            "control planes unknown (deployments not read) — next: {}",
            unknown_next()
        );
    }
    let Some(newest) = checks::reference_revision(mesh, options) else {
        return if mesh.workloads.iter().any(|w| w.proxies() > 0) {
            "no control plane found, but proxies are running — next: install a control plane"
                .to_string()
        } else {
            "no Istio control plane found".to_string()
        };
    };
    let new_cp = mesh.control_plane(newest);
    let proxies_on = |rev: &str, gateways: bool| -> usize {
        mesh.workloads
            .iter()
            .filter(|w| w.gateway.is_some() == gateways)
            .map(|w| w.running.get(rev).copied().unwrap_or(0))
            .sum()
    };
    // The oldest revision still in play: running somewhere, or still installed.
    let old = mesh
        .revisions
        .iter()
        .filter(|r| r.as_str() != newest && r.as_str() != UNKNOWN_REVISION)
        .find(|r| mesh.is_older(r, newest) || mesh.control_plane(r).is_some());
    let mut parts = Vec::new();
    let header = match old {
        Some(old) => format!("canary {old} → {newest}"),
        None => format!("revision {newest}"),
    };
    match new_cp {
        Some(cp) if cp.ready => parts.push(if old.is_some() {
            "new control plane ready".to_string()
        } else {
            "control plane ready".to_string()
        }),
        Some(_) => parts.push(format!("control plane {newest} NOT ready")),
        None => parts.push(format!("no control plane for {newest}")),
    }
    let ambient = mesh.is_ambient();
    let newest_minor = new_cp
        .and_then(|c| c.version.as_deref())
        .map(crate::revision::version_key);
    let agent_behind = |agent: crate::ambient::Agent| -> Option<&crate::ambient::NodeAgent> {
        mesh.node_agents.iter().find(|a| {
            a.agent == agent
                && match (
                    a.version.as_deref().map(crate::revision::version_key),
                    &newest_minor,
                ) {
                    (Some(v), Some(n)) if v.len() >= 2 && n.len() >= 2 => v[..2] < n[..2],
                    _ => false,
                }
        })
    };
    let ztunnel_elsewhere = mesh.node_agents.iter().find(|a| {
        a.agent == crate::ambient::Agent::Ztunnel
            && match &a.points_at {
                Some(crate::ambient::Target::Revision(r)) => r != newest,
                Some(crate::ambient::Target::Tag(t)) => mesh.resolve_tag(t) != Some(newest),
                None => false,
            }
    });
    if ambient {
        for a in &mesh.node_agents {
            parts.push(format!(
                "{} {}",
                a.agent.name(),
                a.version.as_deref().unwrap_or("(version unknown)")
            ));
        }
    }
    let injected: Vec<&NamespaceView> = mesh
        .namespaces
        .iter()
        .filter(|n| !matches!(n.selected, Selection::None))
        .collect();
    let moved: Vec<&&NamespaceView> = injected
        .iter()
        .filter(|n| n.selected.revision() == Some(newest))
        .collect();
    let not_moved: Vec<&str> = injected
        .iter()
        .filter(|n| n.selected.revision() != Some(newest))
        .map(|n| n.name.as_str())
        .collect();
    let ambient_only = ambient && injected.is_empty();
    if mesh.unread.contains(&Input::Namespaces)
        || mesh.unread.contains(&Input::MutatingWebhookConfigurations)
    {
        parts.push("namespaces moved: unknown".to_string());
    } else if ambient_only {
        // Ambient namespaces select no revision: ztunnel serves them, whatever their labels.
        let namespaces = mesh
            .namespaces
            .iter()
            .filter(|n| n.dataplane_mode.as_deref() == Some("ambient") || n.ambient_pods > 0)
            .count();
        let pods: usize = mesh.namespaces.iter().map(|n| n.ambient_pods).sum();
        parts.push(format!(
            "{namespaces} ambient namespace{} ({} in ambient mode)",
            if namespaces == 1 { "" } else { "s" },
            checks::pods(pods)
        ));
    } else if old.is_some() {
        parts.push(format!(
            "{} of {} namespaces moved",
            moved.len(),
            injected.len()
        ));
    } else {
        parts.push(format!(
            "{} namespace{} injected",
            injected.len(),
            if injected.len() == 1 { "" } else { "s" }
        ));
    }
    let behind: usize = mesh
        .sidecar_workloads()
        .flat_map(|w| w.running.iter())
        .filter(|(r, _)| r.as_str() != newest && r.as_str() != UNKNOWN_REVISION)
        .map(|(_, n)| n)
        .sum();
    if mesh.unread.contains(&Input::Pods) {
        parts.push("pods per revision: unknown".to_string());
    } else if ambient_only {
    } else if old.is_some() && behind == 0 {
        parts.push(format!("all pods on {newest}"));
    } else if let Some(old) = old {
        parts.push(format!(
            "{} still on {}",
            checks::pods(behind),
            if behind > 0 && proxies_on(old, false) == behind {
                old.to_string()
            } else {
                "older revisions".to_string()
            }
        ));
    } else {
        parts.push(format!(
            "{} on {newest}",
            checks::pods(proxies_on(newest, false))
        ));
    }
    let gateway_revs: Vec<String> = {
        let mut v: Vec<String> = mesh
            .gateways()
            .flat_map(|g| g.running.keys().cloned())
            .collect();
        v.sort_by(|a, b| {
            mesh.revision_key(a)
                .cmp(&mesh.revision_key(b))
                .then(a.cmp(b))
        });
        v.dedup();
        v
    };
    if !gateway_revs.is_empty() {
        parts.push(format!("gateways on {}", gateway_revs.join(", ")));
    }

    let stale_namespaces: Vec<&str> = mesh
        .sidecar_workloads()
        .filter(|w| is_stale(w))
        .map(|w| w.namespace.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    // istiod rolls the Deployments of Gateways it re-rendered: the step is to let them finish.
    let (rolling_gateways, stale_gateways): (Vec<&WorkloadView>, Vec<&WorkloadView>) = mesh
        .gateways()
        .filter(|g| is_stale(g))
        .partition(|g| g.gateway_name.is_some());
    let pick_up = |gateways: Vec<&WorkloadView>| -> Vec<String> {
        gateways
            .into_iter()
            .map(|g| remedy::for_workload(mesh, g, remedy::Goal::PickUpSelection).command_line())
            .collect()
    };
    let (rolling_gateways, stale_gateways) = (pick_up(rolling_gateways), pick_up(stale_gateways));
    let gateways_behind = gateway_revs.iter().any(|r| r != newest);
    let next = if !unread.is_empty() {
        unknown_next()
    } else if new_cp.is_none() {
        format!("install the control plane for {newest}")
    } else if !new_cp.is_some_and(|c| c.ready) {
        format!("wait until istiod {newest} is ready before moving anything")
    } else if let Some(cni) = agent_behind(crate::ambient::Agent::IstioCni) {
        format!(
            "upgrade istio-cni in place: {}",
            remedy::for_node_agent(cni, new_cp.and_then(|c| c.version.as_deref()), None)
                .command_line()
        )
    } else if let Some(z) = agent_behind(crate::ambient::Agent::Ztunnel).or(ztunnel_elsewhere) {
        format!(
            "upgrade ztunnel in place: {}",
            remedy::for_node_agent(z, new_cp.and_then(|c| c.version.as_deref()), Some(newest))
                .command_line()
        )
    } else if !not_moved.is_empty() {
        format!(
            "label namespaces {} with istio.io/rev={newest} (or move their tag)",
            list(&not_moved)
        )
    } else if !stale_namespaces.is_empty() {
        format!("restart workloads in {}", list(&stale_namespaces))
    } else if behind > 0 {
        "restart the remaining workloads on older revisions".to_string()
    } else if !rolling_gateways.is_empty() {
        format!(
            "wait for the Gateways' rollouts: {}",
            rolling_gateways.join("; ")
        )
    } else if !stale_gateways.is_empty() {
        format!("restart the gateways: {}", stale_gateways.join("; "))
    } else if gateways_behind {
        let moves: Vec<String> = mesh
            .gateways()
            .filter(|g| {
                g.running
                    .keys()
                    .any(|r| r != newest && r != UNKNOWN_REVISION)
            })
            .map(|g| remedy::for_workload(mesh, g, remedy::Goal::MoveTo(newest)).command_line())
            .collect();
        format!("upgrade the gateways to {newest}: {}", moves.join("; "))
    } else if let Some(cp) = old.and_then(|o| mesh.control_plane(o)) {
        format!(
            "remove the old control plane: {}",
            remedy::for_unused_revision(mesh, cp).command_line()
        )
    } else {
        "nothing to do".to_string()
    };
    format!("{header}: {} — next: {next}", parts.join("; "))
}

/// Pods run a revision other than the one the workload selects now.
fn is_stale(w: &crate::mesh::WorkloadView) -> bool {
    w.selected
        .revision()
        .is_some_and(|s| w.running.keys().any(|r| r != s && r != UNKNOWN_REVISION))
}

fn list(items: &[&str]) -> String {
    const SHOWN: usize = 5;
    if items.len() <= SHOWN {
        items.join(", ")
    } else {
        format!(
            "{} and {} more",
            items[..SHOWN].join(", "),
            items.len() - SHOWN
        )
    }
}
