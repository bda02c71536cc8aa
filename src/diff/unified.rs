//! The per-object unified diff (with `similar`), Secret values masked.
//!
//! Secret `data` and `stringData` values are masked as kubectl diff masks them (`***`,
//! `*** (before)`, `*** (after)`) before any text is made; the masked text is display only and
//! nothing reads values back from it.

use crate::istio::objects::ObjId;
use serde_json::{Map, Value};

/// A unified diff of the live object (`-`) against what it would be after install (`+`).
pub fn unified(id: &ObjId, live: &Value, merged: &Value) -> String {
    let (live, merged) = mask_secrets(id, live, merged);
    let a = serde_saphyr::to_string(&live).expect("objects serialize to YAML");
    let b = serde_saphyr::to_string(&merged).expect("objects serialize to YAML");
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{id}"), &format!("after-install/{id}"))
        .to_string()
}

/// What a Secret value shows as in a diff, as kubectl shows it.
pub const MASKED: &str = "***";

/// Both sides with Secret values replaced: equal values become `***`, differing ones
/// `*** (before)` and `*** (after)`.
pub fn mask_secrets(id: &ObjId, live: &Value, merged: &Value) -> (Value, Value) {
    let (mut a, mut b) = (live.clone(), merged.clone());
    if id.kind != "Secret" {
        return (a, b);
    }
    for field in ["data", "stringData"] {
        let left = a.get(field).and_then(Value::as_object).cloned();
        let right = b.get(field).and_then(Value::as_object).cloned();
        let masked =
            |mine: &Option<Map<String, Value>>, theirs: &Option<Map<String, Value>>, tag| {
                mine.as_ref().map(|m| {
                    Value::Object(
                        m.iter()
                            .map(|(k, v)| {
                                let same = theirs.as_ref().and_then(|t| t.get(k)) == Some(v);
                                let text = if same {
                                    MASKED.to_string()
                                } else {
                                    format!("{MASKED} ({tag})")
                                };
                                (k.clone(), Value::String(text))
                            })
                            .collect(),
                    )
                })
            };
        let ma = masked(&left, &right, "before");
        let mb = masked(&right, &left, "after");
        if let Some(m) = ma {
            a[field] = m;
        }
        if let Some(m) = mb {
            b[field] = m;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_are_masked_in_diffs() {
        let id = ObjId::new("", "Secret", "istio-system", "cacerts");
        let live = json!({"kind": "Secret", "data": {"a": "c2VjcmV0", "b": "eA=="}});
        let merged = json!({"kind": "Secret", "data": {"a": "b3RoZXI=", "b": "eA=="}});
        let d = unified(&id, &live, &merged);
        assert!(!d.contains("c2VjcmV0") && !d.contains("b3RoZXI="), "{d}");
        assert!(
            d.contains("-  a: '*** (before)'") || d.contains("-  a: \"*** (before)\""),
            "{d}"
        );
        assert!(d.contains("*** (after)"), "{d}");
    }

    #[test]
    fn other_kinds_are_not_masked() {
        let id = ObjId::new("", "ConfigMap", "istio-system", "istio");
        let d = unified(
            &id,
            &json!({"data": {"a": "1"}}),
            &json!({"data": {"a": "2"}}),
        );
        assert!(d.contains("-  a: '1'") || d.contains("-  a: \"1\""), "{d}");
    }
}
