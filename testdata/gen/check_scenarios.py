#!/usr/bin/env python3
"""Sanity checks for testdata/scenarios (needs PyYAML; only a checking aid, not used by the project).

1. structural: every cluster.yaml is a kubectl List whose objects an API server would accept
   (names, ownerReferences/uids, selectors vs template labels, RS/pod naming, sort order, ...).
2. a small *reference model* of the finding rules (IR1xx/IR2xx/IR3xx as described in
   testdata/README.md) is run over each cluster and compared with the hand-written expected.txt.
   The model is a cross-check of the test data, not the specification; expected.txt is.

    python3 testdata/gen/check_scenarios.py
"""
import json
import os
import re
import sys

import yaml

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ORDER = ["Namespace", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod",
         "MutatingWebhookConfiguration", "IstioOperator"]
SAFE = set("bcdfghjklmnpqrstvwxz2456789")


def fail(errs, scen, msg):
    errs.append(f"{scen}: {msg}")


def structural(scen, lst, errs):
    if lst.get("kind") != "List" or lst.get("apiVersion") != "v1":
        fail(errs, scen, "not a v1 List")
    items = lst["items"]
    keys = [(ORDER.index(o["kind"]), o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in items]
    if keys != sorted(keys):
        fail(errs, scen, "items not in kubectl order")
    by = {}
    uids = set()
    rvs = set()
    nss = {o["metadata"]["name"] for o in items if o["kind"] == "Namespace"}
    for o in items:
        m = o["metadata"]
        for f in ("name", "uid", "resourceVersion", "creationTimestamp"):
            if f not in m:
                fail(errs, scen, f"{o['kind']} {m.get('name')} lacks metadata.{f}")
        if m["uid"] in uids:
            fail(errs, scen, f"duplicate uid {m['uid']}")
        uids.add(m["uid"])
        if m["resourceVersion"] in rvs:
            fail(errs, scen, f"duplicate resourceVersion {m['resourceVersion']}")
        rvs.add(m["resourceVersion"])
        rx = DNS_LABEL if o["kind"] == "Namespace" else DNS_SUB
        if not rx.match(m["name"]) or len(m["name"]) > 253:
            fail(errs, scen, f"bad name {m['name']}")
        if o["kind"] == "Namespace":
            if m.get("labels", {}).get("kubernetes.io/metadata.name") != m["name"]:
                fail(errs, scen, f"namespace {m['name']} lacks kubernetes.io/metadata.name")
        elif o["kind"] not in ("MutatingWebhookConfiguration",):
            if m.get("namespace") not in nss:
                fail(errs, scen, f"{o['kind']} {m['name']} in unknown namespace {m.get('namespace')}")
        for k, v in m.get("labels", {}).items():
            if len(v) > 63 or (v and not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", v)):
                fail(errs, scen, f"bad label value {k}={v}")
        by[(o["kind"], m.get("namespace", ""), m["name"])] = o
    for o in items:
        m = o["metadata"]
        for ref in m.get("ownerReferences", []):
            if ref["kind"] == "Node":
                continue
            own = by.get((ref["kind"], m.get("namespace", ""), ref["name"]))
            if not own:
                fail(errs, scen, f"{o['kind']} {m['name']}: owner {ref['kind']}/{ref['name']} missing")
                continue
            if own["metadata"]["uid"] != ref["uid"] or ref.get("apiVersion") != own["apiVersion"]:
                fail(errs, scen, f"{o['kind']} {m['name']}: owner uid/apiVersion mismatch")
            if ref.get("controller") is not True or ref.get("blockOwnerDeletion") is not True:
                fail(errs, scen, f"{o['kind']} {m['name']}: owner ref flags")
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            sel = o["spec"]["selector"]["matchLabels"]
            tl = o["spec"]["template"]["metadata"]["labels"]
            if any(tl.get(k) != v for k, v in sel.items()):
                fail(errs, scen, f"{o['kind']} {m['name']}: selector does not match template labels")
        if o["kind"] == "ReplicaSet":
            owner = m["ownerReferences"][0]["name"]
            h = m["labels"]["pod-template-hash"]
            if m["name"] != f"{owner}-{h}" or o["spec"]["template"]["metadata"]["labels"].get("pod-template-hash") != h:
                fail(errs, scen, f"RS {m['name']} naming/hash")
        if o["kind"] == "Pod":
            refs = m.get("ownerReferences", [])
            if refs and refs[0]["kind"] != "Node":
                ref = refs[0]
                own = by[(ref["kind"], m["namespace"], ref["name"])]
                sel = own["spec"]["selector"]["matchLabels"]
                if any(m["labels"].get(k) != v for k, v in sel.items()):
                    fail(errs, scen, f"pod {m['name']} labels do not match owner selector")
                if ref["kind"] == "ReplicaSet":
                    ok = m["name"].startswith(ref["name"] + "-") and len(m["name"]) == len(ref["name"]) + 6 \
                        and set(m["name"][-5:]) <= SAFE
                elif ref["kind"] == "StatefulSet":
                    ok = re.match(re.escape(ref["name"]) + r"-\d+$", m["name"]) is not None
                else:
                    ok = m["name"].startswith(ref["name"] + "-") and len(m["name"]) == len(ref["name"]) + 6
                if not ok:
                    fail(errs, scen, f"pod {m['name']} not named after {ref['kind']} {ref['name']}")
            st = o["status"]
            if st.get("phase") != "Running":
                fail(errs, scen, f"pod {m['name']} not Running")
            for c in o["spec"]["containers"] + o["spec"].get("initContainers", []):
                for f in ("imagePullPolicy", "terminationMessagePath", "terminationMessagePolicy"):
                    if f not in c:
                        fail(errs, scen, f"pod {m['name']} container {c['name']} lacks {f}")
        if o["kind"] == "Deployment":
            rss = [r for r in items if r["kind"] == "ReplicaSet" and r["metadata"].get("ownerReferences", [{}])[0]
                   .get("uid") == m["uid"]]
            pods = [p for p in items if p["kind"] == "Pod" and p["metadata"].get("ownerReferences")
                    and p["metadata"]["ownerReferences"][0]["uid"] in {r["metadata"]["uid"] for r in rss}]
            if o["status"]["replicas"] != len(pods):
                fail(errs, scen, f"Deployment {m['name']} status.replicas {o['status']['replicas']} != {len(pods)} pods")
            for r in rss:
                n = sum(1 for p in pods if p["metadata"]["ownerReferences"][0]["uid"] == r["metadata"]["uid"])
                if r["spec"]["replicas"] != n:
                    fail(errs, scen, f"RS {r['metadata']['name']} replicas != pods")


# ---------------------------------------------------------------------- reference model
def sel_match(sel, labels):
    if sel is None:
        return True
    for k, v in sel.get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions", []):
        k, op, vals = e["key"], e["operator"], e.get("values", [])
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def vkey(v):
    return tuple(int(x) for x in re.findall(r"\d+", v))


def model(lst, target=None):
    items = lst["items"]
    get = lambda kind: [o for o in items if o["kind"] == kind]  # noqa: E731
    nss = {o["metadata"]["name"]: o["metadata"].get("labels", {}) for o in get("Namespace")}
    out = set()
    # control planes
    cps = {}
    for d in get("Deployment"):
        if d["metadata"].get("labels", {}).get("app") != "istiod":
            continue
        rev = d["metadata"]["labels"].get("istio.io/rev", "default")
        img = next(c["image"] for c in d["spec"]["template"]["spec"]["containers"] if c["name"] == "discovery")
        conds = {c["type"]: c["status"] for c in d["status"].get("conditions", [])}
        ready = d["status"].get("readyReplicas", 0) >= 1 and conds.get("Available") == "True"
        cps[rev] = (img.rsplit(":", 1)[1], d)
        if not ready:
            out.add(f"IR301 Deployment {d['metadata']['namespace']}/{d['metadata']['name']}")
        if not DNS_LABEL.match(rev):
            out.add(f"IR302 Deployment {d['metadata']['namespace']}/{d['metadata']['name']}")
    mwcs = [m for m in get("MutatingWebhookConfiguration") if "istio.io/rev" in m["metadata"].get("labels", {})]
    tags = {}
    for m in mwcs:
        lab = m["metadata"]["labels"]
        if not DNS_LABEL.match(lab["istio.io/rev"]) or ("istio.io/tag" in lab and not DNS_LABEL.match(lab["istio.io/tag"])):
            out.add(f"IR302 MutatingWebhookConfiguration /{m['metadata']['name']}")
        if "istio.io/tag" in lab:
            tags[lab["istio.io/tag"]] = lab["istio.io/rev"]
            if lab["istio.io/rev"] not in cps:
                out.add(f"IR303 MutatingWebhookConfiguration /{m['metadata']['name']}")

    def resolve(ns_labels, pod_labels):
        revs = {m["metadata"]["labels"]["istio.io/rev"] for m in mwcs for w in m["webhooks"]
                if sel_match(w.get("namespaceSelector"), ns_labels) and sel_match(w.get("objectSelector"), pod_labels)}
        if len(revs) > 1:
            out.add(f"AMBIGUOUS-WEBHOOKS {sorted(revs)} for ns={ns_labels} pod={pod_labels}")
        return revs.pop() if len(revs) == 1 else None

    selected_by_ns = set()
    for ns, lab in nss.items():
        if "istio-injection" in lab and "istio.io/rev" in lab:
            out.add(f"IR104 Namespace /{ns}")
        wants = lab.get("istio-injection") == "enabled" or ("istio.io/rev" in lab and "istio-injection" not in lab)
        if wants:
            r = resolve(lab, {})
            if r is None:
                out.add(f"IR105 Namespace /{ns}")
            else:
                selected_by_ns.add(r)
                if target and r != target:
                    out.add(f"IR106 Namespace /{ns}")

    # IR105, pod-template form: a workload in a namespace without injection labels whose pod
    # template asks for a revision/tag through the `istio.io/rev` label that no webhook serves
    owned = {p["metadata"]["uid"] for p in get("Pod") if p["metadata"].get("ownerReferences")}
    for o in items:
        if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            tl = o["spec"]["template"]["metadata"].get("labels", {})
        elif o["kind"] == "Pod" and o["metadata"]["uid"] not in owned:
            tl = o["metadata"].get("labels", {})
        else:
            continue
        nl = nss[o["metadata"]["namespace"]]
        if "istio.io/rev" in tl and tl.get("sidecar.istio.io/inject") != "false" \
                and "istio.io/rev" not in nl and "istio-injection" not in nl and resolve(nl, tl) is None:
            out.add(f"IR105 {o['kind']} {o['metadata']['namespace']}/{o['metadata']['name']}")

    def running(p):
        a = p["metadata"].get("annotations", {})
        if "istio.io/rev" in a:
            return a["istio.io/rev"]
        st = a.get("sidecar.istio.io/status")
        if st and json.loads(st).get("revision"):
            return json.loads(st)["revision"]
        if "istio.io/rev" in p["metadata"].get("labels", {}):
            return p["metadata"]["labels"]["istio.io/rev"]
        for c in p["spec"]["containers"] + p["spec"].get("initContainers", []):
            if c["name"] == "istio-proxy":
                for e in c.get("env", []):
                    if e["name"] == "CA_ADDR":
                        mm = re.match(r"^istiod(?:-(.+))?\.[^.]+\.svc:15012$", e["value"])
                        if mm:
                            return mm.group(1) or "default"
        return None

    def injected(p):
        return any(c["name"] == "istio-proxy" for c in p["spec"]["containers"] + p["spec"].get("initContainers", []))

    uid = {o["metadata"]["uid"]: o for o in items}
    wl = {}
    for p in get("Pod"):
        if not injected(p):
            continue
        o = p
        while o["metadata"].get("ownerReferences") and o["metadata"]["ownerReferences"][0]["kind"] != "Node":
            o = uid[o["metadata"]["ownerReferences"][0]["uid"]]
        wl.setdefault(o["metadata"]["uid"], (o, []))[1].append(p)
    used = set()
    gw_info = []
    nongw_versions = []
    for o, pods in wl.values():
        kind, ns, name = o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]
        ref = f"{kind} {ns}/{name}"
        tmpl = o["spec"]["template"]["metadata"] if kind != "Pod" else o["metadata"]
        tl = tmpl.get("labels", {})
        ta = tmpl.get("annotations", {})
        op_gw = tl.get("operator.istio.io/component") in ("IngressGateways", "EgressGateways")
        inj_gw = ta.get("inject.istio.io/templates") == "gateway"
        gw = op_gw or inj_gw
        revs = {running(p) for p in pods}
        used |= revs
        if op_gw:
            sel = tl.get("istio.io/rev", "default")
        else:
            sel = resolve(nss[ns], tl)
            if sel:
                selected_by_ns.add(sel)
        if sel and any(r != sel for r in revs):
            out.add(f"IR102 {ref}")
        if gw:
            gw_info.append((ref, revs))
            if len(revs) > 1:
                out.add(f"IR204 {ref}")
            if any(r not in cps for r in revs):
                out.add(f"IR202 {ref}")
        else:
            if len(revs) > 1:
                out.add(f"IR101 {ref}")
            if any(r not in cps for r in revs):
                out.add(f"IR103 {ref}")
            nongw_versions += [vkey(cps[r][0]) for r in revs if r in cps]
    newest = max((vkey(v) for v, _ in cps.values()), default=None)
    bar = vkey(cps[target][0]) if target and target in cps else newest
    for ref, revs in gw_info:
        vs = [vkey(cps[r][0]) for r in revs if r in cps]
        if vs and bar and min(vs) < bar:
            out.add(f"IR201 {ref}")
        if vs and nongw_versions and max(vs) > min(nongw_versions):
            out.add(f"IR203 {ref}")
    for rev, (v, d) in cps.items():
        if vkey(v) < newest and rev != target and rev not in used and rev not in selected_by_ns \
                and rev not in tags.values():
            out.add(f"IR304 Deployment {d['metadata']['namespace']}/{d['metadata']['name']}")
    return sorted(out)


def main():
    errs = []
    for scen in sorted(os.listdir(ROOT)):
        d = os.path.join(ROOT, scen)
        lst = yaml.safe_load(open(os.path.join(d, "cluster.yaml")))
        structural(scen, lst, errs)
        args = open(os.path.join(d, "args")).read().split() if os.path.exists(os.path.join(d, "args")) else []
        target = args[args.index("--target") + 1] if "--target" in args else None
        got = model(lst, target)
        want = open(os.path.join(d, "expected.txt")).read().splitlines()
        if got != want:
            fail(errs, scen, f"reference model {got} != expected.txt {want}")
        for f in ("README.md", "expected.txt", "cluster.yaml"):
            if not os.path.exists(os.path.join(d, f)):
                fail(errs, scen, f"missing {f}")
    for e in errs:
        print(e)
    print(f"{len(os.listdir(ROOT))} scenarios, {len(errs)} problems")
    sys.exit(1 if errs else 0)


if __name__ == "__main__":
    main()
