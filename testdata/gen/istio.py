"""Istio object shapes (1.8 era and latest era), modelled on the real files copied into
testdata/istio/ (see testdata/README.md for the file each shape follows)."""
import base64
import copy
import json

from cluster import PodPlan, Revision
from k8s import at, hexid

ISTIO_NS = "istio-system"


def svc_addr(rev, ns=ISTIO_NS):
    return f"istiod.{ns}.svc:15012" if rev == "default" else f"istiod-{rev}.{ns}.svc:15012"


def istiod_name(rev):
    return "istiod" if rev == "default" else f"istiod-{rev}"


def fake_ca_bundle(rev):
    pem = ("-----BEGIN CERTIFICATE-----\n"
           + base64.b64encode(bytes.fromhex(hexid("ca", rev) * 6)).decode() + "\n"
           + "-----END CERTIFICATE-----\n")
    return base64.b64encode(pem.encode()).decode()


def fieldref(path):
    return {"valueFrom": {"fieldRef": {"fieldPath": path}}}


# ====================================================================== control plane
def owner_labels(owner, rev, component, version, era):
    lab = {"install.operator.istio.io/owning-resource": owner,
           "install.operator.istio.io/owning-resource-namespace": ISTIO_NS,
           "istio.io/rev": rev, "operator.istio.io/component": component,
           "operator.istio.io/managed": "Reconcile", "operator.istio.io/version": version,
           "release": "istio"}
    if era == "latest":
        lab.update({"app.kubernetes.io/instance": "istio", "app.kubernetes.io/managed-by": "Helm",
                    "app.kubernetes.io/part-of": "istio", "app.kubernetes.io/version": version,
                    "helm.sh/chart": f"istiod-{version}", "app.kubernetes.io/name": "istiod"})
    return lab


def istiod(c, rev, version, created, owner, era="1.8", ready=True, replicas=1, hub="docker.io/istio"):
    """Deployment istiod-<rev> as installed by istioctl/operator (chart istio-control/istio-discovery)."""
    name = istiod_name(rev)
    labels = {"app": "istiod", "istio": "pilot"}
    labels.update(owner_labels(owner, rev, "Pilot", version, era))
    tlabels = {"app": "istiod", "install.operator.istio.io/owning-resource": "unknown", "istio": "istiod",
               "istio.io/rev": rev, "operator.istio.io/component": "Pilot", "sidecar.istio.io/inject": "false"}
    if era == "latest":
        tlabels.update({"app.kubernetes.io/instance": "istio", "app.kubernetes.io/managed-by": "Helm",
                        "app.kubernetes.io/name": "istiod", "app.kubernetes.io/part-of": "istio",
                        "app.kubernetes.io/version": version, "helm.sh/chart": f"istiod-{version}",
                        "istio": "pilot", "istio.io/dataplane-mode": "none"})
    injector = "istio-sidecar-injector" if rev == "default" else f"istio-sidecar-injector-{rev}"
    env = [{"name": "REVISION", "value": rev}]
    if era == "1.8":
        env.append({"name": "JWT_POLICY", "value": "third-party-jwt"})
    env += [{"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            dict(name="POD_NAME", **fieldref("metadata.name")),
            dict(name="POD_NAMESPACE", **fieldref("metadata.namespace")),
            dict(name="SERVICE_ACCOUNT", **fieldref("spec.serviceAccountName")),
            {"name": "KUBECONFIG", "value": "/var/run/secrets/remote/config"},
            {"name": "PILOT_TRACE_SAMPLING", "value": "1"}]
    if era == "1.8":
        env += [{"name": "PILOT_ENABLE_PROTOCOL_SNIFFING_FOR_OUTBOUND", "value": "true"},
                {"name": "PILOT_ENABLE_PROTOCOL_SNIFFING_FOR_INBOUND", "value": "true"},
                {"name": "INJECTION_WEBHOOK_CONFIG_NAME", "value": injector},
                {"name": "ISTIOD_ADDR", "value": svc_addr(rev)}]
    env += [{"name": "PILOT_ENABLE_ANALYSIS", "value": "false"}, {"name": "CLUSTER_ID", "value": "Kubernetes"}]
    if era == "latest":
        env += [{"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"divisor": "1", "resource": "limits.cpu"}}},
                {"name": "PLATFORM", "value": ""}]
    ports = ([{"containerPort": 8080}, {"containerPort": 15010}, {"containerPort": 15017}]
             if era == "1.8" else
             [{"containerPort": 8080, "name": "http-debug"}, {"containerPort": 15010, "name": "grpc-xds"},
              {"containerPort": 15012, "name": "tls-xds"}, {"containerPort": 15017, "name": "https-webhooks"},
              {"containerPort": 15014, "name": "http-monitoring"}])
    cm = "istio" if rev == "default" else f"istio-{rev}"
    tmpl = {"metadata": {"annotations": {"prometheus.io/port": "15014", "prometheus.io/scrape": "true",
                                         "sidecar.istio.io/inject": "false"}, "labels": tlabels},
            "spec": {"containers": [{
                "args": ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info",
                         "--domain", "cluster.local", "--keepaliveMaxServerConnectionAge", "30m"],
                "env": env, "image": f"{hub}/pilot:{version}", "name": "discovery", "ports": ports,
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "initialDelaySeconds": 1,
                                   "periodSeconds": 3, "timeoutSeconds": 5},
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}},
                "securityContext": {"capabilities": {"drop": ["ALL"]}, "runAsGroup": 1337, "runAsNonRoot": True,
                                    "runAsUser": 1337},
                "volumeMounts": [{"mountPath": "/etc/istio/config", "name": "config-volume"},
                                 {"mountPath": "/var/run/secrets/tokens", "name": "istio-token", "readOnly": True},
                                 {"mountPath": "/var/run/secrets/istio-dns", "name": "local-certs"},
                                 {"mountPath": "/etc/cacerts", "name": "cacerts", "readOnly": True},
                                 {"mountPath": "/var/run/secrets/remote", "name": "istio-kubeconfig", "readOnly": True},
                                 {"mountPath": "/var/lib/istio/inject", "name": "inject", "readOnly": True}]}],
                "securityContext": {"fsGroup": 1337},
                "serviceAccountName": "istiod-service-account" if era == "1.8" else name,
                "volumes": [{"emptyDir": {"medium": "Memory"}, "name": "local-certs"},
                            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                            {"name": "cacerts", "secret": {"optional": True, "secretName": "cacerts"}},
                            {"name": "istio-kubeconfig", "secret": {"optional": True, "secretName": "istio-kubeconfig"}},
                            {"configMap": {"name": injector}, "name": "inject"},
                            {"configMap": {"name": cm}, "name": "config-volume"}]}}
    plans = [PodPlan(at(created, seconds=5 + i), ready=ready, not_ready_container=None if ready else "discovery",
                     node="worker-1" if i % 2 == 0 else "worker-2") for i in range(replicas)]
    selector = {"app": "istiod", "istio.io/rev": rev} if rev != "default" else {"istio": "pilot"}
    return c.deployment(ISTIO_NS, name, labels, selector, [Revision(tmpl, at(created, seconds=2), plans)],
                        replicas, created,
                        strategy={"rollingUpdate": {"maxSurge": "100%", "maxUnavailable": "25%"},
                                  "type": "RollingUpdate"},
                        deadline_exceeded=not ready)


def _rules():
    return [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"],
             "scope": "*"}]


def _webhook(name, svc, ns_sel, obj_sel, rev_for_ca, admission=("v1beta1", "v1")):
    return {"admissionReviewVersions": list(admission),
            "clientConfig": {"caBundle": fake_ca_bundle(rev_for_ca),
                             "service": {"name": svc, "namespace": ISTIO_NS, "path": "/inject", "port": 443}},
            "failurePolicy": "Fail", "matchPolicy": "Equivalent", "name": name,
            "namespaceSelector": ns_sel, "objectSelector": obj_sel, "reinvocationPolicy": "Never",
            "rules": _rules(), "sideEffects": "None", "timeoutSeconds": 10}


NOT_FALSE = {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}


def injector_18(c, rev, version, created, owner):
    """1.8 istio-discovery mutatingwebhook.yaml: one webhook; revisioned namespaceSelector,
    default revision answers istio-injection=enabled."""
    name = "istio-sidecar-injector" if rev == "default" else f"istio-sidecar-injector-{rev}"
    labels = {"app": "sidecar-injector"}
    labels.update(owner_labels(owner, rev, "Pilot", version, "1.8"))
    if rev == "default":
        ns_sel = {"matchLabels": {"istio-injection": "enabled"}}
    else:
        ns_sel = {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [rev]},
                                       {"key": "istio-injection", "operator": "DoesNotExist"}]}
    wh = _webhook("sidecar-injector.istio.io", istiod_name(rev), ns_sel, {"matchExpressions": [NOT_FALSE]}, rev)
    return c.mwc(name, labels, [wh], created)


def injector_latest(c, rev, version, created, owner="unknown"):
    """latest revisioned injector, same webhooks as revision-objects-latest/rev-16-injector.yaml."""
    name = f"istio-sidecar-injector-{rev}"
    labels = {"app": "sidecar-injector"}
    labels.update(owner_labels(owner, rev, "Pilot", version, "latest"))
    svc = istiod_name(rev)
    whs = [
        _webhook("rev.namespace.sidecar-injector.istio.io", svc,
                 {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [rev]},
                                       {"key": "istio-injection", "operator": "DoesNotExist"}]},
                 {"matchExpressions": [NOT_FALSE]}, rev, admission=("v1",)),
        _webhook("rev.object.sidecar-injector.istio.io", svc,
                 {"matchExpressions": [{"key": "istio.io/rev", "operator": "DoesNotExist"},
                                       {"key": "istio-injection", "operator": "DoesNotExist"}]},
                 {"matchExpressions": [NOT_FALSE, {"key": "istio.io/rev", "operator": "In", "values": [rev]}]},
                 rev, admission=("v1",)),
    ]
    return c.mwc(name, labels, whs, created)


def revision_tag(c, tag, rev, created, version):
    """`istioctl tag set <tag> --revision <rev>`: MWC istio-revision-tag-<tag>, as
    manifest-generate-latest/input-extra-resources/default_tag.yaml."""
    name = f"istio-revision-tag-{tag}"
    # labels exactly as in default_tag.yaml (no operator.istio.io/component: `istioctl uninstall
    # --revision` does not select tag webhooks, which is how broken-ir303's dangling tag survives)
    labels = {"app": "sidecar-injector", "istio.io/rev": rev, "istio.io/tag": tag, "release": "istio"}
    svc = istiod_name(rev)
    whs = [
        _webhook("rev.namespace.sidecar-injector.istio.io", svc,
                 {"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [tag]},
                                       {"key": "istio-injection", "operator": "DoesNotExist"}]},
                 {"matchExpressions": [NOT_FALSE]}, rev, admission=("v1",)),
        _webhook("rev.object.sidecar-injector.istio.io", svc,
                 {"matchExpressions": [{"key": "istio.io/rev", "operator": "DoesNotExist"},
                                       {"key": "istio-injection", "operator": "DoesNotExist"}]},
                 {"matchExpressions": [NOT_FALSE, {"key": "istio.io/rev", "operator": "In", "values": [tag]}]},
                 rev, admission=("v1",)),
    ]
    if tag == "default":
        whs += [
            _webhook("namespace.sidecar-injector.istio.io", svc,
                     {"matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]},
                     {"matchExpressions": [NOT_FALSE]}, rev, admission=("v1",)),
            _webhook("object.sidecar-injector.istio.io", svc,
                     {"matchExpressions": [{"key": "istio-injection", "operator": "DoesNotExist"},
                                           {"key": "istio.io/rev", "operator": "DoesNotExist"}]},
                     {"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]},
                                           {"key": "istio.io/rev", "operator": "DoesNotExist"}]},
                     rev, admission=("v1",)),
        ]
    return c.mwc(name, labels, whs, created)


def operator_deployment(c, rev, version, created):
    """`istioctl operator init --revision <rev>` (1.8 operator chart)."""
    name = f"istio-operator-{rev}"
    tmpl = {"metadata": {"labels": {"name": "istio-operator"}},
            "spec": {"containers": [{
                "command": ["operator", "server"],
                "env": [{"name": "WATCH_NAMESPACE", "value": ISTIO_NS},
                        {"name": "LEADER_ELECTION_NAMESPACE", "value": "istio-operator"},
                        dict(name="POD_NAME", **fieldref("metadata.name")),
                        {"name": "OPERATOR_NAME", "value": "istio-operator"},
                        {"name": "WAIT_FOR_RESOURCES_TIMEOUT", "value": "300s"},
                        {"name": "REVISION", "value": rev}],
                "image": f"docker.io/istio/operator:{version}", "imagePullPolicy": "IfNotPresent",
                "name": "istio-operator",
                "resources": {"limits": {"cpu": "200m", "memory": "256Mi"},
                              "requests": {"cpu": "50m", "memory": "128Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                                    "runAsNonRoot": True, "runAsUser": 1337}}],
                "serviceAccountName": "istio-operator"}}
    return c.deployment("istio-operator", name, None, {"name": "istio-operator"},
                        [Revision(tmpl, at(created, seconds=1), [PodPlan(at(created, seconds=2), node="worker-1")])],
                        1, created)


# ====================================================================== sidecar injection
STATUS_18_VOLUMES = ["istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"]
STATUS_LATEST_VOLUMES = ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
                         "istio-podinfo", "istio-token", "istiod-ca-cert", "istio-ca-crl"]


def _common_env(ca_addr, ns, wl_name, owner_uri, app_containers, pod_ports, era):
    env = []
    if era == "1.8":
        env.append({"name": "JWT_POLICY", "value": "third-party-jwt"})
    env += [{"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "CA_ADDR", "value": ca_addr},
            dict(name="POD_NAME", **fieldref("metadata.name")),
            dict(name="POD_NAMESPACE", **fieldref("metadata.namespace")),
            dict(name="INSTANCE_IP", **fieldref("status.podIP")),
            dict(name="SERVICE_ACCOUNT", **fieldref("spec.serviceAccountName")),
            dict(name="HOST_IP", **fieldref("status.hostIP"))]
    if era == "1.8":
        env += [dict(name="CANONICAL_SERVICE", **fieldref("metadata.labels['service.istio.io/canonical-name']")),
                dict(name="CANONICAL_REVISION",
                     **fieldref("metadata.labels['service.istio.io/canonical-revision']")),
                {"name": "PROXY_CONFIG", "value": "{\"proxyMetadata\":{\"DNS_AGENT\":\"\"}}\n"}]
    else:
        env += [{"name": "ISTIO_CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1",
                                                                                "resource": "limits.cpu"}}},
                {"name": "PROXY_CONFIG", "value": "{}\n"}]
    env.append({"name": "ISTIO_META_POD_PORTS", "value": "[\n" + ",".join(
        "    " + json.dumps(p, separators=(",", ":")) + "\n" for p in pod_ports) + "]"})
    if era == "latest":
        env.append({"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1",
                                                                              "resource": "limits.memory"}}})
    env.append({"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(app_containers)} if app_containers
               else {"name": "ISTIO_META_APP_CONTAINERS"})
    env += [{"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}]
    if era == "latest":
        env.append(dict(name="ISTIO_META_NODE_NAME", **fieldref("spec.nodeName")))
    env += [{"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
            {"name": "ISTIO_META_WORKLOAD_NAME", "value": wl_name},
            {"name": "ISTIO_META_OWNER", "value": owner_uri},
            {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
            {"name": "TRUST_DOMAIN", "value": "cluster.local"}]
    if era == "1.8":
        env.append({"name": "DNS_AGENT"})
    return env


def _iptables_args(era):
    a = ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "",
         "-b", "*", "-d", "15090,15021,15020"]
    if era == "latest":
        a.append("--log_output_level=default:info")
    return a


def _init_container(image, era):
    return {"args": _iptables_args(era), "image": image, "name": "istio-init",
            "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
            "securityContext": {"allowPrivilegeEscalation": False,
                                "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]},
                                "privileged": False, "readOnlyRootFilesystem": False, "runAsGroup": 0,
                                "runAsNonRoot": False, "runAsUser": 0}}


def owner_uri(kind, ns, name):
    if kind == "Pod":
        return f"kubernetes://apis/v1/namespaces/{ns}/pods/{name}"
    return f"kubernetes://apis/apps/v1/namespaces/{ns}/{kind.lower()}s/{name}"


def sidecar(era, rev, version, ns, wl_kind, wl_name, set_label=True, ca_rev=None, hub="docker.io/istio"):
    """Returns a PodPlan mutate function that injects a sidecar like the webhook of `rev` did."""
    ca_rev = ca_rev or rev
    image = f"{hub}/proxyv2:{version}"

    def mutate(md, spec, pod_name):
        labels, ann = md["labels"], md["annotations"]
        app_cs = [c["name"] for c in spec["containers"]]
        ports = [dict({"name": p["name"]} if "name" in p else {}, containerPort=p["containerPort"],
                      **({"protocol": p["protocol"]} if "protocol" in p else {}))
                 for c in spec["containers"] for p in c.get("ports", [])]
        owner = owner_uri(wl_kind, ns, wl_name if wl_kind != "Pod" else pod_name)
        env = _common_env(svc_addr(ca_rev), ns, wl_name, owner, app_cs, ports, era)
        proxy = {"args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"]
                 + (["--serviceCluster", f"{labels.get('app', wl_name)}.$(POD_NAMESPACE)"] if era == "1.8" else [])
                 + ["--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error"]
                 + (["--concurrency", "2"] if era == "1.8" else ["--log_output_level=default:info"]),
                 "env": env, "image": image, "name": "istio-proxy",
                 "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
                 "readinessProbe": ({"failureThreshold": 30, "httpGet": {"path": "/healthz/ready", "port": 15021},
                                     "initialDelaySeconds": 1, "periodSeconds": 2, "timeoutSeconds": 3}
                                    if era == "1.8" else
                                    {"failureThreshold": 4, "httpGet": {"path": "/healthz/ready", "port": 15021},
                                     "periodSeconds": 15, "timeoutSeconds": 3}),
                 "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "10m", "memory": "40Mi"}},
                 "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                     "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                                     "runAsNonRoot": True, "runAsUser": 1337}}
        labels["security.istio.io/tlsMode"] = "istio"
        labels["service.istio.io/canonical-name"] = labels.get("app", wl_name)
        labels["service.istio.io/canonical-revision"] = labels.get("version", "latest")
        ann.update({"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020",
                    "prometheus.io/scrape": "true"})
        if era == "1.8":
            if set_label:
                labels.setdefault("istio.io/rev", rev)
            ann["sidecar.istio.io/status"] = json.dumps(
                {"version": hexid("tmpl", version)[:64], "initContainers": ["istio-init"],
                 "containers": ["istio-proxy"], "volumes": STATUS_18_VOLUMES, "imagePullSecrets": None},
                separators=(",", ":"))
            proxy["volumeMounts"] = [{"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                                     {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                                     {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
                                     {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
                                     {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}]
            spec["containers"].append(proxy)
            spec["initContainers"] = spec.get("initContainers", []) + [_init_container(image, era)]
            vols = [{"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"}, {"emptyDir": {}, "name": "istio-data"},
                    {"downwardAPI": {"items": [{"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                                               {"fieldRef": {"fieldPath": "metadata.annotations"},
                                                "path": "annotations"}]}, "name": "istio-podinfo"},
                    {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                        "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                    {"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"}]
        else:
            ann["istio.io/rev"] = rev
            ann["kubectl.kubernetes.io/default-container"] = app_cs[0]
            ann["kubectl.kubernetes.io/default-logs-container"] = app_cs[0]
            ann["sidecar.istio.io/status"] = json.dumps(
                {"initContainers": ["istio-init", "istio-proxy"], "containers": None,
                 "volumes": STATUS_LATEST_VOLUMES, "imagePullSecrets": None, "revision": rev},
                separators=(",", ":"))
            proxy["lifecycle"] = {"preStop": {"exec": {"command": ["pilot-agent", "request", "--debug-port=15020",
                                                                   "POST", "drain"]}}}
            proxy["restartPolicy"] = "Always"
            proxy["startupProbe"] = {"failureThreshold": 600, "httpGet": {"path": "/healthz/ready", "port": 15021},
                                     "periodSeconds": 1, "timeoutSeconds": 3}
            proxy["volumeMounts"] = [
                {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
                {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
                {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
                {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                {"mountPath": "/var/run/secrets/istio/crl", "name": "istio-ca-crl"},
                {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
                {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
                {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}]
            spec["initContainers"] = spec.get("initContainers", []) + [_init_container(image, era), proxy]
            vols = [{"emptyDir": {}, "name": "workload-socket"}, {"emptyDir": {}, "name": "credential-socket"},
                    {"emptyDir": {}, "name": "workload-certs"},
                    {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"}, {"emptyDir": {}, "name": "istio-data"},
                    {"downwardAPI": {"items": [{"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                                               {"fieldRef": {"fieldPath": "metadata.annotations"},
                                                "path": "annotations"}]}, "name": "istio-podinfo"},
                    {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                        "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                    {"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"},
                    {"configMap": {"name": "istio-ca-crl", "optional": True}, "name": "istio-ca-crl"}]
        spec.setdefault("securityContext", {})
        if era == "1.8":
            spec["securityContext"]["fsGroup"] = 1337
        spec["volumes"] = spec.get("volumes", []) + vols

    return mutate


# ====================================================================== gateways
def operator_gateway_template(rev, version, canonical_revision=None, extra_labels=None, hub="docker.io/istio"):
    """1.8 chart gateways/istio-ingress deployment.yaml as rendered by istioctl/operator for a
    revisioned gateways IOP (see manifest-generate-1.8/output/all_on golden for the container)."""
    labels = {"app": "istio-ingressgateway", "chart": "gateways", "heritage": "Tiller",
              "install.operator.istio.io/owning-resource": "unknown", "istio": "ingressgateway",
              "istio.io/rev": rev, "operator.istio.io/component": "IngressGateways", "release": "istio",
              "service.istio.io/canonical-name": "istio-ingressgateway",
              "service.istio.io/canonical-revision": canonical_revision or rev,
              "sidecar.istio.io/inject": "false"}
    labels.update(extra_labels or {})
    env = [{"name": "JWT_POLICY", "value": "third-party-jwt"},
           {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
           {"name": "CA_ADDR", "value": svc_addr(rev)},
           dict(name="NODE_NAME", **fieldref("spec.nodeName")),
           dict(name="POD_NAME", **fieldref("metadata.name")),
           dict(name="POD_NAMESPACE", **fieldref("metadata.namespace")),
           dict(name="INSTANCE_IP", **fieldref("status.podIP")),
           dict(name="HOST_IP", **fieldref("status.hostIP")),
           dict(name="SERVICE_ACCOUNT", **fieldref("spec.serviceAccountName")),
           dict(name="CANONICAL_SERVICE", **fieldref("metadata.labels['service.istio.io/canonical-name']")),
           dict(name="CANONICAL_REVISION", **fieldref("metadata.labels['service.istio.io/canonical-revision']")),
           {"name": "ISTIO_META_WORKLOAD_NAME", "value": "istio-ingressgateway"},
           {"name": "ISTIO_META_OWNER",
            "value": "kubernetes://apis/apps/v1/namespaces/istio-system/deployments/istio-ingressgateway"},
           {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
           {"name": "ISTIO_META_ROUTER_MODE", "value": "sni-dnat"},
           {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}]
    return {"metadata": {"annotations": {"prometheus.io/path": "/stats/prometheus", "prometheus.io/port": "15020",
                                         "prometheus.io/scrape": "true", "sidecar.istio.io/inject": "false"},
                         "labels": labels},
            "spec": {"containers": [{
                "args": ["proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                         "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
                         "--log_output_level=default:info", "--serviceCluster", "istio-ingressgateway"],
                "env": env, "image": f"{hub}/proxyv2:{version}", "name": "istio-proxy",
                "ports": [{"containerPort": 15021}, {"containerPort": 8080}, {"containerPort": 8443},
                          {"containerPort": 15012}, {"containerPort": 15443},
                          {"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
                "readinessProbe": {"failureThreshold": 30, "httpGet": {"path": "/healthz/ready", "port": 15021,
                                                                       "scheme": "HTTP"},
                                   "initialDelaySeconds": 1, "periodSeconds": 2, "successThreshold": 1,
                                   "timeoutSeconds": 1},
                "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "privileged": False, "readOnlyRootFilesystem": True},
                "volumeMounts": [{"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
                                 {"mountPath": "/etc/istio/config", "name": "config-volume"},
                                 {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                                 {"mountPath": "/var/run/secrets/tokens", "name": "istio-token", "readOnly": True},
                                 {"mountPath": "/var/run/ingress_gateway", "name": "gatewaysdsudspath"},
                                 {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                                 {"mountPath": "/etc/istio/pod", "name": "podinfo"},
                                 {"mountPath": "/etc/istio/ingressgateway-certs", "name": "ingressgateway-certs",
                                  "readOnly": True},
                                 {"mountPath": "/etc/istio/ingressgateway-ca-certs", "name": "ingressgateway-ca-certs",
                                  "readOnly": True}]}],
                "securityContext": {"fsGroup": 1337, "runAsGroup": 1337, "runAsNonRoot": True, "runAsUser": 1337},
                "serviceAccountName": "istio-ingressgateway-service-account",
                "volumes": [{"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"},
                            {"downwardAPI": {"items": [
                                {"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                                {"fieldRef": {"fieldPath": "metadata.annotations"}, "path": "annotations"}]},
                             "name": "podinfo"},
                            {"emptyDir": {}, "name": "istio-envoy"}, {"emptyDir": {}, "name": "gatewaysdsudspath"},
                            {"emptyDir": {}, "name": "istio-data"},
                            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                            {"configMap": {"name": f"istio-{rev}", "optional": True}, "name": "config-volume"},
                            {"name": "ingressgateway-certs", "secret": {"optional": True,
                                                                         "secretName": "istio-ingressgateway-certs"}},
                            {"name": "ingressgateway-ca-certs",
                             "secret": {"optional": True, "secretName": "istio-ingressgateway-ca-certs"}}]}}


def operator_gateway_labels(owner, rev, version, extra=None):
    lab = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    lab.update(owner_labels(owner, rev, "IngressGateways", version, "1.8"))
    lab.update(extra or {})
    return lab


def injected_gateway_template(chart_version, rev_label=None):
    """`gateway` Helm chart (manifests/charts/gateway) Deployment template: image auto,
    inject.istio.io/templates: gateway (see injection-latest/gateway.yaml)."""
    labels = {"app": "istio-ingressgateway", "app.kubernetes.io/instance": "istio-ingressgateway",
              "app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/name": "istio-ingressgateway",
              "app.kubernetes.io/part-of": "istio", "app.kubernetes.io/version": chart_version,
              "helm.sh/chart": f"gateway-{chart_version}", "istio": "ingressgateway",
              "sidecar.istio.io/inject": "true"}
    if rev_label:
        labels["istio.io/rev"] = rev_label
    return {"metadata": {"annotations": {"inject.istio.io/templates": "gateway",
                                         "prometheus.io/path": "/stats/prometheus",
                                         "prometheus.io/port": "15020", "prometheus.io/scrape": "true"},
                         "labels": labels},
            "spec": {"containers": [{
                "args": ["proxy", "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                         "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
                         "--log_output_level=default:info"],
                "image": "auto", "imagePullPolicy": "IfNotPresent", "name": "istio-proxy",
                "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                                    "runAsNonRoot": True, "runAsUser": 1337}}],
                "securityContext": {"sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]},
                "serviceAccountName": "istio-ingressgateway"}}


def gateway_injection(rev, version, ns, wl_name, hub="docker.io/istio"):
    """PodPlan mutate: the `gateway` injection template of revision `rev` (injection-latest/gateway.yaml.injected)."""
    def mutate(md, spec, pod_name):
        ann = md["annotations"]
        labels = md["labels"]
        ann["istio.io/rev"] = rev
        ann["sidecar.istio.io/status"] = json.dumps(
            {"initContainers": None, "containers": ["istio-proxy"],
             "volumes": ["workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data",
                         "istio-podinfo", "istio-token", "istiod-ca-cert"],
             "imagePullSecrets": None, "revision": rev}, separators=(",", ":"))
        labels["service.istio.io/canonical-name"] = labels.get("app", wl_name)
        labels["service.istio.io/canonical-revision"] = labels.get("app.kubernetes.io/version", "latest")
        c = spec["containers"][0]
        c["image"] = f"{hub}/proxyv2:{version}"
        c["env"] = [{"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
                    {"name": "CA_ADDR", "value": svc_addr(rev)},
                    dict(name="POD_NAME", **fieldref("metadata.name")),
                    dict(name="POD_NAMESPACE", **fieldref("metadata.namespace")),
                    dict(name="INSTANCE_IP", **fieldref("status.podIP")),
                    dict(name="SERVICE_ACCOUNT", **fieldref("spec.serviceAccountName")),
                    dict(name="HOST_IP", **fieldref("status.hostIP")),
                    {"name": "ISTIO_CPU_LIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1",
                                                                                    "resource": "limits.cpu"}}},
                    {"name": "PROXY_CONFIG", "value": "{}\n"},
                    {"name": "ISTIO_META_POD_PORTS", "value": "[\n]"},
                    {"name": "GOMEMLIMIT", "valueFrom": {"resourceFieldRef": {"divisor": "1",
                                                                               "resource": "limits.memory"}}},
                    {"name": "ISTIO_META_APP_CONTAINERS"},
                    {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
                    dict(name="ISTIO_META_NODE_NAME", **fieldref("spec.nodeName")),
                    {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
                    {"name": "ISTIO_META_WORKLOAD_NAME", "value": wl_name},
                    {"name": "ISTIO_META_OWNER", "value": owner_uri("Deployment", ns, wl_name)},
                    {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
                    {"name": "TRUST_DOMAIN", "value": "cluster.local"}]
        c["readinessProbe"] = {"failureThreshold": 4, "httpGet": {"path": "/healthz/ready", "port": 15021},
                               "periodSeconds": 15, "timeoutSeconds": 3}
        c["volumeMounts"] = [
            {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
            {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
            {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
            {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
            {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
            {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}]
        spec["volumes"] = spec.get("volumes", []) + [
            {"emptyDir": {}, "name": "workload-socket"}, {"emptyDir": {}, "name": "credential-socket"},
            {"emptyDir": {}, "name": "workload-certs"}, {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"},
            {"emptyDir": {}, "name": "istio-data"},
            {"downwardAPI": {"items": [{"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                                       {"fieldRef": {"fieldPath": "metadata.annotations"}, "path": "annotations"}]},
             "name": "istio-podinfo"},
            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
            {"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"}]
    return mutate
