"""A tiny in-memory cluster that emits what
`kubectl get ns,deploy,sts,ds,rs,pods,mutatingwebhookconfigurations,istiooperators -A -o yaml`
prints. Workload controllers' dependents (ReplicaSets, Pods) are generated with consistent
names, labels, ownerReferences and uids."""
import copy
import json

from k8s import (at, default_container, default_podspec, default_volumes, hexid, safe, ts, uid)

KIND_ORDER = ["Namespace", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod",
              "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "IstioOperator",
              "GatewayClass", "Gateway"]
API = {"Namespace": "v1", "Pod": "v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1",
       "DaemonSet": "apps/v1", "ReplicaSet": "apps/v1",
       "MutatingWebhookConfiguration": "admissionregistration.k8s.io/v1",
       "ValidatingWebhookConfiguration": "admissionregistration.k8s.io/v1",
       "IstioOperator": "install.istio.io/v1alpha1",
       "GatewayClass": "gateway.networking.k8s.io/v1", "Gateway": "gateway.networking.k8s.io/v1"}

NODES = {"cp-1": "10.0.0.10", "worker-1": "10.0.0.11", "worker-2": "10.0.0.12"}
WORKERS = ["worker-1", "worker-2"]
NODE_CIDR = {"cp-1": 0, "worker-1": 1, "worker-2": 2}

DEFAULT_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
     "tolerationSeconds": 300},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
     "tolerationSeconds": 300},
]
DS_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]


def image_digest(image, salt=""):
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{hexid('digest', image, salt)}"


class PodPlan:
    """One pod to create. `mutate(pod_metadata, pod_spec, pod_name)` models the admission
    webhook (sidecar injection). `ready=False` makes a crash-looping pod."""

    def __init__(self, created, mutate=None, ready=True, node=None, not_ready_container=None):
        self.created = created
        self.mutate = mutate
        self.ready = ready
        self.node = node
        self.not_ready_container = not_ready_container


class Revision:
    """One controller revision (ReplicaSet / ControllerRevision) of a workload."""

    def __init__(self, template, created, pods, scaled_down_at=None):
        self.template = template
        self.created = created
        self.pods = pods
        self.scaled_down_at = scaled_down_at


class Cluster:
    def __init__(self, flow, t0):
        self.flow = flow  # uids are derived from flow+kind+ns+name+creation so they stay stable across steps
        self.t0 = t0
        self.objs = []
        self.rv = 1000 + (int(hexid("rv", flow)[:4], 16) % 7000)
        self.ip_counter = {}

    # ------------------------------------------------------------------ basics
    def _meta(self, kind, name, ns, created, labels=None, annotations=None, extra=None):
        m = {"creationTimestamp": ts(created), "name": name,
             "uid": uid(self.flow, kind, ns or "", name, ts(created))}
        if ns:
            m["namespace"] = ns
        if labels:
            m["labels"] = dict(labels)
        if annotations:
            m["annotations"] = dict(annotations)
        if extra:
            m.update(extra)
        return m

    def add(self, kind, obj):
        self.rv += 1 + (int(hexid("step", self.flow, kind, obj["metadata"]["name"])[:2], 16) % 9)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        full = {"apiVersion": API[kind], "kind": kind}
        full.update(obj)
        self.objs.append(full)
        return full

    def to_list(self):
        def key(o):
            m = o["metadata"]
            return (KIND_ORDER.index(o["kind"]), m.get("namespace", ""), m["name"])
        return {"apiVersion": "v1", "items": sorted(self.objs, key=key), "kind": "List",
                "metadata": {"resourceVersion": ""}}

    def _ip(self, node):
        n = self.ip_counter.get(node, 10) + 1
        self.ip_counter[node] = n
        return f"10.244.{NODE_CIDR[node]}.{n}"

    # ------------------------------------------------------------------ Namespace
    def namespace(self, name, labels=None, created=None):
        lab = dict(labels or {})
        lab["kubernetes.io/metadata.name"] = name
        return self.add("Namespace", {
            "metadata": self._meta("Namespace", name, None, created or self.t0, lab),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})

    # ------------------------------------------------------------------ Pods
    def _pod(self, ns, name, template, plan, owner, extra_labels=None, node=None, spec_extra=None,
             tolerations=None, mirror=False, generate_name=None):
        tmpl = copy.deepcopy(template)
        md = tmpl.get("metadata", {})
        labels = dict(md.get("labels", {}))
        labels.update(extra_labels or {})
        annotations = dict(md.get("annotations", {}))
        spec = copy.deepcopy(tmpl["spec"])
        if plan.mutate:
            pm = {"labels": labels, "annotations": annotations}
            plan.mutate(pm, spec, name)
            labels, annotations = pm["labels"], pm["annotations"]
        if spec_extra:
            spec.update(spec_extra)
        node = plan.node or node or WORKERS[int(hexid("node", name)[:2], 16) % len(WORKERS)]
        created = plan.created
        meta = self._meta("Pod", name, ns, created, labels, annotations)
        if generate_name:
            meta["generateName"] = generate_name
        if owner:
            meta["ownerReferences"] = [owner]
        # server side: service account admission + defaults
        if not mirror:
            spec["serviceAccountName"] = spec.get("serviceAccountName", "default")
            tok = "kube-api-access-" + safe(5, self.flow, ns, name, "tok")
            mount = {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": tok,
                     "readOnly": True}
            for c in spec["containers"] + spec.get("initContainers", []):
                c.setdefault("volumeMounts", []).append(dict(mount))
            spec.setdefault("volumes", []).append({"name": tok, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                            "path": "namespace"}]}}]}})
        for v in spec.get("volumes", []):
            if not any(k for k in v if k != "name"):
                v["emptyDir"] = {}
        spec = default_podspec(spec)
        for c in spec["containers"]:
            if c.get("resources"):
                c.setdefault("resizePolicy", [{"resourceName": "cpu", "restartPolicy": "NotRequired"},
                                              {"resourceName": "memory", "restartPolicy": "NotRequired"}])
        spec["enableServiceLinks"] = True
        spec["nodeName"] = node
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        if tolerations is None:
            tolerations = spec.get("tolerations", []) + DEFAULT_TOLERATIONS
        spec["tolerations"] = copy.deepcopy(tolerations)
        status = self._pod_status(name, spec, plan, node, created)
        return self.add("Pod", {"metadata": meta, "spec": spec, "status": status})

    def _pod_status(self, name, spec, plan, node, created):
        start = at(created, seconds=1)
        init_done = at(created, seconds=4)
        ready_at = at(created, seconds=9)
        inits = spec.get("initContainers", [])
        cstat = []
        for c in sorted(spec["containers"], key=lambda c: c["name"]):
            ok = plan.ready or c["name"] != plan.not_ready_container
            st = {"containerID": "containerd://" + hexid("cid", self.flow, name, c["name"]),
                  "image": c["image"], "imageID": image_digest(c["image"]),
                  "lastState": {}, "name": c["name"], "ready": ok, "restartCount": 0,
                  "started": ok, "state": {"running": {"startedAt": ts(init_done)}}}
            if not ok:
                st["restartCount"] = 7
                st["lastState"] = {"terminated": {
                    "containerID": "containerd://" + hexid("cid-last", self.flow, name, c["name"]),
                    "exitCode": 1, "finishedAt": ts(at(created, minutes=14)), "reason": "Error",
                    "startedAt": ts(at(created, minutes=13, seconds=58))}}
                st["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                           "message": f"back-off 5m0s restarting failed container={c['name']}"}}
            cstat.append(st)
        istat = []
        for c in inits:
            cid = "containerd://" + hexid("cid", self.flow, name, c["name"])
            if c.get("restartPolicy") == "Always":  # native sidecar
                istat.append({"containerID": cid, "image": c["image"], "imageID": image_digest(c["image"]),
                              "lastState": {}, "name": c["name"], "ready": True, "restartCount": 0,
                              "started": True, "state": {"running": {"startedAt": ts(at(created, seconds=3))}}})
            else:
                istat.append({"containerID": cid, "image": c["image"], "imageID": image_digest(c["image"]),
                              "lastState": {}, "name": c["name"], "ready": True, "restartCount": 0,
                              "started": False, "state": {"terminated": {
                                  "containerID": cid, "exitCode": 0, "finishedAt": ts(at(created, seconds=2)),
                                  "reason": "Completed", "startedAt": ts(start)}}})
        ready = plan.ready
        conds = [
            {"lastProbeTime": None, "lastTransitionTime": ts(at(created, seconds=3)), "status": "True",
             "type": "PodReadyToStartContainers"},
            {"lastProbeTime": None, "lastTransitionTime": ts(init_done if inits else created), "status": "True",
             "type": "Initialized"},
        ]
        if ready:
            conds += [{"lastProbeTime": None, "lastTransitionTime": ts(ready_at), "status": "True", "type": "Ready"},
                      {"lastProbeTime": None, "lastTransitionTime": ts(ready_at), "status": "True",
                       "type": "ContainersReady"}]
        else:
            msg = f"containers with unready status: [{plan.not_ready_container}]"
            conds += [{"lastProbeTime": None, "lastTransitionTime": ts(at(created, minutes=14)), "message": msg,
                       "reason": "ContainersNotReady", "status": "False", "type": "Ready"},
                      {"lastProbeTime": None, "lastTransitionTime": ts(at(created, minutes=14)), "message": msg,
                       "reason": "ContainersNotReady", "status": "False", "type": "ContainersReady"}]
        conds.append({"lastProbeTime": None, "lastTransitionTime": ts(created), "status": "True",
                      "type": "PodScheduled"})
        ip = NODES[node] if spec.get("hostNetwork") else self._ip(node)
        any_res = any(c.get("resources") for c in spec["containers"] + inits)
        guaranteed = all(c.get("resources", {}).get("limits") and
                         c["resources"].get("limits") == c["resources"].get("requests")
                         for c in spec["containers"] + inits)
        st = {"conditions": conds, "containerStatuses": cstat, "hostIP": NODES[node],
              "hostIPs": [{"ip": NODES[node]}], "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
              "qosClass": "Guaranteed" if guaranteed else ("Burstable" if any_res else "BestEffort"),
              "startTime": ts(created)}
        if istat:
            st["initContainerStatuses"] = istat
        return st

    def bare_pod(self, ns, name, template, plan):
        return self._pod(ns, name, template, plan, None)

    def mirror_pod(self, ns, name, template, plan, node):
        owner = {"apiVersion": "v1", "controller": True, "kind": "Node", "name": node,
                 "uid": uid("node", node)}
        t = copy.deepcopy(template)
        t.setdefault("metadata", {}).setdefault("annotations", {}).update({
            "kubernetes.io/config.hash": hexid("cfg", name)[:32],
            "kubernetes.io/config.mirror": hexid("cfg", name)[:32],
            "kubernetes.io/config.seen": ts(at(self.t0, minutes=-600)) [:-1] + ".000000000Z",
            "kubernetes.io/config.source": "file"})
        return self._pod(ns, name, t, plan, owner, node=node, mirror=True,
                         tolerations=[{"effect": "NoExecute", "operator": "Exists"}])

    # ------------------------------------------------------------------ Deployment
    def deployment(self, ns, name, labels, selector, revisions, replicas, created, annotations=None,
                   strategy=None, paused=False, deadline_exceeded=False, revision_history=10,
                   template=None, generation=None):
        """revisions: oldest → newest list of Revision; the newest template is the Deployment's."""
        dep_uid = uid(self.flow, "Deployment", ns, name, ts(created))
        strategy = strategy or {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                                "type": "RollingUpdate"}
        cur = revisions[-1]
        surge = strategy["rollingUpdate"]["maxSurge"]
        max_rep = replicas + (-(-replicas * int(surge[:-1]) // 100))
        pods_total = ready_total = 0
        rs_names = []
        for i, rev in enumerate(revisions):
            tmpl = self._template(rev.template)
            phash = safe(10, self.flow, ns, name, json.dumps(tmpl, sort_keys=True))
            rs_name = f"{name}-{phash}"
            rs_names.append(rs_name)
            newest = i == len(revisions) - 1
            n = len(rev.pods)
            nready = sum(1 for p in rev.pods if p.ready)
            pods_total += n
            ready_total += nready
            rs_labels = dict(tmpl["metadata"].get("labels", {}))
            rs_labels["pod-template-hash"] = phash
            rs_tmpl = copy.deepcopy(tmpl)
            rs_tmpl["metadata"]["labels"] = dict(rs_labels)
            rs_created = rev.created
            rs_meta = self._meta("ReplicaSet", rs_name, ns, rs_created, rs_labels, {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(max_rep),
                "deployment.kubernetes.io/revision": str(i + 1)})
            rs_meta["generation"] = 1 if newest and n == replicas else 2
            rs_meta["ownerReferences"] = [{"apiVersion": "apps/v1", "blockOwnerDeletion": True,
                                           "controller": True, "kind": "Deployment", "name": name,
                                           "uid": dep_uid}]
            rs_status = {"observedGeneration": rs_meta["generation"], "replicas": n}
            if n:
                rs_status.update({"availableReplicas": nready, "fullyLabeledReplicas": n,
                                  "readyReplicas": nready})
                if nready == 0:
                    del rs_status["availableReplicas"], rs_status["readyReplicas"]
            rs_sel = dict(selector)
            rs_sel["pod-template-hash"] = phash
            rs = self.add("ReplicaSet", {"metadata": rs_meta, "spec": {
                "replicas": n, "selector": {"matchLabels": rs_sel}, "template": rs_tmpl},
                "status": rs_status})
            owner = {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                     "kind": "ReplicaSet", "name": rs_name, "uid": rs["metadata"]["uid"]}
            for j, plan in enumerate(rev.pods):
                pname = f"{rs_name}-{safe(5, self.flow, rs_name, j, ts(plan.created))}"
                self._pod(ns, pname, rev.template, plan, owner, extra_labels={"pod-template-hash": phash},
                          generate_name=f"{rs_name}-")
        gen = generation or (len(revisions) + (1 if paused else 0) + (1 if template is not None else 0))
        dep_ann = {"deployment.kubernetes.io/revision": str(len(revisions))}
        dep_ann.update(annotations or {})
        meta = self._meta("Deployment", name, ns, created, labels, dep_ann, {"generation": gen})
        spec = {"progressDeadlineSeconds": 600, "replicas": replicas, "revisionHistoryLimit": revision_history,
                "selector": {"matchLabels": dict(selector)}, "strategy": strategy,
                "template": self._template(template if template is not None else cur.template)}
        if paused:
            spec["paused"] = True
        new_rs = rs_names[-1]
        updated = len(cur.pods) if template is None else 0
        old_pods = pods_total - updated
        mu = strategy["rollingUpdate"]["maxUnavailable"]
        max_unavail = mu if isinstance(mu, int) else replicas * int(mu[:-1]) // 100
        available_ok = ready_total >= replicas - max_unavail and ready_total > 0
        last = max([r.created for r in revisions] + [p.created for r in revisions for p in r.pods])
        conds = []
        if available_ok:
            conds.append({"lastTransitionTime": ts(at(created, minutes=1)), "lastUpdateTime": ts(at(created, minutes=1)),
                          "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                          "status": "True", "type": "Available"})
        else:
            conds.append({"lastTransitionTime": ts(at(last, seconds=1)), "lastUpdateTime": ts(at(last, seconds=1)),
                          "message": "Deployment does not have minimum availability.",
                          "reason": "MinimumReplicasUnavailable", "status": "False", "type": "Available"})
        if paused:
            conds.append({"lastTransitionTime": ts(at(last, minutes=30)), "lastUpdateTime": ts(at(last, minutes=30)),
                          "message": "Deployment is paused", "reason": "DeploymentPaused", "status": "Unknown",
                          "type": "Progressing"})
        elif deadline_exceeded:
            conds.append({"lastTransitionTime": ts(at(last, minutes=10)), "lastUpdateTime": ts(at(last, minutes=10)),
                          "message": f'ReplicaSet "{new_rs}" has timed out progressing.',
                          "reason": "ProgressDeadlineExceeded", "status": "False", "type": "Progressing"})
        elif old_pods == 0 and updated == replicas and ready_total == replicas:
            conds.append({"lastTransitionTime": ts(created), "lastUpdateTime": ts(at(last, seconds=10)),
                          "message": f'ReplicaSet "{new_rs}" has successfully progressed.',
                          "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"})
        else:
            conds.append({"lastTransitionTime": ts(created), "lastUpdateTime": ts(at(last, seconds=10)),
                          "message": f'ReplicaSet "{new_rs}" is progressing.',
                          "reason": "ReplicaSetUpdated", "status": "True", "type": "Progressing"})
        status = {"conditions": conds, "observedGeneration": gen, "replicas": pods_total}
        if ready_total:
            status["availableReplicas"] = ready_total
            status["readyReplicas"] = ready_total
        if updated:
            status["updatedReplicas"] = updated
        if pods_total - ready_total > 0 or (pods_total < replicas):
            status["unavailableReplicas"] = max(pods_total - ready_total, replicas - ready_total)
        return self.add("Deployment", {"metadata": meta, "spec": spec, "status": status})

    def _template(self, template):
        t = copy.deepcopy(template)
        md = t.setdefault("metadata", {})
        md["creationTimestamp"] = None
        spec = t["spec"]
        for v in spec.get("volumes", []):
            if not any(k for k in v if k != "name"):
                v["emptyDir"] = {}
        t["spec"] = default_podspec(spec)
        return t

    # ------------------------------------------------------------------ StatefulSet
    def statefulset(self, ns, name, labels, selector, service_name, revisions, replicas, created):
        sts_uid = uid(self.flow, "StatefulSet", ns, name, ts(created))
        owner = {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                 "kind": "StatefulSet", "name": name, "uid": sts_uid}
        hashes = []
        for rev in revisions:
            tmpl = self._template(rev.template)
            hashes.append(f"{name}-" + safe(10, self.flow, ns, name, json.dumps(tmpl, sort_keys=True)))
        # each ordinal is owned by the revision that created it: rev.pods is a dict ordinal -> PodPlan
        ready = 0
        per_hash = {}
        for rev, hsh in zip(revisions, hashes):
            for ordinal, plan in sorted(rev.pods.items()):
                pname = f"{name}-{ordinal}"
                self._pod(ns, pname, rev.template, plan, owner, extra_labels={
                    "apps.kubernetes.io/pod-index": str(ordinal), "controller-revision-hash": hsh,
                    "statefulset.kubernetes.io/pod-name": pname},
                    spec_extra={"hostname": pname, "subdomain": service_name})
                ready += 1 if plan.ready else 0
                per_hash[hsh] = per_hash.get(hsh, 0) + 1
        gen = len(revisions)
        meta = self._meta("StatefulSet", name, ns, created, labels, None, {"generation": gen})
        spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "podManagementPolicy": "OrderedReady", "replicas": replicas, "revisionHistoryLimit": 10,
                "selector": {"matchLabels": dict(selector)}, "serviceName": service_name,
                "template": self._template(revisions[-1].template),
                "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"}}
        upd = hashes[-1]
        cur = upd if per_hash.get(upd, 0) == replicas else hashes[0]
        status = {"availableReplicas": ready, "collisionCount": 0, "currentReplicas": per_hash.get(cur, 0),
                  "currentRevision": cur, "observedGeneration": gen, "readyReplicas": ready,
                  "replicas": replicas, "updateRevision": upd, "updatedReplicas": per_hash.get(upd, 0)}
        return self.add("StatefulSet", {"metadata": meta, "spec": spec, "status": status})

    # ------------------------------------------------------------------ DaemonSet
    def daemonset(self, ns, name, labels, selector, revisions, created, nodes=None):
        """revisions[i].pods: dict node -> PodPlan"""
        ds_uid = uid(self.flow, "DaemonSet", ns, name, ts(created))
        owner = {"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True,
                 "kind": "DaemonSet", "name": name, "uid": ds_uid}
        nodes = nodes or list(NODES)
        ready = updated = 0
        for gi, rev in enumerate(revisions):
            tmpl = self._template(rev.template)
            hsh = safe(9, self.flow, ns, name, json.dumps(tmpl, sort_keys=True))
            for node, plan in sorted(rev.pods.items()):
                pname = f"{name}-{safe(5, self.flow, name, node, ts(plan.created))}"
                aff = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}}
                plan.node = node
                self._pod(ns, pname, rev.template, plan, owner, extra_labels={
                    "controller-revision-hash": hsh, "pod-template-generation": str(gi + 1)},
                    spec_extra={"affinity": aff}, generate_name=f"{name}-",
                    tolerations=copy.deepcopy(rev.template["spec"].get("tolerations", [])) + DS_TOLERATIONS
                    + ([{"effect": "NoSchedule", "key": "node.kubernetes.io/network-unavailable",
                         "operator": "Exists"}] if rev.template["spec"].get("hostNetwork") else []))
                ready += 1 if plan.ready else 0
                updated += 1 if gi == len(revisions) - 1 else 0
        gen = len(revisions)
        meta = self._meta("DaemonSet", name, ns, created, labels,
                          {"deprecated.daemonset.template.generation": str(gen)}, {"generation": gen})
        spec = {"revisionHistoryLimit": 10, "selector": {"matchLabels": dict(selector)},
                "template": self._template(revisions[-1].template),
                "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"}}
        n = len(nodes)
        status = {"currentNumberScheduled": n, "desiredNumberScheduled": n, "numberAvailable": ready,
                  "numberMisscheduled": 0, "numberReady": ready, "observedGeneration": gen,
                  "updatedNumberScheduled": updated}
        return self.add("DaemonSet", {"metadata": meta, "spec": spec, "status": status})

    # ------------------------------------------------------------------ cluster-scoped / CRs
    def mwc(self, name, labels, webhooks, created):
        meta = self._meta("MutatingWebhookConfiguration", name, None, created, labels, None, {"generation": 2})
        return self.add("MutatingWebhookConfiguration", {"metadata": meta, "webhooks": webhooks})

    def iop(self, ns, name, spec, created, labels=None, annotations=None, status=None, generation=1,
            finalizers=None):
        extra = {"generation": generation}
        if finalizers:
            extra["finalizers"] = finalizers
        meta = self._meta("IstioOperator", name, ns, created, labels, annotations, extra)
        obj = {"metadata": meta, "spec": spec}
        if status is not None:
            obj["status"] = status
        return self.add("IstioOperator", obj)
