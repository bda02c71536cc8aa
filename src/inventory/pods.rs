//! Pods, held as what distinguishes them rather than one by one.
//!
//! The pods of one workload are alike but for their names: the same labels, Istio annotations,
//! proxy image and istiod address. So each owner keeps one representative pod per distinct
//! shape, with the names of the pods of that shape. A 100k-pod cluster then costs a name per pod
//! plus a few shapes per workload, instead of 100k slim pods: memory follows workloads, not pods.

use super::types::Pod;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// Pods of one shape: the representative (named after the first pod seen) and every name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodShape {
    pub pod: Pod,
    pub names: Vec<Box<str>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pods {
    /// In the order owners were first seen, for stable output.
    shapes: Vec<PodShape>,
    /// (namespace, owner kind, owner name) → indexes into `shapes`.
    by_owner: HashMap<(String, String, String), Vec<usize>>,
    /// Hashes of (namespace, name) already added: the same pod in two snapshot files counts once.
    seen: HashSet<u64>,
    len: usize,
}

fn identity_hash(namespace: &str, name: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    namespace.hash(&mut h);
    name.hash(&mut h);
    h.finish()
}

/// Equal but for the fields every pod has its own of.
fn same_shape(a: &Pod, b: &Pod) -> bool {
    a.spec == b.spec
        && a.status == b.status
        && a.meta.namespace == b.meta.namespace
        && a.meta.labels == b.meta.labels
        && a.meta.annotations == b.meta.annotations
        && a.meta.owner_references.len() == b.meta.owner_references.len()
        && a.meta
            .owner_references
            .iter()
            .zip(&b.meta.owner_references)
            .all(|(x, y)| x.kind == y.kind && x.name == y.name && x.controller == y.controller)
}

/// The field selector that leaves finished pods out of a list: a `Succeeded` or `Failed` pod runs
/// no proxy any more, yet the API server keeps it until its Job's TTL or history limit. A
/// metadata-only list carries no phase, so the live source asks the server to leave them out.
pub const NOT_FINISHED: &str = "status.phase!=Succeeded,status.phase!=Failed";

/// The same rule for a pod whose phase is in hand (a snapshot, a full pod), so every source
/// leaves out the same pods.
pub fn is_finished(pod: &Pod) -> bool {
    matches!(pod.status.phase.as_deref(), Some("Succeeded" | "Failed"))
}

impl Pods {
    pub fn add(&mut self, pod: Pod) {
        if is_finished(&pod) {
            return;
        }
        if !self
            .seen
            .insert(identity_hash(pod.meta.namespace(), pod.meta.name()))
        {
            return;
        }
        self.len += 1;
        let owner = match pod.meta.controller() {
            Some(o) => (o.kind.clone(), o.name.clone()),
            None => ("Pod".to_string(), pod.meta.name().to_string()),
        };
        let key = (pod.meta.namespace().to_string(), owner.0, owner.1);
        let indexes = self.by_owner.entry(key).or_default();
        let name: Box<str> = pod.meta.name().into();
        if let Some(&i) = indexes
            .iter()
            .find(|&&i| same_shape(&self.shapes[i].pod, &pod))
        {
            self.shapes[i].names.push(name);
            return;
        }
        indexes.push(self.shapes.len());
        self.shapes.push(PodShape {
            pod,
            names: vec![name],
        });
    }

    /// How many pods were added.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each shape once, with how many pods have it.
    pub fn shapes(&self) -> impl Iterator<Item = (&Pod, usize)> {
        self.shapes.iter().map(|s| (&s.pod, s.names.len()))
    }

    /// Every pod, rebuilt from its shape (for writing a snapshot, and tests).
    pub fn each(&self) -> impl Iterator<Item = Pod> + '_ {
        self.shapes.iter().flat_map(|s| {
            s.names.iter().map(move |name| {
                let mut pod = s.pod.clone();
                if pod.meta.name() != &**name {
                    pod.meta.name = Some(name.to_string());
                    pod.meta.uid = None;
                }
                pod
            })
        })
    }

    pub fn retain(&mut self, keep: impl Fn(&Pod) -> bool) {
        let kept: Vec<PodShape> = self.shapes.drain(..).filter(|s| keep(&s.pod)).collect();
        *self = Pods::default();
        for shape in kept {
            for name in &shape.names {
                let mut pod = shape.pod.clone();
                pod.meta.name = Some(name.to_string());
                self.add(pod);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::types::{Meta, OwnerReference, PodSpec, PodStatus};

    fn pod(ns: &str, name: &str, owner: &str, rev: &str) -> Pod {
        Pod {
            meta: Meta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                uid: Some(format!("uid-{name}")),
                labels: [("istio.io/rev".to_string(), rev.to_string())].into(),
                owner_references: vec![OwnerReference {
                    kind: "ReplicaSet".into(),
                    name: owner.into(),
                    uid: "u".into(),
                    controller: Some(true),
                }],
                ..Meta::default()
            },
            spec: PodSpec::default(),
            status: PodStatus::default(),
        }
    }

    #[test]
    fn pods_of_one_shape_share_a_representative() {
        let mut pods = Pods::default();
        for i in 0..1000 {
            pods.add(pod("a", &format!("web-{i}"), "web-1", "1-8-0"));
        }
        pods.add(pod("a", "web-x", "web-1", "1-8-1"));
        pods.add(pod("b", "web-0", "web-1", "1-8-0"));
        pods.add(pod("a", "web-0", "web-1", "1-8-0"));
        assert_eq!(pods.len(), 1002, "the duplicate counts once");
        let shapes: Vec<(String, usize)> = pods
            .shapes()
            .map(|(p, n)| {
                (
                    format!(
                        "{}/{}",
                        p.meta.namespace(),
                        p.meta.label("istio.io/rev").unwrap()
                    ),
                    n,
                )
            })
            .collect();
        assert_eq!(
            shapes,
            vec![
                ("a/1-8-0".to_string(), 1000),
                ("a/1-8-1".to_string(), 1),
                ("b/1-8-0".to_string(), 1)
            ]
        );
        let names: Vec<String> = pods
            .each()
            .map(|p| p.meta.name().to_string())
            .take(3)
            .collect();
        assert_eq!(names, vec!["web-0", "web-1", "web-2"]);
    }

    #[test]
    fn retain_keeps_counts() {
        let mut pods = Pods::default();
        pods.add(pod("a", "x-1", "x", "1"));
        pods.add(pod("a", "x-2", "x", "1"));
        pods.add(pod("b", "y-1", "y", "1"));
        pods.retain(|p| p.meta.namespace() == "a");
        assert_eq!(pods.len(), 2);
        assert_eq!(pods.shapes().count(), 1);
    }
}
