#!/usr/bin/env python3
"""Generate testdata/scenarios/<name>/cluster.yaml (and testdata/bad/list.json).

    python3 testdata/gen/make_scenarios.py            # writes into testdata/scenarios
    python3 testdata/gen/make_scenarios.py --check    # exits 1 if the committed files differ

stdlib only, deterministic. expected.txt / args / README.md per scenario are hand-written
(they are the spec) and are not touched by this script.
"""
import copy
import datetime as dt
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cluster import Cluster, PodPlan, Revision  # noqa: E402
from k8s import at, safe, to_json, to_yaml, ts, uid  # noqa: E402
import istio as I  # noqa: E402
import ambient as A  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "scenarios")
BAD = os.path.join(os.path.dirname(HERE), "bad")

T0 = dt.datetime(2026, 11, 2, 9, 0, 0)         # 1.8 flows: initial install
T_LATEST = dt.datetime(2026, 10, 5, 8, 30, 0)  # latest-era flows: initial install
K8S_VERSION = "v1.32.0"


# ====================================================================== kube-system (no mesh)
def kube_system(c, t):
    c.namespace("kube-system", created=at(t, minutes=-600))
    for n in ("default", "kube-node-lease", "kube-public"):
        c.namespace(n, created=at(t, minutes=-600))
    coredns = {"metadata": {"labels": {"k8s-app": "kube-dns"}},
               "spec": {"containers": [{
                   "args": ["-conf", "/etc/coredns/Corefile"], "image": "registry.k8s.io/coredns/coredns:v1.11.3",
                   "livenessProbe": {"failureThreshold": 5, "httpGet": {"path": "/health", "port": 8080},
                                     "initialDelaySeconds": 60, "timeoutSeconds": 5},
                   "name": "coredns",
                   "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                             {"containerPort": 53, "name": "dns-tcp"}, {"containerPort": 9153, "name": "metrics"}],
                   "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}},
                   "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                   "volumeMounts": [{"mountPath": "/etc/coredns", "name": "config-volume", "readOnly": True}]}],
                   "dnsPolicy": "Default", "nodeSelector": {"kubernetes.io/os": "linux"},
                   "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                   "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                   {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}],
                   "volumes": [{"configMap": {"items": [{"key": "Corefile", "path": "Corefile"}], "name": "coredns"},
                                "name": "config-volume"}]}}
    tcd = at(t, minutes=-599)
    plans = [PodPlan(at(tcd, seconds=20), node="cp-1"), PodPlan(at(tcd, seconds=21), node="cp-1")]
    for p in plans:
        p.mutate = _priority(2000000000)
    c.deployment("kube-system", "coredns", {"k8s-app": "kube-dns"}, {"k8s-app": "kube-dns"},
                 [Revision(coredns, tcd, plans)], 2, tcd,
                 strategy={"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}, "type": "RollingUpdate"})
    kp = {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
          "spec": {"containers": [{
              "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                          "--hostname-override=$(NODE_NAME)"],
              "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
              "image": f"registry.k8s.io/kube-proxy:{K8S_VERSION}", "name": "kube-proxy",
              "securityContext": {"privileged": True},
              "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                               {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                               {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}]}],
              "hostNetwork": True, "nodeSelector": {"kubernetes.io/os": "linux"},
              "priorityClassName": "system-node-critical", "serviceAccountName": "kube-proxy",
              "tolerations": [{"operator": "Exists"}],
              "volumes": [{"configMap": {"name": "kube-proxy"}, "name": "kube-proxy"},
                          {"hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}, "name": "xtables-lock"},
                          {"hostPath": {"path": "/lib/modules", "type": ""}, "name": "lib-modules"}]}}
    tkp = at(t, minutes=-599)
    kp_plans = {n: PodPlan(at(tkp, seconds=5 + i), mutate=_priority(2000001000, host_network=True))
                for i, n in enumerate(["cp-1", "worker-1", "worker-2"])}
    c.daemonset("kube-system", "kube-proxy", {"k8s-app": "kube-proxy"}, {"k8s-app": "kube-proxy"},
                [Revision(kp, tkp, kp_plans)], tkp)
    api = {"metadata": {"labels": {"component": "kube-apiserver", "tier": "control-plane"}},
           "spec": {"containers": [{
               "command": ["kube-apiserver", "--advertise-address=10.0.0.10", "--allow-privileged=true",
                           "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
                           "--secure-port=6443", "--service-cluster-ip-range=10.96.0.0/12"],
               "image": f"registry.k8s.io/kube-apiserver:{K8S_VERSION}", "name": "kube-apiserver",
               "resources": {"requests": {"cpu": "250m"}}}],
               "hostNetwork": True, "priorityClassName": "system-node-critical",
               "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}
    c.mirror_pod("kube-system", "kube-apiserver-cp-1", api,
                 PodPlan(at(t, minutes=-600), mutate=_priority(2000001000, host_network=True)), "cp-1")


def _priority(p, host_network=False):
    def m(md, spec, name):
        spec["priority"] = p
        if host_network:
            spec["dnsPolicy"] = spec.get("dnsPolicy", "ClusterFirst")
    return m


# ====================================================================== apps
BOOKINFO_18 = "1.16.2"
BOOKINFO_LATEST = "1.20.2"


def app_template(app, version, image, port, sa, replicas_note=None, restarted_at=None, extra_labels=None):
    labels = {"app": app}
    if version:
        labels["version"] = version
    labels.update(extra_labels or {})
    t = {"metadata": {"labels": labels},
         "spec": {"containers": [{"image": image, "imagePullPolicy": "IfNotPresent", "name": app,
                                  "ports": [{"containerPort": port}]}],
                  "serviceAccountName": sa}}
    if restarted_at:
        t["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": restarted_at}
    return t


class Mesh:
    """Which revision injected which generation of pods."""

    def __init__(self, era, versions, hub="docker.io/istio"):
        self.era = era
        self.versions = versions  # rev -> version
        self.hub = hub

    def inj(self, rev, ns, kind, name, **kw):
        return I.sidecar(self.era, rev, self.versions[rev], ns, kind, name, hub=self.hub, **kw)


def mesh_deployment(c, mesh, ns, name, tmpl_fn, replicas, created, gens, selector=None):
    """gens: list of (rev_or_None, created, restarted_at_or_None, n_pods_or_list_of_revs).
    Each gen is one ReplicaSet; pods are injected by the revision given (None = no sidecar)."""
    revisions = []
    for rev, t_gen, restarted, pods in gens:
        tmpl = tmpl_fn(restarted)
        revs = pods if isinstance(pods, list) else [rev] * pods
        plans = []
        for i, r in enumerate(revs):
            if isinstance(r, tuple):  # (rev, sidecar kwargs)
                mut = mesh.inj(r[0], ns, "Deployment", name, **r[1])
            else:
                mut = mesh.inj(r, ns, "Deployment", name) if r else None
            plans.append(PodPlan(at(t_gen, seconds=3 + 7 * i), mutate=mut))
        revisions.append(Revision(tmpl, t_gen, plans))
    lab = tmpl_fn(None)["metadata"]["labels"]
    selector = selector or {k: v for k, v in lab.items() if k in ("app", "version")}
    return c.deployment(ns, name, dict(lab), selector, revisions, replicas, created)


# ---------------------------------------------------------------------- 1.8 workloads
def bookinfo_18(c, mesh, ns_created, gens_for):
    """gens_for(name) -> gens list for mesh_deployment."""
    c_ns = ns_created
    specs = [("productpage", "productpage", "v1", 1, "bookinfo-productpage"),
             ("reviews-v1", "reviews", "v1", 2, "bookinfo-reviews"),
             ("ratings", "ratings", "v1", 1, "bookinfo-ratings")]
    for dname, app, ver, reps, sa in specs:
        img = f"docker.io/istio/examples-bookinfo-{app}-{ver}:{mesh.bookinfo}"

        def tf(restarted, app=app, ver=ver, img=img, sa=sa):
            return app_template(app, ver, img, 9080, sa, restarted_at=restarted)
        mesh_deployment(c, mesh, "bookinfo", dname, tf, reps, at(c_ns, minutes=2), gens_for(dname, reps))


def shop_18(c, mesh, ns_created, sts_gens, frontend_gens):
    t = at(ns_created, minutes=3)

    def tf(restarted):
        return app_template("frontend", "v2", "docker.io/library/nginx:1.27.2", 8080, "frontend",
                            restarted_at=restarted)
    mesh_deployment(c, mesh, "shop", "frontend", tf, 2, t, frontend_gens)

    def cart(restarted):
        tt = app_template("cart-cache", None, "docker.io/library/redis:7.2.5", 6379, "cart-cache",
                          restarted_at=restarted)
        tt["spec"]["containers"][0]["name"] = "redis"
        return tt
    revisions = []
    for rev, t_gen, restarted, ordinals in sts_gens:
        pods = {o: PodPlan(at(t_gen, seconds=5 + 20 * (1 - o) if restarted else 5 + 20 * o),
                           mutate=mesh.inj(rev, "shop", "StatefulSet", "cart-cache")) for o in ordinals}
        revisions.append(Revision(cart(restarted), t_gen, pods))
    c.statefulset("shop", "cart-cache", {"app": "cart-cache"}, {"app": "cart-cache"}, "cart-cache", revisions, 2, t)


def legacy_18(c, mesh, ns_created, api_gens, agent_gens, batch):
    t = at(ns_created, minutes=4)

    def tf(restarted):
        return app_template("legacy-api", "v3", "docker.io/mccutchen/go-httpbin:v2.15.0", 8080, "legacy-api",
                            restarted_at=restarted)
    mesh_deployment(c, mesh, "legacy", "legacy-api", tf, 1, t, api_gens)

    def agent(restarted):
        tt = app_template("edge-agent", None, "docker.io/fluent/fluent-bit:3.1.9", 2020, "edge-agent",
                          restarted_at=restarted)
        tt["spec"]["containers"][0]["name"] = "fluent-bit"
        return tt
    revisions = []
    for gi, (rev, t_gen, restarted) in enumerate(agent_gens):
        revisions.append(Revision(agent(restarted), t_gen, {}))
    # every node runs the newest generation's pod (DaemonSet pods are replaced node by node)
    rev, t_gen, restarted = agent_gens[-1]
    revisions[-1].pods = {n: PodPlan(at(t_gen, seconds=4 + 9 * i), mutate=mesh.inj(rev, "legacy", "DaemonSet",
                                                                                     "edge-agent"))
                          for i, n in enumerate(["worker-1", "worker-2"])}
    c.daemonset("legacy", "edge-agent", {"app": "edge-agent"}, {"app": "edge-agent"}, revisions, t,
                nodes=["worker-1", "worker-2"])
    rev, t_pod = batch
    bt = {"metadata": {"labels": {"app": "batch-runner", "run": "batch-runner"}},
          "spec": {"containers": [{"command": ["sh", "-c", "while true; do run-batch; sleep 300; done"],
                                   "image": "docker.io/library/busybox:1.36", "name": "batch-runner"}]}}
    c.bare_pod("legacy", "batch-runner", bt, PodPlan(t_pod, mutate=mesh.inj(rev, "legacy", "Pod", "batch-runner")))


# ====================================================================== 1.8 canary flows
STEPS = {"1": 1, "2": 2, "3": 3, "4": 4, "5a": 4.5, "5": 5, "6": 6}


def flow_18(mode, step):
    s = STEPS[step]
    flow = f"flow-{mode}"
    c = Cluster(flow, T0)
    mesh = Mesh("1.8", {"1-8-0": "1.8.0", "1-8-1": "1.8.1"})
    mesh.bookinfo = BOOKINFO_18
    t_cp0 = T0
    t_gw0 = at(T0, minutes=6)
    t_apps = at(T0, minutes=60)
    t_cp1 = at(T0, minutes=3 * 24 * 60)
    t_relabel = at(t_cp1, minutes=50)
    t_restart = at(t_cp1, minutes=75)
    t_gw1 = at(t_cp1, minutes=24 * 60)
    t_gw1_restart = at(t_gw1, minutes=40)
    t_remove = at(t_cp1, minutes=2 * 24 * 60)

    kube_system(c, T0)
    c.namespace("istio-system", created=at(T0, minutes=-2))
    if mode == "operator":
        c.namespace("istio-operator", {"istio-injection": "disabled", "istio-operator-managed": "Reconcile"},
                    created=at(T0, minutes=-5))
        I.operator_deployment(c, "1-8-0", "1.8.0", at(T0, minutes=-5))
        if s >= 2:
            I.operator_deployment(c, "1-8-1", "1.8.1", at(t_cp1, minutes=-10))

    cp_owner = (lambda rev: "control-plane") if mode == "istioctl" else (lambda rev: f"control-plane-{rev}")
    # control planes + injectors
    if s < 6:
        I.istiod(c, "1-8-0", "1.8.0", t_cp0, cp_owner("1-8-0"))
        I.injector_18(c, "1-8-0", "1.8.0", at(t_cp0, seconds=1), cp_owner("1-8-0"))
    if s >= 2:
        I.istiod(c, "1-8-1", "1.8.1", t_cp1, cp_owner("1-8-1"))
        I.injector_18(c, "1-8-1", "1.8.1", at(t_cp1, seconds=1), cp_owner("1-8-1"))

    # gateway (operator-rendered, gateways IOP)
    gw_extra = {"version": "1-8-0"} if mode == "istioctl" else {}
    gw_owner = "gateways"

    def gw_tmpl(rev, version, restarted=None):
        t = I.operator_gateway_template(rev, version,
                                        canonical_revision="1-8-0" if mode == "istioctl" else None,
                                        extra_labels=gw_extra)
        if restarted:
            t["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = restarted
        return t
    gw_sel = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    gw_sel.update(gw_extra)
    gw_strategy = {"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}
    old_gw = Revision(gw_tmpl("1-8-0", "1.8.0"), at(t_gw0, seconds=2), [PodPlan(at(t_gw0, seconds=3))])
    gw_kwargs = {}
    if s < 4.5:
        gw_revs, gw_rev, gw_ver = [old_gw], "1-8-0", "1.8.0"
    elif s == 4.5:
        gw_revs, gw_rev, gw_ver = [old_gw], "1-8-1", "1.8.1"
        gw_kwargs = {"template": gw_tmpl("1-8-1", "1.8.1"), "paused": True}
    else:
        gw_rev, gw_ver = "1-8-1", "1.8.1"
        old_gw.pods = []
        if mode == "istioctl":
            gw_revs = [old_gw, Revision(gw_tmpl("1-8-1", "1.8.1"), at(t_gw1, seconds=2),
                                        [PodPlan(at(t_gw1, seconds=3))])]
        else:  # resume (rolls to the 1-8-1 template) then `kubectl rollout restart`
            gw_revs = [old_gw, Revision(gw_tmpl("1-8-1", "1.8.1"), at(t_gw1_restart, seconds=-30), []),
                       Revision(gw_tmpl("1-8-1", "1.8.1", ts(t_gw1_restart)), at(t_gw1_restart, seconds=2),
                                [PodPlan(at(t_gw1_restart, seconds=3))])]
            gw_kwargs = {"generation": 5}
    c.deployment("istio-system", "istio-ingressgateway", I.operator_gateway_labels(gw_owner, gw_rev, gw_ver, gw_extra),
                 gw_sel, gw_revs, 1, t_gw0, strategy=gw_strategy, **gw_kwargs)

    # IstioOperator CRs
    if mode == "istioctl":
        installed_state(c, "control-plane", "1-8-0", "1.8.0", t_cp0)
        installed_state(c, "gateways", "1-8-0", "1.8.0", t_gw0)
        if s >= 2:
            installed_state(c, "control-plane", "1-8-1", "1.8.1", t_cp1)
        if s >= 5:
            installed_state(c, "gateways", "1-8-1", "1.8.1", t_gw1)
    else:
        if s < 6:
            operator_iop(c, "control-plane-1-8-0", "1-8-0", False, at(t_cp0, seconds=-20))
        if s >= 2:
            operator_iop(c, "control-plane-1-8-1", "1-8-1", False, at(t_cp1, seconds=-20))
        operator_iop(c, "gateways", "1-8-1" if s >= 4.5 else "1-8-0", True, at(t_gw0, seconds=-20),
                     generation=2 if s >= 4.5 else 1)

    # app namespaces
    ns_rev = "1-8-1" if s >= 3 else "1-8-0"
    for ns in ("bookinfo", "shop", "legacy"):
        c.namespace(ns, {"istio.io/rev": ns_rev}, created=at(t_apps, minutes=-1))
    restarted = s >= 4
    rs_ts = ts(t_restart)

    def gens(name, reps, base=t_apps):
        first = ("1-8-0", at(base, minutes=2), None, 0 if restarted else reps)
        if not restarted:
            return [first]
        return [first, ("1-8-1", at(t_restart, seconds=len(name)), rs_ts, reps)]
    bookinfo_18(c, mesh, t_apps, gens)
    sts_gens = [("1-8-0", at(t_apps, minutes=3), None, [] if restarted else [0, 1])]
    if restarted:
        sts_gens.append(("1-8-1", at(t_restart, seconds=40), rs_ts, [0, 1]))
    shop_18(c, mesh, t_apps, sts_gens, gens("frontend", 2, at(t_apps, minutes=1)))
    agent_gens = [("1-8-0", at(t_apps, minutes=4), None)]
    if restarted:
        agent_gens.append(("1-8-1", at(t_restart, seconds=50), rs_ts))
    legacy_18(c, mesh, t_apps, gens("legacy-api", 1, at(t_apps, minutes=2)), agent_gens,
              ("1-8-1", at(t_restart, minutes=3)) if restarted else ("1-8-0", at(t_apps, minutes=5)))
    return c


def installed_state(c, iop_name, rev, version, created):
    """`istioctl install` (1.8) saves the merged IOP as installed-state-<name>-<rev> (abbreviated spec)."""
    gw = iop_name == "gateways"
    spec = {"components": {"base": {"enabled": not gw},
                           "cni": {"enabled": False},
                           "egressGateways": [{"enabled": False, "name": "istio-egressgateway"}],
                           "ingressGateways": [dict({"enabled": gw, "name": "istio-ingressgateway"},
                                                    **({"label": {"version": "1-8-0"}} if gw else {}))],
                           "istiodRemote": {"enabled": False},
                           "pilot": {"enabled": not gw}},
            "hub": "docker.io/istio", "installPackagePath": "",
            "meshConfig": {"defaultConfig": {"proxyMetadata": {}}, "enablePrometheusMerge": True},
            "profile": "empty" if gw else "minimal", "revision": rev, "tag": version,
            "values": {"base": {"enableCRDTemplates": False, "validationURL": ""},
                       "gateways": {"istio-ingressgateway": {"autoscaleEnabled": True, "env": {},
                                                             "name": "istio-ingressgateway", "type": "LoadBalancer"}},
                       "global": {"istioNamespace": "istio-system", "jwtPolicy": "third-party-jwt",
                                  "meshID": "", "multiCluster": {"clusterName": ""}, "network": "",
                                  "proxy": {"image": "proxyv2"}},
                       "pilot": {"autoscaleEnabled": True, "image": "pilot"},
                       "sidecarInjectorWebhook": {"enableNamespacesByDefault": False,
                                                  "objectSelector": {"autoInject": True, "enabled": False}}}}
    c.iop("istio-system", f"installed-state-{iop_name}-{rev}", spec, at(created, seconds=40),
          annotations={"install.istio.io/ignoreReconcile": "true"})


def operator_iop(c, name, rev, gw, created, generation=1):
    spec = {"profile": "empty" if gw else "minimal", "revision": rev}
    if gw:
        spec["components"] = {"ingressGateways": [{"enabled": True, "name": "istio-ingressgateway"}]}
    applied = {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator",
               "metadata": {"annotations": {}, "name": name, "namespace": "istio-system"}, "spec": spec}
    status = ({"componentStatus": {"IngressGateways": {"status": "HEALTHY"}}, "status": "HEALTHY"} if gw else
              {"componentStatus": {"Base": {"status": "HEALTHY"}, "Pilot": {"status": "HEALTHY"}}, "status": "HEALTHY"})
    c.iop("istio-system", name, spec, created,
          annotations={"kubectl.kubernetes.io/last-applied-configuration":
                       json.dumps(applied, separators=(",", ":"), sort_keys=True) + "\n"},
          status=status, generation=generation, finalizers=["istio-finalizer.install.istio.io"])


# ====================================================================== latest era (tags)
V_OLD, V_NEW = "1.29.1", "1.30.3"
R_OLD, R_NEW = "1-29-1", "1-30-3"


def latest_base(c, t, revs, tags):
    """revs: {rev: (version, ready)}; tags: {tag: rev}"""
    kube_system(c, t)
    c.namespace("istio-system", created=at(t, minutes=-2))
    for rev, (version, ready, t_rev) in revs.items():
        I.istiod(c, rev, version, t_rev, "unknown", era="latest", ready=ready, replicas=2)
        I.injector_latest(c, rev, version, at(t_rev, seconds=1))
    for tag, (rev, t_tag) in tags.items():
        version = revs.get(rev, (V_OLD,))[0]
        I.revision_tag(c, tag, rev, t_tag, version)


def latest_mesh():
    m = Mesh("latest", {R_OLD: V_OLD, R_NEW: V_NEW, "1-28-0": "1.28.0"})
    m.bookinfo = BOOKINFO_LATEST
    return m


def latest_apps(c, mesh, t_apps, gens_for, sts_gens, namespaces):
    for ns, labels in namespaces.items():
        c.namespace(ns, labels, created=at(t_apps, minutes=-1))
    if "bookinfo" in namespaces:
        bookinfo_18(c, mesh, t_apps, gens_for)
    if "shop" in namespaces:
        def tf(restarted):
            return app_template("frontend", "v2", "docker.io/library/nginx:1.27.2", 8080, "frontend",
                                restarted_at=restarted)
        mesh_deployment(c, mesh, "shop", "frontend", tf, 2, at(t_apps, minutes=3), gens_for("frontend", 2))

        def cart(restarted):
            tt = app_template("cart-cache", None, "docker.io/library/redis:7.2.5", 6379, "cart-cache",
                              restarted_at=restarted)
            tt["spec"]["containers"][0]["name"] = "redis"
            return tt
        revisions = []
        for rev, t_gen, restarted, ordinals in sts_gens:
            pods = {o: PodPlan(at(t_gen, seconds=5 + 20 * o), mutate=mesh.inj(rev, "shop", "StatefulSet",
                                                                              "cart-cache")) for o in ordinals}
            revisions.append(Revision(cart(restarted), t_gen, pods))
        c.statefulset("shop", "cart-cache", {"app": "cart-cache"}, {"app": "cart-cache"}, "cart-cache",
                      revisions, 2, at(t_apps, minutes=3))
    if "payments" in namespaces:
        def tp(restarted):
            return app_template("payments-api", "v5", "ghcr.io/example/payments-api:5.2.0", 8443, "payments-api",
                                restarted_at=restarted)
        mesh_deployment(c, mesh, "payments", "payments-api", tp, 2, at(t_apps, minutes=4),
                        gens_for("payments-api", 2))


def injected_gateway(c, mesh, ns, created, gens, chart_version=V_OLD, rev_label="prod-stable", replicas=2):
    """gens: list of (created, restarted_at, [pod revs])"""
    revisions = []
    for t_gen, restarted, revs in gens:
        tmpl = I.injected_gateway_template(chart_version, rev_label)
        if restarted:
            tmpl["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] = restarted
        plans = []
        for i, (r, t_pod) in enumerate(revs):
            plans.append(PodPlan(t_pod, mutate=I.gateway_injection(r, mesh.versions[r], ns, "istio-ingressgateway")))
        revisions.append(Revision(tmpl, t_gen, plans))
    labels = {"app": "istio-ingressgateway", "app.kubernetes.io/instance": "istio-ingressgateway",
              "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "istio-ingressgateway",
              "app.kubernetes.io/part-of": "istio", "app.kubernetes.io/version": chart_version,
              "helm.sh/chart": f"gateway-{chart_version}", "istio": "ingressgateway"}
    if rev_label:
        labels["istio.io/rev"] = rev_label
    return c.deployment(ns, "istio-ingressgateway", labels, {"app": "istio-ingressgateway", "istio": "ingressgateway"},
                        revisions, replicas, created,
                        annotations={"meta.helm.sh/release-name": "istio-ingressgateway",
                                     "meta.helm.sh/release-namespace": ns})


def flow_tags(step):
    c = Cluster("flow-tags", T_LATEST)
    mesh = latest_mesh()
    t_old = T_LATEST
    t_new = at(T_LATEST, minutes=14 * 24 * 60)
    t_apps = at(T_LATEST, minutes=90)
    t_gw = at(T_LATEST, minutes=30)
    t_move = at(t_new, minutes=2 * 24 * 60)
    t_restart = at(t_move, minutes=45)
    stable = R_OLD if step == 1 else R_NEW
    latest_base(c, T_LATEST, {R_OLD: (V_OLD, True, t_old), R_NEW: (V_NEW, True, t_new)},
                {"default": (stable, t_old if step == 1 else t_move),
                 "prod-stable": (stable, at(t_old, seconds=30) if step == 1 else at(t_move, seconds=5)),
                 "prod-canary": (R_NEW, at(t_new, minutes=5))})
    c.namespace("istio-ingress", created=at(t_gw, minutes=-1))
    restarted = step == 3
    gw_gens = [(at(t_gw, seconds=2), None, [] if restarted else
                [(R_OLD, at(t_gw, seconds=3)), (R_OLD, at(t_gw, seconds=4))])]
    if restarted:
        gw_gens.append((at(t_restart, minutes=20), ts(at(t_restart, minutes=20)),
                        [(R_NEW, at(t_restart, minutes=20, seconds=3)), (R_NEW, at(t_restart, minutes=20, seconds=9))]))
    injected_gateway(c, mesh, "istio-ingress", t_gw, gw_gens)

    def gens(name, reps):
        first = (R_OLD, at(t_apps, minutes=2), None, 0 if restarted else reps)
        if not restarted:
            return [first]
        return [first, (R_NEW, at(t_restart, seconds=len(name)), ts(t_restart), reps)]
    sts = [(R_OLD, at(t_apps, minutes=3), None, [] if restarted else [0, 1])]
    if restarted:
        sts.append((R_NEW, at(t_restart, seconds=40), ts(t_restart), [0, 1]))
    latest_apps(c, mesh, t_apps, gens, sts, {"bookinfo": {"istio.io/rev": "prod-stable"},
                                             "shop": {"istio.io/rev": "prod-stable"},
                                             "payments": {"istio-injection": "enabled"}})
    return c


# ====================================================================== broken clusters
def base_18(flow, revs, t=T0, operator=False):
    """revs: {rev: (version, ready, created)}"""
    c = Cluster(flow, t)
    kube_system(c, t)
    c.namespace("istio-system", created=at(t, minutes=-2))
    for rev, (version, ready, t_rev) in revs.items():
        owner = f"control-plane-{rev}" if operator else "control-plane"
        if rev == "default":
            owner = "installed-state"
        I.istiod(c, rev, version, t_rev, owner, ready=ready)
        I.injector_18(c, rev, version, at(t_rev, seconds=1), owner)
    return c


def simple_18_bookinfo(c, mesh, t_apps, ns_labels, per_deploy):
    """per_deploy: {name: gens}"""
    c.namespace("bookinfo", ns_labels, created=at(t_apps, minutes=-1))
    specs = {"productpage": ("productpage", "v1", "bookinfo-productpage"),
             "reviews-v1": ("reviews", "v1", "bookinfo-reviews"),
             "ratings": ("ratings", "v1", "bookinfo-ratings")}
    for dname, gens in per_deploy.items():
        app, ver, sa = specs[dname]
        img = f"docker.io/istio/examples-bookinfo-{app}-{ver}:{mesh.bookinfo}"

        def tf(restarted, app=app, ver=ver, img=img, sa=sa):
            return app_template(app, ver, img, 9080, sa, restarted_at=restarted)
        reps = sum(len(g[3]) if isinstance(g[3], list) else g[3] for g in gens)
        mesh_deployment(c, mesh, "bookinfo", dname, tf, reps, at(t_apps, minutes=2), gens)


def mesh18():
    m = Mesh("1.8", {"1-8-0": "1.8.0", "1-8-1": "1.8.1", "1.8.1": "1.8.1", "default": "1.8.1"})
    m.bookinfo = BOOKINFO_18
    return m


T_CANARY = at(T0, minutes=3 * 24 * 60)
T_APPS = at(T0, minutes=60)
T_RESTART = at(T_CANARY, minutes=75)


def both_18(flow, **kw):
    return base_18(flow, {"1-8-0": ("1.8.0", True, T0), "1-8-1": ("1.8.1", kw.get("ready", True), T_CANARY)})


def g_old(n):
    return ("1-8-0", at(T_APPS, minutes=2), None, n)


def g_new(n, sec=0):
    return ("1-8-1", at(T_RESTART, seconds=sec), ts(T_RESTART), n)


def broken_ir101():
    c = both_18("broken-ir101")
    m = mesh18()
    # `kubectl rollout restart deploy/reviews-v1` still in progress: the new ReplicaSet has 2 of 3
    # pods (1-8-1), the old one still 1 pod (1-8-0).
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)],
        "reviews-v1": [("1-8-0", at(T_APPS, minutes=2), None, ["1-8-0"]),
                       ("1-8-1", at(T_RESTART, seconds=9), ts(T_RESTART), ["1-8-1", "1-8-1"])],
        "ratings": [g_old(0), g_new(1, 13)]})
    return c


def broken_ir103():
    # the 1-8-0 control plane was uninstalled although ratings was never restarted
    c = base_18("broken-ir103", {"1-8-1": ("1.8.1", True, T_CANARY)})
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)],
        "reviews-v1": [g_old(0), g_new(2, 9)],
        "ratings": [g_old(1)]})
    return c


def broken_ir104():
    c = Cluster("broken-ir104", T_LATEST)
    mesh = latest_mesh()
    latest_base(c, T_LATEST, {R_NEW: (V_NEW, True, T_LATEST)}, {"default": (R_NEW, at(T_LATEST, minutes=1))})
    t_apps = at(T_LATEST, minutes=90)

    def gens(name, reps):
        return [(R_NEW, at(t_apps, minutes=2), None, reps)]
    latest_apps(c, mesh, t_apps, gens, [(R_NEW, at(t_apps, minutes=3), None, [0, 1])],
                {"bookinfo": {"istio.io/rev": R_NEW},
                 "shop": {"istio-injection": "enabled", "istio.io/rev": R_NEW}})
    return c


def broken_ir105():
    c = Cluster("broken-ir105", T_LATEST)
    mesh = latest_mesh()
    latest_base(c, T_LATEST, {R_NEW: (V_NEW, True, T_LATEST)}, {})
    t_apps = at(T_LATEST, minutes=90)

    def gens(name, reps):
        return [(R_NEW, at(t_apps, minutes=2), None, reps)]
    latest_apps(c, mesh, t_apps, gens, [], {"bookinfo": {"istio.io/rev": R_NEW}})
    # namespace labelled with a revision that was never installed (1-30-4 instead of 1-30-3):
    # nothing injects, the pods come up without sidecars
    c.namespace("checkout", {"istio.io/rev": "1-30-4"}, created=at(t_apps, minutes=200))

    def tc(restarted):
        return app_template("checkout", "v1", "ghcr.io/example/checkout:2.4.0", 8080, "checkout")
    mesh_deployment(c, mesh, "checkout", "checkout", tc, 2, at(t_apps, minutes=201),
                    [(None, at(t_apps, minutes=201), None, 2)])
    # istio-injection=enabled, but there is no default revision and no `default` tag
    c.namespace("payments", {"istio-injection": "enabled"}, created=at(t_apps, minutes=210))

    def tp(restarted):
        return app_template("payments-api", "v5", "ghcr.io/example/payments-api:5.2.0", 8443, "payments-api")
    mesh_deployment(c, mesh, "payments", "payments-api", tp, 2, at(t_apps, minutes=211),
                    [(None, at(t_apps, minutes=211), None, 2)])
    # unlabelled namespace, the pod template asks for revision tag `canary` that does not exist
    c.namespace("tools", created=at(t_apps, minutes=220))

    def th(restarted):
        return app_template("httpbin", "v1", "docker.io/mccutchen/go-httpbin:v2.15.0", 8080, "httpbin",
                            extra_labels={"istio.io/rev": "canary"})
    mesh_deployment(c, mesh, "tools", "httpbin", th, 1, at(t_apps, minutes=221),
                    [(None, at(t_apps, minutes=221), None, 1)], selector={"app": "httpbin", "version": "v1"})
    return c


def broken_ir106():
    c = both_18("broken-ir106")
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)], "reviews-v1": [g_old(0), g_new(2, 9)],
        "ratings": [g_old(0), g_new(1, 13)]})
    c.namespace("shop", {"istio.io/rev": "1-8-0"}, created=at(T_APPS, minutes=-1))

    def tf(restarted):
        return app_template("frontend", "v2", "docker.io/library/nginx:1.27.2", 8080, "frontend")
    mesh_deployment(c, m, "shop", "frontend", tf, 2, at(T_APPS, minutes=3), [g_old(2)])
    return c


def gw_18(c, rev, version, owner="gateways", created=at(T0, minutes=6), old=None, pods_rev=None):
    """operator-rendered gateway; old=(rev, version) adds a scaled-down older ReplicaSet."""
    strategy = {"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": "25%"}, "type": "RollingUpdate"}
    sel = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    revs = []
    if old:
        revs.append(Revision(I.operator_gateway_template(*old), at(created, seconds=2), []))
        t_new = at(T_CANARY, minutes=30)
    else:
        t_new = at(created, seconds=2)
    revs.append(Revision(I.operator_gateway_template(rev, version), t_new, [PodPlan(at(t_new, seconds=1))]))
    return c.deployment("istio-system", "istio-ingressgateway", I.operator_gateway_labels(owner, rev, version),
                        sel, revs, 1, created, strategy=strategy)


def broken_ir202():
    # operator flow: control-plane-1-8-0 IOP deleted before the gateways IOP was moved to 1-8-1
    c = base_18("broken-ir202", {"1-8-1": ("1.8.1", True, T_CANARY)}, operator=True)
    c.namespace("istio-operator", {"istio-injection": "disabled", "istio-operator-managed": "Reconcile"},
                created=at(T0, minutes=-5))
    I.operator_deployment(c, "1-8-0", "1.8.0", at(T0, minutes=-5))
    I.operator_deployment(c, "1-8-1", "1.8.1", at(T_CANARY, minutes=-10))
    operator_iop(c, "control-plane-1-8-1", "1-8-1", False, at(T_CANARY, seconds=-20))
    operator_iop(c, "gateways", "1-8-0", True, at(T0, minutes=6, seconds=-20))
    gw_18(c, "1-8-0", "1.8.0")
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)], "reviews-v1": [g_old(0), g_new(2, 9)],
        "ratings": [g_old(0), g_new(1, 13)]})
    return c


def broken_ir203():
    # gateways re-installed with --revision 1-8-1 before any workload moved
    c = both_18("broken-ir203")
    installed_state(c, "control-plane", "1-8-0", "1.8.0", T0)
    installed_state(c, "control-plane", "1-8-1", "1.8.1", T_CANARY)
    installed_state(c, "gateways", "1-8-1", "1.8.1", at(T_CANARY, minutes=30))
    gw_18(c, "1-8-1", "1.8.1", old=("1-8-0", "1.8.0"))
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-0"}, {
        "productpage": [g_old(1)], "reviews-v1": [g_old(2)], "ratings": [g_old(1)]})
    return c


def broken_ir204():
    # tag prod-stable moved to 1-30-3; the gateway was not restarted but one of its three pods
    # was evicted (node drain) and re-created, so the new pod got the 1-30-3 proxy.
    c = Cluster("broken-ir204", T_LATEST)
    mesh = latest_mesh()
    t_new = at(T_LATEST, minutes=14 * 24 * 60)
    t_move = at(t_new, minutes=2 * 24 * 60)
    t_restart = at(t_move, minutes=45)
    latest_base(c, T_LATEST, {R_OLD: (V_OLD, True, T_LATEST), R_NEW: (V_NEW, True, t_new)},
                {"prod-stable": (R_NEW, at(t_move, seconds=5))})
    t_gw = at(T_LATEST, minutes=30)
    c.namespace("istio-ingress", created=at(t_gw, minutes=-1))
    injected_gateway(c, mesh, "istio-ingress", t_gw,
                     [(at(t_gw, seconds=2), None, [(R_OLD, at(t_gw, seconds=3)), (R_OLD, at(t_gw, seconds=4)),
                                                   (R_NEW, at(t_move, minutes=200))])], replicas=3)
    t_apps = at(T_LATEST, minutes=90)

    def gens(name, reps):
        return [(R_OLD, at(t_apps, minutes=2), None, 0), (R_NEW, at(t_restart, seconds=len(name)), ts(t_restart), reps)]
    latest_apps(c, mesh, t_apps, gens, [], {"bookinfo": {"istio.io/rev": "prod-stable"}})
    return c


def broken_ir301():
    # canary istiod-1-8-1 crash-loops (e.g. bad mesh config); nothing has moved to it yet
    c = base_18("broken-ir301", {"1-8-0": ("1.8.0", True, T0), "1-8-1": ("1.8.1", False, T_CANARY)})
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-0"}, {
        "productpage": [g_old(1)], "reviews-v1": [g_old(2)], "ratings": [g_old(1)]})
    return c


def broken_ir302():
    # `istioctl install --revision 1.8.1`: the Deployment and the injector webhook were created,
    # the Service `istiod-1.8.1` was rejected (not a DNS-1035 label) and the install aborted.
    c = base_18("broken-ir302", {"1-8-0": ("1.8.0", True, T0), "1.8.1": ("1.8.1", True, T_CANARY)})
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-0"}, {
        "productpage": [g_old(1)], "reviews-v1": [g_old(2)], "ratings": [g_old(1)]})
    return c


def broken_ir303():
    # `istioctl uninstall --revision 1-29-1` removed istiod-1-29-1 and its injector but not the
    # tag webhook istio-revision-tag-prod that still points at 1-29-1
    c = Cluster("broken-ir303", T_LATEST)
    mesh = latest_mesh()
    t_new = at(T_LATEST, minutes=14 * 24 * 60)
    latest_base(c, T_LATEST, {R_NEW: (V_NEW, True, t_new)}, {"prod": (R_OLD, at(T_LATEST, minutes=1))})
    t_apps = at(T_LATEST, minutes=90)
    t_restart = at(t_new, minutes=60)

    def gens(name, reps):
        return [(R_OLD, at(t_apps, minutes=2), None, 0), (R_NEW, at(t_restart, seconds=len(name)), ts(t_restart), reps)]
    latest_apps(c, mesh, t_apps, gens, [(R_OLD, at(t_apps, minutes=3), None, []),
                                        (R_NEW, at(t_restart, seconds=40), ts(t_restart), [0, 1])],
                {"bookinfo": {"istio.io/rev": R_NEW}, "shop": {"istio.io/rev": R_NEW}})
    return c


def legacy_ca_addr():
    # 1.8 pods whose istio.io/rev label was stripped (a mutating policy removes istio.io/* labels
    # from pods); the revision is only visible in CA_ADDR istiod-1-8-0.istio-system.svc:15012
    c = both_18("legacy-ca-addr")
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)], "reviews-v1": [g_old(0), g_new(2, 9)],
        "ratings": [g_old(0), g_new(1, 13)]})
    c.namespace("legacy", {"istio.io/rev": "1-8-1"}, created=at(T_APPS, minutes=-1))

    def tf(restarted):
        return app_template("legacy-api", "v3", "docker.io/mccutchen/go-httpbin:v2.15.0", 8080, "legacy-api")
    mesh_deployment(c, m, "legacy", "legacy-api", tf, 2, at(T_APPS, minutes=4),
                    [("1-8-0", at(T_APPS, minutes=4), None, [("1-8-0", {"set_label": False})] * 2)])
    return c


def completed_jobs():
    # bookinfo moved to 1-8-1 and restarted; in `reports`, relabeled too, two Job pods that 1-8-0
    # injected before the relabel have finished (one Succeeded, one Failed: the app calls the
    # proxy's /quitquitquit on exit). The API server keeps finished pods until their Job's TTL
    # or history limit removes them; they run no proxy any more, so they are not stale.
    c = both_18("completed-jobs")
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)], "reviews-v1": [g_old(0), g_new(2, 9)],
        "ratings": [g_old(0), g_new(1, 13)]})
    c.namespace("reports", {"istio.io/rev": "1-8-1"}, created=at(T_APPS, minutes=-1))
    for i, (job, phase, exit_code) in enumerate([("nightly-report-29001440", "Succeeded", 0),
                                                ("nightly-report-29002880", "Failed", 1)]):
        t = at(T_APPS, minutes=24 * 60 * (i + 1))
        job_uid = uid("completed-jobs", "Job", "reports", job, ts(t))
        labels = {"batch.kubernetes.io/controller-uid": job_uid, "batch.kubernetes.io/job-name": job,
                  "controller-uid": job_uid, "job-name": job}
        tmpl = {"metadata": {"labels": labels},
                "spec": {"containers": [{"command": ["sh", "-c", "run-report; curl -fsX POST localhost:15020/quitquitquit"],
                                         "image": "docker.io/library/busybox:1.36", "name": "report"}],
                         "restartPolicy": "Never"}}
        owner = {"apiVersion": "batch/v1", "blockOwnerDeletion": True, "controller": True, "kind": "Job",
                 "name": job, "uid": job_uid}
        name = f"{job}-{safe(5, 'completed-jobs', job)}"
        pod = c._pod("reports", name, tmpl, PodPlan(t, mutate=m.inj("1-8-0", "reports", "Job", job)), owner,
                     generate_name=f"{job}-")
        finished = ts(at(t, minutes=3))
        st = pod["status"]
        st["phase"] = phase
        st.pop("podIP", None)
        st.pop("podIPs", None)
        for cs in st["containerStatuses"]:
            cs["ready"] = False
            cs["started"] = False
            cs["state"] = {"terminated": {"containerID": cs["containerID"], "exitCode": exit_code,
                                          "finishedAt": finished, "reason": "Completed" if exit_code == 0 else "Error",
                                          "startedAt": ts(at(t, seconds=4))}}
        for cond in st["conditions"]:
            if cond["type"] in ("Ready", "ContainersReady"):
                cond.update({"lastTransitionTime": finished, "reason": "PodCompleted",
                             "status": "False"})
            if cond["type"] == "PodReadyToStartContainers":
                cond.update({"lastTransitionTime": finished, "status": "False"})
    return c


# ====================================================================== ambient era
T_AMB = dt.datetime(2026, 9, 7, 8, 0, 0)
AMB_VERSIONS = {R_OLD: V_OLD, R_NEW: V_NEW, "1-28-0": "1.28.0", "default": V_NEW}


def ambient_base(c, revs, tags, validator_rev, t=T_AMB):
    """revs: {rev: (version, created)}; tags: {tag: (rev, created)}"""
    kube_system(c, t)
    c.namespace("istio-system", created=at(t, minutes=-2))
    for rev, (version, t_rev) in revs.items():
        I.istiod(c, rev, version, t_rev, "unknown", era="latest", replicas=2)
        if rev != "default":
            I.injector_latest(c, rev, version, at(t_rev, seconds=1))
    for tag, (rev, t_tag) in tags.items():
        I.revision_tag(c, tag, rev, t_tag, AMB_VERSIONS[rev])
    A.validator(c, validator_rev, at(t, minutes=-1))
    A.gateway_classes(c, at(t, seconds=30))


def ambient_apps(c, t_apps, ns_labels=None, waypoint_label="prod-stable", gens_wp=None, gens_gw=None,
                 gw_label="prod-stable", wp_programmed=A.PROGRAMMED, gw_programmed=A.PROGRAMMED,
                 gw_stuck=False):
    labels = {"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}
    labels.update(ns_labels or {})
    c.namespace("bookinfo", labels, created=at(t_apps, minutes=-1))
    A.ambient_app(c, "bookinfo", "productpage", "docker.io/istio/examples-bookinfo-productpage-v1:1.20.2",
                  9080, at(t_apps, minutes=1))
    A.ambient_app(c, "bookinfo", "reviews", "docker.io/istio/examples-bookinfo-reviews-v1:1.20.2",
                  9080, at(t_apps, minutes=1, seconds=20))
    wp = A.gateway(c, "bookinfo", "waypoint", "istio-waypoint", at(t_apps, minutes=2), waypoint_label,
                   programmed=wp_programmed)
    if gens_wp:
        A.generated_deployment(c, wp, "istio-waypoint", gens_wp, AMB_VERSIONS,
                               replicas=len(gens_wp[-1][2]) or 1)
    c.namespace("istio-ingress", created=at(t_apps, minutes=-1))
    gw = A.gateway(c, "istio-ingress", "bookinfo-gateway", "istio", at(t_apps, minutes=3), gw_label,
                   programmed=gw_programmed)
    if gens_gw:
        A.generated_deployment(c, gw, "istio", gens_gw, AMB_VERSIONS, replicas=2, stuck=gw_stuck)


def _gen(rev, t, n, ready=True):
    return (rev, t, [(rev, at(t, seconds=4 + 3 * i), ready) for i in range(n)])


def flow_ambient(step):
    c = Cluster("flow-ambient", T_AMB)
    t_old = T_AMB
    t_new = at(T_AMB, minutes=21 * 24 * 60)
    t_cni = at(t_new, minutes=60)
    t_zt = at(t_cni, minutes=60)
    t_move = at(t_zt, minutes=24 * 60)
    t_apps = at(T_AMB, minutes=30)
    revs = {R_OLD: (V_OLD, t_old)}
    if step >= 2 and step < 7:
        revs[R_NEW] = (V_NEW, t_new)
    if step >= 7:
        revs = {R_NEW: (V_NEW, t_new)}
    moved = step >= 5
    stable = R_NEW if moved else R_OLD
    tags = {"default": (stable, t_move if moved else at(t_old, seconds=20)),
            "prod-stable": (stable, at(t_move, seconds=5) if moved else at(t_old, seconds=30))}
    if step >= 2:
        tags["prod-canary"] = (R_NEW, at(t_new, minutes=5))
    ambient_base(c, revs, tags, stable)
    cni = [(R_OLD, V_OLD, at(t_old, minutes=2))]
    if step >= 3:
        cni.append((R_NEW, V_NEW, t_cni))
    A.istio_cni(c, cni)
    zt = [(R_OLD, V_OLD, at(t_old, minutes=3))]
    if step >= 4:
        zt.append((R_NEW, V_NEW, t_zt))
    A.ztunnel(c, R_NEW if step >= 4 else R_OLD, V_OLD, at(t_old, minutes=3), gens=zt)
    if step <= 4:
        wp = [_gen(R_OLD, at(t_apps, minutes=2, seconds=3), 1)]
        gw = [_gen(R_OLD, at(t_apps, minutes=3, seconds=3), 2)]
    elif step == 5:
        # The tag moved a minute ago: istiod 1-30-3 re-rendered both, the rollouts are under way.
        wp = [_gen(R_OLD, at(t_apps, minutes=2, seconds=3), 1), _gen(R_NEW, at(t_move, seconds=8), 1)]
        gw = [_gen(R_OLD, at(t_apps, minutes=3, seconds=3), 1), _gen(R_NEW, at(t_move, seconds=9), 1)]
    else:
        wp = [_gen(R_OLD, at(t_apps, minutes=2, seconds=3), 0), _gen(R_NEW, at(t_move, seconds=8), 1)]
        gw = [_gen(R_OLD, at(t_apps, minutes=3, seconds=3), 0), _gen(R_NEW, at(t_move, seconds=9), 2)]
    ambient_apps(c, t_apps, gens_wp=wp, gens_gw=gw)
    return c


def ambient_done(name, **kw):
    """The finished upgrade (1-30-3 only), varied by one broken piece."""
    c = Cluster(name, T_AMB)
    t_new = at(T_AMB, minutes=21 * 24 * 60)
    t_apps = at(T_AMB, minutes=30)
    revs = kw.get("revs", {R_NEW: (V_NEW, t_new)})
    tags = kw.get("tags", {"default": (R_NEW, at(t_new, minutes=1)), "prod-stable": (R_NEW, at(t_new, minutes=2))})
    ambient_base(c, revs, tags, kw.get("validator", R_NEW))
    A.istio_cni(c, [kw.get("cni", (R_NEW, V_NEW, at(t_new, minutes=60)))])
    zrev, zversion = kw.get("ztunnel", (R_NEW, V_NEW))
    A.ztunnel(c, zrev, zversion, at(t_new, minutes=120), point_at=kw.get("ztunnel_address"))
    ambient_apps(c, t_apps, ns_labels=kw.get("ns_labels"), waypoint_label=kw.get("waypoint_label", "prod-stable"),
                 gens_wp=kw.get("gens_wp", [_gen(R_NEW, at(t_new, minutes=200), 1)]),
                 gens_gw=kw.get("gens_gw", [_gen(R_NEW, at(t_new, minutes=201), 2)]),
                 gw_label=kw.get("gw_label", "prod-stable"),
                 gw_programmed=kw.get("gw_programmed", A.PROGRAMMED), gw_stuck=kw.get("gw_stuck", False))
    return c


def broken_ir205():
    # the Gateway still names revision 1-28-0, removed long ago: no istiod takes it
    return ambient_done("broken-ir205", gw_label="1-28-0", gens_gw=None, gw_programmed=None)


def broken_ir206():
    # an in-place `default` istiod left running beside the canary that holds the default tag:
    # both claim the unlabelled Gateway (istio#54280)
    t_new = at(T_AMB, minutes=21 * 24 * 60)
    return ambient_done("broken-ir206", revs={"default": (V_NEW, at(T_AMB, minutes=-1)), R_NEW: (V_NEW, t_new)},
                        gw_label=None, gens_gw=[_gen(R_NEW, at(t_new, minutes=201), 2)])


def broken_ir207():
    # prod-stable moved to 1-30-3, but the Deployment is still the one 1-29-1 rendered
    t_new = at(T_AMB, minutes=21 * 24 * 60)
    return ambient_done("broken-ir207", revs={R_OLD: (V_OLD, T_AMB), R_NEW: (V_NEW, t_new)},
                        gens_gw=[_gen(R_OLD, at(T_AMB, minutes=40), 2)])


def broken_ir208():
    # the namespace follows prod-stable (now 1-30-3); its waypoint was pinned to revision 1-29-1
    t_new = at(T_AMB, minutes=21 * 24 * 60)
    return ambient_done("broken-ir208", revs={R_OLD: (V_OLD, T_AMB), R_NEW: (V_NEW, t_new)},
                        ns_labels={"istio.io/rev": "prod-stable"}, waypoint_label=R_OLD,
                        gens_wp=[_gen(R_OLD, at(T_AMB, minutes=40), 1)])


def broken_ir209():
    # owned and deployed, but no load balancer address was assigned
    return ambient_done("broken-ir209", gw_programmed=(
        "False", "AddressNotAssigned",
        "Assigned to service(s) bookinfo-gateway-istio.istio-ingress.svc.cluster.local:80, but failed to assign to all requested addresses"))


def broken_ir601():
    # ztunnel upgraded to 1.30.3 while its istiod is still 1.29.1
    return ambient_done("broken-ir601", revs={R_OLD: (V_OLD, T_AMB)},
                        tags={"default": (R_OLD, at(T_AMB, minutes=1)), "prod-stable": (R_OLD, at(T_AMB, minutes=2))},
                        validator=R_OLD, cni=(R_OLD, V_OLD, at(T_AMB, minutes=60)), ztunnel=(R_OLD, V_NEW),
                        gens_wp=[_gen(R_OLD, at(T_AMB, minutes=40), 1)], gens_gw=[_gen(R_OLD, at(T_AMB, minutes=41), 2)])


def broken_ir602():
    # istio-cni never upgraded past 1.28.0 while the control plane reached 1.30.3
    return ambient_done("broken-ir602", cni=("1-28-0", "1.28.0", at(T_AMB, minutes=-30)))


def broken_ir603():
    # ztunnel installed without --set revision: it points at Service istiod, which a mesh of
    # revisioned istiods does not have
    return ambient_done("broken-ir603", ztunnel=("default", V_NEW))


def broken_ir604():
    # istio-cni upgraded to 1.30.3, ztunnel left at 1.28.0
    return ambient_done("broken-ir604", ztunnel=(R_NEW, "1.28.0"))


# ====================================================================== issue 9 verdicts
def ir203_removed_revision():
    # tags flow finished (everything on 1-30-3, 1-29-1 still installed), but one batch
    # Deployment still runs a 1-28-0 proxy whose control plane was uninstalled long ago: IR103,
    # never an IR203 "roll the gateway back to 1-28-0".
    c = flow_tags(3)
    mesh = latest_mesh()
    t_batch = at(T_LATEST, minutes=-30 * 24 * 60)
    c.namespace("batch", {"istio.io/rev": R_NEW}, created=at(t_batch, minutes=-1))

    def tf(restarted):
        return app_template("report-builder", "v1", "ghcr.io/example/report-builder:3.1.0", 8080, "report-builder")
    mesh_deployment(c, mesh, "batch", "report-builder", tf, 1, t_batch, [("1-28-0", t_batch, None, 1)])
    return c


def ir203_canary_gateway():
    # tags-1 (prod-stable → 1-29-1, prod-canary → 1-30-3) plus a canary gateway pinned by its own
    # label istio.io/rev=prod-canary: ahead of the workloads by design, no IR203.
    c = flow_tags(1)
    mesh = latest_mesh()
    t_gw = at(T_LATEST, minutes=14 * 24 * 60 + 10)
    c.namespace("istio-ingress-canary", created=at(t_gw, minutes=-1))
    injected_gateway(c, mesh, "istio-ingress-canary", t_gw,
                     [(at(t_gw, seconds=2), None, [(R_NEW, at(t_gw, seconds=3))])],
                     chart_version=V_NEW, rev_label="prod-canary", replicas=1)
    return c


def ir104_injection_disabled():
    # broken-ir104 plus namespace `tools` labelled istio-injection=disabled AND istio.io/rev:
    # it opts out (Istio's analyzer IST0123 does not warn), so no IR104 and no fix may touch it.
    c = broken_ir104()
    mesh = latest_mesh()
    t_tools = at(T_LATEST, minutes=300)
    c.namespace("tools", {"istio-injection": "disabled", "istio.io/rev": R_NEW}, created=t_tools)

    def th(restarted):
        return app_template("httpbin", "v1", "docker.io/mccutchen/go-httpbin:v2.15.0", 8080, "httpbin")
    mesh_deployment(c, mesh, "tools", "httpbin", th, 1, at(t_tools, minutes=1),
                    [(None, at(t_tools, minutes=1), None, 1)])
    return c


def inject_label_beats_annotation():
    # 1.8 canary, bookinfo relabelled to 1-8-1 and restarted, except `ratings`: its template
    # carries annotation sidecar.istio.io/inject "false" and label "true" (pkg/kube/inject
    # injectRequired: the label wins, so it IS injected) and was not restarted: IR102.
    # `details` has annotation "true" and label "false": opted out, no proxy, no finding.
    c = both_18("inject-label-beats-annotation")
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio.io/rev": "1-8-1"}, {
        "productpage": [g_old(0), g_new(1, 5)], "reviews-v1": [g_old(0), g_new(2, 9)]})
    img = f"docker.io/istio/examples-bookinfo-ratings-v1:{m.bookinfo}"

    def ratings(restarted):
        t = app_template("ratings", "v1", img, 9080, "bookinfo-ratings", restarted_at=restarted,
                         extra_labels={"sidecar.istio.io/inject": "true"})
        t["metadata"].setdefault("annotations", {})["sidecar.istio.io/inject"] = "false"
        return t
    mesh_deployment(c, m, "bookinfo", "ratings", ratings, 1, at(T_APPS, minutes=2), [g_old(1)])
    img_d = f"docker.io/istio/examples-bookinfo-details-v1:{m.bookinfo}"

    def details(restarted):
        t = app_template("details", "v1", img_d, 9080, "bookinfo-details", restarted_at=restarted,
                         extra_labels={"sidecar.istio.io/inject": "false"})
        t["metadata"].setdefault("annotations", {})["sidecar.istio.io/inject"] = "true"
        return t
    mesh_deployment(c, m, "bookinfo", "details-v1", details, 1, at(T_APPS, minutes=2),
                    [(None, at(T_APPS, minutes=2), None, 1)])
    return c


def unrevisioned_injector():
    # A default (non-revisioned) install whose injector webhook carries no istio.io/rev label,
    # as the pre-revision istio-discovery/sidecarInjectorWebhook charts rendered it (labels
    # app: sidecar-injector, release: istio; webhook sidecar-injector.istio.io → istiod:/inject;
    # otherwise manifest-generate-1.8/output/pilot_default.golden.yaml). It is revision
    # `default`'s injector: bookinfo (istio-injection=enabled) is served, no IR105.
    c = base_18("unrevisioned-injector", {"default": ("1.8.1", True, T0)})
    for o in c.objs:
        if o["kind"] == "MutatingWebhookConfiguration":
            o["metadata"]["labels"] = {"app": "sidecar-injector", "release": "istio"}
    m = mesh18()
    simple_18_bookinfo(c, m, T_APPS, {"istio-injection": "enabled"}, {
        "productpage": [("default", at(T_APPS, minutes=2), None, 1)],
        "reviews-v1": [("default", at(T_APPS, minutes=2), None, 2)],
        "ratings": [("default", at(T_APPS, minutes=2), None, 1)]})
    return c


def ir107_two_injectors():
    # Upgraded from a non-revisioned install to revisions and tags (`istioctl tag set default
    # --revision 1-30-3`) without removing the old unlabelled istio-sidecar-injector (webhook
    # sidecar-injector.istio.io → istiod:/inject on istio-injection=enabled, as in unrevisioned-
    # injector). Both match namespace payments: IR107. istioctl refuses to create this ("webhook
    # overlaps with others"); kubectl apply of an old manifest does not.
    c = Cluster("ir107-two-injectors", T_LATEST)
    mesh = latest_mesh()
    latest_base(c, T_LATEST, {R_NEW: (V_NEW, True, T_LATEST)}, {"default": (R_NEW, at(T_LATEST, minutes=1))})
    wh = I._webhook("sidecar-injector.istio.io", "istiod", {"matchLabels": {"istio-injection": "enabled"}},
                    {"matchExpressions": [I.NOT_FALSE]}, "default")
    c.mwc("istio-sidecar-injector", {"app": "sidecar-injector", "release": "istio"}, [wh],
          at(T_LATEST, minutes=-400 * 24 * 60))
    t_apps = at(T_LATEST, minutes=90)

    def gens(name, reps):
        return [(R_NEW, at(t_apps, minutes=2), None, reps)]
    latest_apps(c, mesh, t_apps, gens, [], {"bookinfo": {"istio.io/rev": R_NEW},
                                            "payments": {"istio-injection": "enabled"}})
    return c


# ====================================================================== main
def scenarios():
    out = {}
    for mode in ("istioctl", "operator"):
        names = {"1": "1-installed", "2": "2-canary-up", "3": "3-relabeled", "4": "4-restarted",
                 "5": "5-gateways-upgraded", "6": "6-old-removed"}
        if mode == "operator":
            names["5a"] = "5a-gateway-cr-applied-not-restarted"
        for step, suffix in names.items():
            out[f"{mode}-{suffix}"] = lambda mode=mode, step=step: flow_18(mode, step)
    out["tags-1-stable"] = lambda: flow_tags(1)
    out["tags-2-stable-moved"] = lambda: flow_tags(2)
    out["tags-3-restarted"] = lambda: flow_tags(3)
    out["broken-ir101-mixed-rollout"] = broken_ir101
    out["broken-ir103-no-control-plane"] = broken_ir103
    out["broken-ir104-both-labels"] = broken_ir104
    out["broken-ir105-unknown-revision"] = broken_ir105
    out["broken-ir106-target"] = broken_ir106
    out["broken-ir202-gateway-no-control-plane"] = broken_ir202
    out["broken-ir203-gateway-first"] = broken_ir203
    out["broken-ir204-gateway-mixed"] = broken_ir204
    out["broken-ir301-not-ready"] = broken_ir301
    out["broken-ir302-dotted-revision"] = broken_ir302
    out["broken-ir303-dangling-tag"] = broken_ir303
    out["legacy-no-label-ca-addr"] = legacy_ca_addr
    out["completed-jobs"] = completed_jobs
    for step, suffix in enumerate(["installed", "canary-up", "cni-upgraded", "ztunnel-upgraded", "tag-moved",
                                   "gateways-rolled", "old-removed"], start=1):
        out[f"ambient-{step}-{suffix}"] = lambda step=step: flow_ambient(step)
    out["broken-ir205-gateway-no-control-plane"] = broken_ir205
    out["broken-ir206-gateway-two-owners"] = broken_ir206
    out["broken-ir207-gateway-not-rerendered"] = broken_ir207
    out["broken-ir208-waypoint-behind"] = broken_ir208
    out["broken-ir209-gateway-not-programmed"] = broken_ir209
    out["broken-ir601-ztunnel-ahead"] = broken_ir601
    out["broken-ir602-cni-too-old"] = broken_ir602
    out["broken-ir603-ztunnel-no-istiod"] = broken_ir603
    out["broken-ir604-cni-ahead-of-ztunnel"] = broken_ir604
    out["ir203-removed-revision"] = ir203_removed_revision
    out["ir203-canary-gateway"] = ir203_canary_gateway
    out["ir104-injection-disabled"] = ir104_injection_disabled
    out["inject-label-beats-annotation"] = inject_label_beats_annotation
    out["unrevisioned-injector"] = unrevisioned_injector
    out["ir107-two-injectors"] = ir107_two_injectors
    return out


def render_all():
    files = {}
    for name, fn in scenarios().items():
        files[os.path.join(OUT, name, "cluster.yaml")] = to_yaml(fn().to_list())
    # a GOOD JSON input: the same objects as broken-ir203-gateway-first, as `kubectl get -o json` prints them
    ir203 = broken_ir203().to_list()
    files[os.path.join(BAD, "list.json")] = to_json(ir203)
    files.update(bad_inputs(ir203))
    return files


def bad_inputs(lst):
    """Error-path inputs (and one GOOD multi-document stream) built from broken-ir203 objects."""
    items = lst["items"]

    def find(kind, ns, prefix):
        return next(o for o in items if o["kind"] == kind and o["metadata"].get("namespace", "") == ns
                    and o["metadata"]["name"].startswith(prefix))
    ns = find("Namespace", "", "bookinfo")
    dep = find("Deployment", "bookinfo", "productpage")
    pod = find("Pod", "bookinfo", "productpage-")
    files = {}
    files[os.path.join(BAD, "multi-doc.yaml")] = "---\n".join(to_yaml(o) for o in (ns, dep, pod))
    broken = copy.deepcopy(dep)
    del broken["kind"]
    small = {"apiVersion": "v1", "items": [ns, find("Namespace", "", "istio-system"), broken, pod],
             "kind": "List", "metadata": {"resourceVersion": ""}}
    files[os.path.join(BAD, "list-broken-item.yaml")] = to_yaml(small)
    noname = copy.deepcopy(pod)
    del noname["metadata"]["name"]
    files[os.path.join(BAD, "no-name.yaml")] = to_yaml(noname)
    files[os.path.join(BAD, "not-k8s.yaml")] = (
        "# valid YAML, but a list of strings, not a Kubernetes object or List\n"
        "- bookinfo\n- shop\n- legacy\n")
    files[os.path.join(BAD, "not-yaml.yaml")] = (
        "apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: productpage, labels: [app: productpage\n"
        "\tnamespace: bookinfo\n  spec: : :\n]]} @@@ `rm -rf`\n")
    return files


def main():
    check = "--check" in sys.argv
    bad = False
    for path, text in sorted(render_all().items()):
        if check:
            try:
                cur = open(path).read()
            except FileNotFoundError:
                cur = None
            if cur != text:
                print("differs:", os.path.relpath(path, os.path.dirname(OUT)))
                bad = True
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
