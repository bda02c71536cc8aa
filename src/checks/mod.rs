//! The checks: plain functions from the mesh view to findings. Each finding code is raised in
//! exactly one place, so searching for `Code::IRnnn` finds its check.

pub mod access;
pub mod ambient;
pub mod control_plane;
pub mod gateway_api;
pub mod gateways;
pub mod removal;
pub mod workloads;

use crate::finding::{Code, Finding, sort_findings};
use crate::inventory::Input;
use crate::mesh::Mesh;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--target`: the revision the upgrade moves to.
    pub target: Option<String>,
}

/// One check: the finding it raises and every inventory kind its verdict depends on. A check
/// whose inputs were not all read does not report: its verdict would be made from missing data
/// (no injector read reads as "no injector serves it"), so IR901 names it instead.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    pub code: Code,
    pub name: &'static str,
    pub inputs: &'static [Input],
}

use Input::{
    DaemonSets, Deployments, GatewayClasses, Gateways, MutatingWebhookConfigurations as Webhooks,
    Namespaces, Pods, StatefulSets, ValidatingWebhookConfigurations as Validators,
};

/// Who owns a Gateway API gateway: its class, its own or its namespace's `istio.io/rev`, the
/// tags (injector webhooks), the default revision (`istiod-default-validator`) and the control
/// planes those name.
const GATEWAY_OWNER: &[Input] = &[
    Gateways,
    GatewayClasses,
    Namespaces,
    Webhooks,
    Validators,
    Deployments,
];
/// The owner, and the generated Deployment's pods.
pub const GATEWAY_OWNER_AND_PODS: &[Input] = &[
    Gateways,
    GatewayClasses,
    Namespaces,
    Webhooks,
    Validators,
    Deployments,
    Pods,
];

/// Every `status` check. Pods are grouped into workloads by their owner references; a pod of a
/// ReplicaSet that could not be read is named after its Deployment by its `pod-template-hash`,
/// so no verdict depends on ReplicaSets. IstioOperators are read by `check-overlap` only.
pub const CHECKS: &[Check] = &[
    Check {
        code: Code::IR101,
        name: "mixed revisions in a workload",
        inputs: &[Pods],
    },
    Check {
        code: Code::IR102,
        name: "stale proxies",
        inputs: &[Pods, Namespaces, Webhooks],
    },
    Check {
        code: Code::IR103,
        name: "pods on a revision without control plane",
        inputs: &[Pods, Deployments],
    },
    Check {
        code: Code::IR104,
        name: "both injection labels",
        inputs: &[Namespaces],
    },
    Check {
        code: Code::IR105,
        name: "unserved revisions",
        inputs: &[
            Namespaces,
            Webhooks,
            Pods,
            Deployments,
            StatefulSets,
            DaemonSets,
        ],
    },
    Check {
        code: Code::IR106,
        name: "namespaces off the target",
        inputs: &[Namespaces, Webhooks],
    },
    Check {
        code: Code::IR107,
        name: "overlapping injectors",
        inputs: &[
            Namespaces,
            Webhooks,
            Pods,
            Deployments,
            StatefulSets,
            DaemonSets,
        ],
    },
    Check {
        code: Code::IR201,
        name: "gateways lagging",
        inputs: &[Pods, Deployments],
    },
    Check {
        code: Code::IR202,
        name: "gateways without control plane",
        inputs: &[Pods, Deployments],
    },
    Check {
        code: Code::IR203,
        name: "gateways moved first",
        inputs: &[Pods, Deployments],
    },
    Check {
        code: Code::IR204,
        name: "gateways on mixed revisions",
        inputs: &[Pods],
    },
    Check {
        code: Code::IR205,
        name: "Gateway API gateways without control plane",
        inputs: GATEWAY_OWNER,
    },
    Check {
        code: Code::IR206,
        name: "Gateway API gateways with two owners",
        inputs: GATEWAY_OWNER,
    },
    Check {
        code: Code::IR207,
        name: "Gateway API gateways not on their owner",
        inputs: GATEWAY_OWNER_AND_PODS,
    },
    Check {
        code: Code::IR208,
        name: "waypoints behind their namespace",
        inputs: GATEWAY_OWNER_AND_PODS,
    },
    Check {
        code: Code::IR209,
        name: "Gateway API gateways not programmed",
        inputs: GATEWAY_OWNER,
    },
    Check {
        code: Code::IR301,
        name: "control planes not ready",
        inputs: &[Deployments],
    },
    Check {
        code: Code::IR302,
        name: "revision names",
        inputs: &[Deployments, Webhooks],
    },
    Check {
        code: Code::IR303,
        name: "dangling tags",
        inputs: &[Webhooks, Deployments],
    },
    Check {
        code: Code::IR304,
        name: "unused revisions",
        inputs: &[
            Pods,
            Namespaces,
            Deployments,
            StatefulSets,
            DaemonSets,
            Webhooks,
        ],
    },
    // ztunnel's XDS_ADDRESS names a revision's istiod Service or a tag's; istio-cni is judged
    // against the newest control plane.
    Check {
        code: Code::IR601,
        name: "node agents ahead of their control plane",
        inputs: &[DaemonSets, Deployments, Webhooks],
    },
    Check {
        code: Code::IR602,
        name: "node agents behind the newest control plane",
        inputs: &[DaemonSets, Deployments],
    },
    Check {
        code: Code::IR603,
        name: "ztunnel pointing at no control plane",
        inputs: &[DaemonSets, Deployments, Webhooks],
    },
    Check {
        code: Code::IR604,
        name: "istio-cni too far ahead of ztunnel",
        inputs: &[DaemonSets],
    },
];

/// The findings of the checks that could run, and the checks that could not.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Check>,
}

/// The checks of `CHECKS` whose inputs include one of `unread`.
pub fn skipped_by(unread: &BTreeSet<Input>) -> Vec<Check> {
    CHECKS
        .iter()
        .filter(|c| c.inputs.iter().any(|i| unread.contains(i)))
        .copied()
        .collect()
}

/// Runs every check whose inputs were all read. Each area (workloads, gateways, control
/// planes, Gateway API gateways, ambient node agents) raises several codes from one pass over the mesh; an area none of whose checks may
/// run is not run at all, and no finding of a skipped check leaves the runner.
pub fn run(mesh: &Mesh, options: &Options, unread: &BTreeSet<Input>) -> Outcome {
    let skipped = skipped_by(unread);
    let runs = |code: Code| !skipped.iter().any(|c| c.code == code);
    type Area = fn(&Mesh, &Options) -> Vec<Finding>;
    let areas: [(&[Code], Area); 5] = [
        (
            &[
                Code::IR101,
                Code::IR102,
                Code::IR103,
                Code::IR104,
                Code::IR105,
                Code::IR106,
                Code::IR107,
            ],
            workloads::check,
        ),
        (
            &[Code::IR201, Code::IR202, Code::IR203, Code::IR204],
            gateways::check,
        ),
        (
            &[Code::IR301, Code::IR302, Code::IR303, Code::IR304],
            control_plane::check,
        ),
        (
            &[
                Code::IR205,
                Code::IR206,
                Code::IR207,
                Code::IR208,
                Code::IR209,
            ],
            gateway_api::check,
        ),
        (
            &[Code::IR601, Code::IR602, Code::IR603, Code::IR604],
            ambient::check,
        ),
    ];
    let mut findings = Vec::new();
    for (codes, area) in areas {
        if codes.iter().any(|c| runs(*c)) {
            findings.extend(area(mesh, options).into_iter().filter(|f| runs(f.code)));
        }
    }
    sort_findings(&mut findings);
    Outcome { findings, skipped }
}

/// The revision the upgrade is heading to: `--target`, else the newest control plane.
pub fn reference_revision<'a>(mesh: &'a Mesh, options: &'a Options) -> Option<&'a str> {
    options
        .target
        .as_deref()
        .or_else(|| mesh.newest_control_plane().map(|c| c.revision.as_str()))
}

pub(crate) fn pods(n: usize) -> String {
    if n == 1 {
        "1 pod".to_string()
    } else {
        format!("{n} pods")
    }
}

/// `1-8-0 (2 pods), 1-8-1 (1 pod)`, oldest first.
pub(crate) fn revision_counts<'a>(
    mesh: &Mesh,
    running: impl Iterator<Item = (&'a String, &'a usize)>,
) -> String {
    let mut v: Vec<(&String, &usize)> = running.collect();
    v.sort_by(|a, b| {
        mesh.revision_key(a.0)
            .cmp(&mesh.revision_key(b.0))
            .then(a.0.cmp(b.0))
    });
    v.iter()
        .map(|(r, n)| format!("{r} ({})", pods(**n)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::CATALOGUE;

    /// A new status check declares its inputs, or a token that cannot read them would get its
    /// verdict made from missing data.
    #[test]
    fn every_status_code_declares_its_inputs_once() {
        let status_codes = CATALOGUE
            .iter()
            .filter(|c| matches!(&c.as_str()[..3], "IR1" | "IR2" | "IR3" | "IR6"));
        for code in status_codes {
            let declared = CHECKS.iter().filter(|c| c.code == *code).count();
            assert_eq!(declared, 1, "{code} in checks::CHECKS");
        }
        assert!(CHECKS.iter().all(|c| !c.inputs.is_empty()));
    }

    #[test]
    fn unreadable_injectors_skip_exactly_the_checks_that_read_them() {
        let skipped: Vec<Code> = skipped_by(&[Input::MutatingWebhookConfigurations].into())
            .iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(
            skipped,
            [
                Code::IR102,
                Code::IR105,
                Code::IR106,
                Code::IR107,
                Code::IR205,
                Code::IR206,
                Code::IR207,
                Code::IR208,
                Code::IR209,
                Code::IR302,
                Code::IR303,
                Code::IR304,
                Code::IR601,
                Code::IR603,
            ]
        );
        assert!(skipped_by(&[Input::ReplicaSets, Input::IstioOperators].into()).is_empty());
    }

    #[test]
    fn unreadable_gateway_api_kinds_skip_only_the_gateway_api_checks() {
        for input in [
            Input::Gateways,
            Input::GatewayClasses,
            Input::ValidatingWebhookConfigurations,
        ] {
            let skipped: Vec<Code> = skipped_by(&[input].into()).iter().map(|c| c.code).collect();
            assert_eq!(
                skipped,
                [
                    Code::IR205,
                    Code::IR206,
                    Code::IR207,
                    Code::IR208,
                    Code::IR209
                ],
                "{input:?}"
            );
        }
    }

    #[test]
    fn the_checks_that_can_still_run_do_when_another_is_skipped() {
        use testing::*;
        let y = [
            istiod("1-8-1", "1.8.1", true),
            injector("1-8-1"),
            tag("prod", "1-7-0"),
        ]
        .concat();
        let m = mesh(&y);
        let codes = |unread: &BTreeSet<Input>| -> Vec<Code> {
            run(&m, &Options::default(), unread)
                .findings
                .iter()
                .map(|f| f.code)
                .collect()
        };
        assert_eq!(codes(&BTreeSet::new()), [Code::IR303]);
        // The Gateway API checks cannot run; the dangling tag is still found.
        assert_eq!(codes(&[Input::GatewayClasses].into()), [Code::IR303]);
        // Its own inputs unread: not run, no finding.
        assert_eq!(codes(&[Input::MutatingWebhookConfigurations].into()), []);
    }

    #[test]
    fn revision_counts_oldest_first_with_their_pods() {
        let m = testing::mesh(&testing::istiod("1-8-1", "1.8.1", true));
        let (a, b) = ("1-10-0".to_string(), "1-9-0".to_string());
        assert_eq!(
            revision_counts(&m, [(&a, &1), (&b, &2)].into_iter()),
            "1-9-0 (2 pods), 1-10-0 (1 pod)"
        );
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Builds small meshes from YAML, the way the snapshot source reads them.
    use crate::inventory::Inventory;
    use crate::mesh::{Mesh, resolve};

    /// The inventory of a YAML stream, as a snapshot file would give it.
    pub fn inventory(yaml: &str) -> Inventory {
        let mut inv = Inventory::default();
        crate::source::snapshot::read_stream(yaml.as_bytes(), "test", Some(false), &mut inv)
            .expect("test YAML parses");
        inv
    }

    pub fn mesh(yaml: &str) -> Mesh {
        resolve(&inventory(yaml), None)
    }

    pub fn istiod(rev: &str, version: &str, ready: bool) -> String {
        let name = if rev == "default" {
            "istiod".to_string()
        } else {
            format!("istiod-{rev}")
        };
        let label = if rev == "default" {
            String::new()
        } else {
            format!("\n    istio.io/rev: {rev}")
        };
        let ready_replicas = if ready { 1 } else { 0 };
        let available = if ready { "True" } else { "False" };
        format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: istio-system\n  labels:\n    app: istiod{label}\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels:\n        app: istiod\n    spec:\n      containers:\n      - name: discovery\n        image: docker.io/istio/pilot:{version}\nstatus:\n  replicas: 1\n  readyReplicas: {ready_replicas}\n  conditions:\n  - type: Available\n    status: \"{available}\"\n"
        )
    }

    /// A 1.8-style revisioned injector.
    pub fn injector(rev: &str) -> String {
        format!(
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-sidecar-injector-{rev}\n  labels:\n    istio.io/rev: {rev}\nwebhooks:\n- name: sidecar-injector.istio.io\n  clientConfig:\n    service: {{name: istiod-{rev}, namespace: istio-system}}\n  namespaceSelector:\n    matchExpressions:\n    - {{key: istio.io/rev, operator: In, values: [\"{rev}\"]}}\n    - {{key: istio-injection, operator: DoesNotExist}}\n"
        )
    }

    pub fn tag(tag: &str, rev: &str) -> String {
        format!(
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-revision-tag-{tag}\n  labels:\n    istio.io/rev: {rev}\n    istio.io/tag: {tag}\nwebhooks:\n- name: rev.namespace.sidecar-injector.istio.io\n  namespaceSelector:\n    matchExpressions:\n    - {{key: istio.io/rev, operator: In, values: [\"{tag}\"]}}\n    - {{key: istio-injection, operator: DoesNotExist}}\n"
        )
    }

    pub fn namespace(name: &str, labels: &[(&str, &str)]) -> String {
        let mut s = format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/metadata.name: {name}\n"
        );
        for (k, v) in labels {
            s.push_str(&format!("    {k}: \"{v}\"\n"));
        }
        s
    }

    /// A pod of Deployment `deploy` running revision `rev` (1.11+ status annotation).
    pub fn pod(ns: &str, deploy: &str, i: usize, rev: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {deploy}-5d8f7c9b4-{i:05}\n  namespace: {ns}\n  labels:\n    app: {deploy}\n    pod-template-hash: 5d8f7c9b4\n  annotations:\n    sidecar.istio.io/status: '{{\"revision\":\"{rev}\"}}'\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: {deploy}-5d8f7c9b4, uid: u, controller: true}}\nspec:\n  containers:\n  - name: app\n    image: app:1\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1\n    args: [proxy, sidecar]\nstatus:\n  phase: Running\n"
        )
    }

    /// An operator-rendered ingress gateway pod on `rev`.
    pub fn gateway_pod(i: usize, rev: &str) -> String {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: istio-ingressgateway-6f7d8c-{i:05}\n  namespace: istio-system\n  labels:\n    app: istio-ingressgateway\n    istio.io/rev: {rev}\n    operator.istio.io/component: IngressGateways\n    sidecar.istio.io/inject: \"false\"\n    pod-template-hash: 6f7d8c\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: istio-ingressgateway-6f7d8c, uid: u, controller: true}}\nspec:\n  containers:\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1\n    args: [proxy, router]\n    env:\n    - {{name: CA_ADDR, value: istiod-{rev}.istio-system.svc:15012}}\nstatus:\n  phase: Running\n"
        )
    }
}
