//! The inventory written back as Kubernetes objects, in the format `--snapshot` reads: what
//! `kubectl istio-rev snapshot` saves for a bug report or an offline replay.
//!
//! Only what was read is written: the fields the checks use, no managedFields, and never a
//! Secret (none is ever read).

use super::Inventory;
use super::gateway_api::*;
use super::types::*;
use crate::istio::labels::{
    ANNOTATION_HELM_RELEASE_NAME, ANNOTATION_HELM_RELEASE_NAMESPACE, ANNOTATION_IGNORE,
    ANNOTATION_INJECT, ANNOTATION_REV, ANNOTATION_STATUS, ANNOTATION_TEMPLATES,
};
use serde_json::{Map, Value, json};

fn meta(m: &Meta, cluster_scoped: bool) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(m.name()));
    if !cluster_scoped {
        out.insert("namespace".into(), json!(m.namespace()));
    }
    if let Some(uid) = &m.uid {
        out.insert("uid".into(), json!(uid));
    }
    labels_and_annotations(&mut out, &m.labels, &m.annotations);
    if !m.owner_references.is_empty() {
        let refs: Vec<Value> = m
            .owner_references
            .iter()
            .map(|o| {
                let mut r = json!({
                    "apiVersion": owner_api_version(&o.kind),
                    "kind": o.kind,
                    "name": o.name,
                    "uid": o.uid,
                });
                if let Some(c) = o.controller {
                    r["controller"] = json!(c);
                }
                r
            })
            .collect();
        out.insert("ownerReferences".into(), Value::Array(refs));
    }
    Value::Object(out)
}

/// What a pod template's metadata and an object's share.
fn labels_and_annotations(
    out: &mut Map<String, Value>,
    labels: &crate::selector::Labels,
    istio: &IstioAnnotations,
) {
    if !labels.is_empty() {
        out.insert("labels".into(), json!(labels));
    }
    let annotations = annotations(istio);
    if !annotations.is_empty() {
        out.insert("annotations".into(), Value::Object(annotations));
    }
}

fn owner_api_version(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "Job" => "batch/v1",
        "Gateway" => "gateway.networking.k8s.io/v1",
        _ => "v1",
    }
}

fn annotations(a: &IstioAnnotations) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(v) = &a.rev {
        out.insert(ANNOTATION_REV.into(), json!(v));
    }
    if a.injected {
        let status = match &a.status_revision {
            Some(r) => json!({ "revision": r }),
            None => json!({}),
        };
        out.insert(ANNOTATION_STATUS.into(), json!(status.to_string()));
    }
    if let Some(v) = &a.rare().templates {
        out.insert(ANNOTATION_TEMPLATES.into(), json!(v));
    }
    if let Some(v) = &a.rare().inject {
        out.insert(ANNOTATION_INJECT.into(), json!(v));
    }
    if let Some(v) = &a.rare().ignore {
        out.insert(ANNOTATION_IGNORE.into(), json!(v));
    }
    if let Some(v) = &a.rare().helm_release {
        out.insert(ANNOTATION_HELM_RELEASE_NAME.into(), json!(v));
    }
    if let Some(v) = &a.rare().helm_release_namespace {
        out.insert(ANNOTATION_HELM_RELEASE_NAMESPACE.into(), json!(v));
    }
    out
}

fn container(c: &Container) -> Value {
    let mut out = json!({ "name": c.name });
    if let Some(image) = &c.image {
        out["image"] = json!(image);
    }
    if let Some(role) = c.args {
        out["args"] = json!(["proxy", role.second_arg()]);
    }
    let mut env = Vec::new();
    if let Some(v) = &c.env.ca_addr {
        env.push(json!({ "name": "CA_ADDR", "value": v }));
    }
    if let Some(v) = &c.env.discovery_address {
        env.push(json!({ "name": "PROXY_CONFIG", "value": json!({ "discoveryAddress": v }).to_string() }));
    }
    if let Some(v) = c.env.ca_address() {
        env.push(json!({ "name": "CA_ADDRESS", "value": v }));
    }
    if let Some(v) = c.env.xds_address() {
        env.push(json!({ "name": "XDS_ADDRESS", "value": v }));
    }
    if !env.is_empty() {
        out["env"] = Value::Array(env);
    }
    out
}

fn selector(s: &crate::selector::LabelSelector) -> Value {
    serde_json::to_value(s).expect("selectors serialize")
}

fn workload(w: &Workload) -> Value {
    let mut spec = Map::new();
    if let Some(r) = w.spec.replicas {
        spec.insert("replicas".into(), json!(r));
    }
    if let Some(s) = &w.spec.selector {
        spec.insert("selector".into(), selector(s));
    }
    let t = &w.spec.template;
    let mut template_spec = json!({
        "containers": t.spec.containers.iter().map(container).collect::<Vec<_>>()
    });
    if !t.spec.init_containers.is_empty() {
        template_spec["initContainers"] =
            Value::Array(t.spec.init_containers.iter().map(container).collect());
    }
    let mut template_meta = Map::new();
    labels_and_annotations(
        &mut template_meta,
        &t.metadata.labels,
        &t.metadata.annotations,
    );
    spec.insert(
        "template".into(),
        json!({ "metadata": template_meta, "spec": template_spec }),
    );
    let s = &w.status;
    let mut status = Map::new();
    for (key, value) in [
        ("replicas", s.replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
        ("updatedReplicas", s.updated_replicas),
        ("numberReady", s.number_ready),
        ("desiredNumberScheduled", s.desired_number_scheduled),
    ] {
        if let Some(v) = value {
            status.insert(key.into(), json!(v));
        }
    }
    if !s.conditions.is_empty() {
        status.insert(
            "conditions".into(),
            Value::Array(
                s.conditions
                    .iter()
                    .map(|c| json!({ "type": c.type_, "status": c.status }))
                    .collect(),
            ),
        );
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": w.kind.as_str(),
        "metadata": meta(&w.meta, false),
        "spec": spec,
        "status": status,
    })
}

fn pod(p: &Pod) -> Value {
    let proxy: Vec<Value> = p.spec.proxy().map(container).into_iter().collect();
    let spec = if p.spec.native_sidecar {
        json!({ "containers": [], "initContainers": proxy })
    } else {
        json!({ "containers": proxy })
    };
    let mut out = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": meta(&p.meta, false), "spec": spec });
    if let Some(phase) = &p.status.phase {
        out["status"] = json!({ "phase": phase });
    }
    out
}

fn webhook_configuration(m: &MutatingWebhookConfiguration) -> Value {
    let webhooks: Vec<Value> = m
        .webhooks
        .iter()
        .map(|w| {
            let mut client = Map::new();
            if let Some(s) = &w.client_config.service {
                let mut service = json!({ "name": s.name, "namespace": s.namespace });
                if let Some(path) = &s.path {
                    service["path"] = json!(path);
                }
                client.insert("service".into(), service);
            }
            if let Some(u) = &w.client_config.url {
                client.insert("url".into(), json!(u));
            }
            let mut out = json!({ "name": w.name, "clientConfig": client });
            if let Some(s) = &w.namespace_selector {
                out["namespaceSelector"] = selector(s);
            }
            if let Some(s) = &w.object_selector {
                out["objectSelector"] = selector(s);
            }
            out
        })
        .collect();
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": meta(&m.meta, true),
        "webhooks": webhooks,
    })
}

fn gateway(g: &Gateway) -> Value {
    let mut spec = json!({ "gatewayClassName": g.spec.gateway_class_name });
    if !g.spec.addresses.is_empty() {
        spec["addresses"] = Value::Array(
            g.spec
                .addresses
                .iter()
                .map(|a| match &a.type_ {
                    Some(t) => json!({ "type": t, "value": a.value }),
                    None => json!({ "value": a.value }),
                })
                .collect(),
        );
    }
    let conditions: Vec<Value> = g
        .status
        .conditions
        .iter()
        .map(|c| json!({ "type": c.type_, "status": c.status, "reason": c.reason, "message": c.message }))
        .collect();
    json!({
        "apiVersion": format!("{GATEWAY_API_GROUP}/v1"),
        "kind": "Gateway",
        "metadata": meta(&g.meta, false),
        "spec": spec,
        "status": { "conditions": conditions },
    })
}

/// Every object of the inventory, in a stable order.
pub fn objects(inventory: &Inventory) -> impl Iterator<Item = Value> + '_ {
    let namespaces = inventory.namespaces.iter().map(
        |n| json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": meta(&n.meta, true) }),
    );
    let operators = inventory.istio_operators.iter().map(|o| {
        json!({
            "apiVersion": "install.istio.io/v1alpha1",
            "kind": "IstioOperator",
            "metadata": meta(&o.meta, false),
            "spec": o.spec,
        })
    });
    let validators = inventory.validating_webhooks.iter().map(|v| {
        json!({
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta(&v.meta, true),
        })
    });
    let classes = inventory.gateway_classes.iter().map(|c| {
        json!({
            "apiVersion": format!("{GATEWAY_API_GROUP}/v1"),
            "kind": "GatewayClass",
            "metadata": meta(&c.meta, true),
            "spec": { "controllerName": c.spec.controller_name },
        })
    });
    // First, what could not be read: a replay then skips the same checks as the live run.
    let not_read = inventory.unreadable.iter().map(|u| {
        let name: String = u
            .resource
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        json!({
            "apiVersion": super::parse::NOT_READ_API_VERSION,
            "kind": super::parse::NOT_READ_KIND,
            "metadata": { "name": name.trim_matches('-') },
            "notRead": { "resource": u.resource, "namespace": u.namespace, "reason": u.reason },
        })
    });
    not_read
        .chain(namespaces)
        .chain(inventory.webhooks.iter().map(webhook_configuration))
        .chain(validators)
        .chain(operators)
        .chain(classes)
        .chain(inventory.gateways.iter().map(gateway))
        .chain(inventory.workloads.iter().map(|w| workload(w)))
        .chain(inventory.pods.each().map(|p| pod(&p)))
}

/// A `kind: List` of the inventory as JSON, written item by item.
pub fn write_json(inventory: &Inventory, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(b"{\n\"apiVersion\": \"v1\",\n\"kind\": \"List\",\n\"metadata\": {\"resourceVersion\": \"\"},\n\"items\": [\n")?;
    for (i, object) in objects(inventory).enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &object)?;
    }
    out.write_all(b"\n]\n}\n")
}

/// The same as YAML documents, one object each.
pub fn write_yaml(inventory: &Inventory, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    for object in objects(inventory) {
        let doc = serde_saphyr::to_string(&object).map_err(std::io::Error::other)?;
        out.write_all(b"---\n")?;
        out.write_all(doc.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_survives_the_round_trip() {
        for scenario in ["tags-2-stable-moved", "ambient-5-tag-moved"] {
            round_trip(scenario);
        }
    }

    fn round_trip(scenario: &str) {
        let path = format!(
            "{}/testdata/scenarios/{scenario}/cluster.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let original =
            crate::source::snapshot::load(&[crate::source::snapshot::Input::Path(path.into())])
                .unwrap();
        if scenario.starts_with("ambient") {
            assert!(!original.gateways.is_empty() && !original.gateway_classes.is_empty());
            assert_eq!(original.validating_webhooks.len(), 1);
        }
        for json in [true, false] {
            let mut buf = Vec::new();
            if json {
                write_json(&original, &mut buf).unwrap();
            } else {
                write_yaml(&original, &mut buf).unwrap();
            }
            let mut again = Inventory::default();
            crate::source::snapshot::read_stream(&buf[..], "round-trip", Some(json), &mut again)
                .unwrap();
            assert_eq!(again.namespaces, original.namespaces);
            assert_eq!(again.workloads, original.workloads);
            assert_eq!(again.pods, original.pods);
            assert_eq!(again.webhooks, original.webhooks);
            assert_eq!(again.istio_operators, original.istio_operators);
            assert_eq!(again.gateways, original.gateways);
            assert_eq!(again.gateway_classes, original.gateway_classes);
            assert_eq!(again.validating_webhooks, original.validating_webhooks);
        }
    }
}
