//! The normalizations a real API server's defaulting and encoding make necessary when rendered
//! fields are compared without a server (`--server-dry-run=false`, read-only tokens,
//! snapshots): quantities (`0.5` = `500m`, `2048Mi` = `2Gi`), int-or-string (`8080` =
//! `"8080"`), Go's omitempty (rendered `false`/`0`/`""`/`{}`/`[]` = absent), list items keyed by
//! name (ports by name, else by number and protocol, `TCP` by default), and Secret
//! `stringData` folded into `data`.

use serde_json::Value;

/// A rendered value the API server would not store: Go's omitempty drops it.
pub fn is_zero_or_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(is_zero_or_empty),
    }
}

/// The key of an item of an associative list (as the API server merges them), if it has one.
pub fn list_item_key(field: &str, item: &Value) -> Option<String> {
    let m = item.as_object()?;
    let s = |k: &str| -> Option<String> {
        m.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    match field {
        "ports" => {
            if let Some(n) = s("name") {
                return Some(format!("name={n}"));
            }
            let port = s("containerPort").or_else(|| s("port"))?;
            let protocol = s("protocol").unwrap_or_else(|| "TCP".to_string());
            Some(format!("{port}/{protocol}"))
        }
        "volumeMounts" | "volumeDevices" => s("mountPath").or_else(|| s("devicePath")),
        "containers" | "initContainers" | "env" | "volumes" | "webhooks" | "imagePullSecrets"
        | "tolerations" | "hostAliases" => s("name").or_else(|| s("key")).or_else(|| s("ip")),
        _ => s("name"),
    }
}

/// The field name [`scalar_eq`] gets for the values of resource maps (`limits`, `requests`,
/// `hard`, `capacity`); `averageValue` and `sizeLimit` are quantities by name.
pub const QUANTITY: &str = "<quantity>";

/// Scalars equal after the API server's encoding: identical, the same number written as a
/// number or a string (int-or-string ports, `replicas: "1"`), or, where quantities live, the
/// same quantity (elsewhere `"1.10"` and `"1.1"` are different strings).
pub fn scalar_eq(a: &Value, b: &Value, field: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x == y;
    }
    if !matches!(field, QUANTITY | "averageValue" | "sizeLimit") {
        return false;
    }
    match (quantity(a), quantity(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// A Kubernetes quantity (`500m`, `2Gi`, `1e3`, `0.5`) as a number.
pub fn quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    if num.is_empty() || num == "." {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0f64.powi(2),
        "Gi" => 1024.0f64.powi(3),
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        "Ei" => 1024.0f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * factor)
}

/// A rendered Secret's `stringData` folded into `data` (base64), as the API server stores it.
pub fn fold_string_data(obj: &mut Value) {
    if obj["kind"] != "Secret" {
        return;
    }
    let Some(m) = obj.as_object_mut() else { return };
    let Some(Value::Object(string_data)) = m.remove("stringData") else {
        return;
    };
    let data = m
        .entry("data")
        .or_insert_with(|| Value::Object(Default::default()));
    if let Some(d) = data.as_object_mut() {
        for (k, v) in string_data {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            d.insert(k, Value::String(base64(text.as_bytes())));
        }
    }
}

/// Standard base64 with padding (what the API server returns for Secret data).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        assert!(scalar_eq(&json!("500m"), &json!(0.5), QUANTITY));
        assert!(scalar_eq(&json!("2Gi"), &json!("2048Mi"), QUANTITY));
        assert!(scalar_eq(&json!("1"), &json!(1), QUANTITY));
        assert!(scalar_eq(&json!("1k"), &json!("1000"), QUANTITY));
        assert!(scalar_eq(&json!("100Mi"), &json!("104857600"), "sizeLimit"));
        assert!(!scalar_eq(&json!("100m"), &json!("200m"), QUANTITY));
        assert!(!scalar_eq(&json!("1.10"), &json!("1.1"), "version"));
        assert!(!scalar_eq(
            &json!("Ignore"),
            &json!("Fail"),
            "failurePolicy"
        ));
    }

    #[test]
    fn int_or_string() {
        assert!(scalar_eq(&json!(15017), &json!("15017"), "targetPort"));
        assert!(!scalar_eq(&json!(15017), &json!("https"), "targetPort"));
    }

    #[test]
    fn port_keys_default_tcp() {
        assert_eq!(
            list_item_key("ports", &json!({"containerPort": 8080})),
            list_item_key("ports", &json!({"containerPort": 8080, "protocol": "TCP"}))
        );
        assert_ne!(
            list_item_key("ports", &json!({"port": 53, "protocol": "UDP"})),
            list_item_key("ports", &json!({"port": 53}))
        );
    }

    #[test]
    fn empties() {
        for v in [
            json!(null),
            json!({}),
            json!([]),
            json!(""),
            json!(false),
            json!(0),
        ] {
            assert!(is_zero_or_empty(&v), "{v}");
        }
        assert!(!is_zero_or_empty(&json!({"a": 1})));
    }

    #[test]
    fn string_data_is_folded() {
        let mut s = json!({"kind": "Secret", "stringData": {"k": "hello"}, "data": {"a": "YQ=="}});
        fold_string_data(&mut s);
        assert_eq!(
            s,
            json!({"kind": "Secret", "data": {"a": "YQ==", "k": "aGVsbG8="}})
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"a"), "YQ==");
    }
}
