//! Kubernetes label-selector semantics, as the API server applies a webhook's
//! `namespaceSelector` and `objectSelector`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: Labels,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<Requirement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl LabelSelector {
    /// An empty selector matches everything, as in the API server.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| self.values.contains(v)),
            "NotIn" => value.is_none_or(|v| !self.values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            // The API server rejects other operators at admission, so such a selector can never
            // have matched anything.
            _ => false,
        }
    }
}

/// Whether an optional selector matches; a webhook without one selects everything.
pub fn optional_matches(selector: Option<&LabelSelector>, labels: &Labels) -> bool {
    selector.is_none_or(|s| s.matches(labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            operator: op.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        assert!(LabelSelector::default().matches(&labels(&[])));
        assert!(optional_matches(None, &labels(&[("a", "b")])));
    }

    #[test]
    fn revisioned_injector_selector() {
        // The namespaceSelector of istio-sidecar-injector-1-16 (istio-testdata rev-16-injector.yaml).
        let sel = LabelSelector {
            match_labels: Labels::new(),
            match_expressions: vec![
                req("istio.io/rev", "In", &["1-16"]),
                req("istio-injection", "DoesNotExist", &[]),
            ],
        };
        assert!(sel.matches(&labels(&[("istio.io/rev", "1-16")])));
        assert!(!sel.matches(&labels(&[("istio.io/rev", "1-17")])));
        assert!(!sel.matches(&labels(&[
            ("istio.io/rev", "1-16"),
            ("istio-injection", "enabled")
        ])));
        assert!(!sel.matches(&labels(&[])));
    }

    #[test]
    fn not_in_matches_absent_key() {
        let r = req("sidecar.istio.io/inject", "NotIn", &["false"]);
        assert!(r.matches(&labels(&[])));
        assert!(r.matches(&labels(&[("sidecar.istio.io/inject", "true")])));
        assert!(!r.matches(&labels(&[("sidecar.istio.io/inject", "false")])));
    }

    #[test]
    fn match_labels_and_exists() {
        let sel = LabelSelector {
            match_labels: labels(&[("istio-injection", "enabled")]),
            match_expressions: vec![req("x", "Exists", &[])],
        };
        assert!(sel.matches(&labels(&[("istio-injection", "enabled"), ("x", "")])));
        assert!(!sel.matches(&labels(&[("istio-injection", "enabled")])));
        assert!(!req("x", "Bogus", &[]).matches(&labels(&[("x", "1")])));
    }
}
