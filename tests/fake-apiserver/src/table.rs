//! `as=Table` responses (server-side printing, what `kubectl get` asks for).
//! Pods get the real 9 pod columns, namespaces Name/Status/Age, everything else Name/Age.

use crate::resources::ResourceType;
use crate::store::StoredObject;
use crate::{json, util};
use serde_json::{Value, json};
use std::sync::Arc;

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

fn col(name: &str, format: &str, desc: &str, priority: i64) -> Value {
    json!({"name": name, "type": "string", "format": format, "description": desc, "priority": priority})
}

fn columns(res: &ResourceType) -> Vec<Value> {
    match res.plural {
        "pods" => vec![
            col("Name", "name", NAME_DESC, 0),
            col(
                "Ready",
                "",
                "The aggregate readiness state of this pod for accepting traffic.",
                0,
            ),
            col(
                "Status",
                "",
                "The aggregate status of the containers in this pod.",
                0,
            ),
            col(
                "Restarts",
                "",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                0,
            ),
            col("Age", "", AGE_DESC, 0),
            col(
                "IP",
                "",
                "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
                1,
            ),
            col(
                "Node",
                "",
                "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
                1,
            ),
            col(
                "Nominated Node",
                "",
                "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
                1,
            ),
            col(
                "Readiness Gates",
                "",
                "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
                1,
            ),
        ],
        "namespaces" => vec![
            col("Name", "name", NAME_DESC, 0),
            col("Status", "", "The status of the namespace", 0),
            col("Age", "", AGE_DESC, 0),
        ],
        _ => vec![
            col("Name", "name", NAME_DESC, 0),
            col("Age", "", AGE_DESC, 0),
        ],
    }
}

fn or_none(v: &Value) -> Value {
    match v.as_str() {
        Some(s) if !s.is_empty() => json!(s),
        _ => json!("<none>"),
    }
}

fn cells(res: &ResourceType, v: &Value) -> Vec<Value> {
    let name = v["metadata"]["name"].clone();
    let age = json!(util::human_age(v["metadata"]["creationTimestamp"].as_str()));
    match res.plural {
        "pods" => {
            let total = v["spec"]["containers"].as_array().map_or(0, Vec::len);
            let statuses = v["status"]["containerStatuses"].as_array();
            let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
            let restarts: i64 = statuses.map_or(0, |s| {
                s.iter()
                    .map(|c| c["restartCount"].as_i64().unwrap_or(0))
                    .sum()
            });
            let mut status = v["status"]["phase"].as_str().unwrap_or("").to_string();
            if let Some(r) = v["status"]["reason"].as_str() {
                status = r.to_string();
            }
            if v["metadata"]["deletionTimestamp"].is_string() {
                status = "Terminating".into();
            }
            vec![
                name,
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts.to_string()),
                age,
                or_none(&v["status"]["podIP"]),
                or_none(&v["spec"]["nodeName"]),
                or_none(&v["status"]["nominatedNodeName"]),
                json!("<none>"),
            ]
        }
        "namespaces" => vec![name, v["status"]["phase"].clone(), age],
        _ => vec![name, age],
    }
}

pub fn render_list(
    res: &ResourceType,
    items: &[Arc<StoredObject>],
    rv: &str,
    cont: Option<&str>,
    remaining: Option<usize>,
) -> Vec<u8> {
    let mut meta = serde_json::Map::new();
    if !rv.is_empty() {
        meta.insert("resourceVersion".into(), json!(rv));
    }
    if let Some(c) = cont {
        meta.insert("continue".into(), json!(c));
    }
    if let Some(r) = remaining {
        meta.insert("remainingItemCount".into(), json!(r));
    }
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let v: Value = serde_json::from_slice(&o.bytes).unwrap_or(Value::Null);
            let mut partial = Vec::new();
            o.write_partial(&mut partial);
            let partial: Value = serde_json::from_slice(&partial).unwrap_or(Value::Null);
            json!({"cells": cells(res, &v), "object": partial})
        })
        .collect();
    let t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": columns(res),
        "rows": rows,
    });
    json::to_vec(&t, false)
}
