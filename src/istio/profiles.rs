//! The installation profiles shipped in the binary, and which set an Istio version uses.
//!
//! Two sets are shipped, copied verbatim from istio/istio (see `profiles/README.md`):
//!
//! | `--istio-version` | set | why |
//! | --- | --- | --- |
//! | 1.8 … 1.20 (and anything older) | `1.8` | the in-cluster operator era: `istiodRemote`, `policy`/`telemetry` keys, no `ztunnel` |
//! | 1.21 and newer, or none known | `latest` | `ztunnel`, ambient profiles, `stable`, no operator |
//!
//! Between 1.8 and 1.20 the IstioOperator component layout (which components exist, which
//! profile enables which, where they go) did not change in a way that moves an object from one
//! component to another, so the 1.8 files stand for the whole range; profile *values* did
//! change, but `check-overlap` reads only the component layout.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProfileSet {
    #[serde(rename = "1.8")]
    V1_8,
    #[serde(rename = "latest")]
    Latest,
}

const V1_8: &[(&str, &str)] = &[
    ("default", include_str!("profiles/1.8/default.yaml")),
    ("demo", include_str!("profiles/1.8/demo.yaml")),
    ("empty", include_str!("profiles/1.8/empty.yaml")),
    ("minimal", include_str!("profiles/1.8/minimal.yaml")),
    ("openshift", include_str!("profiles/1.8/openshift.yaml")),
    ("preview", include_str!("profiles/1.8/preview.yaml")),
    ("remote", include_str!("profiles/1.8/remote.yaml")),
];

const LATEST: &[(&str, &str)] = &[
    ("ambient", include_str!("profiles/latest/ambient.yaml")),
    ("default", include_str!("profiles/latest/default.yaml")),
    ("demo", include_str!("profiles/latest/demo.yaml")),
    ("empty", include_str!("profiles/latest/empty.yaml")),
    ("minimal", include_str!("profiles/latest/minimal.yaml")),
    (
        "openshift-ambient",
        include_str!("profiles/latest/openshift-ambient.yaml"),
    ),
    ("openshift", include_str!("profiles/latest/openshift.yaml")),
    ("preview", include_str!("profiles/latest/preview.yaml")),
    ("remote", include_str!("profiles/latest/remote.yaml")),
    ("stable", include_str!("profiles/latest/stable.yaml")),
];

impl ProfileSet {
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileSet::V1_8 => "1.8",
            ProfileSet::Latest => "latest",
        }
    }

    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            ProfileSet::V1_8 => V1_8,
            ProfileSet::Latest => LATEST,
        }
    }

    pub fn names(self) -> Vec<&'static str> {
        self.files().iter().map(|(n, _)| *n).collect()
    }

    /// The `spec` of a profile, or `None` when the set has no such profile.
    pub fn spec(self, name: &str) -> Option<Value> {
        let (_, text) = self.files().iter().find(|(n, _)| *n == name)?;
        let doc: Value = serde_saphyr::from_str(text).expect("shipped profiles parse");
        Some(doc.get("spec").cloned().unwrap_or(Value::Null))
    }

    /// The `spec.components` keys an IstioOperator of this era accepts.
    pub fn component_keys(self) -> &'static [&'static str] {
        match self {
            ProfileSet::V1_8 => &[
                "base",
                "pilot",
                "policy",
                "telemetry",
                "cni",
                "istiodRemote",
                "ingressGateways",
                "egressGateways",
            ],
            ProfileSet::Latest => &[
                "base",
                "pilot",
                "cni",
                "ztunnel",
                "istiodRemote",
                "ingressGateways",
                "egressGateways",
            ],
        }
    }

    /// The set for an Istio version such as `1.8.1`, `1.22`, `v1.30.3` or `1.31.0-rc.0`.
    pub fn for_version(version: &str) -> Option<ProfileSet> {
        let v = version.trim().trim_start_matches('v');
        let mut parts = v.split(['.', '-']);
        let major: u64 = parts.next()?.parse().ok()?;
        let minor: u64 = parts.next()?.parse().ok()?;
        Some(if major < 1 || (major == 1 && minor <= 20) {
            ProfileSet::V1_8
        } else {
            ProfileSet::Latest
        })
    }
}

/// istioctl's merge of IstioOperator specs: maps merge key by key, the overlay wins, and lists
/// (such as `ingressGateways`) are replaced whole.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(bv) if bv.is_object() && v.is_object() => merge(bv, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => {
            if !o.is_null() {
                *b = o.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_shipped_profile_parses() {
        for set in [ProfileSet::V1_8, ProfileSet::Latest] {
            for name in set.names() {
                assert!(set.spec(name).is_some(), "{} {name}", set.as_str());
            }
        }
    }

    #[test]
    fn versions_map_to_sets() {
        assert_eq!(ProfileSet::for_version("1.8.1"), Some(ProfileSet::V1_8));
        assert_eq!(ProfileSet::for_version("1.20.8"), Some(ProfileSet::V1_8));
        assert_eq!(ProfileSet::for_version("1.6"), Some(ProfileSet::V1_8));
        assert_eq!(ProfileSet::for_version("1.21.0"), Some(ProfileSet::Latest));
        assert_eq!(ProfileSet::for_version("v1.30.3"), Some(ProfileSet::Latest));
        assert_eq!(
            ProfileSet::for_version("1.31.0-rc.0"),
            Some(ProfileSet::Latest)
        );
        assert_eq!(ProfileSet::for_version("latest"), None);
        assert_eq!(ProfileSet::for_version("1"), None);
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = json!({"components": {"base": {"enabled": true},
            "ingressGateways": [{"name": "istio-ingressgateway", "enabled": true}]}});
        merge(
            &mut base,
            &json!({"components": {"pilot": {"enabled": false},
                "ingressGateways": [{"name": "mine", "enabled": true}]}}),
        );
        assert_eq!(
            base,
            json!({"components": {"base": {"enabled": true}, "pilot": {"enabled": false},
                "ingressGateways": [{"name": "mine", "enabled": true}]}})
        );
    }
}
