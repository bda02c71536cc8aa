//! The overlap rules: CRs that render the same objects or component instances, the gateway
//! guide's REQUIRED rules for each CR, and objects labelled as another CR's.

use crate::finding::{Code, Finding, Severity};
use crate::inventory::Inventory;
use crate::istio::helm::Release;
use crate::istio::iop::{Component, Cr, Slot};
use crate::istio::labels::{LABEL_OWNER, LABEL_OWNER_NS, LABEL_REV};
use crate::istio::manifest::{self, RenderedObject};
use crate::istio::objects::{self, ObjId};
use crate::istio::owner::iop_owner_of_labels;
use crate::istio::profiles::ProfileSet;
use crate::revision::{is_dns1123_label, version_key};
use std::collections::{BTreeMap, BTreeSet};

/// The objects of a CR: rendered when given, else predicted from its enabled components.
pub(super) fn objects_of(
    cr: &Cr,
    rendered: Option<&Vec<RenderedObject>>,
    set: ProfileSet,
) -> Vec<ObjId> {
    match rendered {
        Some(r) => r.iter().map(|o| o.id.clone()).collect(),
        None => cr
            .enabled()
            .flat_map(|c| objects::predicted(set, c, cr.revision.as_deref()))
            .collect(),
    }
}

/// Every finding for these CRs. Pure over its inputs, so a live source plugs in unchanged.
pub fn analyze(
    crs: &[Cr],
    rendered: &[Option<Vec<RenderedObject>>],
    inventory: &Inventory,
    set: ProfileSet,
    flag_revision: Option<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for cr in crs {
        single_cr_rules(cr, flag_revision, &mut out);
    }
    for i in 0..crs.len() {
        for j in i + 1..crs.len() {
            let (a, b) = (&crs[i], &crs[j]);
            match (&rendered[i], &rendered[j]) {
                (Some(ra), Some(rb)) => rendered_overlap(a, b, ra, rb, inventory, set, &mut out),
                _ => slot_overlap(a, b, inventory, set, &mut out),
            }
        }
    }
    for (i, cr) in crs.iter().enumerate() {
        ownership(
            cr,
            &objects_of(cr, rendered[i].as_ref(), set),
            inventory,
            &mut out,
        );
    }
    out
}

fn revisions_of(crs: &[&Cr]) -> Vec<String> {
    let mut revs: Vec<String> = crs
        .iter()
        .map(|c| c.revision_label().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    revs.sort_by_key(|r| version_key(r));
    revs
}

/// Objects for a message, sorted as read (`Kind/ns/name`) and cut after a few.
fn list(objects: &[String]) -> String {
    const MAX: usize = 6;
    let mut objects = objects.to_vec();
    objects.sort();
    if objects.len() <= MAX {
        objects.join(", ")
    } else {
        format!(
            "{} and {} more",
            objects[..MAX].join(", "),
            objects.len() - MAX
        )
    }
}

fn single_cr_rules(cr: &Cr, flag_revision: Option<&str>, out: &mut Vec<Finding>) {
    if cr.name.is_none() {
        out.push(
            Finding::new(
                Code::IR402,
                cr.object(),
                format!(
                    "IstioOperator in {} has no metadata.name: istioctl then writes no owning-resource label, and its prune deletes the objects of every other CR of revision {} (istio#29633, #45805)",
                    cr.source,
                    cr.revision_label()
                ),
            )
            .revisions([cr.revision_label()])
            .fix(format!("add metadata.name to {} (the guide: REQUIRED)", cr.source)),
        );
    }
    let gateways: Vec<String> = cr.gateways().map(Component::describe).collect();
    // A CR listing only gateways is a gateways CR even when its profile adds a control plane:
    // the guide's rule (profile empty) is what it breaks, not "a control plane with gateways".
    if !gateways.is_empty() && cr.installs_control_plane() && !cr.lists_only_gateways {
        let cp: Vec<String> = cr
            .enabled()
            .filter(|c| c.component.is_control_plane())
            .map(Component::describe)
            .collect();
        out.push(
            Finding::new(
                Code::IR404,
                cr.object(),
                format!(
                    "{} installs the control plane ({}) and gateways ({}): the next canary install from this CR upgrades the gateways in place with the control plane",
                    cr.describe(),
                    cp.join(", "),
                    gateways.join(", ")
                ),
            )
            .revisions([cr.revision_label()])
            .fix(format!(
                "move the gateways to their own IstioOperator on profile empty and disable them in {} (e.g. profile minimal)",
                cr.source
            )),
        );
    } else if !gateways.is_empty() && cr.profile != "empty" {
        let others: Vec<String> = cr
            .enabled()
            .filter(|c| !c.component.is_gateway())
            .map(Component::describe)
            .collect();
        let also = if others.is_empty() {
            String::new()
        } else {
            format!(", which also installs {}", others.join(", "))
        };
        out.push(
            Finding::new(
                Code::IR403,
                cr.object(),
                format!(
                    "{} installs gateways ({}) on profile `{}`{also}; the guide requires profile empty for a gateways CR",
                    cr.describe(),
                    gateways.join(", "),
                    cr.profile
                ),
            )
            .revisions([cr.revision_label()])
            .fix(format!("set spec.profile: empty in {}", cr.source)),
        );
    }
    if let (Some(spec), Some(flag)) = (&cr.spec_revision, flag_revision)
        && !cr.from_cluster
        && spec != flag
    {
        out.push(
            Finding::new(
                Code::IR406,
                cr.object(),
                format!(
                    "{} says spec.revision {spec} but --revision is {flag}: istioctl installs {flag}, the file records otherwise",
                    cr.describe()
                ),
            )
            .revisions([spec.as_str(), flag])
            .fix(format!("make spec.revision in {} and --revision agree", cr.source)),
        );
    }
    let installed_state = cr
        .name
        .as_deref()
        .is_some_and(|n| n.starts_with("installed-state"));
    if cr.from_cluster && !installed_state && cr.spec_revision.is_none() {
        out.push(
            Finding::new(
                Code::IR406,
                cr.object(),
                format!(
                    "{} is an operator CR without spec.revision (the guide: REQUIRED): a revisioned operator ignores it, and it installs the default revision",
                    cr.describe()
                ),
            )
            .revisions(["default"])
            .fix(format!(
                "kubectl -n {} edit istiooperator {}  # set spec.revision",
                cr.namespace,
                cr.name.as_deref().unwrap_or("<unnamed>")
            )),
        );
    }
    if let Some(rev) = &cr.revision
        && !is_dns1123_label(rev)
    {
        out.push(
            Finding::new(
                Code::IR302,
                cr.object(),
                format!(
                    "revision `{rev}` of {} is not a DNS-1123 label (no dots): it becomes part of object names such as istiod-{rev}",
                    cr.describe()
                ),
            )
            .revisions([rev.as_str()])
            .fix(format!(
                "use revision {}",
                rev.to_ascii_lowercase().replace(['.', '_'], "-")
            )),
        );
    }
}

/// Two CRs, at least one not rendered: overlap by component instance.
fn slot_overlap(a: &Cr, b: &Cr, inventory: &Inventory, set: ProfileSet, out: &mut Vec<Finding>) {
    for ca in a.enabled() {
        let slot = ca.slot();
        let Some(cb) = b.enabled().find(|c| c.slot() == slot) else {
            continue;
        };
        if slot == Slot::Base {
            let mut ids = objects::predicted(set, ca, a.revision.as_deref());
            ids.extend(objects::predicted(set, cb, b.revision.as_deref()));
            ids.sort();
            ids.dedup();
            base_overlap(a, b, &ids, inventory, set, out);
            continue;
        }
        let ids = objects::predicted(set, ca, a.revision.as_deref());
        let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let what = if ca.component == cb.component {
            ca.describe()
        } else {
            format!("{} / {}", ca.describe(), cb.describe())
        };
        let fix = if ca.component.is_gateway() {
            format!(
                "install {} from one CR only: remove it from {} or {}",
                ca.name, a.source, b.source
            )
        } else if ca.component.is_control_plane() {
            "give the CRs different revisions (spec.revision or --revision), or install the control plane from one CR only".to_string()
        } else {
            format!(
                "enable {} in one CR only (components.{}.enabled: false in the other)",
                ca.component, ca.component
            )
        };
        let never = if ca.component.is_gateway() {
            " (gateways are never name-revisioned)"
        } else {
            ""
        };
        out.push(
            Finding::new(
                Code::IR401,
                ids.first()
                    .map(ObjId::object_ref)
                    .unwrap_or_else(|| a.object()),
                format!(
                    "{what} is installed by both {} and {}{never}: they overwrite each other's {} and uninstalling or pruning either deletes the other's",
                    a.describe(),
                    b.describe(),
                    list(&names)
                ),
            )
            .revisions(revisions_of(&[a, b]))
            .fix(fix),
        );
    }
}

/// Two rendered CRs: overlap by object identity.
fn rendered_overlap(
    a: &Cr,
    b: &Cr,
    ra: &[RenderedObject],
    rb: &[RenderedObject],
    inventory: &Inventory,
    set: ProfileSet,
    out: &mut Vec<Finding>,
) {
    let in_b: BTreeMap<&ObjId, &RenderedObject> = rb.iter().map(|o| (&o.id, o)).collect();
    let mut base = Vec::new();
    let mut other = Vec::new();
    for o in ra {
        if let Some(ob) = in_b.get(&o.id) {
            if manifest::is_base_object(set, o) || manifest::is_base_object(set, ob) {
                base.push(o.id.clone());
            } else {
                other.push(o.id.clone());
            }
        }
    }
    other.sort();
    other.dedup();
    base.sort();
    base.dedup();
    if !other.is_empty() {
        let first = first_workload(&other);
        let names: Vec<String> = other.iter().map(ToString::to_string).collect();
        out.push(
            Finding::new(
                Code::IR401,
                first.object_ref(),
                format!(
                    "{} and {} render {} identical object(s): {}; they overwrite each other, and uninstalling or pruning either deletes the other's",
                    a.describe(),
                    b.describe(),
                    other.len(),
                    list(&names)
                ),
            )
            .revisions(revisions_of(&[a, b]))
            .fix("install each component from one CR only (or give control planes different revisions)"),
        );
    }
    if !base.is_empty() {
        base_overlap(a, b, &base, inventory, set, out);
    }
}

/// The object a person recognises first: a workload if any. `objs` is not empty.
fn first_workload(objs: &[ObjId]) -> &ObjId {
    objs.iter()
        .find(|o| o.kind == "Deployment" || o.kind == "DaemonSet")
        .unwrap_or(&objs[0])
}

/// Base in two CRs: an error at one revision, a warning across revisions (the canary flow
/// needs it), saying who owns base now and what deleting either CR would remove.
fn base_overlap(
    a: &Cr,
    b: &Cr,
    ids: &[ObjId],
    inventory: &Inventory,
    set: ProfileSet,
    out: &mut Vec<Finding>,
) {
    let names: Vec<String> = ids.iter().map(ToString::to_string).collect();
    // The finding sits on the CR being installed: the newer revision, else the second CR.
    let newer = if version_key(a.revision_label()) > version_key(b.revision_label()) {
        a
    } else {
        b
    };
    if a.revision == b.revision {
        out.push(
            Finding::new(
                Code::IR401,
                newer.object(),
                format!(
                    "base is installed by both {} and {} at revision {}: they overwrite each other's {} and pruning either deletes the other's",
                    a.describe(),
                    b.describe(),
                    a.revision_label(),
                    list(&names)
                ),
            )
            .revisions(revisions_of(&[a, b]))
            .fix("install base from one CR only (components.base.enabled: false, or profile empty for a gateways CR)"),
        );
        return;
    }
    let owners = owners_in_cluster(ids, inventory);
    let owned = if !owners.is_empty() {
        format!(
            "in the cluster they are labelled as owned by {}",
            owners.into_iter().collect::<Vec<_>>().join(", ")
        )
    } else if a.from_cluster != b.from_cluster {
        let (live, new) = if a.from_cluster { (a, b) } else { (b, a) };
        format!(
            "in the cluster base was installed by {} (revision {}) and installing {} relabels it as that CR's",
            live.describe(),
            live.revision_label(),
            new.describe()
        )
    } else {
        "no base object with owner labels is in the input: the CR installed last owns them"
            .to_string()
    };
    let deleting = match set {
        ProfileSet::V1_8 => {
            "whichever CR owns base, when deleted (operator) or uninstalled (`istioctl x uninstall --revision <its revision>`), takes base's cluster roles, bindings, service accounts and validating webhook (not the CRDs) with it and leaves the other revision without them (istio#24644)"
        }
        ProfileSet::Latest => {
            "`istioctl uninstall --revision` of either leaves base alone, but `istioctl uninstall --purge` removes it (CRDs included) for both revisions"
        }
    };
    out.push(
        Finding::new(
            Code::IR401,
            newer.object(),
            format!(
                "base ({}) is shared by {} at revision {} and {} at revision {}; {owned}; {deleting}",
                list(&names),
                a.describe(),
                a.revision_label(),
                b.describe(),
                b.revision_label()
            ),
        )
        .severity(Severity::Warning)
        .revisions(revisions_of(&[a, b]))
        .fix("before removing the old revision, re-install the new CR so base is labelled as its own; never uninstall with --purge during a canary"),
    );
}

/// `name (istio.io/rev=R)` of the owners labelled on inventory objects among `ids`.
fn owners_in_cluster(ids: &[ObjId], inventory: &Inventory) -> BTreeSet<String> {
    live_objects(inventory)
        .filter(|(id, _)| ids.iter().any(|i| same_object(i, id)))
        .filter_map(|(_, meta)| {
            let owner = meta.label(LABEL_OWNER)?;
            Some(match meta.label(LABEL_REV) {
                Some(r) => format!("IstioOperator {owner} (istio.io/rev={r})"),
                None => format!("IstioOperator {owner}"),
            })
        })
        .collect()
}

/// The inventory objects that carry owner labels, with identities comparable to rendered ones.
fn live_objects(inventory: &Inventory) -> impl Iterator<Item = (ObjId, &crate::inventory::Meta)> {
    let workloads = inventory.workloads.iter().map(|w| {
        (
            ObjId::new("apps", w.kind.as_str(), w.meta.namespace(), w.meta.name()),
            &w.meta,
        )
    });
    let webhooks = inventory.webhooks.iter().map(|w| {
        (
            ObjId::new(
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration",
                "",
                w.meta.name(),
            ),
            &w.meta,
        )
    });
    workloads.chain(webhooks)
}

/// Kind, namespace and name: the inventory does not keep API groups, and these kinds are
/// unambiguous among Istio's objects.
fn same_object(a: &ObjId, b: &ObjId) -> bool {
    a.kind == b.kind && a.namespace == b.namespace && a.name == b.name
}

/// IR405: objects the CR renders that the cluster labels as owned by another CR.
fn ownership(cr: &Cr, ids: &[ObjId], inventory: &Inventory, out: &mut Vec<Finding>) {
    let Some(me) = cr.owner_name() else {
        return;
    };
    let mut by_owner: BTreeMap<String, Vec<ObjId>> = BTreeMap::new();
    let mut helm_owned: BTreeMap<Release, Vec<ObjId>> = BTreeMap::new();
    for (id, meta) in live_objects(inventory) {
        if !ids.iter().any(|i| same_object(i, &id)) {
            continue;
        }
        let Some(owner) = meta.label(LABEL_OWNER).filter(|o| *o != "unknown") else {
            // Not istioctl's: a Helm release's object is taken over all the same.
            if let Some(r) = Release::of_meta(meta) {
                helm_owned.entry(r).or_default().push(id);
            }
            continue;
        };
        let owner_ns = meta.label(LABEL_OWNER_NS);
        let other_name = owner != me;
        let other_ns = owner_ns.is_some_and(|ns| ns != cr.namespace);
        if other_name || other_ns {
            let key = match owner_ns {
                Some(ns) => format!("{ns}/{owner}"),
                None => owner.to_string(),
            };
            by_owner.entry(key).or_default().push(id);
        }
    }
    for (owner, mut objs) in by_owner {
        objs.sort();
        let first = first_workload(&objs);
        let names: Vec<String> = objs.iter().map(ToString::to_string).collect();
        out.push(
            Finding::new(
                Code::IR405,
                first.object_ref(),
                format!(
                    "{} renders {} object(s) the cluster labels as owned by IstioOperator {owner} ({LABEL_OWNER}): {}; installing it takes them over, and {owner}'s next install or prune fights back",
                    cr.describe(),
                    objs.len(),
                    list(&names)
                ),
            )
            .revisions([cr.revision_label()])
            .fix(format!(
                "install these components from {owner} only, or remove them from {}",
                cr.source
            )),
        );
    }
    for (release, mut objs) in helm_owned {
        objs.sort();
        let first = first_workload(&objs);
        let names: Vec<String> = objs.iter().map(ToString::to_string).collect();
        out.push(
            Finding::new(
                Code::IR405,
                first.object_ref(),
                format!(
                    "{} renders {} object(s) Helm release {release} owns in the cluster (meta.helm.sh/release-name): {}; istioctl install takes them over with a forced server-side apply, and the next helm upgrade or uninstall fights back",
                    cr.describe(),
                    objs.len(),
                    list(&names)
                ),
            )
            .revisions([cr.revision_label()])
            .fix(format!(
                "keep these components in Helm release {release} only, or remove them from {}",
                cr.source
            )),
        );
    }
}

/// A Helm release given to `check-overlap` with its rendered output.
#[derive(Debug, Clone)]
pub struct ReleaseInput {
    pub release: Release,
    pub objects: Vec<RenderedObject>,
}

impl ReleaseInput {
    fn describe(&self) -> String {
        format!("Helm release {}", self.release)
    }

    fn revisions(&self) -> Vec<String> {
        let mut revs: Vec<String> = self
            .objects
            .iter()
            .filter_map(|o| o.labels.get(LABEL_REV).cloned())
            .collect();
        revs.sort();
        revs.dedup();
        revs
    }
}

/// Releases against each other, against the CRs, and against what the cluster says owns the
/// objects they render. Helm shares nothing between releases: every common object is an error
/// (the second install is refused as "cannot be imported into the current release", or with
/// `--take-ownership` takes it, and uninstalling either release deletes it).
pub fn analyze_releases(
    releases: &[ReleaseInput],
    crs: &[Cr],
    rendered: &[Option<Vec<RenderedObject>>],
    inventory: &Inventory,
    set: ProfileSet,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for i in 0..releases.len() {
        let ids_a: Vec<ObjId> = releases[i].objects.iter().map(|o| o.id.clone()).collect();
        for b in &releases[i + 1..] {
            let ids_b: Vec<ObjId> = b.objects.iter().map(|o| o.id.clone()).collect();
            let mut revisions = releases[i].revisions();
            revisions.extend(b.revisions());
            release_overlap(
                &releases[i].describe(),
                &b.describe(),
                &ids_a,
                &ids_b,
                revisions,
                &mut out,
            );
        }
        for (j, cr) in crs.iter().enumerate() {
            let ids_cr = objects_of(cr, rendered[j].as_ref(), set);
            let mut revisions = releases[i].revisions();
            revisions.push(cr.revision_label().to_string());
            release_overlap(
                &releases[i].describe(),
                &cr.describe(),
                &ids_a,
                &ids_cr,
                revisions,
                &mut out,
            );
        }
        takeover(&releases[i], &ids_a, inventory, &mut out);
    }
    out
}

fn release_overlap(
    a: &str,
    b: &str,
    ids_a: &[ObjId],
    ids_b: &[ObjId],
    mut revisions: Vec<String>,
    out: &mut Vec<Finding>,
) {
    let in_b: BTreeSet<&ObjId> = ids_b.iter().collect();
    let mut common: Vec<ObjId> = ids_a
        .iter()
        .filter(|id| in_b.contains(id))
        .cloned()
        .collect();
    if common.is_empty() {
        return;
    }
    common.sort();
    common.dedup();
    revisions.sort();
    revisions.dedup();
    let names: Vec<String> = common.iter().map(ToString::to_string).collect();
    out.push(
        Finding::new(
            Code::IR401,
            first_workload(&common).object_ref(),
            format!(
                "{a} and {b} render {} identical object(s): {}; Helm refuses the second install (\"cannot be imported into the current release\") or, with --take-ownership, takes them over, and uninstalling either deletes them",
                common.len(),
                list(&names)
            ),
        )
        .revisions(revisions)
        .fix("install each chart once per revision (a second istiod release needs --set revision=<rev>; base is installed once)"),
    );
}

/// IR407: objects a release renders that the cluster says another installer owns.
fn takeover(r: &ReleaseInput, ids: &[ObjId], inventory: &Inventory, out: &mut Vec<Finding>) {
    let mut by_owner: BTreeMap<(bool, String), Vec<ObjId>> = BTreeMap::new();
    for (id, meta) in live_objects(inventory) {
        if !ids.iter().any(|i| same_object(i, &id)) {
            continue;
        }
        match Release::of_meta(meta) {
            Some(other) if other == r.release => {}
            Some(other) => by_owner
                .entry((false, format!("Helm release {other}")))
                .or_default()
                .push(id),
            None => {
                if let Some(iop) = iop_owner_of_labels(&meta.labels) {
                    by_owner
                        .entry((true, format!("IstioOperator {iop}")))
                        .or_default()
                        .push(id);
                }
            }
        }
    }
    for ((is_iop, owner), mut objs) in by_owner {
        objs.sort();
        let names: Vec<String> = objs.iter().map(ToString::to_string).collect();
        let (why, fix) = if is_iop {
            (
                "helm install refuses them (\"cannot be imported into the current release\"); with --take-ownership, Helm 4's server-side apply conflicts with field manager istio-operator on the labels the charts render (istio#59630), and istioctl's next install or prune fights back".to_string(),
                format!(
                    "migrate with istioctl uninstall of {owner}'s components first, or strip istioctl's owner labels and field manager before helm install --take-ownership"
                ),
            )
        } else {
            (
                format!(
                    "helm install refuses them (\"cannot be imported into the current release\"), and with --take-ownership {owner} and this release fight over them"
                ),
                "render them from one release only".to_string(),
            )
        };
        out.push(
            Finding::new(
                Code::IR407,
                first_workload(&objs).object_ref(),
                format!(
                    "{} renders {} object(s) that {owner} owns in the cluster: {}; {why}",
                    r.describe(),
                    objs.len(),
                    list(&names)
                ),
            )
            .revisions(r.revisions())
            .fix(fix),
        );
    }
}

#[cfg(test)]
mod release_tests {
    use super::*;

    fn objects(ids: &[ObjId]) -> Vec<RenderedObject> {
        ids.iter()
            .map(|id| RenderedObject {
                id: id.clone(),
                labels: [(LABEL_REV.to_string(), "default".to_string())].into(),
                namespace_hint: "istio-system".into(),
            })
            .collect()
    }

    fn release(name: &str, ids: &[ObjId]) -> ReleaseInput {
        ReleaseInput {
            release: Release {
                name: name.into(),
                namespace: "istio-system".into(),
            },
            objects: objects(ids),
        }
    }

    #[test]
    fn releases_sharing_objects_overlap_and_disjoint_ones_do_not() {
        let deploy = ObjId::new("apps", "Deployment", "istio-system", "istiod");
        let vwc = ObjId::new(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            "",
            "istiod-default-validator",
        );
        let canary = ObjId::new("apps", "Deployment", "istio-system", "istiod-canary");
        let inv = Inventory::default();
        let found = analyze_releases(
            &[
                release("istiod", &[deploy.clone(), vwc.clone()]),
                release("istiod-2", std::slice::from_ref(&deploy)),
                release("istiod-canary", &[canary]),
            ],
            &[],
            &[],
            &inv,
            ProfileSet::Latest,
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].code, Code::IR401);
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0].message.starts_with(
            "Helm release istio-system/istiod and Helm release istio-system/istiod-2 render 1 identical object(s): Deployment/istio-system/istiod;"
        ));
    }
}
