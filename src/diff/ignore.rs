//! Ignore rules: `KIND/NAMESPACE/NAME:JSON_POINTER`, each part a glob (`*`, `?`), a pointer
//! segment `*` matching any key or list index. The namespace of a cluster-scoped object is
//! empty (`MutatingWebhookConfiguration//x:/…` or `*`). Ignored paths are removed from both
//! sides before anything is compared, so they never count toward the exit code.

use super::compare::{escape, unescape};
use crate::error::Error;
use crate::glob::glob;
use crate::istio::objects::ObjId;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// As written (or the built-in's text).
    pub rule: String,
    /// Why it exists (built-ins), or where it came from.
    pub reason: String,
    #[serde(skip)]
    kind: String,
    #[serde(skip)]
    namespace: String,
    #[serde(skip)]
    name: String,
    #[serde(skip)]
    pointer: Vec<String>,
}

impl Rule {
    pub fn parse(text: &str, reason: &str) -> Result<Rule, Error> {
        let bad = |why: &str| {
            Error::Input(format!(
                "ignore rule {text:?}: {why} (want KIND/NAMESPACE/NAME:/json/pointer)"
            ))
        };
        let (target, pointer) = text.split_once(':').ok_or_else(|| bad("no ':'"))?;
        let parts: Vec<&str> = target.split('/').collect();
        let [kind, namespace, name] = parts[..] else {
            return Err(bad("the target needs three parts"));
        };
        if kind.is_empty() || name.is_empty() {
            return Err(bad("empty kind or name"));
        }
        let Some(rest) = pointer.strip_prefix('/') else {
            return Err(bad("the pointer must start with /"));
        };
        Ok(Rule {
            rule: text.to_string(),
            reason: reason.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            pointer: rest.split('/').map(unescape).collect(),
        })
    }

    pub fn matches(&self, id: &ObjId) -> bool {
        glob(&self.kind, &id.kind)
            && glob(&self.namespace, &id.namespace)
            && glob(&self.name, &id.name)
    }
}

/// The known false positives, ignored unless `--no-default-ignores`.
pub fn builtins() -> Vec<Rule> {
    [
        (
            "MutatingWebhookConfiguration/*/*:/webhooks/*/clientConfig/caBundle",
            "istiod patches the CA bundle into its webhooks after install",
        ),
        (
            "ValidatingWebhookConfiguration/*/*:/webhooks/*/clientConfig/caBundle",
            "istiod patches the CA bundle into its webhooks after install",
        ),
        (
            "ValidatingWebhookConfiguration/*/*:/webhooks/*/failurePolicy",
            "istiod flips the validating webhook from Ignore to Fail once it is ready",
        ),
    ]
    .into_iter()
    .map(|(r, why)| Rule::parse(r, why).expect("built-in rules parse"))
    .collect()
}

/// `spec.replicas` of a workload an HorizontalPodAutoscaler scales.
pub fn hpa_replicas(kind: &str, namespace: &str, name: &str) -> Rule {
    Rule::parse(
        &format!("{kind}/{namespace}/{name}:/spec/replicas"),
        "a HorizontalPodAutoscaler owns the replica count",
    )
    .expect("hpa rule parses")
}

/// The field rules of a `--config` file (`ignorePaths`), each naming the file as its reason.
pub fn read_config(path: &str) -> Result<Vec<Rule>, Error> {
    let config = crate::config::Config::read(path)?;
    config
        .ignore_paths
        .iter()
        .map(|r| Rule::parse(r, path))
        .collect()
}

/// Removes what `rule` points at from both sides; returns the concrete pointers whose values
/// differed (ignored differences, for the report).
pub fn apply(rule: &Rule, a: &mut Value, b: &mut Value) -> Vec<String> {
    let mut paths = Vec::new();
    expand(&rule.pointer, a, b, &mut Vec::new(), &mut paths);
    let mut differed = Vec::new();
    // Deepest and highest list index first, so removals do not shift later ones.
    paths.sort_by(|x, y| cmp_path(y, x));
    for p in &paths {
        if lookup(a, p) != lookup(b, p) {
            differed.push(pointer(p));
        }
        remove(a, p);
        remove(b, p);
    }
    differed.sort();
    differed
}

fn cmp_path(x: &[String], y: &[String]) -> std::cmp::Ordering {
    for (p, q) in x.iter().zip(y) {
        let o = match (p.parse::<usize>(), q.parse::<usize>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            _ => p.cmp(q),
        };
        if o.is_ne() {
            return o;
        }
    }
    x.len().cmp(&y.len())
}

fn pointer(p: &[String]) -> String {
    p.iter().map(|s| format!("/{}", escape(s))).collect()
}

fn children(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => (0..a.len()).map(|i| i.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn expand(
    pattern: &[String],
    a: &Value,
    b: &Value,
    prefix: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    let Some((seg, rest)) = pattern.split_first() else {
        if lookup(a, prefix).is_some() || lookup(b, prefix).is_some() {
            out.push(prefix.clone());
        }
        return;
    };
    let mut keys = children(lookup(a, prefix));
    keys.extend(children(lookup(b, prefix)));
    keys.sort();
    keys.dedup();
    for k in keys {
        if glob(seg, &k) {
            prefix.push(k);
            expand(rest, a, b, prefix, out);
            prefix.pop();
        }
    }
}

fn lookup<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn remove(v: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for seg in parent {
        cur = match cur {
            Value::Object(m) => match m.get_mut(seg) {
                Some(c) => c,
                None => return,
            },
            Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(c) => c,
                None => return,
            },
            _ => return,
        };
    }
    match cur {
        Value::Object(m) => {
            m.remove(last);
        }
        Value::Array(a) => {
            if let Ok(i) = last.parse::<usize>()
                && i < a.len()
            {
                a.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_and_match() {
        let r = Rule::parse(
            "Deployment/istio-*/istiod*:/spec/template/spec/containers/*/image",
            "t",
        )
        .unwrap();
        assert!(r.matches(&ObjId::new(
            "apps",
            "Deployment",
            "istio-system",
            "istiod-canary"
        )));
        assert!(!r.matches(&ObjId::new("apps", "Deployment", "default", "istiod")));
        let c = Rule::parse("MutatingWebhookConfiguration/*/x:/a", "t").unwrap();
        assert!(c.matches(&ObjId::new(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            "",
            "x"
        )));
        for bad in [
            "Deployment/x:/a",
            "Deployment/a/b",
            "Deployment/a/b:spec",
            "/a/b:/c",
        ] {
            assert!(Rule::parse(bad, "t").is_err(), "{bad}");
        }
    }

    #[test]
    fn apply_removes_from_both_and_reports_differences() {
        let rule = &builtins()[0];
        let mut a = json!({"webhooks": [
            {"name": "a", "clientConfig": {"caBundle": "X", "url": "u"}},
            {"name": "b", "clientConfig": {"caBundle": "Y"}}
        ]});
        let mut b = json!({"webhooks": [
            {"name": "a", "clientConfig": {"caBundle": "", "url": "u"}},
            {"name": "b", "clientConfig": {"caBundle": "Y"}}
        ]});
        let differed = apply(rule, &mut a, &mut b);
        assert_eq!(differed, ["/webhooks/0/clientConfig/caBundle"]);
        assert_eq!(a, b);
        assert!(a["webhooks"][0]["clientConfig"].get("caBundle").is_none());
    }

    #[test]
    fn escaped_pointer_segments() {
        let rule = Rule::parse("*/*/*:/metadata/labels/istio.io~1rev", "t").unwrap();
        let mut a = json!({"metadata": {"labels": {"istio.io/rev": "a", "x": "1"}}});
        let mut b = json!({"metadata": {"labels": {"istio.io/rev": "b", "x": "1"}}});
        assert_eq!(
            apply(&rule, &mut a, &mut b),
            ["/metadata/labels/istio.io~1rev"]
        );
        assert_eq!(a, b);
    }
}
