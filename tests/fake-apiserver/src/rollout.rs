//! A Deployment controller just good enough for rollouts: when a Deployment's `generation` moves
//! past its `status.observedGeneration` (a `kubectl rollout restart`, any template change), then
//! once the configured delay has passed, a new ReplicaSet takes over: its pods run the revision
//! their namespace (or pod template) selects now, the old ReplicaSets scale to 0, their pods go,
//! and the Deployment's status reads as `kubectl rollout status` expects of a finished rollout.
//! StatefulSets and DaemonSets replace their own pods the same way.
//! Until then the status is untouched (observedGeneration behind), so kubectl and the plugin both
//! see "waiting". Paused Deployments never roll, as in the real controller.
//!
//! The controller runs lazily, before each request is served: clients that poll (kubectl
//! `rollout status --watch=false`, the plugin) see it advance exactly as time passes.

use crate::resources::RESOURCES;
use crate::store::Store;
use crate::util;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn idx(plural: &str) -> usize {
    RESOURCES
        .iter()
        .position(|r| r.plural == plural)
        .expect("known resource")
}

/// Rollouts the controller has noticed: (namespace, name, generation) → when first seen.
#[derive(Default)]
pub struct Rollouts {
    /// `None`: no controller (the default), so recorded objects caught mid-rollout stay as
    /// they were recorded.
    pub delay: Option<Duration>,
    seen: HashMap<(String, String, i64), Instant>,
}

impl Rollouts {
    pub fn with_delay(delay: Option<Duration>) -> Self {
        Rollouts {
            delay,
            seen: HashMap::new(),
        }
    }
}

/// Finishes every rollout whose delay has passed.
pub fn reconcile(store: &mut Store, rollouts: &mut Rollouts) {
    let Some(delay) = rollouts.delay else {
        return;
    };
    for plural in ["deployments", "statefulsets", "daemonsets"] {
        let res = idx(plural);
        let due: Vec<Value> = store.tables[res]
            .values()
            .map(|o| o.to_value(&RESOURCES[res]))
            .filter(|d| {
                let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
                // Objects loaded without a status were never observed: leave them alone.
                d["status"]["observedGeneration"]
                    .as_i64()
                    .is_some_and(|o| o < generation)
                    && d["spec"]["paused"].as_bool() != Some(true)
            })
            .collect();
        let now = Instant::now();
        for d in due {
            let key = (
                format!(
                    "{plural}/{}",
                    d["metadata"]["namespace"].as_str().unwrap_or("")
                ),
                d["metadata"]["name"].as_str().unwrap_or("").to_string(),
                d["metadata"]["generation"].as_i64().unwrap_or(1),
            );
            let first = *rollouts.seen.entry(key).or_insert(now);
            if now.duration_since(first) >= delay {
                if plural == "deployments" {
                    roll(store, d);
                } else {
                    roll_owned(store, res, d);
                }
            }
        }
    }
}

/// The revision a new pod of this template in this namespace is injected with, if any: the
/// namespace's `istio-injection=enabled` (revision `default`), its `istio.io/rev`, else the pod's
/// own `istio.io/rev`; a tag resolves through the webhook configuration carrying it.
fn injected_revision(store: &Store, namespace: &str, template: &Value) -> Option<String> {
    let ns = store.get(idx("namespaces"), "", namespace)?;
    let pod_labels = &template["metadata"]["labels"];
    if template["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
        || pod_labels["sidecar.istio.io/inject"] == "false"
    {
        return None;
    }
    let requested = match (ns.label("istio-injection"), ns.label("istio.io/rev")) {
        (Some("disabled"), _) => return None,
        (Some("enabled"), _) => "default".to_string(),
        (_, Some(rev)) => rev.to_string(),
        _ => pod_labels["istio.io/rev"].as_str()?.to_string(),
    };
    let webhooks = idx("mutatingwebhookconfigurations");
    let via_tag = store.tables[webhooks]
        .values()
        .find(|w| w.label("istio.io/tag") == Some(requested.as_str()))
        .and_then(|w| w.label("istio.io/rev").map(str::to_string));
    Some(via_tag.unwrap_or(requested))
}

fn istiod_host(revision: &str) -> String {
    if revision == "default" {
        "istiod.istio-system.svc:15012".to_string()
    } else {
        format!("istiod-{revision}.istio-system.svc:15012")
    }
}

fn put_new(store: &mut Store, res: usize, mut v: Value) {
    let rv = store.next_rv();
    crate::store::assign_metadata(&mut v, &RESOURCES[res], rv, false);
    crate::writes::synthesize_managed_fields(&mut v, &RESOURCES[res]);
    store.put(res, &v);
}

fn put_changed(store: &mut Store, res: usize, mut v: Value) {
    let rv = store.next_rv();
    v["metadata"]["resourceVersion"] = json!(rv.to_string());
    store.put(res, &v);
}

fn owned_by(v: &Value, kind: &str, name: &str) -> bool {
    v["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["kind"] == kind && r["name"] == name))
}

fn new_pod(
    model: Option<&Value>,
    template: &Value,
    labels: &Value,
    revision: Option<&str>,
    (namespace, name, generate_name): (&str, &str, &str),
    owner: Value,
) -> Value {
    let mut pod = match model {
        Some(old) => {
            let old_rev = old["metadata"]["labels"]["istio.io/rev"]
                .as_str()
                .map(str::to_string);
            let mut text = serde_json::to_string(old).unwrap_or_default();
            if let (Some(old_rev), Some(new_rev)) = (&old_rev, revision) {
                text = text.replace(&istiod_host(old_rev), &istiod_host(new_rev));
            }
            let mut pod: Value = serde_json::from_str(&text).unwrap_or(json!({}));
            if let Some(metadata) = pod["metadata"].as_object_mut() {
                for k in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "managedFields",
                ] {
                    metadata.remove(k);
                }
            }
            pod
        }
        None => {
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {}, "spec": template["spec"].clone()})
        }
    };
    pod["metadata"]["labels"] = labels.clone();
    if let Some(annotations) = template["metadata"]["annotations"].as_object() {
        for (k, v) in annotations {
            pod["metadata"]["annotations"][k] = v.clone();
        }
    }
    match revision {
        Some(rev) => pod["metadata"]["labels"]["istio.io/rev"] = json!(rev),
        None => {
            if let Some(l) = pod["metadata"]["labels"].as_object_mut() {
                l.remove("istio.io/rev");
            }
        }
    }
    pod["metadata"]["name"] = json!(name);
    pod["metadata"]["namespace"] = json!(namespace);
    pod["metadata"]["generateName"] = json!(generate_name);
    pod["metadata"]["ownerReferences"] = json!([owner]);
    pod["status"]["phase"] = json!("Running");
    pod
}

/// A StatefulSet or DaemonSet owns its pods: each is replaced by one on the new revision.
fn roll_owned(store: &mut Store, res: usize, mut w: Value) {
    let pod_res = idx("pods");
    let kind = RESOURCES[res].kind;
    let namespace = w["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let name = w["metadata"]["name"].as_str().unwrap_or("").to_string();
    let generation = w["metadata"]["generation"].as_i64().unwrap_or(1);
    let template = w["spec"]["template"].clone();
    let hash: String = format!(
        "{:x}",
        util::fnv(
            serde_json::to_string(&template)
                .unwrap_or_default()
                .as_bytes()
        )
    )
    .chars()
    .take(10)
    .collect();
    let revision = injected_revision(store, &namespace, &template);
    let old_pods: Vec<Value> = store.tables[pod_res]
        .values()
        .filter(|o| o.namespace == namespace)
        .map(|o| o.to_value(&RESOURCES[pod_res]))
        .filter(|p| owned_by(p, kind, &name))
        .collect();
    let owner = json!({
        "apiVersion": "apps/v1", "kind": kind, "name": name,
        "uid": w["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
    });
    let mut labels = template["metadata"]["labels"].clone();
    let revision_label = if kind == "StatefulSet" {
        "controller-revision-hash"
    } else {
        "pod-template-generation"
    };
    labels[revision_label] = if kind == "StatefulSet" {
        json!(format!("{name}-{hash}"))
    } else {
        json!(generation.to_string())
    };
    for old in &old_pods {
        let old_name = old["metadata"]["name"].as_str().unwrap_or("").to_string();
        store.tables[pod_res].remove(&(namespace.clone(), old_name.clone()));
        // StatefulSet pods keep their ordinal names; DaemonSet pods get new ones.
        let new_name = if kind == "StatefulSet" {
            old_name
        } else {
            let suffix: String = util::uuid()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .take(5)
                .collect();
            format!("{name}-{suffix}")
        };
        let pod = new_pod(
            Some(old),
            &template,
            &labels,
            revision.as_deref(),
            (&namespace, &new_name, &format!("{name}-")),
            owner.clone(),
        );
        put_new(store, pod_res, pod);
    }
    let n = old_pods.len() as i64;
    let status = &mut w["status"];
    status["observedGeneration"] = json!(generation);
    if kind == "StatefulSet" {
        let replicas = w["spec"]["replicas"].as_i64().unwrap_or(1);
        let status = &mut w["status"];
        for k in [
            "replicas",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "availableReplicas",
        ] {
            status[k] = json!(replicas);
        }
        status["currentRevision"] = json!(format!("{name}-{hash}"));
        status["updateRevision"] = json!(format!("{name}-{hash}"));
    } else {
        for k in [
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberReady",
        ] {
            status[k] = json!(n);
        }
    }
    put_changed(store, res, w);
}

fn roll(store: &mut Store, mut d: Value) {
    let (rs_res, pod_res, dep_res) = (idx("replicasets"), idx("pods"), idx("deployments"));
    let namespace = d["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
    let generation = d["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let template = d["spec"]["template"].clone();
    let hash = format!(
        "{:x}",
        util::fnv(
            serde_json::to_string(&template)
                .unwrap_or_default()
                .as_bytes()
        )
    )
    .chars()
    .take(10)
    .collect::<String>();
    let rs_name = format!("{name}-{hash}");
    let revision = injected_revision(store, &namespace, &template);

    let old_sets: Vec<Value> = store.tables[rs_res]
        .values()
        .filter(|o| o.namespace == namespace)
        .map(|o| o.to_value(&RESOURCES[rs_res]))
        .filter(|rs| {
            owned_by(rs, "Deployment", &name) && rs["metadata"]["name"] != rs_name.as_str()
        })
        .collect();
    let old_set_names: Vec<String> = old_sets
        .iter()
        .filter_map(|rs| rs["metadata"]["name"].as_str().map(str::to_string))
        .collect();
    let old_pods: Vec<Value> = store.tables[pod_res]
        .values()
        .filter(|o| o.namespace == namespace)
        .map(|o| o.to_value(&RESOURCES[pod_res]))
        .filter(|p| old_set_names.iter().any(|rs| owned_by(p, "ReplicaSet", rs)))
        .collect();

    let deployment_revision = d["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        .as_str()
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(1)
        + 1;
    let mut labels = template["metadata"]["labels"].clone();
    labels["pod-template-hash"] = json!(hash);
    let rs = json!({
        "kind": "ReplicaSet",
        "apiVersion": "apps/v1",
        "metadata": {
            "name": rs_name,
            "namespace": namespace,
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(),
                "deployment.kubernetes.io/revision": deployment_revision.to_string(),
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": name,
                "uid": d["metadata"]["uid"], "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"pod-template-hash": hash}},
            "template": {"metadata": {"labels": labels.clone(), "annotations": template["metadata"]["annotations"].clone()}, "spec": template["spec"].clone()},
        },
        "status": {
            "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas,
            "availableReplicas": replicas, "observedGeneration": 1,
        },
    });
    let rs_uid = util::uuid();
    let mut rs = rs;
    rs["metadata"]["uid"] = json!(rs_uid);
    put_new(store, rs_res, rs);

    // A new pod is the old one's shape (sidecar included) moved to the new revision, or the
    // bare template when there was no pod to copy.
    for _ in 0..replicas {
        let suffix: String = util::uuid()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(5)
            .collect();
        let owner = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
            "uid": rs_uid, "controller": true, "blockOwnerDeletion": true,
        });
        let pod = new_pod(
            old_pods.first(),
            &template,
            &labels,
            revision.as_deref(),
            (
                &namespace,
                &format!("{rs_name}-{suffix}"),
                &format!("{rs_name}-"),
            ),
            owner,
        );
        put_new(store, pod_res, pod);
    }

    for p in &old_pods {
        let key = (
            namespace.clone(),
            p["metadata"]["name"].as_str().unwrap_or("").to_string(),
        );
        store.tables[pod_res].remove(&key);
    }
    for mut rs in old_sets {
        rs["spec"]["replicas"] = json!(0);
        for k in [
            "replicas",
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
        ] {
            rs["status"][k] = json!(0);
        }
        put_changed(store, rs_res, rs);
    }

    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
        json!(deployment_revision.to_string());
    let now = util::now_rfc3339();
    d["status"] = json!({
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
             "reason": "MinimumReplicasAvailable", "message": "Deployment has minimum availability."},
            {"type": "Progressing", "status": "True", "lastUpdateTime": now, "lastTransitionTime": now,
             "reason": "NewReplicaSetAvailable",
             "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed.")},
        ],
    });
    put_changed(store, dep_res, d);
}
