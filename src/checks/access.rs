//! IR901: what a source could not read. A pipeline must never read "clean" from a cluster it
//! could not see, so each gap is a finding of its own.

use crate::finding::{Code, Finding, ObjectRef};
use crate::inventory::Unreadable;

pub fn check(unreadable: &[Unreadable]) -> Vec<Finding> {
    unreadable
        .iter()
        .map(|u| {
            let scope = if u.namespace.is_empty() {
                "all namespaces".to_string()
            } else {
                format!("namespace {}", u.namespace)
            };
            Finding::new(
                Code::IR901,
                ObjectRef::new("Resource", &u.namespace, &u.resource),
                format!(
                    "not checked: could not list {} in {scope}: {}",
                    u.resource, u.reason
                ),
            )
            .fix(format!(
                "grant list on {} (kubectl auth can-i list {} {}) or run with a broader token",
                u.resource,
                u.resource,
                if u.namespace.is_empty() {
                    "-A".to_string()
                } else {
                    format!("-n {}", u.namespace)
                }
            ))
        })
        .collect()
}
