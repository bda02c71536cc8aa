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
