#!/usr/bin/env python3
"""Generate testdata/helm/rendered/*.yaml: `helm template` output of Istio's charts, derived from
the real `istioctl manifest generate` golden (istioctl renders the same charts through Helm's
engine; only the release labels differ, research section C2).

    python3 testdata/gen/make_helm.py            # writes testdata/helm/rendered/
    python3 testdata/gen/make_helm.py --check    # exits 1 if the committed files differ

Needs PyYAML (the golden is YAML). Deterministic. What each file changes is listed in
testdata/helm/README.md; the live objects are made from these files by the ignored test
`regenerate_helm_fixtures` in tests/helm.rs.
"""
import copy
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GOLDEN = os.path.join(ROOT, "istio", "manifest-generate-latest", "output", "pilot_default.golden.yaml")
TAG_SOURCE = os.path.join(ROOT, "istio", "manifest-generate-latest", "input-extra-resources", "default_tag.yaml")
OUT = os.path.join(ROOT, "helm", "rendered")
CHART_VERSION = "1.24.1"

# Per-revision names of the istiod chart (C3): namespaced objects get `-<rev>`, the cluster-wide
# ones put it before the namespace suffix.
NAMESPACED = {"istiod", "istio", "istio-sidecar-injector", "values"}
CLUSTER_SUFFIXED = {
    "istio-reader-clusterrole-istio-system": "istio-reader-clusterrole-{rev}-istio-system",
    "istiod-clusterrole-istio-system": "istiod-clusterrole-{rev}-istio-system",
    "istiod-gateway-controller-istio-system": "istiod-gateway-controller-{rev}-istio-system",
    "istio-validator-istio-system": "istio-validator-{rev}-istio-system",
}
NAMESPACED_KINDS = {"ServiceAccount", "ConfigMap", "Deployment", "Service", "Role", "RoleBinding",
                    "HorizontalPodAutoscaler", "PodDisruptionBudget"}
# Rendered only for the default revision (`revision: ""`), not for a revisioned istiod.
DEFAULT_ONLY_WEBHOOKS = {"namespace.sidecar-injector.istio.io", "object.sidecar-injector.istio.io"}


def docs(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def relabel(labels, release):
    if not labels:
        return
    if labels.get("app.kubernetes.io/instance") == "istio":
        labels["app.kubernetes.io/instance"] = release
    if labels.get("release") == "istio":
        labels["release"] = release
    if "app.kubernetes.io/version" in labels:
        labels["app.kubernetes.io/version"] = CHART_VERSION
    if labels.get("helm.sh/chart", "").endswith("-1.0.0"):
        labels["helm.sh/chart"] = labels["helm.sh/chart"][: -len("1.0.0")] + CHART_VERSION
    if labels.get("istio.io/rev") == "default":
        labels["istio.io/rev"] = REV


def rename(name, rev):
    if name in NAMESPACED:
        return f"{name}-{rev}"
    if name in CLUSTER_SUFFIXED:
        return CLUSTER_SUFFIXED[name].format(rev=rev)
    return name


def walk(v, fn):
    if isinstance(v, dict):
        fn(v)
        for x in v.values():
            walk(x, fn)
    elif isinstance(v, list):
        for x in v:
            walk(x, fn)


def istiod(release, rev):
    """`helm template <release> istio/istiod -n istio-system [--set revision=<rev>]`."""
    global REV
    REV = rev or "default"
    out = []
    for d in docs(GOLDEN):
        d = copy.deepcopy(d)
        meta = d["metadata"]
        walk(d, lambda m: relabel(m.get("labels"), release) if "labels" in m else None)
        if d["kind"] != "CustomResourceDefinition":
            meta.setdefault("namespace", "istio-system") if d["kind"] in NAMESPACED_KINDS else None
        if rev is None:
            out.append(d)
            continue
        meta["name"] = rename(meta["name"], rev)
        kind = d["kind"]
        if kind in ("ClusterRoleBinding", "RoleBinding"):
            d["roleRef"]["name"] = rename(d["roleRef"]["name"], rev)
            for s in d.get("subjects", []):
                s["name"] = rename(s["name"], rev) if s["name"] == "istiod" else s["name"]
        if kind.endswith("WebhookConfiguration"):
            d["webhooks"] = [w for w in d["webhooks"] if w["name"] not in DEFAULT_ONLY_WEBHOOKS]
            for w in d["webhooks"]:
                svc = w["clientConfig"].get("service")
                if svc and svc["name"] == "istiod":
                    svc["name"] = f"istiod-{rev}"
                for sel in ("namespaceSelector", "objectSelector"):
                    for e in (w.get(sel) or {}).get("matchExpressions", []):
                        if e["key"] == "istio.io/rev" and e.get("values") == ["default"]:
                            e["values"] = [rev]
        if kind == "Deployment":
            spec = d["spec"]
            spec["selector"]["matchLabels"]["istio.io/rev"] = rev
            pod = spec["template"]["spec"]
            pod["serviceAccountName"] = rename(pod["serviceAccountName"], rev)
            for vol in pod.get("volumes", []):
                if "configMap" in vol:
                    vol["configMap"]["name"] = rename(vol["configMap"]["name"], rev)
            for c in pod["containers"]:
                for e in c.get("env", []):
                    if e["name"] == "REVISION":
                        e["value"] = rev
                c["image"] = c["image"].rsplit(":", 1)[0] + ":" + CHART_VERSION
        if kind == "Service":
            d["spec"]["selector"]["istio.io/rev"] = rev
        if kind == "ConfigMap" and meta["name"] == f"istio-{rev}":
            d["data"]["mesh"] = d["data"]["mesh"].replace(
                "istiod.istio-system.svc:15012", f"istiod-{rev}.istio-system.svc:15012")
        if kind == "HorizontalPodAutoscaler":
            d["spec"]["scaleTargetRef"]["name"] = rename(d["spec"]["scaleTargetRef"]["name"], rev)
        out.append(d)
    return out


def tag(tag_name, rev):
    """The revision tag `helm template istiod istio/istiod -s templates/revision-tags-mwc.yaml
    --set revisionTags={<tag>} --set revision=<rev>` prints (as istioctl tag generate does)."""
    d = copy.deepcopy(docs(TAG_SOURCE)[0])
    meta = d["metadata"]
    meta.pop("generation", None)
    meta["name"] = f"istio-revision-tag-{tag_name}"
    meta["labels"].update({"istio.io/rev": rev, "istio.io/tag": tag_name,
                           "app.kubernetes.io/instance": "istiod", "release": "istiod"})
    for w in d["webhooks"]:
        w["clientConfig"]["service"]["name"] = f"istiod-{rev}"
        for sel in ("namespaceSelector", "objectSelector"):
            for e in (w.get(sel) or {}).get("matchExpressions", []):
                if e["key"] == "istio.io/rev" and e.get("values") == ["default"]:
                    e["values"] = [tag_name]
    d["webhooks"] = [w for w in d["webhooks"] if w["name"].startswith("rev.")]
    return [d]


def gateway(release, ns, rev):
    """The gateway chart (`helm template istio-ingress istio/gateway -n istio-ingress --set
    revision=<rev>`), written from manifests/charts/gateway/templates at latest."""
    labels = {
        "app": release, "istio": release.removeprefix("istio-"),
        "app.kubernetes.io/name": release, "app.kubernetes.io/instance": release,
        "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/part-of": "istio",
        "app.kubernetes.io/version": CHART_VERSION, "helm.sh/chart": f"gateway-{CHART_VERSION}",
    }
    selector = {"app": release, "istio": release.removeprefix("istio-")}
    meta = lambda kind_labels=None: {"name": release, "namespace": ns, "labels": dict(labels)}
    sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta()}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(),
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "watch", "list"]}]}
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta(),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": release},
               "subjects": [{"kind": "ServiceAccount", "name": release}]}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(), "spec": {
        "selector": {"matchLabels": dict(selector)},
        "template": {
            "metadata": {
                "annotations": {"inject.istio.io/templates": "gateway", "prometheus.io/path": "/stats/prometheus",
                                "prometheus.io/port": "15020", "prometheus.io/scrape": "true"},
                "labels": {"sidecar.istio.io/inject": "true", "istio.io/rev": rev, **selector, **{
                    k: v for k, v in labels.items() if k.startswith(("app.kubernetes", "helm.sh"))}},
            },
            "spec": {
                "serviceAccountName": release,
                "securityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
                "containers": [{
                    "name": "istio-proxy", "image": "auto",
                    "securityContext": {"capabilities": {"drop": ["ALL"]}, "allowPrivilegeEscalation": False,
                                        "privileged": False, "readOnlyRootFilesystem": True,
                                        "runAsUser": 1337, "runAsGroup": 1337, "runAsNonRoot": True},
                    "env": [],
                    "ports": [{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}],
                    "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"},
                                  "requests": {"cpu": "100m", "memory": "128Mi"}},
                }],
                "terminationGracePeriodSeconds": 30,
            },
        },
    }}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": meta(), "spec": {
        "type": "LoadBalancer",
        "ports": [{"name": "status-port", "port": 15021, "protocol": "TCP", "targetPort": 15021},
                  {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80},
                  {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}],
        "selector": dict(selector),
    }}
    hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta(), "spec": {
        "maxReplicas": 5, "minReplicas": 1,
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": release},
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "averageUtilization": 80, "type": "Utilization"}}}],
    }}
    return [sa, role, binding, deploy, service, hpa]


def _str(dumper, v):
    # Multi-line values (mesh config, injection templates) as block literals, as helm prints them.
    return dumper.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None)


yaml.SafeDumper.add_representer(str, _str)


def dump(objs):
    return "---\n".join(yaml.safe_dump(o, sort_keys=True, default_flow_style=False) for o in objs)


FILES = {
    "istiod.yaml": lambda: istiod("istiod", None),
    "istiod-1-24-0.yaml": lambda: istiod("istiod-1-24-0", "1-24-0"),
    "istiod-1-24-1.yaml": lambda: istiod("istiod-1-24-1", "1-24-1"),
    "istio-ingress.yaml": lambda: gateway("istio-ingress", "istio-ingress", "1-24-1"),
    "tag-prod-stable.yaml": lambda: tag("prod-stable", "1-24-1"),
}


def main():
    check = "--check" in sys.argv
    os.makedirs(OUT, exist_ok=True)
    differ = []
    for name, make in FILES.items():
        text = dump(make())
        path = os.path.join(OUT, name)
        if check:
            with open(path) as f:
                if f.read() != text:
                    differ.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if differ:
        print("differ:", ", ".join(differ))
        sys.exit(1)


if __name__ == "__main__":
    main()
