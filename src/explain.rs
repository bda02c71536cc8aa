//! `explain IRxxx`: what a finding code means, why it matters, how to fix it, and an example,
//! like `rustc --explain`. `docs/findings.md` is generated from the same texts
//! ([`findings_markdown`]) and a test keeps the file in step.
//!
//! The `match` has no wildcard: a new code does not compile until it is explained.

use crate::finding::{CATALOGUE, Code};

pub struct Explanation {
    /// Why it matters.
    pub why: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// What it looks like.
    pub example: &'static str,
}

pub fn explanation(code: Code) -> Explanation {
    let (why, fix, example) = match code {
        Code::IR101 => (
            "Pods of one workload run different revisions, so its replicas get configuration from different control planes. Usually a rollout that stopped half way, or pods restarted one by one after a relabel.",
            "Restart the workload so every pod is injected by the revision it selects now, and wait for the rollout to finish.",
            "Deployment/shop/cart runs 2 revisions: 1-8-0 (2 pods), 1-8-1 (1 pod)\n  fix: kubectl rollout restart deployment cart -n shop",
        ),
        Code::IR102 => (
            "Injection happens when a pod is created. After a namespace is relabelled (or its tag moved), the pods already running keep the old proxy until they are restarted: the upgrade is not done for them, and removing the old control plane would leave them without one.",
            "Restart the workload (kubectl rollout restart). If the workload should stay on the old revision, change its namespace or pod label back instead.",
            "Deployment/bookinfo/ratings: 2 of 2 pods still run 1-8-0, but its namespace and pod labels select 1-8-1 now; restart to pick it up\n  fix: kubectl rollout restart deployment ratings -n bookinfo",
        ),
        Code::IR103 => (
            "The pods' proxies were injected by a revision whose istiod is gone: they get no configuration updates, and their certificates stop rotating, so they will fail once the certificates expire.",
            "Point the namespace at a revision that has a control plane and restart the workload.",
            "Deployment/legacy/app runs 1-7-0 (3 pods) with no control plane (no istiod Deployment for 1-7-0)\n  fix: kubectl label namespace legacy istio.io/rev=1-8-1 --overwrite && kubectl rollout restart deployment app -n legacy",
        ),
        Code::IR104 => (
            "When a namespace has both istio-injection and istio.io/rev, istio-injection wins: the istio.io/rev label is silently ignored, so relabelling the namespace for a canary upgrade does nothing.",
            "Remove the istio-injection label so istio.io/rev takes effect.",
            "Namespace/shop has both istio-injection=enabled and istio.io/rev=1-8-1; istio-injection wins\n  fix: kubectl label namespace shop istio-injection-",
        ),
        Code::IR105 => (
            "The namespace or pod asks for a revision or tag that no injector webhook answers: new pods start without a proxy, silently leaving the mesh.",
            "Label it with a revision or tag that exists (kubectl istio-rev status lists them), or create the tag (istioctl tag set).",
            "Namespace/shop selects 1-9-0 but no injector serves it; new pods will start without a proxy\n  fix: point it at a served revision, e.g. istio.io/rev=1-8-1 (served: 1-8-0, 1-8-1)",
        ),
        Code::IR106 => (
            "With --target, the upgrade is moving to that revision; a namespace that still selects another one will not move when its workloads restart.",
            "Relabel the namespace to the target (or move the tag it uses), then restart its workloads.",
            "Namespace/shop still selects 1-8-0 (target 1-8-1)\n  fix: kubectl label namespace shop istio.io/rev=1-8-1 --overwrite",
        ),
        Code::IR107 => (
            "The API server calls every mutating webhook whose selectors match: when two injectors (a revision's and a tag's, or istio-injection=enabled on the default revision beside an istio.io/rev label) both match, the pod is injected by whichever runs last, so its revision depends on webhook order and can change at the next restart.",
            "Make exactly one injector match: remove the extra label, or remove the tag or revision webhook that should no longer serve the namespace.",
            "Namespace/shop is matched by 2 injectors: istio-sidecar-injector-1-8-0, istio-revision-tag-default; the API server calls every one, so its pods' revision depends on webhook order\n  fix: kubectl label namespace shop istio-injection-",
        ),
        Code::IR201 => (
            "Gateways are upgraded last, but they must be upgraded: a gateway on an older revision than the mesh is heading to blocks removing that revision's control plane.",
            "Once the workloads are verified on the new revision, move the gateway: re-install the gateways IstioOperator with the new revision (operator gateways), relabel its namespace and restart it (injected gateways), or move the tag its Gateway selects or relabel the Gateway (Gateway API gateways and waypoints: istiod re-renders and rolls them).",
            "Deployment/istio-system/istio-ingressgateway runs 1-8-0 (2 pods), older than the newest control plane 1-8-1\n  fix: istioctl install -f gateways.yaml --revision 1-8-1, then kubectl rollout restart deployment istio-ingressgateway -n istio-system",
        ),
        Code::IR202 => (
            "A gateway whose revision has no control plane gets no configuration updates (new routes never arrive) and its certificates will not rotate. Usually the old control plane was removed before the gateways moved.",
            "Move the gateway to a revision that has a control plane, then restart it.",
            "Deployment/istio-system/istio-ingressgateway runs 1-8-0 (2 pods) but no control plane serves 1-8-0",
        ),
        Code::IR203 => (
            "The upgrade guide moves gateways last, after the workloads are verified on the new revision. A gateway already on the new revision while workloads run the old one means a rollback of the workloads would leave them behind a newer gateway.",
            "Move the remaining workloads to the new revision, or roll the gateway back until they have moved.",
            "Deployment/istio-system/istio-ingressgateway already runs 1-8-1 while 3 pods in 2 workloads still run 1-8-0; gateways should move last",
        ),
        Code::IR204 => (
            "Gateway pods on different revisions serve the same traffic with configuration from different control planes: a gateway rollout that has not finished.",
            "Restart the gateway and wait for its rollout to finish (a Gateway API gateway or waypoint is rolled by istiod: wait for it, do not restart it).",
            "Deployment/istio-system/istio-ingressgateway runs 2 revisions: 1-8-0 (1 pod), 1-8-1 (1 pod)",
        ),
        Code::IR205 => (
            "istiod reconciles a Gateway API Gateway only when it is \"its\": the Gateway's istio.io/rev label (else its namespace's) names its revision or one of its tags; an unlabelled one belongs to the revision holding the default tag (from 1.28 also to the default revision of istiod-default-validator). When no istiod holds the name, nothing deploys the Gateway and its status stays \"Waiting for controller\": the traffic it should carry has nowhere to go (istio#56767).",
            "Label the Gateway with a revision or tag that has a control plane (kubectl label gateway NAME -n NS istio.io/rev=TAG --overwrite), or create the tag it names; istiod then deploys it.",
            "Gateway/istio-ingress/bookinfo-gateway: Gateway istio-ingress/bookinfo-gateway: no control plane reconciles it, its label istio.io/rev=1-28-0 names no revision or tag with a control plane; nothing is deployed for it and its status stays \"Waiting for controller\"\n  fix: kubectl label gateway bookinfo-gateway -n istio-ingress istio.io/rev=prod-stable --overwrite",
        ),
        Code::IR206 => (
            "Every istiod decides for itself whether a Gateway is its own. When two of them claim it (an unlabelled Gateway with the default tag on one revision and the default revision on another, or a revision named `default` beside a default tag), both server-side apply the same Deployment with their own revision, and its pods churn between them (istio#54280, #58350).",
            "Label the Gateway with the one revision or tag that should own it, or keep the default tag on one revision only.",
            "Gateway/istio-ingress/bookinfo-gateway: Gateway istio-ingress/bookinfo-gateway is claimed by 2 revisions (1-30-3, default): each istiod applies its own Deployment, so its pods churn between them\n  fix: kubectl label gateway bookinfo-gateway -n istio-ingress istio.io/rev=1-30-3 --overwrite",
        ),
        Code::IR207 => (
            "A Gateway moves revision when its owner re-renders its Deployment (new image, CA_ADDR, istio.io/rev) and the Deployment rolls. A pod template still rendered by the previous owner means the new istiod has not reconciled it (not ready, not the leader of the gateway deployment controller); a rollout that makes no progress leaves pods on the old revision. Either way the Gateway is served by a control plane that no longer owns it, which loses routes during a canary (istio#56321).",
            "Check that the owning istiod is ready and leads (its logs say why it skipped the Gateway); any change to the Gateway's labels or annotations requeues it. For a stuck rollout, kubectl describe the Deployment and fix what stops it.",
            "Gateway/istio-ingress/bookinfo-gateway: Gateway istio-ingress/bookinfo-gateway is owned by 1-30-3, but its Deployment bookinfo-gateway-istio is still rendered by 1-29-1 (pod template istio.io/rev): istiod 1-30-3 has not re-rendered it\n  fix: check that istiod 1-30-3 is ready and leads the gateway deployment controller: kubectl -n istio-system logs deployment/istiod-1-30-3 (any change to the Gateway's labels or annotations requeues it)",
        ),
        Code::IR208 => (
            "A waypoint's revision is its Gateway's, independent of ztunnel's. A waypoint pinned by its own istio.io/rev (or not yet re-rendered) keeps serving namespaces that have moved on from an older istiod, and it blocks removing that revision.",
            "Drop the waypoint's own istio.io/rev label when its namespace already selects the new revision (it then follows the namespace), else relabel it or move its tag; istiod re-renders and rolls it.",
            "Gateway/bookinfo/waypoint: waypoint bookinfo/waypoint runs 1-29-1 (1 pod), older than the revision the namespaces it serves select now: bookinfo (1-30-3)\n  fix: kubectl label gateway waypoint -n bookinfo istio.io/rev-",
        ),
        Code::IR209 => (
            "The owning istiod has reconciled the Gateway but reports it not Programmed (no address assigned, an address it cannot use, a bad listener): its Service exists but traffic does not reach it as configured.",
            "kubectl describe the Gateway and fix what its Programmed condition names (the Service's load balancer, requested addresses, listeners).",
            "Gateway/istio-ingress/bookinfo-gateway: Gateway istio-ingress/bookinfo-gateway (owned by 1-30-3) is not Programmed, reason AddressNotAssigned: Assigned to service(s) bookinfo-gateway-istio.istio-ingress.svc.cluster.local:80, but failed to assign to all requested addresses\n  fix: kubectl describe gateway bookinfo-gateway -n istio-ingress (fix what its Programmed condition names)",
        ),
        Code::IR301 => (
            "Pods injected by a control plane that is not ready cannot get their configuration; moving namespaces to it would break them.",
            "Look at the istiod Deployment's events and logs; do not move anything to this revision until it is ready.",
            "Deployment/istio-system/istiod-1-8-1: control plane 1-8-1 (istiod-1-8-1) is not ready: 0/1 replicas ready\n  fix: kubectl -n istio-system describe deployment istiod-1-8-1",
        ),
        Code::IR302 => (
            "Istio puts the revision (and tag) name into object names and label values; a name with dots or capitals breaks install or makes webhooks and services fail to match. The documented form is 1-8-1, not 1.8.1.",
            "Reinstall the revision under a DNS-1123 label name (lowercase letters, digits and '-').",
            "Deployment/istio-system/istiod-1.8.1: revision \"1.8.1\" is not a DNS-1123 label\n  fix: reinstall under a name like \"1-8-1\"",
        ),
        Code::IR303 => (
            "A revision tag whose revision has no control plane makes every namespace using the tag start pods without a proxy (or fail injection, with failurePolicy Fail).",
            "Point the tag at a revision that has a control plane (istioctl tag set TAG --revision REV --overwrite), or remove it.",
            "MutatingWebhookConfiguration/istio-revision-tag-prod: tag prod points to revision 1-7-0 which has no control plane\n  fix: istioctl tag set prod --revision 1-8-1 --overwrite",
        ),
        Code::IR304 => (
            "A control plane no proxy runs, no namespace, workload or tag selects: the last step of a canary upgrade is to remove it.",
            "Uninstall the revision (helm uninstall of its release when Helm installed it, else istioctl uninstall --revision REV; gate remove-revision REV first lists anything that still depends on it, Gateways, waypoints and ztunnel included).",
            "Deployment/istio-system/istiod-1-8-0: revision 1-8-0 is no longer used; safe to remove\n  fix: istioctl uninstall --revision 1-8-0",
        ),
        Code::IR401 => (
            "istioctl applies with a forced server-side apply, so two CRs that install the same object overwrite each other silently, and uninstalling or pruning one deletes the other's objects.",
            "Give each component to exactly one CR: the gateways guide keeps gateways in their own CR on the empty profile, and the control plane CR installs no gateways.",
            "IstioOperator/istio-system/control-plane and IstioOperator/istio-system/gateways both install IngressGateways/istio-ingressgateway",
        ),
        Code::IR402 => (
            "istioctl prunes by the owning CR's name; a CR without metadata.name owns, and prunes, objects under an empty name shared with other unnamed CRs.",
            "Give the CR a metadata.name.",
            "IstioOperator from gateways.yaml has no metadata.name",
        ),
        Code::IR403 => (
            "A gateways CR on a profile other than empty also installs that profile's control plane, which then fights the real control plane CR.",
            "Set spec.profile: empty in the gateways CR.",
            "IstioOperator/istio-system/gateways uses profile default; gateway CRs must use the empty profile",
        ),
        Code::IR404 => (
            "Gateways installed by the control-plane CR are upgraded in place with it, so they cannot move last as the guide requires.",
            "Move the gateways into their own CR on the empty profile and disable them in the control-plane CR.",
            "IstioOperator/istio-system/control-plane also installs IngressGateways/istio-ingressgateway",
        ),
        Code::IR405 => (
            "The CR renders an object that the cluster says another IstioOperator owns: installing it takes the object over, and the other CR's prune may delete it later.",
            "Decide which CR owns the object and remove it from the other one.",
            "Deployment/istio-system/istio-ingressgateway is labelled as owned by IstioOperator istio-system/gateways",
        ),
        Code::IR406 => (
            "A CR's spec.revision that differs from the --revision it is installed with, or an operator CR without spec.revision, installs a different revision than intended.",
            "Make spec.revision and --revision agree.",
            "IstioOperator/istio-system/control-plane: spec.revision 1-8-0 differs from --revision 1-8-1",
        ),
        Code::IR407 => (
            "A Helm release that renders objects another installer owns (an IstioOperator, or another release) takes them over on helm install or upgrade: istioctl's prune may then delete them, or the two installers revert each other. Adopting an istioctl install into Helm (istio#59630) goes through this state; it must be done on purpose, object by object.",
            "Uninstall or prune the other installer's copy first, or annotate the objects for the release (meta.helm.sh/release-name and -namespace) once the old owner no longer manages them.",
            "helm release istio-system/istiod renders 3 object(s) that IstioOperator istio-system/control-plane owns in the cluster: Deployment/istio-system/istiod, ...",
        ),
        Code::IR501 => (
            "istioctl install with this CR would change the live object: someone edited it by hand, or the CR changed without being applied. The next install silently reverts the live change.",
            "Apply the CR, or bring the change into the CR (or ignore the field with --ignore-path if another controller owns it).",
            "ConfigMap/istio-system/istio drifted: /data/mesh would change",
        ),
        Code::IR502 => (
            "The CR renders an object the cluster does not have: it was deleted, or the install did not finish.",
            "Re-apply the CR (istioctl install -f CR).",
            "Service/istio-system/istiod-1-8-1 is missing",
        ),
        Code::IR503 => (
            "A live object carries the CR's owner labels but the CR no longer renders it; istioctl prunes it on the next install, except objects an older istioctl version stamped, which it never prunes.",
            "Delete the object if nothing needs it, or render it again.",
            "ServiceAccount/istio-system/istio-reader-service-account is orphaned",
        ),
        Code::IR504 => (
            "A rendered object exists live without istioctl's owner labels: something else created it, and the install will take it over.",
            "Check who created it; let istioctl own it, or remove it from the CR.",
            "Deployment/istio-system/istio-ingressgateway exists without owner labels",
        ),
        Code::IR601 => (
            "ztunnel and istio-cni 1.x are supported with control plane 1.x and 1.x+1 only: the data plane may never be ahead of the control plane. ztunnel is judged against the istiod it points at, istio-cni (which talks to no istiod) against the newest control plane.",
            "Install a control plane at the agent's version first (the ambient order is istiod, then istio-cni, then ztunnel), or roll the agent back to its control plane's version.",
            "DaemonSet/istio-system/ztunnel: ztunnel istio-system/ztunnel runs 1.30.3-distroless, ahead of control plane 1-29-1 (1.29.1): the data plane may never be ahead of the control plane\n  fix: install a control plane at 1.30.3 first (helm install istiod-<rev> istio/istiod -n istio-system --set revision=<rev> --set profile=ambient --version 1.30.3), or roll ztunnel back: ...",
        ),
        Code::IR602 => (
            "A node agent more than one minor version behind the newest control plane is outside the supported skew: the new istiod may send it configuration it does not understand. Neither agent has a canary upgrade, so it falls behind unless it is upgraded in place after each istiod.",
            "Upgrade the agent's Helm release in place to the control plane's version (ztunnel node by node: its upgrade resets the ambient connections on each node).",
            "DaemonSet/istio-system/istio-cni-node: istio-cni istio-system/istio-cni-node runs 1.28.0-distroless, 2 minor versions behind the newest control plane 1-30-3 (1.30.3); istio-cni 1.x is supported with control plane 1.x and 1.x+1 only\n  fix: helm upgrade istio-cni istio/cni -n istio-system --reuse-values --version 1.30.3",
        ),
        Code::IR603 => (
            "ztunnel gets its certificates and workload configuration from the istiod its CA_ADDRESS/XDS_ADDRESS names (istiod-<rev>, or a tag Service). Installed without a revision it points at Service istiod, which a mesh of revisioned istiods does not have; after its revision is removed it points at nothing. New ambient pods then get no certificates and no updates.",
            "Point ztunnel at a revision that has a control plane (helm upgrade ztunnel istio/ztunnel --reuse-values --set revision=REV), draining nodes as it rolls.",
            "DaemonSet/istio-system/ztunnel: ztunnel istio-system/ztunnel points at istiod.istio-system.svc:15012 (revision default), which has no control plane: new ambient pods get no certificates and no workload updates\n  fix: cordon and drain each node as ztunnel rolls, or move the workloads to a new node pool (...); then helm upgrade ztunnel istio/ztunnel -n istio-system --reuse-values --set revision=1-30-3",
        ),
        Code::IR604 => (
            "The documented order upgrades istio-cni just before ztunnel, so one minor apart is a normal step between them; further apart, pods set up by the new CNI meet a ztunnel that cannot follow it, which broke pod connectivity until ztunnel was upgraded (istio#58523).",
            "Upgrade ztunnel to istio-cni's version right away, in place, node by node.",
            "DaemonSet/istio-system/istio-cni-node: istio-cni istio-system/istio-cni-node runs 1.30.3-distroless while ztunnel istio-system/ztunnel runs 1.28.0-distroless: 2 minor versions apart; upgrade ztunnel right after istio-cni\n  fix: cordon and drain each node as ztunnel rolls, ...; then helm upgrade ztunnel istio/ztunnel -n istio-system --reuse-values --version 1.30.3",
        ),
        Code::IR701 => (
            "A namespace that still selects the revision (its istio.io/rev label, a tag pointing at it, or istio-injection=enabled when it is the default revision) gets pods without a proxy, or fails their creation, once the revision's injector is gone.",
            "Relabel the namespace to the revision that stays (or move its tag), then restart its workloads.",
            "Namespace/shop selects 1-8-0: its new pods would be injected by a revision that no longer exists\n  fix: kubectl label namespace shop istio.io/rev=1-8-1 --overwrite",
        ),
        Code::IR702 => (
            "Pods still running the revision lose their control plane when it is removed (no configuration updates, no certificate rotation); a workload that still selects it gets new pods without a proxy.",
            "Move the workload to the revision that stays and restart it; wait until no pod runs the old revision.",
            "Deployment/shop/cart 2 of its pods run it\n  fix: kubectl rollout restart deployment cart -n shop",
        ),
        Code::IR703 => (
            "Removing a revision that a tag points at leaves the tag dangling (IR303): every namespace using the tag loses injection.",
            "Move the tag first: istioctl tag set TAG --revision NEW --overwrite.",
            "MutatingWebhookConfiguration/istio-revision-tag-prod: tag prod points at 1-8-0\n  fix: istioctl tag set prod --revision 1-8-1 --overwrite",
        ),
        Code::IR704 => (
            "A gateway still on the revision stops receiving configuration when its control plane goes away: routes freeze and certificates expire. Gateways move last, but they must move before the old revision is removed.",
            "Upgrade the gateway to the revision that stays (re-install the gateways IstioOperator with it, or relabel and restart an injected gateway).",
            "Deployment/istio-system/istio-ingressgateway selects 1-8-0 and 2 of its pods run it",
        ),
        Code::IR705 => (
            "An IstioOperator CR (operator flow) for the revision makes the in-cluster operator reinstall what istioctl uninstall just removed.",
            "Delete the revision's IstioOperator CR (after the gateways and workloads have moved).",
            "IstioOperator/istio-system/control-plane-1-8-0 installs 1-8-0: the operator would reinstall it\n  fix: kubectl delete istiooperator control-plane-1-8-0 -n istio-system",
        ),
        Code::IR706 => (
            "A Gateway API gateway or waypoint is reconciled by the revision that owns it: once that istiod is gone nothing re-renders it or writes its status, and its pods (which got their configuration and certificates from it) freeze. A Deployment still rendered by the revision, or pods still running it, are a move that has not finished.",
            "Move the Gateway first (move the tag it selects, or relabel it; a waypoint pinned by its own label drops it to follow its namespace) and wait for istiod to roll its Deployment.",
            "Gateway/istio-ingress/bookinfo-gateway: Gateway istio-ingress/bookinfo-gateway: owned by 1-29-1; its Deployment bookinfo-gateway-istio rendered by 1-29-1; 2 of its pods run 1-29-1\n  fix: istioctl tag set prod-stable --revision 1-30-3 --overwrite && kubectl rollout status deployment/bookinfo-gateway-istio -n istio-ingress",
        ),
        Code::IR707 => (
            "ztunnel takes every ambient pod's certificates and workload configuration from the istiod its CA_ADDRESS/XDS_ADDRESS names; removing that revision leaves all ambient traffic on every node without a control plane (IR603).",
            "Point ztunnel at the revision that stays (helm upgrade ztunnel istio/ztunnel --reuse-values --set revision=NEW), node by node, before removing the old one.",
            "DaemonSet/istio-system/ztunnel: ztunnel istio-system/ztunnel points at istiod-1-29-1.istio-system.svc:15012 (1-29-1): every ambient pod's certificates and workload updates come from it\n  fix: cordon and drain each node as ztunnel rolls, ...; then helm upgrade ztunnel istio/ztunnel -n istio-system --reuse-values --set revision=1-30-3",
        ),
        Code::IR901 => (
            "Part of the cluster could not be read (RBAC 403, server errors, timeouts), so the checks that needed it did not run. A pipeline must never read \"clean\" from what it could not see: the run exits 3 unless --allow-partial.",
            "Grant the token list (and for diff, get) on the resources named, or run with a broader token; --allow-partial accepts the gap as a warning.",
            "Resource//pods: not checked: could not list pods in all namespaces: forbidden\n  fix: grant list on pods (kubectl auth can-i list pods -A)",
        ),
    };
    Explanation { why, fix, example }
}

/// The `explain` text for one code.
pub fn text(code: Code) -> String {
    let e = explanation(code);
    format!(
        "{code} ({}): {}\n\nWhy it matters\n{}\n\nHow to fix it\n{}\n\nExample\n{}\n",
        code.severity(),
        code.title(),
        indent(e.why),
        indent(e.fix),
        indent(e.example)
    )
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `docs/findings.md`.
pub fn findings_markdown() -> String {
    let mut out = String::from(
        "# Finding catalogue\n\n<!-- Generated by `kubectl istio-rev explain --markdown` from src/explain.rs; tests/explain.rs keeps it in step. Do not edit by hand. -->\n\nCodes are stable: never renumbered, never reused. `kubectl istio-rev explain CODE` prints one of these.\n",
    );
    for code in CATALOGUE {
        let e = explanation(*code);
        out.push_str(&format!(
            "\n## {code}: {}\n\nDefault severity: **{}**.\n\n**Why it matters.** {}\n\n**How to fix it.** {}\n\n**Example.**\n\n```\n{}\n```\n",
            code.title(),
            code.severity(),
            e.why,
            e.fix,
            e.example
        ));
    }
    out
}
