//! The plan's drift rows: what `diff` found for a rendered install, as changes. Drifted (IR501)
//! and missing (IR502) objects are server-side applied as the installer's field manager;
//! orphans (IR503) are deleted, and only with `--prune`. Objects another installer or nobody
//! manages (IR405, IR504) are `diff`'s to report and never `fix`'s to take over.

use super::{Body, Change, Disposition, Phase};
use crate::diff::{Compared, Rendering};
use crate::finding::Code;
use crate::istio::manifest::identity;
use crate::remedy::{self, Step};
use serde_json::Value;

/// What may be done about drift.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Take over fields other managers own (`--force-conflicts`).
    pub force_conflicts: bool,
    /// Delete orphans (`--prune`).
    pub prune: bool,
}

/// One change per drifted, missing and orphaned object, in the diff report's order.
pub fn changes(rendering: &Rendering, compared: &Compared, options: Options) -> Vec<Change> {
    let owner = &rendering.owner;
    let mut out = Vec::new();
    for f in &compared.report.findings {
        let code = f.finding.code;
        let object = &f.finding.object;
        let label = format!("{} {}", object.kind, named(object));
        match code {
            Code::IR501 | Code::IR502 => {
                let Some((r, o)) = rendering
                    .rendered
                    .iter()
                    .zip(&compared.observed)
                    .find(|(r, _)| r.id.object_ref() == *object && r.id.group == f.group)
                else {
                    continue;
                };
                let step = Step::ServerSideApply {
                    api_version: r.api_version.clone(),
                    object: object.clone(),
                    field_manager: owner.field_manager().to_string(),
                    force: options.force_conflicts,
                };
                let from = if code == Code::IR502 {
                    "missing".to_string()
                } else {
                    differs(&f.changed_paths)
                };
                let disposition = if masked_secret(&r.obj) {
                    Disposition::Refused(
                        "the rendered Secret's data is masked (***): give the rendered output itself; fix never applies a mask"
                            .to_string(),
                    )
                } else {
                    Disposition::Apply
                };
                let live = o.live.as_ref();
                out.push(Change {
                    phase: Phase::Drift,
                    code,
                    object: label,
                    from,
                    to: format!("rendered, applied as {}", owner.field_manager()),
                    command: step.command_line(),
                    step,
                    disposition,
                    note: None,
                    resource_version: live.and_then(resource_version),
                    body: Some(Body(crate::diff::live::applied_object(r, owner, live))),
                });
            }
            Code::IR503 => {
                let Some(v) = compared
                    .candidates
                    .iter()
                    .find(|v| identity(v, "").is_some_and(|id| id.object_ref() == *object))
                else {
                    continue;
                };
                let api_version = v["apiVersion"].as_str().unwrap_or_default();
                let remedy = remedy::for_orphan(api_version, object);
                let disposition = if options.prune {
                    Disposition::Apply
                } else {
                    Disposition::Refused("an orphan is deleted only with --prune".to_string())
                };
                for step in remedy.steps {
                    out.push(Change {
                        phase: Phase::Drift,
                        code,
                        object: label.clone(),
                        from: format!("orphaned ({} no longer renders it)", owner.action()),
                        to: "deleted".to_string(),
                        command: step.command_line(),
                        step,
                        disposition: disposition.clone(),
                        note: None,
                        resource_version: resource_version(v),
                        body: None,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

fn named(o: &crate::finding::ObjectRef) -> String {
    if o.namespace.is_empty() {
        o.name.clone()
    } else {
        format!("{}/{}", o.namespace, o.name)
    }
}

/// The first paths that differ (keys only: a Secret's values are never shown).
fn differs(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
    let more = paths.len().saturating_sub(3);
    let mut s = format!("differs at {}", shown.join(", "));
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

pub(super) fn resource_version(v: &Value) -> Option<String> {
    v["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_string)
}

/// A Secret whose data holds `diff`'s display mask instead of values: applying it would
/// overwrite the real data with asterisks.
fn masked_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret"
        && ["data", "stringData"].iter().any(|field| {
            obj[*field].as_object().is_some_and(|m| {
                m.values().any(|v| {
                    v.as_str().is_some_and(|s| {
                        s == crate::diff::unified::MASKED || s.starts_with("*** (")
                    })
                })
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_masked_secret_is_recognised_and_a_real_one_is_not() {
        let secret = |data: Value| json!({"kind": "Secret", "data": data});
        assert!(masked_secret(&secret(json!({"ca.crt": "***"}))));
        assert!(masked_secret(
            &json!({"kind": "Secret", "stringData": {"k": "*** (after)"}})
        ));
        assert!(!masked_secret(&secret(json!({"ca.crt": "Y2EK"}))));
        assert!(!masked_secret(
            &json!({"kind": "ConfigMap", "data": {"k": "***"}})
        ));
    }

    #[test]
    fn a_row_names_its_object_and_the_first_three_paths_that_differ() {
        let paths = |n: usize| (0..n).map(|i| format!("/spec/f{i}")).collect::<Vec<_>>();
        assert_eq!(
            differs(&paths(3)),
            "differs at /spec/f0, /spec/f1, /spec/f2"
        );
        assert_eq!(
            differs(&paths(5)),
            "differs at /spec/f0, /spec/f1, /spec/f2 and 2 more"
        );
        let object =
            |namespace: &str| crate::finding::ObjectRef::new("Deployment", namespace, "istiod");
        assert_eq!(named(&object("istio-system")), "istio-system/istiod");
        assert_eq!(named(&object("")), "istiod");
        assert_eq!(
            resource_version(&json!({"metadata": {"resourceVersion": "42"}})).as_deref(),
            Some("42")
        );
        assert_eq!(resource_version(&json!({"metadata": {}})), None);
    }

    /// A ConfigMap in istio-system, as the operator labels what it installs.
    fn config_map(name: &str, value: &str, resource_version: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "istio-system", "uid": name,
                "resourceVersion": resource_version, "labels": {
                "install.operator.istio.io/owning-resource": "control-plane",
                "install.operator.istio.io/owning-resource-namespace": "istio-system",
                "operator.istio.io/managed": "Reconcile",
                "operator.istio.io/component": "Pilot",
                "istio.io/rev": "default"}},
            "data": {"k": value}})
    }

    #[test]
    fn each_drifted_missing_and_orphaned_object_is_one_change_with_its_own_body_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let rendered = |name: &str, value: &str| {
            format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: istio-system\n  labels:\n    operator.istio.io/component: Pilot\n    istio.io/rev: default\ndata:\n  k: {value}\n"
            )
        };
        // Rendered: one in sync, one drifted, one missing; live: those two and an orphan.
        let manifest = dir.path().join("manifest.yaml");
        std::fs::write(
            &manifest,
            [
                rendered("a-same", "v"),
                rendered("b-drifted", "new"),
                rendered("c-missing", "v"),
            ]
            .concat(),
        )
        .unwrap();
        let snapshot = dir.path().join("live.json");
        let live = json!({"apiVersion": "v1", "kind": "List", "items": [
            config_map("a-same", "v", "11"),
            config_map("b-drifted", "old", "12"),
            config_map("d-orphan", "v", "14"),
        ]});
        std::fs::write(&snapshot, live.to_string()).unwrap();
        let options = crate::diff::Options {
            manifest: Some(manifest.display().to_string()),
            owner: Some("istio-system/control-plane".into()),
            default_ignores: true,
            source: crate::source::Options {
                snapshots: vec![snapshot.display().to_string()],
                ..Default::default()
            },
            ..Default::default()
        };
        let rendering = crate::diff::render(&options).unwrap();
        let compared = crate::diff::compare(&options, &rendering).unwrap();
        let rows: Vec<String> = changes(&rendering, &compared, Options::default())
            .iter()
            .map(|c| {
                let body = c.body.as_ref().map(|b| {
                    format!(
                        "{}={}",
                        b.0["metadata"]["name"].as_str().unwrap(),
                        b.0["data"]["k"].as_str().unwrap()
                    )
                });
                format!(
                    "{:?} {} | {} | rv {} | body {}",
                    c.code,
                    c.object,
                    c.from,
                    c.resource_version.as_deref().unwrap_or("-"),
                    body.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                "IR501 ConfigMap istio-system/b-drifted | differs at /data/k | rv 12 | body b-drifted=new",
                "IR502 ConfigMap istio-system/c-missing | missing | rv - | body c-missing=v",
                "IR503 ConfigMap istio-system/d-orphan | orphaned (istioctl install no longer renders it) | rv 14 | body -",
            ]
        );
    }
}
