//! Comparing a rendered object with its live counterpart.
//!
//! Both ways of comparing end in the same place: a `live` and a `merged` object (what the
//! object would be after `istioctl install`), stripped of server noise, then told apart path by
//! path. With a server-side apply dry run the API server computes `merged`; without one
//! [`overlay`] predicts it from the rendered fields alone (live-only fields are kept, so they
//! never count as drift), with the normalizations an API server's defaulting makes necessary.

use super::normalize::{QUANTITY, is_zero_or_empty, list_item_key, scalar_eq};
use serde_json::{Map, Value};

/// Metadata fields every API server writes: never drift.
pub const NOISE_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "generation",
    "uid",
    "creationTimestamp",
    "selfLink",
];

/// Annotations controllers and kubectl write: never drift.
pub const NOISE_ANNOTATIONS: &[&str] = &[
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// Removes `status` and the server-written metadata and annotations.
pub fn strip_noise(v: &mut Value) {
    let Some(m) = v.as_object_mut() else { return };
    m.remove("status");
    if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in NOISE_METADATA {
            meta.remove(*k);
        }
        let mut drop_annotations = false;
        if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in NOISE_ANNOTATIONS {
                a.remove(*k);
            }
            drop_annotations = a.is_empty();
        }
        if drop_annotations {
            meta.remove("annotations");
        }
    }
}

/// What `live` becomes when the rendered fields are laid over it, without a server: maps are
/// merged, lists of named items (containers, ports, env, volumes, webhooks …) are matched by
/// key, other lists are compared as a whole, scalars equal after normalization keep the live
/// form, and rendered empty values (`{}`, `[]`, `""`, `null`, `false`, `0`) over absent live
/// fields change nothing (the API server drops them).
pub fn overlay(live: &Value, rendered: &Value, field: &str) -> Value {
    match (live, rendered) {
        (Value::Object(l), Value::Object(r)) => {
            let mut out = l.clone();
            // Values under resource maps are quantities; elsewhere a key names its value.
            let in_quantities = matches!(field, "limits" | "requests" | "hard" | "capacity");
            for (k, rv) in r {
                match l.get(k) {
                    Some(lv) => {
                        let child = if in_quantities { QUANTITY } else { k.as_str() };
                        let merged = overlay(lv, rv, child);
                        out.insert(k.clone(), merged);
                    }
                    None => {
                        if !is_zero_or_empty(rv) {
                            out.insert(k.clone(), prune_empty(rv));
                        }
                    }
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(r)) => Value::Array(overlay_list(l, r, field)),
        (Value::Null, r) => prune_empty(r),
        (l, Value::Null) => l.clone(),
        (l, r) if !l.is_object() && !l.is_array() && !r.is_object() && !r.is_array() => {
            if scalar_eq(l, r, field) {
                l.clone()
            } else {
                r.clone()
            }
        }
        (_, r) => r.clone(),
    }
}

fn overlay_list(live: &[Value], rendered: &[Value], field: &str) -> Vec<Value> {
    let keyed = !rendered.is_empty()
        && rendered
            .iter()
            .chain(live.iter())
            .all(|i| list_item_key(field, i).is_some());
    if keyed {
        let mut out: Vec<Value> = live.to_vec();
        for r in rendered {
            let key = list_item_key(field, r);
            match live.iter().position(|l| list_item_key(field, l) == key) {
                Some(i) => out[i] = overlay(&live[i], r, field),
                None => out.push(prune_empty(r)),
            }
        }
        return out;
    }
    if live.len() == rendered.len() {
        // Same shape: element by element, so defaults inside items (webhook rules' `scope`,
        // RBAC rules) stay live-only.
        return live
            .iter()
            .zip(rendered)
            .map(|(l, r)| overlay(l, r, field))
            .collect();
    }
    rendered.iter().map(prune_empty).collect()
}

/// A rendered value as the API server would store it: `null` map entries dropped.
fn prune_empty(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), prune_empty(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(prune_empty).collect()),
        other => other.clone(),
    }
}

/// JSON pointers (RFC 6901) where `a` and `b` differ: the deepest paths that differ, with a
/// list of changed length reported as the list itself.
pub fn changed_paths(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(a, b, &mut String::new(), &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(p, q, path, out),
                    _ => out.push(path.clone()),
                }
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                walk(p, q, path, out);
                path.truncate(len);
            }
        }
        _ => out.push(if path.is_empty() {
            "/".to_string()
        } else {
            path.clone()
        }),
    }
}

pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overlay_keeps_live_only_fields_and_defaults() {
        let live = json!({
            "spec": {
                "replicas": 1,
                "progressDeadlineSeconds": 600,
                "template": {"spec": {"containers": [
                    {"name": "discovery", "image": "istio/pilot:1.0",
                     "imagePullPolicy": "IfNotPresent",
                     "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                     "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}}}
                ]}}
            }
        });
        let rendered = json!({
            "metadata": {"annotations": {}},
            "spec": {
                "template": {"spec": {"containers": [
                    {"name": "discovery", "image": "istio/pilot:1.0",
                     "ports": [{"containerPort": "8080"}],
                     "resources": {"requests": {"cpu": 0.5, "memory": "2048Mi"}},
                     "securityContext": null}
                ]}}
            }
        });
        let merged = overlay(&live, &rendered, "");
        assert_eq!(merged, live);
    }

    #[test]
    fn overlay_reports_real_changes() {
        let live = json!({"data": {"mesh": "a"}, "spec": {"ports": [
            {"name": "grpc", "port": 15010, "protocol": "TCP"},
            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 15017}
        ]}});
        let rendered = json!({"data": {"mesh": "b"}, "spec": {"ports": [
            {"name": "grpc", "port": 15010},
            {"name": "https", "port": 443, "targetPort": 15018}
        ]}});
        let merged = overlay(&live, &rendered, "");
        assert_eq!(
            changed_paths(&live, &merged),
            ["/data/mesh", "/spec/ports/1/targetPort"]
        );
    }

    #[test]
    fn overlay_adds_rendered_items_missing_live() {
        let live = json!({"env": [{"name": "A", "value": "1"}]});
        let rendered = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]});
        let merged = overlay(&live, &rendered, "");
        assert_eq!(changed_paths(&live, &merged), ["/env"]);
    }

    #[test]
    fn quantities_only_where_quantities_live() {
        let live = json!({"metadata": {"labels": {"version": "1.10"}},
            "resources": {"limits": {"cpu": "1.10"}}});
        let rendered = json!({"metadata": {"labels": {"version": "1.1"}},
            "resources": {"limits": {"cpu": "1.1"}}});
        let merged = overlay(&live, &rendered, "");
        assert_eq!(changed_paths(&live, &merged), ["/metadata/labels/version"]);
    }

    #[test]
    fn noise_is_stripped() {
        let mut v = json!({"metadata": {"name": "x", "uid": "u", "resourceVersion": "1",
            "generation": 2, "creationTimestamp": "t", "managedFields": [],
            "annotations": {"deployment.kubernetes.io/revision": "3"}}, "status": {}});
        strip_noise(&mut v);
        assert_eq!(v, json!({"metadata": {"name": "x"}}));
    }

    #[test]
    fn pointers_are_escaped() {
        let a = json!({"metadata": {"labels": {"istio.io/rev": "a"}}});
        let b = json!({"metadata": {"labels": {"istio.io/rev": "b"}}});
        assert_eq!(changed_paths(&a, &b), ["/metadata/labels/istio.io~1rev"]);
        assert_eq!(unescape("istio.io~1rev"), "istio.io/rev");
    }
}
