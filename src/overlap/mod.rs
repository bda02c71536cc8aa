//! `check-overlap`: IstioOperator CRs that would fight over the same objects, and the gateway
//! guide's REQUIRED rules (IR401–IR406, IR302 for CR revisions).
//!
//! istioctl applies with server-side apply and forces, so two CRs that render the same object
//! overwrite each other silently, and an uninstall or prune of one deletes the other's
//! (istio#24644, #29633, #45805). Nothing in Istio checks this before an install.
//!
//! # Inputs
//! * `-f FILE` (repeatable): one IstioOperator per file, as istioctl requires.
//! * IstioOperator CRs in the cluster (today: `--snapshot`; the live source plugs into the same
//!   [`crate::inventory::Inventory`]). A file CR with the name and namespace of a cluster CR
//!   replaces it (`kubectl apply` of a new version); for the `installed-state-<name>[-<rev>]`
//!   copies istioctl 1.8–1.20 saves, only when the revision is the same too (the canary flow
//!   keeps both).
//! * Rendered output: `--manifest CR=FILE` (`istioctl manifest generate`), else `istioctl
//!   manifest generate -f FILE [--revision R]` run on the spot when `--istioctl PATH` is given
//!   or `istioctl` is on PATH; else the objects are predicted from the profiles alone (the
//!   report says which for every CR).
//!
//! # Profiles and versions
//! Effective components = profile (merged on `default`, lists replaced) + `spec.components`,
//! with the revision from `--revision` (for `-f` files) or `spec.revision`. The profile set is
//! chosen by `--istio-version`, else the version of the newest control plane in the cluster,
//! else the newest shipped; 1.8–1.20 use the 1.8 files, 1.21+ the latest ones (see
//! [`profiles`]). A gateway list entry without `enabled: true` is not installed, as in istioctl.
//!
//! # Limits
//! * Ownership (IR405, the base warning of IR401) is read from the owner labels of objects in
//!   the inventory, which today keeps only Namespaces, workloads, Pods,
//!   MutatingWebhookConfigurations and IstioOperators: CRDs, cluster roles and validating
//!   webhooks of base are not seen, so base's owner is usually named from the CRs alone.
//! * Predicted objects (no rendered manifest) are the ones that identify a component, by the
//!   charts' naming rules; `values`-driven extras (e.g. `values.gateways.*.enabled`) are not
//!   rendered.
//! * Cluster CRs are never rendered with istioctl (there is no file to pass it).

pub mod iop;
pub mod istioctl;
pub mod objects;
pub mod profiles;
pub mod table;

use crate::error::Error;
use crate::finding::{Code, FailOn, Finding, Severity, sort_findings};
use crate::inventory::Inventory;
use crate::revision::{is_dns1123_label, version_key};
use iop::{Component, Cr, IopInput, Slot};
use objects::{ObjId, RenderedObject};
use profiles::ProfileSet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub const LABEL_OWNER: &str = "install.operator.istio.io/owning-resource";
pub const LABEL_OWNER_NS: &str = "install.operator.istio.io/owning-resource-namespace";

#[derive(Debug, clap::Args)]
pub struct CheckOverlapArgs {
    /// An IstioOperator file (one CR per file, as istioctl requires). Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,

    /// The rendered output of a CR (`istioctl manifest generate`), as CR_NAME=FILE (CR_NAME may
    /// also be the -f path of an unnamed CR). Repeatable.
    #[arg(long = "manifest", value_name = "CR_NAME=FILE")]
    pub manifests: Vec<String>,

    /// Render each -f file with this istioctl (`manifest generate`); default: istioctl on PATH.
    #[arg(long, value_name = "PATH")]
    pub istioctl: Option<String>,

    /// The revision the -f files are installed with (as `istioctl install --revision`).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// Istio version whose profiles apply (1.8–1.20 → 1.8 profiles, 1.21+ → latest); default:
    /// the control plane's version, else the newest.
    #[arg(long, value_name = "VERSION")]
    pub istio_version: Option<String>,

    #[command(flatten)]
    pub source: crate::cli::SourceArgs,

    /// Check the -f files alone: read no cluster and no snapshot (for a pipeline before install).
    #[arg(long, conflicts_with = "snapshots")]
    pub offline: bool,

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub output: crate::cli::OutputArgs,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profiles {
    pub set: ProfileSet,
    /// What chose it.
    pub chosen_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentRow {
    pub component: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The CRs that install it (by label).
    pub installed_by: Vec<String>,
    /// `overlap` (error), `shared` (base across revisions, warning) or empty.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub overlap: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub profiles: Profiles,
    pub istio_operators: Vec<Cr>,
    pub components: Vec<ComponentRow>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<crate::inventory::Unreadable>,
}

/// Runs the command: the report text and the exit code.
pub fn run(args: &CheckOverlapArgs) -> Result<(String, u8), Error> {
    crate::render::set_color(args.output.color_choice());
    let mut notes = Vec::new();
    let inventory = if args.offline {
        notes.push(
            "cluster not read (--offline): IstioOperators and owner labels in the cluster not checked"
                .to_string(),
        );
        Inventory::default()
    } else {
        crate::load_inventory(&args.source)?
    };
    let profiles = choose_profiles(args.istio_version.as_deref(), &inventory)?;
    let files = args
        .files
        .iter()
        .map(|f| iop::read_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut crs = resolve_all(&files, &inventory, profiles.set, args.revision.as_deref())?;

    let manifests = parse_manifest_args(&args.manifests)?;
    let istioctl = istioctl::locate(args.istioctl.as_deref())?;
    let mut rendered: Vec<Option<Vec<RenderedObject>>> = vec![None; crs.len()];
    for (cr_name, file) in &manifests {
        let i = find_cr(&crs, cr_name).ok_or_else(|| {
            Error::Input(format!(
                "--manifest {cr_name}={file}: no IstioOperator named {cr_name} (have: {})",
                crs.iter().map(Cr::label).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let text = std::fs::read_to_string(file).map_err(|e| Error::input(file, e))?;
        rendered[i] = Some(objects::read_manifest(
            file,
            &text,
            &crs[i].install_namespace,
        )?);
        crs[i].objects_from = format!("manifest {file}");
    }
    if let Some(bin) = &istioctl {
        for (i, cr) in crs.iter_mut().enumerate() {
            if rendered[i].is_some() || cr.from_cluster {
                continue;
            }
            let text = istioctl::generate(bin, &cr.source, args.revision.as_deref())?;
            let name = format!("{} manifest generate -f {}", bin.display(), cr.source);
            rendered[i] = Some(objects::read_manifest(&name, &text, &cr.install_namespace)?);
            cr.objects_from = "istioctl".to_string();
        }
    }
    if !crs.is_empty() && rendered.iter().all(Option::is_none) {
        notes.push(
            "no rendered manifests (--manifest, --istioctl or istioctl on PATH): objects predicted from the profiles alone"
                .to_string(),
        );
    }
    if crs.is_empty() {
        notes.push("no IstioOperator CRs given (-f) or found in the cluster".to_string());
    }

    let mut findings = analyze(
        &crs,
        &rendered,
        &inventory,
        profiles.set,
        args.revision.as_deref(),
    );
    sort_findings(&mut findings);
    let report = Report {
        profiles,
        components: component_rows(&crs),
        istio_operators: crs,
        findings,
        notes,
        not_checked: inventory.unreadable.clone(),
    };
    let text = match args.output.format {
        crate::render::Format::Table => table::text(&report),
        crate::render::Format::Json => crate::render::json(&report),
        crate::render::Format::Yaml => crate::render::yaml(&report),
    };
    let code = crate::exit_code(
        &report.findings,
        args.fail_on,
        !report.not_checked.is_empty(),
    );
    Ok((text, code))
}

fn choose_profiles(flag: Option<&str>, inventory: &Inventory) -> Result<Profiles, Error> {
    if let Some(v) = flag {
        let set = ProfileSet::for_version(v).ok_or_else(|| {
            Error::Input(format!(
                "--istio-version {v}: not a version such as 1.8.1 or 1.22"
            ))
        })?;
        return Ok(Profiles {
            set,
            chosen_by: format!("--istio-version {v}"),
        });
    }
    let mesh = crate::mesh::resolve(inventory, None);
    if let Some(v) = mesh
        .newest_control_plane()
        .and_then(|c| c.version.as_deref())
        && let Some(set) = ProfileSet::for_version(v)
    {
        return Ok(Profiles {
            set,
            chosen_by: format!("control plane version {v}"),
        });
    }
    Ok(Profiles {
        set: ProfileSet::Latest,
        chosen_by: "newest shipped (no --istio-version, no control plane version)".to_string(),
    })
}

/// Resolves the file CRs and the cluster's, dropping cluster CRs a file replaces.
pub fn resolve_all(
    files: &[IopInput],
    inventory: &Inventory,
    set: ProfileSet,
    flag_revision: Option<&str>,
) -> Result<Vec<Cr>, Error> {
    let mut crs = files
        .iter()
        .map(|f| iop::resolve(f, set, flag_revision))
        .collect::<Result<Vec<_>, _>>()?;
    let from_files = crs.len();
    for o in &inventory.istio_operators {
        let input = IopInput {
            file: None,
            document: 1,
            name: Some(o.meta.name().to_string()).filter(|n| !n.is_empty()),
            namespace: Some(o.meta.namespace().to_string()).filter(|n| !n.is_empty()),
            spec: o.spec.clone(),
        };
        let cr = iop::resolve(&input, set, None)?;
        let installed_state = o.meta.name().starts_with("installed-state");
        let replaced = crs[..from_files].iter().any(|f| {
            f.namespace == cr.namespace
                && if installed_state {
                    f.owner_name() == cr.owner_name() && f.revision == cr.revision
                } else {
                    f.name == cr.name
                }
        });
        if !replaced {
            crs.push(cr);
        }
    }
    Ok(crs)
}

fn parse_manifest_args(args: &[String]) -> Result<Vec<(String, String)>, Error> {
    args.iter()
        .map(|a| match a.split_once('=') {
            Some((n, f)) if !n.is_empty() && !f.is_empty() => Ok((n.to_string(), f.to_string())),
            _ => Err(Error::Input(format!(
                "--manifest {a}: expected CR_NAME=FILE"
            ))),
        })
        .collect()
}

fn find_cr(crs: &[Cr], key: &str) -> Option<usize> {
    crs.iter()
        .position(|c| !c.from_cluster && (c.name.as_deref() == Some(key) || c.source == key))
        .or_else(|| crs.iter().position(|c| c.name.as_deref() == Some(key)))
}

/// The objects of a CR: rendered when given, else predicted from its enabled components.
fn objects_of(cr: &Cr, rendered: Option<&Vec<RenderedObject>>, set: ProfileSet) -> Vec<ObjId> {
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
    if !gateways.is_empty() && cr.installs_control_plane() {
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
            if objects::is_base_object(set, o) || objects::is_base_object(set, ob) {
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
            Some(match meta.label("istio.io/rev") {
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
    for (id, meta) in live_objects(inventory) {
        if !ids.iter().any(|i| same_object(i, &id)) {
            continue;
        }
        let Some(owner) = meta.label(LABEL_OWNER).filter(|o| *o != "unknown") else {
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
}

/// The table's rows: every component instance some CR installs, and who installs it.
fn component_rows(crs: &[Cr]) -> Vec<ComponentRow> {
    let mut rows: BTreeMap<Slot, (String, Vec<usize>)> = BTreeMap::new();
    for (i, cr) in crs.iter().enumerate() {
        for c in cr.enabled() {
            let e = rows
                .entry(c.slot())
                .or_insert_with(|| (c.component.to_string(), Vec::new()));
            if !e.1.contains(&i) {
                e.1.push(i);
            }
        }
    }
    rows.into_iter()
        .map(|(slot, (component, who))| {
            let (namespace, name) = match &slot {
                Slot::ControlPlane { namespace, name } | Slot::Gateway { namespace, name } => {
                    (namespace.clone(), name.clone())
                }
                _ => (String::new(), String::new()),
            };
            let overlap = if who.len() < 2 {
                ""
            } else if slot == Slot::Base {
                let revs: BTreeSet<_> = who.iter().map(|&i| &crs[i].revision).collect();
                if revs.len() == who.len() {
                    "shared"
                } else {
                    "overlap"
                }
            } else {
                "overlap"
            };
            ComponentRow {
                component,
                namespace,
                name,
                installed_by: who.iter().map(|&i| crs[i].label()).collect(),
                overlap: overlap.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cr(name: Option<&str>, spec: serde_json::Value, set: ProfileSet, rev: Option<&str>) -> Cr {
        iop::resolve(
            &IopInput {
                file: Some(format!("{}.yaml", name.unwrap_or("unnamed"))),
                document: 1,
                name: name.map(str::to_string),
                namespace: None,
                spec,
            },
            set,
            rev,
        )
        .unwrap()
    }

    fn codes(crs: &[Cr], set: ProfileSet, flag: Option<&str>) -> Vec<(Code, Severity)> {
        let rendered = vec![None; crs.len()];
        let mut f = analyze(crs, &rendered, &Inventory::default(), set, flag);
        sort_findings(&mut f);
        f.iter().map(|f| (f.code, f.severity)).collect()
    }

    fn gateways_cr(set: ProfileSet) -> Cr {
        cr(
            Some("gateways"),
            json!({"profile": "empty", "components": {"ingressGateways": [
                {"name": "istio-ingressgateway", "enabled": true}]}}),
            set,
            Some("1-8-0"),
        )
    }

    #[test]
    fn the_guides_pair_is_clean() {
        for set in [ProfileSet::V1_8, ProfileSet::Latest] {
            let cp = cr(
                Some("control-plane"),
                json!({"profile": "minimal"}),
                set,
                Some("1-8-0"),
            );
            assert_eq!(codes(&[cp, gateways_cr(set)], set, Some("1-8-0")), []);
        }
    }

    #[test]
    fn control_plane_on_default_overlaps_the_gateway() {
        for set in [ProfileSet::V1_8, ProfileSet::Latest] {
            let cp = cr(Some("control-plane"), json!({}), set, Some("1-8-0"));
            assert_eq!(
                codes(&[cp, gateways_cr(set)], set, None),
                [
                    (Code::IR401, Severity::Error),
                    (Code::IR404, Severity::Warning)
                ]
            );
        }
    }

    #[test]
    fn canary_shares_base_as_a_warning_only() {
        for set in [ProfileSet::V1_8, ProfileSet::Latest] {
            let old = cr(
                Some("cp-old"),
                json!({"profile": "minimal"}),
                set,
                Some("1-8-0"),
            );
            let new = cr(
                Some("cp-new"),
                json!({"profile": "minimal"}),
                set,
                Some("1-8-1"),
            );
            assert_eq!(
                codes(&[old.clone(), new], set, None),
                [(Code::IR401, Severity::Warning)]
            );
            let same = cr(
                Some("cp-same"),
                json!({"profile": "minimal"}),
                set,
                Some("1-8-0"),
            );
            // Same revision: base and pilot both overlap.
            assert_eq!(
                codes(&[old, same], set, None),
                [
                    (Code::IR401, Severity::Error),
                    (Code::IR401, Severity::Error)
                ]
            );
        }
    }

    #[test]
    fn rows_mark_overlaps() {
        let set = ProfileSet::V1_8;
        let cp = cr(Some("control-plane"), json!({}), set, Some("1-8-0"));
        let rows = component_rows(&[cp, gateways_cr(set)]);
        let gw = rows
            .iter()
            .find(|r| r.name == "istio-ingressgateway")
            .unwrap();
        assert_eq!(gw.overlap, "overlap");
        assert_eq!(gw.installed_by, ["control-plane", "gateways"]);
    }
}
