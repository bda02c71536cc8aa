//! Suppression, the same for every command: `--ignore CODE[=KIND/NAMESPACE/NAME]`, the
//! `istio-rev.io/ignore` annotation on an object, and the `ignore` rules of `--config`.
//!
//! A suppressed finding is never counted (not in the exit code, not in a SARIF result or a JUnit
//! failure) but always listed, with the rule that suppressed it, so a pipeline log shows what
//! was waved through and why (helm-diff #473 counts what it was told to suppress).
//!
//! IR901 cannot be suppressed: a gate must never read "clean" from a cluster it could not see.
//! `--allow-partial` is the one, explicit, way to let it pass.

use crate::error::Error;
use crate::finding::{CATALOGUE, Code, Finding, ObjectRef};
use crate::glob::glob;
use crate::inventory::Inventory;
use crate::istio::labels::ANNOTATION_IGNORE;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    code: String,
    /// KIND, NAMESPACE, NAME globs; `None`: every object.
    target: Option<[String; 3]>,
    /// Where the rule came from, as shown beside what it suppressed.
    pub source: String,
    pub reason: Option<String>,
}

impl Rule {
    /// Parses `CODE[=KIND/NAMESPACE/NAME]`; every part is a glob.
    pub fn parse(text: &str, source: &str, reason: Option<String>) -> Result<Rule, Error> {
        let bad = |why: &str| {
            Error::Input(format!(
                "{source}: ignore rule {text:?}: {why} (want CODE[=KIND/NAMESPACE/NAME], e.g. IR102=Deployment/legacy/*)"
            ))
        };
        if text.contains(":/") {
            return Err(bad("a diff field rule: pass it as --ignore-path"));
        }
        let (code, target) = match text.split_once('=') {
            Some((c, t)) => (c.trim(), Some(t.trim())),
            None => (text.trim(), None),
        };
        if code.is_empty() {
            return Err(bad("no code"));
        }
        if !CATALOGUE.iter().any(|c| glob(code, c.as_str())) {
            return Err(bad(
                "matches no finding code (kubectl istio-rev codes lists them)",
            ));
        }
        if code == Code::IR901.as_str() {
            return Err(bad(
                "IR901 (not checked) cannot be suppressed; --allow-partial lets it pass as a warning",
            ));
        }
        let target = match target {
            None => None,
            Some(t) => {
                let parts: Vec<&str> = t.split('/').collect();
                let [kind, namespace, name] = parts[..] else {
                    return Err(bad(
                        "the object needs three parts (cluster-scoped: KIND//NAME)",
                    ));
                };
                if kind.is_empty() || name.is_empty() {
                    return Err(bad("empty kind or name"));
                }
                Some([kind.to_string(), namespace.to_string(), name.to_string()])
            }
        };
        Ok(Rule {
            code: code.to_string(),
            target,
            source: source.to_string(),
            reason,
        })
    }

    fn matches(&self, f: &Finding) -> bool {
        f.code != Code::IR901
            && glob(&self.code, f.code.as_str())
            && self.target.as_ref().is_none_or(|[k, ns, n]| {
                glob(k, &f.object.kind) && glob(ns, &f.object.namespace) && glob(n, &f.object.name)
            })
    }

    fn describe(&self) -> String {
        match &self.target {
            None => format!("{} {}", self.source, self.code),
            Some([k, ns, n]) => format!("{} {}={k}/{ns}/{n}", self.source, self.code),
        }
    }
}

/// A finding that a rule waved through.
#[derive(Debug, Clone, Serialize)]
pub struct Suppressed {
    #[serde(flatten)]
    pub finding: Finding,
    /// The rule, and where it came from: `--ignore IR102=…`, `ci.yaml IR304`, or
    /// `annotation istio-rev.io/ignore`.
    #[serde(rename = "suppressedBy")]
    pub suppressed_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Every rule in force for one run.
#[derive(Debug, Clone, Default)]
pub struct Suppressor {
    rules: Vec<Rule>,
    /// The `istio-rev.io/ignore` annotation of each object that carries one.
    annotated: BTreeMap<ObjectRef, String>,
}

impl Suppressor {
    pub fn new(rules: Vec<Rule>) -> Self {
        Suppressor {
            rules,
            annotated: BTreeMap::new(),
        }
    }

    /// Adds the annotations of the objects findings are raised on: namespaces, workloads,
    /// injector webhooks, IstioOperators and Gateway API Gateways. A bad code in an annotation is an error naming the
    /// object, as a bad flag would be.
    pub fn with_annotations(mut self, inventory: &Inventory) -> Result<Self, Error> {
        let mut add = |object: ObjectRef, value: &Option<crate::atom::Atom>| -> Result<(), Error> {
            if let Some(v) = value {
                for code in v.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    Rule::parse(
                        code,
                        &format!("{object}: annotation {ANNOTATION_IGNORE}"),
                        None,
                    )?;
                }
                self.annotated.insert(object, v.to_string());
            }
            Ok(())
        };
        for n in &inventory.namespaces {
            add(
                ObjectRef::cluster("Namespace", n.meta.name()),
                &n.meta.annotations.rare().ignore,
            )?;
        }
        for w in &inventory.workloads {
            add(
                ObjectRef::new(w.kind.as_str(), w.meta.namespace(), w.meta.name()),
                &w.meta.annotations.rare().ignore,
            )?;
        }
        for m in &inventory.webhooks {
            add(
                ObjectRef::cluster("MutatingWebhookConfiguration", m.meta.name()),
                &m.meta.annotations.rare().ignore,
            )?;
        }
        for i in &inventory.istio_operators {
            add(
                ObjectRef::new("IstioOperator", i.meta.namespace(), i.meta.name()),
                &i.meta.annotations.rare().ignore,
            )?;
        }
        // Findings about a Gateway API gateway or waypoint name the Gateway, not its Deployment.
        for g in &inventory.gateways {
            add(
                ObjectRef::new("Gateway", g.meta.namespace(), g.meta.name()),
                &g.meta.annotations.rare().ignore,
            )?;
        }
        Ok(self)
    }

    /// Splits findings into those that count and those a rule suppressed.
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, Vec<Suppressed>) {
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for f in findings {
            match self.why(&f) {
                Some((by, reason)) => suppressed.push(Suppressed {
                    finding: f,
                    suppressed_by: by,
                    reason,
                }),
                None => kept.push(f),
            }
        }
        (kept, suppressed)
    }

    fn why(&self, f: &Finding) -> Option<(String, Option<String>)> {
        if f.code == Code::IR901 {
            return None;
        }
        if let Some(value) = self.annotated.get(&f.object)
            && value
                .split(',')
                .map(str::trim)
                .any(|c| !c.is_empty() && glob(c, f.code.as_str()))
        {
            return Some((format!("annotation {ANNOTATION_IGNORE}: {value}"), None));
        }
        self.rules
            .iter()
            .find(|r| r.matches(f))
            .map(|r| (r.describe(), r.reason.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: Code, kind: &str, ns: &str, name: &str) -> Finding {
        Finding::new(code, ObjectRef::new(kind, ns, name), "m")
    }

    #[test]
    fn rules_match_by_code_and_object_globs() {
        let r = Rule::parse("IR10?=Deployment/legacy-*/*", "--ignore", None).unwrap();
        assert!(r.matches(&finding(Code::IR102, "Deployment", "legacy-a", "x")));
        assert!(!r.matches(&finding(Code::IR201, "Deployment", "legacy-a", "x")));
        assert!(!r.matches(&finding(Code::IR102, "Deployment", "shop", "x")));
        let all = Rule::parse("IR304", "--ignore", None).unwrap();
        assert!(all.matches(&finding(
            Code::IR304,
            "Deployment",
            "istio-system",
            "istiod"
        )));
        let cluster = Rule::parse(
            "IR303=MutatingWebhookConfiguration//istio-*",
            "--ignore",
            None,
        )
        .unwrap();
        assert!(cluster.matches(&finding(
            Code::IR303,
            "MutatingWebhookConfiguration",
            "",
            "istio-revision-tag-prod"
        )));
    }

    #[test]
    fn bad_rules_are_input_errors() {
        for bad in [
            "",
            "IR999",
            "IR901",
            "IR102=Deployment/x",
            "IR102=/a/b",
            "Deployment/a/b:/spec",
        ] {
            let e = Rule::parse(bad, "--ignore", None).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
            assert!(e.to_string().starts_with("--ignore: ignore rule"), "{e}");
        }
    }

    #[test]
    fn ir901_is_never_suppressed_and_suppressed_findings_name_their_rule() {
        let s = Suppressor::new(vec![
            Rule::parse("IR*", "ci.yaml", Some("known".into())).unwrap(),
        ]);
        let (kept, suppressed) = s.apply(vec![
            finding(Code::IR901, "Resource", "", "pods"),
            finding(Code::IR102, "Deployment", "a", "b"),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].code, Code::IR901);
        assert_eq!(suppressed[0].suppressed_by, "ci.yaml IR*");
        assert_eq!(suppressed[0].reason.as_deref(), Some("known"));
    }

    use crate::checks::testing::inventory;

    #[test]
    fn an_annotation_suppresses_its_codes_on_its_object_only() {
        // The empty part after the comma is skipped, not a bad rule.
        let inv = inventory(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    istio-rev.io/ignore: \"IR104, IR10?,\"\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n",
        );
        let s = Suppressor::new(Vec::new()).with_annotations(&inv).unwrap();
        let (kept, suppressed) = s.apply(vec![
            finding(Code::IR104, "Namespace", "", "shop"),
            finding(Code::IR106, "Namespace", "", "shop"),
            finding(Code::IR201, "Namespace", "", "shop"),
            finding(Code::IR104, "Namespace", "", "other"),
        ]);
        assert_eq!(
            kept.iter()
                .map(|f| (f.code, f.object.name.as_str()))
                .collect::<Vec<_>>(),
            [(Code::IR201, "shop"), (Code::IR104, "other")]
        );
        assert_eq!(
            suppressed
                .iter()
                .map(|s| (s.finding.code, s.suppressed_by.as_str()))
                .collect::<Vec<_>>(),
            [
                (Code::IR104, "annotation istio-rev.io/ignore: IR104, IR10?,"),
                (Code::IR106, "annotation istio-rev.io/ignore: IR104, IR10?,")
            ]
        );
        // A bad code in an annotation is bad input naming the object.
        let inv = inventory(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  annotations:\n    istio-rev.io/ignore: IR999\n",
        );
        let e = Suppressor::new(Vec::new())
            .with_annotations(&inv)
            .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().starts_with(
                "Namespace/shop: annotation istio-rev.io/ignore: ignore rule \"IR999\""
            ),
            "{e}"
        );
    }
}
