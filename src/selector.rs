//! Kubernetes label-selector semantics, as the API server applies a webhook's
//! `namespaceSelector` and `objectSelector`.

use crate::atom::Atom;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;

/// An object's labels, sorted by key, as interned strings: every pod and workload carries a
/// handful, mostly the same ones, so they are held as two pointers a label rather than two
/// `String`s and a tree node.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Box<[(Atom, Atom)]>);

impl Labels {
    pub fn new() -> Labels {
        Labels::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&'static str> {
        self.position(key).ok().map(|i| self.0[i].1.as_str())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Sets a label; the value it replaces, if any.
    pub fn insert(&mut self, key: impl Into<Atom>, value: impl Into<Atom>) -> Option<Atom> {
        let (key, value) = (key.into(), value.into());
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                let mut v = std::mem::take(&mut self.0).into_vec();
                v.insert(i, (key, value));
                self.0 = v.into_boxed_slice();
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Atom> {
        let i = self.position(key).ok()?;
        let mut v = std::mem::take(&mut self.0).into_vec();
        let (_, value) = v.remove(i);
        self.0 = v.into_boxed_slice();
        Some(value)
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Into<Atom>, V: Into<Atom>> FromIterator<(K, V)> for Labels {
    /// As a map is built: a later value of a key replaces the earlier one.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Labels {
        let mut v: Vec<(Atom, Atom)> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        v.reverse();
        v.sort_by_key(|pair| pair.0);
        v.dedup_by(|later, kept| later.0 == kept.0);
        Labels(v.into_boxed_slice())
    }
}

impl<K: Into<Atom>, V: Into<Atom>, const N: usize> From<[(K, V); N]> for Labels {
    fn from(pairs: [(K, V); N]) -> Labels {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'static str, &'static str);
    type IntoIter = Box<dyn Iterator<Item = (&'static str, &'static str)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Labels {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of labels")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
                let mut pairs: Vec<(Atom, Atom)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(pair) = map.next_entry::<Atom, Atom>()? {
                    pairs.push(pair);
                }
                Ok(pairs.into_iter().collect())
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
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
            "In" => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "NotIn" => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
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
    fn labels_behave_as_a_map() {
        let mut l = labels(&[("b", "2"), ("a", "1"), ("b", "3")]);
        assert_eq!(
            l.iter().collect::<Vec<_>>(),
            [("a", "1"), ("b", "3")],
            "sorted, last wins"
        );
        assert_eq!(l.get("b"), Some("3"));
        assert_eq!(l.get("c"), None);
        assert_eq!(l.insert("c", "4"), None);
        assert_eq!(l.insert("a", "5").map(|v| v.as_str()), Some("1"));
        assert_eq!(l.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(l.remove("b").map(|v| v.as_str()), Some("3"));
        assert_eq!(l.remove("b"), None);
        assert!(!l.contains_key("b") && l.contains_key("c"));
        assert_eq!(l.len(), 2);
        assert_eq!(serde_json::to_string(&l).unwrap(), r#"{"a":"5","c":"4"}"#);
        let parsed: Labels = serde_json::from_str(r#"{"z":"1","a":"2","z":"3"}"#).unwrap();
        assert_eq!(
            parsed,
            labels(&[("a", "2"), ("z", "3")]),
            "a repeated key: the last value"
        );
        let err = serde_json::from_str::<Labels>(r#"{"a":1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a string"), "{err}");
        // What a snapshot with a list for its labels is told.
        let err = serde_json::from_str::<Labels>(r#"["a"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a map of labels"), "{err}");
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

    #[test]
    fn an_empty_label_map_is_empty_and_left_out_of_a_written_selector() {
        assert!(Labels::new().is_empty());
        assert!(!labels(&[("a", "1")]).is_empty());
        // A snapshot written back carries no `matchLabels: {}` the cluster never had.
        let sel = LabelSelector {
            match_labels: Labels::new(),
            match_expressions: vec![req("x", "Exists", &[])],
        };
        assert_eq!(
            serde_json::to_string(&sel).unwrap(),
            r#"{"matchExpressions":[{"key":"x","operator":"Exists"}]}"#
        );
    }

    #[test]
    fn labels_debug_as_a_map_in_key_order() {
        assert_eq!(
            format!("{:?}", labels(&[("b", "2"), ("a", "1")])),
            r#"{"a": "1", "b": "2"}"#
        );
    }
}
