//! Pods, held as what distinguishes them rather than one by one.
//!
//! The pods of one workload are alike but for their names: the same labels, Istio annotations,
//! proxy image and istiod address. So each owner keeps one representative pod per distinct
//! shape, with the names of the pods of that shape. A 100k-pod cluster then costs a name per pod
//! plus a few shapes per workload, instead of 100k slim pods: memory follows workloads, not pods.

use super::types::Pod;
use crate::atom::Atom;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// Pods of one shape: the representative (named after the first pod seen) and the names of the
/// others. Most shapes hold one pod (a cluster's ReplicaSets run a few replicas, spread over
/// shapes only by what differs), so a shape costs one allocation for its pod and none for names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodShape {
    pub pod: Box<Pod>,
    others: Vec<Box<str>>,
    /// The owner's next shape, if it has more than one: owners chain their shapes instead of
    /// each keeping a list.
    next: Option<u32>,
}

impl PodShape {
    /// The representative's name first, then the others'.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.pod.meta.name()).chain(self.others.iter().map(|n| &**n))
    }

    pub fn count(&self) -> usize {
        1 + self.others.len()
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pods {
    /// In the order owners were first seen, for stable output.
    shapes: Vec<PodShape>,
    /// (namespace, owner kind, owner name) → the owner's first shape in `shapes`.
    by_owner: HashMap<(Atom, Atom, Atom), u32, foldhash::fast::RandomState>,
    /// Hashes of (namespace, name) already added: the same pod in two snapshot files counts once.
    seen: HashSet<u64, foldhash::fast::RandomState>,
    len: usize,
}

fn identity_hash(namespace: &str, name: &str) -> u64 {
    // foldhash's quality variant: as well mixed as SipHash for telling 64-bit identities apart,
    // several times faster on short strings.
    foldhash::quality::FixedState::with_seed(0).hash_one((namespace, name))
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
    pub fn add(&mut self, mut pod: Pod) {
        if is_finished(&pod) {
            return;
        }
        // No check reads a pod's uid, and a shape's other pods could not keep theirs: one
        // representative's uid written back would stand for pods it does not name.
        pod.meta.uid = None;
        if !self
            .seen
            .insert(identity_hash(pod.meta.namespace(), pod.meta.name()))
        {
            return;
        }
        self.len += 1;
        let owner = match pod.meta.controller() {
            Some(o) => (o.kind, o.name),
            None => (Atom::from("Pod"), Atom::from(pod.meta.name())),
        };
        let key = (Atom::from(pod.meta.namespace()), owner.0, owner.1);
        let new_index = u32::try_from(self.shapes.len()).expect("fewer than 2^32 pod shapes");
        let mut at = match self.by_owner.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(new_index);
                None
            }
            std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
        };
        while let Some(i) = at {
            let shape = &mut self.shapes[i as usize];
            if same_shape(&shape.pod, &pod) {
                shape.others.push(pod.meta.name().into());
                return;
            }
            if shape.next.is_none() {
                shape.next = Some(new_index);
                break;
            }
            at = shape.next;
        }
        self.shapes.push(PodShape {
            pod: Box::new(pod),
            others: Vec::new(),
            next: None,
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
        self.shapes.iter().map(|s| (&*s.pod, s.count()))
    }

    /// Every pod, rebuilt from its shape (for writing a snapshot, and tests).
    pub fn each(&self) -> impl Iterator<Item = Pod> + '_ {
        self.shapes.iter().flat_map(|s| {
            s.names().map(move |name| {
                let mut pod = (*s.pod).clone();
                if pod.meta.name() != name {
                    pod.meta.name = Some(name.to_string());
                }
                pod
            })
        })
    }

    pub fn retain(&mut self, keep: impl Fn(&Pod) -> bool) {
        let kept: Vec<PodShape> = self.shapes.drain(..).filter(|s| keep(&s.pod)).collect();
        *self = Pods::default();
        for shape in kept {
            for name in shape.names() {
                let mut pod = (*shape.pod).clone();
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
        // the owner's second shape, found along its chain
        pods.add(pod("a", "web-y", "web-1", "1-8-1"));
        pods.add(pod("a", "web-z", "web-1", "1-8-2"));
        assert_eq!(pods.len(), 1004, "the duplicate counts once");
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
                ("a/1-8-1".to_string(), 2),
                ("b/1-8-0".to_string(), 1),
                ("a/1-8-2".to_string(), 1)
            ]
        );
        let names: Vec<String> = pods
            .each()
            .map(|p| p.meta.name().to_string())
            .take(3)
            .collect();
        assert_eq!(names, vec!["web-0", "web-1", "web-2"]);
        assert!(
            pods.each().all(|p| p.meta.uid.is_none()),
            "pods keep no uid"
        );
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
