//! Server-side defaulting and the little validation the fake does (recordings 11–22, 59, 63).

use crate::resources::ResourceType;
use serde_json::{Map, Value, json};

fn obj(v: &mut Value) -> Option<&mut Map<String, Value>> {
    v.as_object_mut()
}

fn set_default(m: &mut Map<String, Value>, k: &str, v: Value) {
    if !m.contains_key(k) || m[k].is_null() {
        m.insert(k.to_string(), v);
    }
}

fn has_resources(c: &Value) -> bool {
    let r = &c["resources"];
    r["limits"].as_object().is_some_and(|m| !m.is_empty())
        || r["requests"].as_object().is_some_and(|m| !m.is_empty())
}

fn probe_defaults(p: &mut Value) {
    if let Some(m) = obj(p) {
        if let Some(h) = m.get_mut("httpGet").and_then(Value::as_object_mut) {
            set_default(h, "scheme", json!("HTTP"));
        }
        set_default(m, "timeoutSeconds", json!(1));
        set_default(m, "periodSeconds", json!(10));
        set_default(m, "successThreshold", json!(1));
        set_default(m, "failureThreshold", json!(3));
    }
}

fn container_defaults(c: &mut Value, regular: bool) {
    let resize = regular && has_resources(c);
    let Some(m) = obj(c) else { return };
    let image = m
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let tag = image
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split_once(':')
        .map(|(_, t)| t);
    let digest = image.contains('@');
    let pull = if !digest && (tag.is_none() || tag == Some("latest")) {
        "Always"
    } else {
        "IfNotPresent"
    };
    set_default(m, "resources", json!({}));
    set_default(m, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(m, "terminationMessagePolicy", json!("File"));
    set_default(m, "imagePullPolicy", json!(pull));
    if resize {
        set_default(
            m,
            "resizePolicy",
            json!([{"resourceName":"cpu","restartPolicy":"NotRequired"},{"resourceName":"memory","restartPolicy":"NotRequired"}]),
        );
    }
    if let Some(ports) = m.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            if let Some(pm) = obj(p) {
                set_default(pm, "protocol", json!("TCP"));
            }
        }
    }
    if let Some(env) = m.get_mut("env").and_then(Value::as_array_mut) {
        for e in env {
            if let Some(fr) = e
                .get_mut("valueFrom")
                .and_then(|v| v.get_mut("fieldRef"))
                .and_then(Value::as_object_mut)
            {
                set_default(fr, "apiVersion", json!("v1"));
            }
        }
    }
    for p in ["readinessProbe", "livenessProbe", "startupProbe"] {
        if let Some(pr) = m.get_mut(p) {
            probe_defaults(pr);
        }
    }
}

/// Defaults of a PodSpec (also in workload templates).
fn pod_spec_defaults(spec: &mut Value) {
    let Some(m) = obj(spec) else { return };
    set_default(m, "restartPolicy", json!("Always"));
    set_default(m, "terminationGracePeriodSeconds", json!(30));
    set_default(m, "dnsPolicy", json!("ClusterFirst"));
    set_default(m, "securityContext", json!({}));
    set_default(m, "schedulerName", json!("default-scheduler"));
    if let Some(sa) = m.get("serviceAccountName").cloned() {
        set_default(m, "serviceAccount", sa);
    }
    for (k, regular) in [("containers", true), ("initContainers", false)] {
        if let Some(cs) = m.get_mut(k).and_then(Value::as_array_mut) {
            for c in cs {
                container_defaults(c, regular);
            }
        }
    }
    if let Some(vols) = m.get_mut("volumes").and_then(Value::as_array_mut) {
        for v in vols {
            // a volume that names no source is an emptyDir (recording 92's workload-socket)
            if let Some(vm) = obj(v)
                && vm.keys().all(|k| k == "name")
            {
                vm.insert("emptyDir".into(), json!({}));
            }
            for k in ["configMap", "secret", "downwardAPI", "projected"] {
                if let Some(src) = v.get_mut(k).and_then(Value::as_object_mut) {
                    set_default(src, "defaultMode", json!(420));
                    if let Some(items) = src.get_mut("items").and_then(Value::as_array_mut) {
                        for it in items {
                            if let Some(fr) = it.get_mut("fieldRef").and_then(Value::as_object_mut)
                            {
                                set_default(fr, "apiVersion", json!("v1"));
                            }
                        }
                    }
                }
            }
        }
    }
}

fn qos_class(spec: &Value) -> &'static str {
    let cs: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .flat_map(|k| spec[*k].as_array().into_iter().flatten())
        .collect();
    if !cs.iter().any(|c| has_resources(c)) {
        return "BestEffort";
    }
    let guaranteed = cs.iter().all(|c| {
        let l = &c["resources"]["limits"];
        let r = &c["resources"]["requests"];
        ["cpu", "memory"]
            .iter()
            .all(|k| l[*k].is_string() && (r[*k].is_null() || r[*k] == l[*k]))
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn template_defaults(spec: &mut Value) {
    if let Some(t) = spec.get_mut("template").and_then(Value::as_object_mut) {
        let meta = t.entry("metadata").or_insert_with(|| json!({}));
        if let Some(mm) = obj(meta) {
            set_default(mm, "creationTimestamp", Value::Null);
        }
        if let Some(ps) = t.get_mut("spec") {
            pod_spec_defaults(ps);
        }
    }
}

/// Fills in defaults (only where absent). `create` also resets Pod/workload status.
pub fn apply(res: &ResourceType, v: &mut Value, create: bool) {
    let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
    match res.plural {
        // stringData is write-only: the API server folds it into data (base64), over data's
        // keys, and never returns it.
        "secrets" => {
            use base64::Engine as _;
            let Some(m) = obj(v) else { return };
            let Some(Value::Object(string_data)) = m.remove("stringData") else {
                return;
            };
            let data = m.entry("data").or_insert_with(|| json!({}));
            if let Some(d) = obj(data) {
                for (k, text) in string_data {
                    let text = text.as_str().unwrap_or_default().to_string();
                    d.insert(
                        k,
                        json!(base64::engine::general_purpose::STANDARD.encode(text)),
                    );
                }
            }
        }
        "namespaces" => {
            let Some(m) = obj(v) else { return };
            let meta = m.entry("metadata").or_insert_with(|| json!({}));
            let labels = meta
                .as_object_mut()
                .expect("metadata")
                .entry("labels")
                .or_insert_with(|| json!({}));
            if let Some(l) = obj(labels) {
                l.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
            let spec = m.entry("spec").or_insert_with(|| json!({}));
            if create && let Some(s) = obj(spec) {
                set_default(s, "finalizers", json!(["kubernetes"]));
            }
            let st = m.entry("status").or_insert_with(|| json!({}));
            if let Some(s) = obj(st) {
                set_default(s, "phase", json!("Active"));
            }
        }
        "pods" => {
            let Some(m) = obj(v) else { return };
            let spec = m.entry("spec").or_insert_with(|| json!({}));
            pod_spec_defaults(spec);
            if let Some(s) = obj(spec) {
                let mut tol = s
                    .get("tolerations")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for key in [
                    "node.kubernetes.io/not-ready",
                    "node.kubernetes.io/unreachable",
                ] {
                    if !tol
                        .iter()
                        .any(|t| t["key"] == key && t["effect"] == "NoExecute")
                    {
                        tol.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
                    }
                }
                s.insert("tolerations".into(), Value::Array(tol));
                set_default(s, "priority", json!(0));
                set_default(s, "enableServiceLinks", json!(true));
                set_default(s, "preemptionPolicy", json!("PreemptLowerPriority"));
            }
            if create {
                let q = qos_class(&m["spec"]);
                m.insert("status".into(), json!({"phase": "Pending", "qosClass": q}));
            }
        }
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" => {
            let Some(m) = obj(v) else { return };
            let spec = m.entry("spec").or_insert_with(|| json!({}));
            template_defaults(spec);
            if let Some(s) = obj(spec) {
                match res.plural {
                    "deployments" => {
                        set_default(s, "replicas", json!(1));
                        // an empty strategy (`strategy: {}`, recording 92) is a rolling update
                        let strategy = s.entry("strategy").or_insert_with(|| json!({}));
                        if let Some(st) = obj(strategy) {
                            set_default(st, "type", json!("RollingUpdate"));
                            if st["type"] == "RollingUpdate" {
                                let ru = st.entry("rollingUpdate").or_insert_with(|| json!({}));
                                if let Some(ru) = obj(ru) {
                                    set_default(ru, "maxUnavailable", json!("25%"));
                                    set_default(ru, "maxSurge", json!("25%"));
                                }
                            }
                        }
                        set_default(s, "revisionHistoryLimit", json!(10));
                        set_default(s, "progressDeadlineSeconds", json!(600));
                    }
                    "replicasets" => set_default(s, "replicas", json!(1)),
                    "statefulsets" => {
                        set_default(s, "replicas", json!(1));
                        set_default(s, "podManagementPolicy", json!("OrderedReady"));
                        set_default(
                            s,
                            "updateStrategy",
                            json!({"type":"RollingUpdate","rollingUpdate":{"partition":0}}),
                        );
                        set_default(s, "revisionHistoryLimit", json!(10));
                        set_default(
                            s,
                            "persistentVolumeClaimRetentionPolicy",
                            json!({"whenDeleted":"Retain","whenScaled":"Retain"}),
                        );
                    }
                    _ => {
                        set_default(
                            s,
                            "updateStrategy",
                            json!({"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":0}}),
                        );
                        set_default(s, "revisionHistoryLimit", json!(10));
                    }
                }
            }
            if create {
                let st = match res.plural {
                    "replicasets" | "statefulsets" => json!({"replicas": 0}),
                    "daemonsets" => {
                        json!({"currentNumberScheduled":0,"numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0})
                    }
                    _ => json!({}),
                };
                m.insert("status".into(), st);
            }
        }
        "mutatingwebhookconfigurations" | "validatingwebhookconfigurations" => {
            let mutating = res.plural.starts_with("mutating");
            if let Some(ws) = v.get_mut("webhooks").and_then(Value::as_array_mut) {
                for w in ws {
                    let Some(m) = obj(w) else { continue };
                    set_default(m, "failurePolicy", json!("Fail"));
                    set_default(m, "matchPolicy", json!("Equivalent"));
                    set_default(m, "namespaceSelector", json!({}));
                    set_default(m, "objectSelector", json!({}));
                    set_default(m, "timeoutSeconds", json!(10));
                    if mutating {
                        set_default(m, "reinvocationPolicy", json!("Never"));
                    }
                    if let Some(svc) = m
                        .get_mut("clientConfig")
                        .and_then(|c| c.get_mut("service"))
                        .and_then(Value::as_object_mut)
                    {
                        set_default(svc, "port", json!(443));
                    }
                    if let Some(rules) = m.get_mut("rules").and_then(Value::as_array_mut) {
                        for r in rules {
                            if let Some(rm) = obj(r) {
                                set_default(rm, "scope", json!("*"));
                            }
                        }
                    }
                }
            }
        }
        "services" => {
            if let Some(s) = v.get_mut("spec").and_then(Value::as_object_mut) {
                set_default(s, "type", json!("ClusterIP"));
                set_default(s, "sessionAffinity", json!("None"));
                if let Some(ports) = s.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports {
                        if let Some(pm) = obj(p) {
                            set_default(pm, "protocol", json!("TCP"));
                            if let Some(port) = pm.get("port").cloned() {
                                set_default(pm, "targetPort", port);
                            }
                        }
                    }
                }
            }
            if create && let Some(m) = obj(v) {
                m.insert("status".into(), json!({"loadBalancer": {}}));
            }
        }
        _ => {}
    }
}

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_label)
}

/// Validation causes `(reason, message, field)`; empty = valid.
pub fn validate(res: &ResourceType, v: &Value) -> Vec<(&'static str, String, String)> {
    let mut causes = Vec::new();
    let name = v["metadata"]["name"].as_str().unwrap_or("");
    if name.is_empty() {
        causes.push((
            "FieldValueRequired",
            "Required value: name or generateName is required".to_string(),
            "metadata.name".to_string(),
        ));
    } else if res.plural == "namespaces" || res.plural == "services" {
        if !is_label(name) {
            causes.push((
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: {LABEL_MSG}",
                    serde_json::to_string(name).unwrap_or_default()
                ),
                "metadata.name".to_string(),
            ));
        }
    } else if !res.crd && !is_subdomain(name) {
        causes.push((
            "FieldValueInvalid",
            format!(
                "Invalid value: {}: {SUBDOMAIN_MSG}",
                serde_json::to_string(name).unwrap_or_default()
            ),
            "metadata.name".to_string(),
        ));
    }
    let spec = match res.plural {
        "pods" => Some(("spec", &v["spec"])),
        "deployments" | "replicasets" | "statefulsets" | "daemonsets" => {
            Some(("spec.template.spec", &v["spec"]["template"]["spec"]))
        }
        _ => None,
    };
    if let Some((prefix, spec)) = spec {
        for k in ["initContainers", "containers"] {
            for (i, c) in spec[k].as_array().into_iter().flatten().enumerate() {
                if c["image"].as_str().is_none_or(|s| s.trim().is_empty()) {
                    causes.push((
                        "FieldValueRequired",
                        "Required value".to_string(),
                        format!("{prefix}.{k}[{i}].image"),
                    ));
                }
                for (j, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
                    if let Some(n) = p["containerPort"].as_i64()
                        && !(1..=65535).contains(&n)
                    {
                        causes.push((
                            "FieldValueInvalid",
                            format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
                            format!("{prefix}.{k}[{i}].ports[{j}].containerPort"),
                        ));
                    }
                }
            }
        }
        if res.plural == "pods" && spec["containers"].as_array().is_none_or(Vec::is_empty) {
            causes.push((
                "FieldValueRequired",
                "Required value".to_string(),
                format!("{prefix}.containers"),
            ));
        }
    }
    causes
}
