//! IR901: what a source could not read. A pipeline must never read "clean" from a cluster it
//! could not see, so each gap is a finding of its own, naming the checks it took away.

use crate::finding::{Code, Finding, ObjectRef};
use crate::inventory::{Input, Unreadable};
use crate::remedy;

/// `skipped`: what could not be checked without an input, e.g. `IR105 unserved revisions`;
/// empty when no check reads it.
pub fn check(unreadable: &[Unreadable], skipped: &dyn Fn(Input) -> Vec<String>) -> Vec<Finding> {
    unreadable
        .iter()
        .map(|u| {
            let scope = if u.namespace.is_empty() {
                "all namespaces".to_string()
            } else {
                format!("namespace {}", u.namespace)
            };
            let consequence = match Input::of_unreadable(&u.resource).map(skipped) {
                Some(checks) if !checks.is_empty() => {
                    format!(
                        "; skipped, as their verdicts would be unknown: {}",
                        checks.join(", ")
                    )
                }
                Some(_) => "; no check depends on it alone".to_string(),
                None => String::new(),
            };
            let kind = Input::of_unreadable(&u.resource)
                .map(Input::resource)
                .unwrap_or(&u.resource);
            Finding::new(
                Code::IR901,
                ObjectRef::new("Resource", &u.namespace, &u.resource),
                format!(
                    "not checked: could not list {} in {scope}: {}{consequence}",
                    u.resource, u.reason
                ),
            )
            .fix(remedy::for_unreadable(kind, &u.namespace).command_line())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreadable(resource: &str, namespace: &str) -> Unreadable {
        Unreadable {
            resource: resource.to_string(),
            namespace: namespace.to_string(),
            reason: "forbidden".to_string(),
        }
    }

    #[test]
    fn each_gap_names_its_scope_the_checks_it_took_away_and_the_grant() {
        let skipped = |input: Input| match input {
            Input::Pods => vec!["IR101 a".to_string(), "IR102 b".to_string()],
            _ => Vec::new(),
        };
        let f = check(
            &[
                unreadable("pods", ""),
                unreadable("deployments (app=istiod)", "istio-system"),
                unreadable("widgets", "shop"),
            ],
            &skipped,
        );
        let lines: Vec<(Code, String, String, String)> = f
            .iter()
            .map(|f| {
                (
                    f.code,
                    f.object.to_string(),
                    f.message.clone(),
                    f.fix.clone(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                (
                    Code::IR901,
                    "Resource/pods".to_string(),
                    "not checked: could not list pods in all namespaces: forbidden; skipped, as their verdicts would be unknown: IR101 a, IR102 b".to_string(),
                    "grant list on pods (kubectl auth can-i list pods -A) or run with a broader token".to_string(),
                ),
                (
                    Code::IR901,
                    "Resource/istio-system/deployments (app=istiod)".to_string(),
                    "not checked: could not list deployments (app=istiod) in namespace istio-system: forbidden; no check depends on it alone".to_string(),
                    "grant list on deployments (kubectl auth can-i list deployments -n istio-system) or run with a broader token".to_string(),
                ),
                (
                    Code::IR901,
                    "Resource/shop/widgets".to_string(),
                    "not checked: could not list widgets in namespace shop: forbidden".to_string(),
                    "grant list on widgets (kubectl auth can-i list widgets -n shop) or run with a broader token".to_string(),
                ),
            ]
        );
    }
}
