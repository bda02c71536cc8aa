//! Synthetic Istio-injected pods for benchmarks, modelled on the sidecar pod of recording 30
//! (`productpage-5b9c8d7f6c-x7k2p`: istio-init + istio-proxy, real managedFields), padded to
//! ~15 KB of metadata per pod.

use crate::resources::{ISTIOOPERATORS, RESOURCES};
use crate::store::Store;
use serde_json::{Value, json};
use std::sync::OnceLock;

const REC_30: &str = include_str!("../recordings/30-list-pods-all-namespaces.response.txt");
/// Target size of each pod's serialized `metadata`.
const TARGET_META_BYTES: usize = 15 * 1024;

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

/// Pod number `i`: namespace `bench-ns-<i % n_namespaces>`, Istio revision
/// `1-<20 + i % revisions>-0` (label `istio.io/rev` and the proxy image tag), ~15 KB metadata.
pub fn synthetic_pod(i: usize, n_namespaces: usize, revisions: usize) -> Value {
    let mut p = template().clone();
    let ns = format!("bench-ns-{:04}", i % n_namespaces.max(1));
    let rev = rev_name(i % revisions.max(1));
    let app = format!("app-{}", i % 50);
    let hash = format!("{:010x}", (i / 3) as u64 * 2654435761 % 0xffff_ffff_ff);
    let name = format!("{app}-{hash}-{i:06}");
    let m = &mut p["metadata"];
    m["name"] = json!(name);
    m["namespace"] = json!(ns);
    m["uid"] = json!(format!("00000000-0000-4000-9000-{:012x}", i));
    m["labels"]["app"] = json!(app);
    m["labels"]["istio.io/rev"] = json!(rev);
    m["labels"]["pod-template-hash"] = json!(hash);
    m["labels"]["service.istio.io/canonical-name"] = json!(app);
    m["ownerReferences"][0]["name"] = json!(format!("{app}-{hash}"));
    if let Some(cs) = p["spec"]["containers"].as_array_mut() {
        for c in cs {
            if c["name"] == "istio-proxy" {
                c["image"] = json!(format!("docker.io/istio/proxyv2:{}", rev.replace('-', ".")));
            }
        }
    }
    p
}

/// Loads `n` synthetic pods plus their namespaces, encoding one pod at a time.
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
    for i in 0..n {
        let mut v = synthetic_pod(i, n_namespaces, revisions);
        let rv = store.next_rv();
        v["metadata"]["resourceVersion"] = json!(rv.to_string());
        store.put(pod_idx, &v);
    }
}
