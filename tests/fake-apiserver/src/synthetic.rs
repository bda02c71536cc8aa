//! Synthetic Istio-injected pods for benchmarks, modelled on the sidecar pod of recording 30
//! (`productpage-5b9c8d7f6c-x7k2p`: istio-init + istio-proxy, real managedFields), padded to
//! ~17 KB of metadata per pod (as measured on a real 20k-pod cluster), and Deployments with
//! their ReplicaSets modelled on recordings 14 and 15.

use crate::resources::{ISTIOOPERATORS, RESOURCES};
use crate::store::Store;
use serde_json::{Value, json};
use std::sync::OnceLock;

const REC_30: &str = include_str!("../recordings/30-list-pods-all-namespaces.response.txt");
/// Target size of each pod's serialized `metadata`.
const TARGET_META_BYTES: usize = 17 * 1024;

fn template() -> &'static Value {
    static T: OnceLock<Value> = OnceLock::new();
    T.get_or_init(|| {
        let body = &REC_30[REC_30.find("\r\n\r\n").expect("body") + 4..];
        let list: Value = serde_json::from_str(body.trim()).expect("recording 30");
        let mut pod = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| p["metadata"]["name"] == "productpage-5b9c8d7f6c-x7k2p")
            .expect("sidecar pod")
            .clone();
        pod["kind"] = json!("Pod");
        pod["apiVersion"] = json!("v1");
        // managers as on a real cluster
        if let Some(mf) = pod["metadata"]["managedFields"].as_array_mut() {
            for e in mf.iter_mut() {
                e["manager"] = if e.get("subresource").is_some() {
                    json!("kubelet")
                } else {
                    json!("kube-controller-manager")
                };
            }
        }
        let size = serde_json::to_vec(&pod["metadata"]).expect("json").len();
        let pad = TARGET_META_BYTES.saturating_sub(size + 64);
        pod["metadata"]["annotations"]["bench.example.com/padding"] = json!("x".repeat(pad));
        pod
    })
}

fn rev_name(r: usize) -> String {
    format!("1-{}-0", 20 + r)
}

/// Namespace `i` of `n` (labelled with an Istio revision).
pub fn synthetic_namespace(i: usize, revisions: usize) -> Value {
    let name = format!("bench-ns-{i:04}");
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {
            "name": name,
            "uid": format!("00000000-0000-4000-8000-{:012x}", i),
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"istio.io/rev": rev_name(i % revisions.max(1)), "kubernetes.io/metadata.name": name},
            "managedFields": [{"manager": "kubectl-create", "operation": "Update", "apiVersion": "v1",
                "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}, "f:istio.io/rev": {}, "f:kubernetes.io/metadata.name": {}}}}}]
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    })
}

/// `istio-system`, where [`synthetic_control_plane`] puts istiod.
pub(crate) fn synthetic_istio_system() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {
            "name": "istio-system",
            "uid": "00000000-0000-4000-8fff-000000000000",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"kubernetes.io/metadata.name": "istio-system"}
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    })
}

/// The control plane of revision `r` (`1-<20 + r>-0`): a ready istiod Deployment in
/// `istio-system` and its sidecar-injector MutatingWebhookConfiguration, as istioctl installs
/// them, so that a `status` run over the synthetic pods has revisions to resolve.
pub fn synthetic_control_plane(r: usize) -> [Value; 2] {
    let rev = rev_name(r);
    let version = rev.replace('-', ".");
    let name = format!("istiod-{rev}");
    let labels = json!({
        "app": "istiod", "istio": "pilot", "istio.io/rev": rev,
        "operator.istio.io/component": "Pilot", "release": "istio"
    });
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": name, "namespace": "istio-system",
            "uid": format!("00000000-0000-4000-a000-{:012x}", r),
            "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 1,
            "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "1"}
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "istiod", "istio.io/rev": rev}},
            "template": {
                "metadata": {
                    "labels": {"app": "istiod", "istio": "istiod", "istio.io/rev": rev,
                        "sidecar.istio.io/inject": "false"},
                    "annotations": {"sidecar.istio.io/inject": "false"}
                },
                "spec": {"containers": [{
                    "name": "discovery",
                    "image": format!("docker.io/istio/pilot:{version}"),
                    "args": ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"],
                    "env": [
                        {"name": "REVISION", "value": rev},
                        {"name": "INJECTION_WEBHOOK_CONFIG_NAME", "value": format!("istio-sidecar-injector-{rev}")},
                        {"name": "ISTIOD_ADDR", "value": format!("{name}.istio-system.svc:15012")}
                    ],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"},
                        {"containerPort": 15010, "protocol": "TCP"},
                        {"containerPort": 15017, "protocol": "TCP"}]
                }]}
            }
        },
        "status": {
            "replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "updatedReplicas": 2,
            "observedGeneration": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    });
    let webhook = json!({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "name": format!("istio-sidecar-injector-{rev}"),
            "uid": format!("00000000-0000-4000-b000-{:012x}", r),
            "creationTimestamp": "2026-01-01T00:00:00Z", "generation": 1,
            "labels": {"app": "sidecar-injector", "istio.io/rev": rev,
                "operator.istio.io/component": "Pilot", "release": "istio"}
        },
        "webhooks": [{
            "name": "rev.namespace.sidecar-injector.istio.io",
            "admissionReviewVersions": ["v1beta1", "v1"],
            "clientConfig": {"service": {"name": name, "namespace": "istio-system",
                "path": "/inject", "port": 443}},
            "failurePolicy": "Fail", "matchPolicy": "Equivalent",
            "namespaceSelector": {"matchExpressions": [
                {"key": "istio.io/rev", "operator": "In", "values": [rev]},
                {"key": "istio-injection", "operator": "DoesNotExist"}
            ]},
            "objectSelector": {"matchExpressions": [
                {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}
            ]},
            "reinvocationPolicy": "Never",
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                "resources": ["pods"], "scope": "*"}],
            "sideEffects": "None", "timeoutSeconds": 10
        }]
    });
    [deployment, webhook]
}

const REC_14: &str = include_str!("../recordings/14-create-deployment.response.txt");
const REC_15: &str =
    include_str!("../recordings/15-create-replicaset-owned-by-deployment.response.txt");

fn recorded_object(rec: &str) -> Value {
    let body = &rec[rec.find("\r\n\r\n").expect("body") + 4..];
    serde_json::from_str(body.trim()).expect("recorded object")
}

/// Workload number `j` as a Deployment and the ReplicaSet it owns, modelled on recordings 14
/// and 15 (the `productpage` Deployment and its ReplicaSet, managedFields included) with the
/// `kubectl.kubernetes.io/last-applied-configuration` a `kubectl apply` leaves, in namespace
/// `bench-ns-<j % n_namespaces>`; the template's `istio.io/rev` is revision `j % revisions`.
pub fn synthetic_workload(j: usize, n_namespaces: usize, revisions: usize) -> [Value; 2] {
    static TEMPLATES: OnceLock<(Value, Value)> = OnceLock::new();
    let (d, rs) = TEMPLATES.get_or_init(|| (recorded_object(REC_14), recorded_object(REC_15)));
    let ns = format!("bench-ns-{:04}", j % n_namespaces.max(1));
    let rev = rev_name(j % revisions.max(1));
    let name = format!("app-{j:05}");
    let hash = format!("{:010x}", j as u64 * 2654435761 % 0x00ff_ffff_ffff);
    let deploy_uid = format!("00000000-0000-4000-c000-{j:012x}");
    let mut d = d.clone();
    let mut rs = rs.clone();
    for (o, o_name, uid) in [
        (&mut d, name.clone(), deploy_uid.clone()),
        (
            &mut rs,
            format!("{name}-{hash}"),
            format!("00000000-0000-4000-d000-{j:012x}"),
        ),
    ] {
        let m = &mut o["metadata"];
        m["name"] = json!(o_name);
        m["namespace"] = json!(ns);
        m["uid"] = json!(uid);
        if let Some(mm) = m.as_object_mut() {
            mm.remove("resourceVersion");
        }
        m["labels"]["app"] = json!(name);
        let t = &mut o["spec"]["template"]["metadata"];
        t["labels"]["app"] = json!(name);
        t["labels"]["istio.io/rev"] = json!(rev);
        o["spec"]["selector"]["matchLabels"]["app"] = json!(name);
    }
    rs["metadata"]["ownerReferences"][0]["name"] = json!(name);
    rs["metadata"]["ownerReferences"][0]["uid"] = json!(deploy_uid);
    rs["metadata"]["labels"]["pod-template-hash"] = json!(hash);
    let applied = serde_json::to_string(&json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"annotations": {}, "name": name, "namespace": ns},
        "spec": d["spec"]
    }))
    .expect("json");
    d["metadata"]["annotations"] = json!({
        "deployment.kubernetes.io/revision": "1",
        "kubectl.kubernetes.io/last-applied-configuration": applied,
    });
    [d, rs]
}

/// Pod number `i`: namespace `bench-ns-<i % n_namespaces>`, Istio revision
/// `1-<20 + i % revisions>-0` (label `istio.io/rev` and the proxy image tag), ~17 KB metadata.
pub fn synthetic_pod(i: usize, n_namespaces: usize, revisions: usize) -> Value {
    let mut p = template().clone();
    let [name, ns, uid, _rv, app, rev, hash, canonical, owner, image] =
        values(i, n_namespaces, revisions, 0);
    let m = &mut p["metadata"];
    m["name"] = json!(name);
    m["namespace"] = json!(ns);
    m["uid"] = json!(uid);
    if let Some(mm) = m.as_object_mut() {
        mm.remove("resourceVersion");
    }
    m["labels"]["app"] = json!(app);
    m["labels"]["istio.io/rev"] = json!(rev);
    m["labels"]["pod-template-hash"] = json!(hash);
    m["labels"]["service.istio.io/canonical-name"] = json!(canonical);
    m["ownerReferences"][0]["name"] = json!(owner);
    if let Some(cs) = p["spec"]["containers"].as_array_mut() {
        for c in cs {
            if c["name"] == "istio-proxy" {
                c["image"] = json!(image);
            }
        }
    }
    p
}

/// The template encoded once, split at placeholders, so each pod costs one concatenation.
struct Compiled {
    segs: Vec<Vec<u8>>,
    /// placeholder index of each gap between segments
    slots: Vec<usize>,
    /// whether each gap lies inside `metadata`
    in_meta: Vec<bool>,
    meta: std::ops::Range<usize>,
    /// label key -> placeholder index or fixed value
    labels: Vec<(String, Result<usize, String>)>,
}

const SLOTS: usize = 10;

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let ph = |i: usize| format!("@@P{i}@@");
        let mut p = template().clone();
        let m = &mut p["metadata"];
        m["name"] = json!(ph(0));
        m["namespace"] = json!(ph(1));
        m["uid"] = json!(ph(2));
        m["resourceVersion"] = json!(ph(3));
        m["labels"]["app"] = json!(ph(4));
        m["labels"]["istio.io/rev"] = json!(ph(5));
        m["labels"]["pod-template-hash"] = json!(ph(6));
        m["labels"]["service.istio.io/canonical-name"] = json!(ph(7));
        m["ownerReferences"][0]["name"] = json!(ph(8));
        if let Some(cs) = p["spec"]["containers"].as_array_mut() {
            for c in cs {
                if c["name"] == "istio-proxy" {
                    c["image"] = json!(ph(9));
                }
            }
        }
        let labels = p["metadata"]["labels"]
            .as_object()
            .expect("labels")
            .iter()
            .map(|(k, v)| {
                let v = v.as_str().unwrap_or("");
                let slot = (0..SLOTS).find(|i| v == ph(*i));
                (k.clone(), slot.ok_or_else(|| v.to_string()))
            })
            .collect();
        let mut bytes = Vec::new();
        let meta = crate::json::write_item(&mut bytes, &p);
        let mut segs = Vec::new();
        let mut slots = Vec::new();
        let mut in_meta = Vec::new();
        let mut last = 0;
        let mut i = 0;
        while i + 4 < bytes.len() {
            if bytes[i..].starts_with(b"@@P") {
                let end = i
                    + bytes[i..]
                        .windows(2)
                        .skip(1)
                        .position(|w| w == b"@@")
                        .expect("end")
                    + 3;
                let n: usize = std::str::from_utf8(&bytes[i + 3..end - 2])
                    .expect("n")
                    .parse()
                    .expect("n");
                segs.push(bytes[last..i].to_vec());
                slots.push(n);
                in_meta.push(meta.contains(&i));
                last = end;
                i = end;
            } else {
                i += 1;
            }
        }
        segs.push(bytes[last..].to_vec());
        Compiled {
            segs,
            slots,
            in_meta,
            meta,
            labels,
        }
    })
}

fn values(i: usize, n_namespaces: usize, revisions: usize, rv: u64) -> [String; SLOTS] {
    let ns = format!("bench-ns-{:04}", i % n_namespaces.max(1));
    let rev = rev_name(i % revisions.max(1));
    let app = format!("app-{}", i % 50);
    let hash = format!("{:010x}", (i / 3) as u64 * 2654435761 % 0x00ff_ffff_ffff);
    let name = format!("{app}-{hash}-{i:06}");
    let image = format!("docker.io/istio/proxyv2:{}", rev.replace('-', "."));
    [
        name,
        ns,
        format!("00000000-0000-4000-9000-{:012x}", i),
        rv.to_string(),
        app.clone(),
        rev,
        hash.clone(),
        app.clone(),
        format!("{app}-{hash}"),
        image,
    ]
}

/// Loads `n` synthetic pods plus their namespaces (the control planes are added by
/// [`crate::FakeApiServer::synthetic_pods`]). Pods are produced by filling a pre-encoded
/// template (byte-identical to encoding [`synthetic_pod`]), so 100k pods load in seconds.
pub fn load(store: &mut Store, n: usize, n_namespaces: usize, revisions: usize) {
    let ns_idx = RESOURCES
        .iter()
        .position(|r| r.plural == "namespaces")
        .expect("ns");
    let pod_idx = RESOURCES
        .iter()
        .position(|r| r.plural == "pods")
        .expect("pods");
    debug_assert_ne!(pod_idx, ISTIOOPERATORS);
    for i in 0..n_namespaces.max(1) {
        let mut v = synthetic_namespace(i, revisions);
        let rv = store.next_rv();
        v["metadata"]["resourceVersion"] = json!(rv.to_string());
        store.put(ns_idx, &v);
    }
    let c = compiled();
    for i in 0..n {
        let rv = store.next_rv();
        let vals = values(i, n_namespaces, revisions, rv);
        let mut out = Vec::with_capacity(c.segs.iter().map(Vec::len).sum::<usize>() + 256);
        let mut meta_end = c.meta.end;
        for (j, seg) in c.segs.iter().enumerate() {
            out.extend_from_slice(seg);
            if let Some(&slot) = c.slots.get(j) {
                let v = &vals[slot];
                out.extend_from_slice(v.as_bytes());
                if c.in_meta[j] {
                    meta_end = meta_end + v.len() - format!("@@P{slot}@@").len();
                }
            }
        }
        let mut labels: Vec<(String, String)> = c
            .labels
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Ok(slot) => vals[*slot].clone(),
                    Err(fixed) => fixed.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        labels.sort();
        store.put_encoded(
            pod_idx,
            crate::store::StoredObject {
                namespace: vals[1].clone(),
                name: vals[0].clone(),
                labels,
                bytes: bytes::Bytes::from(out),
                meta: c.meta.start..meta_end,
                protobuf_meta: Default::default(),
                protobuf_full: Default::default(),
                selectable_fields: Default::default(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_template_matches_encoding() {
        let mut st = Store::new();
        load(&mut st, 3, 2, 2);
        let pod_idx = RESOURCES.iter().position(|r| r.plural == "pods").unwrap();
        for o in st.tables[pod_idx].values() {
            let i: usize = o.name.rsplit('-').next().unwrap().parse().unwrap();
            let mut v = synthetic_pod(i, 2, 2);
            let stored: Value = serde_json::from_slice(&o.bytes).unwrap();
            v["metadata"]["resourceVersion"] = stored["metadata"]["resourceVersion"].clone();
            let expect = crate::store::encode(&RESOURCES[pod_idx], &v);
            assert_eq!(o.bytes, expect.bytes);
            assert_eq!(o.meta, expect.meta);
            assert_eq!(o.labels, expect.labels);
            let meta: Value = serde_json::from_slice(o.metadata_bytes()).unwrap();
            assert_eq!(meta["name"], o.name.as_str());
        }
    }
}
