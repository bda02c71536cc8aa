"""Ambient-era scenarios: Gateway API gateways and waypoints istiod deploys, ztunnel and
istio-cni, and the ambient canary upgrade of istio.io/latest/docs/ambient/upgrade/helm/.

Object shapes (see testdata/README.md):
  * Gateway + generated Deployment/pods: istio/istio pilot/pkg/config/kube/gatewaycommon/testdata/
    deployment/simple.yaml (class istio, `<gw>-istio`) and waypoint.yaml (class istio-waypoint,
    `proxy waypoint`, no suffix), with real revision values filled in where the goldens print
    `istio.io/rev: default` and `istiod-<no value>.<no value>.svc:15012`;
  * ztunnel DaemonSet: manifests/charts/ztunnel/templates/daemonset.yaml (revision as an
    annotation, CA_ADDRESS/XDS_ADDRESS, image ztunnel:<tag>-distroless of the ambient profile);
  * istio-cni-node DaemonSet: manifests/charts/istio-cni/templates/daemonset.yaml (istio.io/rev
    label, container install-cni).
"""
import copy

from cluster import Cluster, PodPlan, Revision
from k8s import at, ts
import istio as I

HUB = "docker.io/istio"
VARIANT = "distroless"


def img(name, version):
    return f"{HUB}/{name}:{version}-{VARIANT}"


def validator(c, rev, created):
    """The base chart's istiod-default-validator; `istioctl tag set default` relabels it."""
    meta = c._meta("ValidatingWebhookConfiguration", "istiod-default-validator", None, created,
                   {"app": "istiod", "istio": "istiod", "istio.io/rev": rev, "release": "istio-base",
                    "app.kubernetes.io/managed-by": "Helm"}, None, {"generation": 3})
    wh = {"admissionReviewVersions": ["v1"],
          "clientConfig": {"caBundle": I.fake_ca_bundle(rev),
                           "service": {"name": I.istiod_name(rev), "namespace": I.ISTIO_NS,
                                       "path": "/validate", "port": 443}},
          "failurePolicy": "Fail", "matchPolicy": "Equivalent", "name": "validation.istio.io",
          "namespaceSelector": {}, "objectSelector": {},
          "rules": [{"apiGroups": ["security.istio.io", "networking.istio.io", "telemetry.istio.io",
                                   "extensions.istio.io"], "apiVersions": ["*"],
                     "operations": ["CREATE", "UPDATE"], "resources": ["*"], "scope": "*"}],
          "sideEffects": "None", "timeoutSeconds": 10}
    return c.add("ValidatingWebhookConfiguration", {"metadata": meta, "webhooks": [wh]})


def gateway_classes(c, created, waypoint=True):
    """The classes istiod creates ("Handled by Istio controller"); istio-waypoint only with
    PILOT_ENABLE_AMBIENT (the ambient profile)."""
    classes = [("istio", "istio.io/gateway-controller", "The default Istio GatewayClass")]
    if waypoint:
        classes.append(("istio-waypoint", "istio.io/mesh-controller",
                        "The default Istio waypoint GatewayClass"))
    for name, controller, desc in classes:
        meta = c._meta("GatewayClass", name, None, created, None, None, {"generation": 1})
        c.add("GatewayClass", {"metadata": meta, "spec": {"controllerName": controller, "description": desc},
                               "status": {"conditions": [{
                                   "lastTransitionTime": ts(created), "message": "Handled by Istio controller",
                                   "observedGeneration": 1, "reason": "Accepted", "status": "True",
                                   "type": "Accepted"}]}})


def _conditions(t, programmed, listeners_reason="Programmed"):
    if programmed is None:
        # The CRD default: no istiod took it.
        return [{"lastTransitionTime": "1970-01-01T00:00:00Z", "message": "Waiting for controller",
                 "reason": "Pending", "status": "Unknown", "type": "Accepted"},
                {"lastTransitionTime": "1970-01-01T00:00:00Z", "message": "Waiting for controller",
                 "reason": "Pending", "status": "Unknown", "type": "Programmed"}]
    status, reason, message = programmed
    return [{"lastTransitionTime": ts(t), "message": "Resource accepted", "observedGeneration": 1,
             "reason": "Accepted", "status": "True", "type": "Accepted"},
            {"lastTransitionTime": ts(t), "message": message, "observedGeneration": 1,
             "reason": reason, "status": status, "type": "Programmed"}]


PROGRAMMED = ("True", "Programmed", None)


def gateway(c, ns, name, cls, created, rev_label=None, programmed=PROGRAMMED, address=None):
    labels = {"istio.io/rev": rev_label} if rev_label else None
    meta = c._meta("Gateway", name, ns, created, labels, None, {"generation": 1})
    if cls == "istio-waypoint":
        spec = {"gatewayClassName": cls,
                "listeners": [{"allowedRoutes": {"namespaces": {"from": "Same"}}, "name": "mesh",
                               "port": 15008, "protocol": "HBONE"}]}
    else:
        spec = {"gatewayClassName": cls,
                "listeners": [{"allowedRoutes": {"namespaces": {"from": "All"}}, "hostname": "*.example.com",
                               "name": "http", "port": 80, "protocol": "HTTP"}]}
    generated = name if cls == "istio-waypoint" else f"{name}-{cls}"
    if programmed is PROGRAMMED:
        programmed = ("True", "Programmed", f"Resource programmed, assigned to service(s) {generated}.{ns}.svc.cluster.local:"
                      + ("15008" if cls == "istio-waypoint" else "80"))
    status = {"conditions": _conditions(at(created, seconds=2), programmed)}
    if programmed is not None and programmed[0] == "True":
        status["addresses"] = [{"type": "IPAddress", "value": address or "10.96.12.34"}]
    obj = c.add("Gateway", {"metadata": meta, "spec": spec, "status": status})
    return obj


def _managed(cls):
    return {"istio": "istio.io-gateway-controller", "istio-waypoint": "istio.io-mesh-controller"}[cls]


def generated_template(ns, gw, cls, rev, version, gw_labels=None, network=None):
    """The pod template istiod renders (kube-gateway.yaml / waypoint.yaml) for `rev`."""
    waypoint = cls == "istio-waypoint"
    dep = gw if waypoint else f"{gw}-{cls}"
    labels = dict(gw_labels or {})
    labels.update({"gateway.istio.io/managed": _managed(cls), "gateway.networking.k8s.io/gateway-class-name": cls,
                   "gateway.networking.k8s.io/gateway-name": gw, "istio.io/dataplane-mode": "none",
                   "service.istio.io/canonical-name": dep, "service.istio.io/canonical-revision": "latest",
                   "sidecar.istio.io/inject": "false"})
    if waypoint and network:
        labels["topology.istio.io/network"] = network
    env = [dict(name="ISTIO_META_SERVICE_ACCOUNT", **I.fieldref("spec.serviceAccountName")),
           dict(name="ISTIO_META_NODE_NAME", **I.fieldref("spec.nodeName")),
           {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
           {"name": "CA_ADDR", "value": I.svc_addr(rev)},
           dict(name="POD_NAME", **I.fieldref("metadata.name")),
           dict(name="POD_NAMESPACE", **I.fieldref("metadata.namespace")),
           dict(name="INSTANCE_IP", **I.fieldref("status.podIP")),
           dict(name="SERVICE_ACCOUNT", **I.fieldref("spec.serviceAccountName")),
           dict(name="HOST_IP", **I.fieldref("status.hostIP")),
           {"name": "PROXY_CONFIG", "value": '{"discoveryAddress":"%s"}\n' % I.svc_addr(rev)},
           {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
           {"name": "ISTIO_META_INTERCEPTION_MODE", "value": "REDIRECT"},
           {"name": "ISTIO_META_WORKLOAD_NAME", "value": dep},
           {"name": "ISTIO_META_OWNER", "value": f"kubernetes://apis/apps/v1/namespaces/{ns}/deployments/{dep}"},
           {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
           {"name": "TRUST_DOMAIN", "value": "cluster.local"}]
    args = ["proxy", "waypoint" if waypoint else "router", "--domain", "$(POD_NAMESPACE).svc.cluster.local"]
    if waypoint:
        args += ["--serviceCluster", f"{dep}.$(POD_NAMESPACE)"]
    args += ["--proxyLogLevel", "warning", "--proxyComponentLogLevel", "misc:error", "--log_output_level",
             "default:info"]
    return {"metadata": {"annotations": {"istio.io/rev": rev, "prometheus.io/path": "/stats/prometheus",
                                         "prometheus.io/port": "15020", "prometheus.io/scrape": "true"},
                         "labels": labels},
            "spec": {"containers": [{
                "args": args, "env": env, "image": img("proxyv2", version), "name": "istio-proxy",
                "ports": [{"containerPort": 15020, "name": "metrics", "protocol": "TCP"},
                          {"containerPort": 15021, "name": "status-port", "protocol": "TCP"},
                          {"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
                "readinessProbe": {"failureThreshold": 4, "httpGet": {"path": "/healthz/ready", "port": 15021,
                                                                      "scheme": "HTTP"},
                                   "periodSeconds": 15, "successThreshold": 1, "timeoutSeconds": 1},
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                                    "runAsNonRoot": True, "runAsUser": 1337},
                "volumeMounts": [{"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
                                 {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                                 {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                                 {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
                                 {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
                                 {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}]}],
                "serviceAccountName": dep,
                "volumes": [{"emptyDir": {}, "name": "workload-socket"},
                            {"emptyDir": {"medium": "Memory"}, "name": "istio-envoy"},
                            {"emptyDir": {}, "name": "istio-data"},
                            {"downwardAPI": {"items": [
                                {"fieldRef": {"fieldPath": "metadata.labels"}, "path": "labels"},
                                {"fieldRef": {"fieldPath": "metadata.annotations"}, "path": "annotations"}]},
                             "name": "istio-podinfo"},
                            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                            {"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"}]}}


def generated_deployment(c, gw_obj, cls, gens, versions, replicas=1, gw_labels=None, stuck=False):
    """gens: oldest → newest [(rendered_by_rev, created, [(pod_rev, t_pod, ready)])]; the
    Deployment's template is the last one's (istiod SSA-patches the same Deployment)."""
    ns = gw_obj["metadata"]["namespace"]
    gw = gw_obj["metadata"]["name"]
    waypoint = cls == "istio-waypoint"
    dep = gw if waypoint else f"{gw}-{cls}"
    revisions = []
    for rev, t_gen, pods in gens:
        tmpl = generated_template(ns, gw, cls, rev, versions[rev], gw_labels,
                                  network=None)
        revisions.append(Revision(tmpl, t_gen, [PodPlan(t, ready=ready) for (_, t, ready) in pods]))
    labels = dict(gw_labels or {})
    labels.update({"gateway.istio.io/managed": _managed(cls), "gateway.networking.k8s.io/gateway-class-name": cls,
                   "gateway.networking.k8s.io/gateway-name": gw})
    if not waypoint:
        labels["istio.io/dataplane-mode"] = "none"
    d = c.deployment(ns, dep, labels, {"gateway.networking.k8s.io/gateway-name": gw}, revisions, replicas,
                     gens[0][1], deadline_exceeded=stuck)
    d["metadata"]["ownerReferences"] = [{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
                                         "name": gw, "uid": gw_obj["metadata"]["uid"]}]
    return d


def ztunnel(c, rev, version, created, gens=None, point_at=None):
    """helm install ztunnel istio/ztunnel --set revision=<rev> (profile ambient)."""
    gens = gens or [(rev, version, created)]
    revisions = []
    for grev, gversion, t in gens:
        addr = point_at or I.svc_addr(grev)
        ann = {"prometheus.io/port": "15020", "prometheus.io/scrape": "true", "sidecar.istio.io/inject": "false"}
        if grev != "default":
            ann["istio.io/rev"] = grev
        tmpl = {"metadata": {"annotations": ann,
                             "labels": {"app": "ztunnel", "app.kubernetes.io/name": "ztunnel",
                                        "istio.io/dataplane-mode": "none", "sidecar.istio.io/inject": "false"}},
                "spec": {"containers": [{
                    "args": ["proxy", "ztunnel"],
                    "env": [{"name": "CA_ADDRESS", "value": addr}, {"name": "XDS_ADDRESS", "value": addr},
                            {"name": "RUST_LOG", "value": "info"}, {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"},
                            {"name": "INPOD_ENABLED", "value": "true"}, {"name": "TERMINATION_GRACE_PERIOD_SECONDS", "value": "30"},
                            dict(name="POD_NAME", **I.fieldref("metadata.name")),
                            dict(name="POD_NAMESPACE", **I.fieldref("metadata.namespace")),
                            dict(name="NODE_NAME", **I.fieldref("spec.nodeName")),
                            dict(name="INSTANCE_IP", **I.fieldref("status.podIP")),
                            dict(name="SERVICE_ACCOUNT", **I.fieldref("spec.serviceAccountName"))],
                    "image": img("ztunnel", gversion), "name": "istio-proxy",
                    "ports": [{"containerPort": 15020, "name": "ztunnel-stats", "protocol": "TCP"}],
                    "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021}},
                    "resources": {"requests": {"cpu": "200m", "memory": "512Mi"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {
                        "add": ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"], "drop": ["ALL"]}, "privileged": False,
                        "readOnlyRootFilesystem": True, "runAsGroup": 1337, "runAsNonRoot": False, "runAsUser": 0},
                    "volumeMounts": [{"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                                     {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
                                     {"mountPath": "/var/run/ztunnel", "name": "cni-ztunnel-sock-dir"},
                                     {"mountPath": "/tmp", "name": "tmp"}]}],
                    "priorityClassName": "system-node-critical", "serviceAccountName": "ztunnel",
                    "terminationGracePeriodSeconds": 30,
                    "tolerations": [{"effect": "NoSchedule", "operator": "Exists"},
                                    {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"effect": "NoExecute", "operator": "Exists"}],
                    "volumes": [{"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                        "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
                        {"configMap": {"name": "istio-ca-root-cert"}, "name": "istiod-ca-cert"},
                        {"hostPath": {"path": "/var/run/ztunnel", "type": "DirectoryOrCreate"},
                         "name": "cni-ztunnel-sock-dir"},
                        {"emptyDir": {}, "name": "tmp"}]}}
        revisions.append(Revision(tmpl, t, {n: PodPlan(at(t, seconds=3 + i)) for i, n in
                                            enumerate(["cp-1", "worker-1", "worker-2"])}))
    last_rev, last_version, _ = gens[-1]
    labels = {"app": "ztunnel", "app.kubernetes.io/instance": "ztunnel", "app.kubernetes.io/managed-by": "Helm",
              "app.kubernetes.io/name": "ztunnel", "app.kubernetes.io/part-of": "istio",
              "app.kubernetes.io/version": last_version, "helm.sh/chart": f"ztunnel-{last_version}"}
    d = c.daemonset(I.ISTIO_NS, "ztunnel", labels, {"app": "ztunnel"}, revisions, gens[0][2])
    d["metadata"]["annotations"]["meta.helm.sh/release-name"] = "ztunnel"
    d["metadata"]["annotations"]["meta.helm.sh/release-namespace"] = I.ISTIO_NS
    if last_rev != "default":
        d["metadata"]["annotations"]["istio.io/rev"] = last_rev
    return d


def istio_cni(c, gens):
    """helm install istio-cni istio/cni --set profile=ambient; gens: [(rev, version, created)]."""
    revisions = []
    for rev, version, t in gens:
        tmpl = {"metadata": {"annotations": {"prometheus.io/path": "/metrics", "prometheus.io/port": "15014",
                                             "prometheus.io/scrape": "true", "sidecar.istio.io/inject": "false"},
                             "labels": {"app.kubernetes.io/name": "istio-cni", "istio.io/dataplane-mode": "none",
                                        "k8s-app": "istio-cni-node", "sidecar.istio.io/inject": "false"}},
                "spec": {"containers": [{
                    "args": ["--log_output_level=info"], "command": ["install-cni"],
                    "env": [{"name": "REPAIR_ENABLED", "value": "true"}, {"name": "AMBIENT_ENABLED", "value": "true"},
                            dict(name="NODE_NAME", **I.fieldref("spec.nodeName")),
                            dict(name="POD_NAMESPACE", **I.fieldref("metadata.namespace"))],
                    "image": img("install-cni", version), "name": "install-cni",
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8000}},
                    "resources": {"requests": {"cpu": "100m", "memory": "100Mi"}},
                    "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"], "drop": ["ALL"]},
                                        "privileged": False, "readOnlyRootFilesystem": True, "runAsGroup": 0,
                                        "runAsNonRoot": False, "runAsUser": 0},
                    "volumeMounts": [{"mountPath": "/host/opt/cni/bin", "name": "cni-bin-dir"},
                                     {"mountPath": "/host/etc/cni/net.d", "name": "cni-net-dir"},
                                     {"mountPath": "/var/run/ztunnel", "name": "cni-ztunnel-sock-dir"}]}],
                    "hostNetwork": True, "priorityClassName": "system-node-critical",
                    "serviceAccountName": "istio-cni", "terminationGracePeriodSeconds": 5,
                    "tolerations": [{"effect": "NoSchedule", "operator": "Exists"},
                                    {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"effect": "NoExecute", "operator": "Exists"}],
                    "volumes": [{"hostPath": {"path": "/opt/cni/bin", "type": ""}, "name": "cni-bin-dir"},
                                {"hostPath": {"path": "/etc/cni/net.d", "type": ""}, "name": "cni-net-dir"},
                                {"hostPath": {"path": "/var/run/ztunnel", "type": "DirectoryOrCreate"},
                                 "name": "cni-ztunnel-sock-dir"}]}}
        revisions.append(Revision(tmpl, t, {n: PodPlan(at(t, seconds=2 + i)) for i, n in
                                            enumerate(["cp-1", "worker-1", "worker-2"])}))
    rev, version, _ = gens[-1]
    labels = {"app.kubernetes.io/instance": "istio-cni", "app.kubernetes.io/managed-by": "Helm",
              "app.kubernetes.io/name": "istio-cni", "app.kubernetes.io/part-of": "istio",
              "app.kubernetes.io/version": version, "helm.sh/chart": f"cni-{version}",
              "install.operator.istio.io/owning-resource": "unknown", "istio.io/rev": rev,
              "k8s-app": "istio-cni-node", "operator.istio.io/component": "Cni", "release": "istio-cni"}
    d = c.daemonset(I.ISTIO_NS, "istio-cni-node", labels, {"k8s-app": "istio-cni-node"}, revisions, gens[0][2])
    d["metadata"]["annotations"]["meta.helm.sh/release-name"] = "istio-cni"
    d["metadata"]["annotations"]["meta.helm.sh/release-namespace"] = I.ISTIO_NS
    return d


def ambient_app(c, ns, name, image, port, created, replicas=2):
    """A workload enrolled in ambient mode: no sidecar; istio-cni marks its pods redirected."""
    def mutate(md, spec, pod_name):
        md["annotations"]["ambient.istio.io/redirection"] = "enabled"
    tmpl = {"metadata": {"labels": {"app": name, "version": "v1"}},
            "spec": {"containers": [{"image": image, "imagePullPolicy": "IfNotPresent", "name": name,
                                     "ports": [{"containerPort": port}]}],
                     "serviceAccountName": name}}
    plans = [PodPlan(at(created, seconds=5 + 3 * i), mutate=mutate) for i in range(replicas)]
    return c.deployment(ns, name, {"app": name}, {"app": name, "version": "v1"},
                        [Revision(tmpl, created, plans)], replicas, created)
