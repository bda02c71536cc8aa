//! `diff`: the rendered IstioOperator output against the cluster — drifted (IR501), missing
//! (IR502), orphaned (IR503), unmanaged (IR504) and owned by another CR (IR405).
//!
//! # Inputs
//! * Rendered: `--manifest FILE` (`istioctl manifest generate` output, `-` for stdin), or
//!   `-f IOP.yaml` rendered on the spot by `istioctl manifest generate` (`--istioctl PATH`, else
//!   istioctl on PATH). `-f` with `--manifest` names the owner without running istioctl.
//! * Against: the live cluster (default) or `--snapshot` files of whole objects.
//!
//! # Stamping
//! Before comparing, every rendered object gets the owner labels `istioctl install` adds at
//! apply time ([`stamp`]), so a faithful install shows no drift.
//!
//! # Comparing
//! Live, by default: a server-side apply dry run of each rendered object as field manager
//! `istio-operator` with force, as istioctl applies — exactly "would `istioctl install`
//! change this?". When the dry run is refused (a read-only token), with
//! `--server-dry-run=false` and for snapshots: the rendered fields are laid over the live
//! object ([`compare::overlay`]) with the normalizations of [`normalize`]; fields only the live
//! side has never count. The report says which way was used, per object where they differ.
//!
//! # Exit code
//! 0 no finding at or above `--fail-on` (default `warning`: every drift finding counts, as in
//! kubectl diff), 1 drift, 2 bad input, 3 the cluster could not be read (also when part of it
//! could not: a diff must not read "clean" from what it did not see).

pub mod compare;
pub mod ignore;
mod live;
pub mod normalize;
pub mod render;

use crate::error::Error;
use crate::finding::{Code, FailOn, Finding, ObjectRef};
use crate::inventory::Unreadable;
use crate::overlap::objects::{self, ObjId};
use crate::overlap::{LABEL_OWNER, LABEL_OWNER_NS, istioctl};
use ignore::Rule;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const FIELD_MANAGER: &str = "istio-operator";
pub const LABEL_MANAGED: &str = "operator.istio.io/managed";
pub const LABEL_COMPONENT: &str = "operator.istio.io/component";
pub const LABEL_VERSION: &str = "operator.istio.io/version";
pub const LABEL_REV: &str = "istio.io/rev";
pub const LABEL_NOT_PRUNED: &str = "install.operator.istio.io/owning-resource-not-pruned";

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The rendered output (`istioctl manifest generate`), or - for stdin.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<String>,

    /// The IstioOperator file: names the owner, and is rendered with istioctl unless
    /// --manifest is given.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Option<String>,

    /// The istioctl that renders -f (`manifest generate`); default: istioctl on PATH.
    #[arg(long, value_name = "PATH")]
    pub istioctl: Option<String>,

    /// The revision installed (as `istioctl install --revision`); default: the CR's
    /// spec.revision, else the rendered objects' istio.io/rev, else `default`.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,

    /// The owning IstioOperator as NAME or NAMESPACE/NAME, when -f does not name it.
    #[arg(long, value_name = "[NAMESPACE/]NAME")]
    pub owner: Option<String>,

    /// Compare through a server-side apply dry run (`--server-dry-run=false`: compare the
    /// rendered fields locally).
    #[arg(long, value_name = "BOOL", default_value_t = true, num_args = 0..=1,
          default_missing_value = "true", action = clap::ArgAction::Set)]
    pub server_dry_run: bool,

    /// Ignore a field: KIND/NAMESPACE/NAME:/json/pointer, globs allowed (`*`, `?`; a pointer
    /// segment `*` matches any key or index). Repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    pub ignores: Vec<String>,

    /// A config file with more rules: `ignore: [RULE, ...]`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,

    /// Do not ignore the known false positives (webhook caBundle, failurePolicy, HPA replicas).
    #[arg(long)]
    pub no_default_ignores: bool,

    #[command(flatten)]
    pub source: crate::cli::SourceArgs,

    /// Exit 1 when a finding at or above this severity exists (drifted, missing and owned
    /// elsewhere are errors; orphaned and unmanaged warnings).
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub output: crate::cli::OutputArgs,
}

/// One rendered object.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub id: ObjId,
    pub api_version: String,
    pub obj: Value,
}

/// The IstioOperator the rendered objects belong to.
#[derive(Debug, Clone, Serialize)]
pub struct Owner {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub revision: String,
}

impl Owner {
    pub fn describe(&self) -> String {
        match (&self.name, &self.namespace) {
            (Some(n), Some(ns)) => format!("IstioOperator {ns}/{n}"),
            (Some(n), None) => format!("IstioOperator {n}"),
            _ => "an unnamed IstioOperator".to_string(),
        }
    }
}

/// A finding with what the diff saw.
#[derive(Debug, Clone, Serialize)]
pub struct DiffFinding {
    #[serde(flatten)]
    pub finding: Finding,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// How a drifted object was compared: `server-dry-run` or `local`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub compared_by: String,
    /// JSON pointers that would change (secret values are never shown; keys are).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_paths: Vec<String>,
    /// Differences an ignore rule removed (they do not count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_paths: Vec<String>,
    /// A unified diff, live (`-`) against after install (`+`); Secret data masked.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

/// Differences ignored on an object that otherwise matched.
#[derive(Debug, Clone, Serialize)]
pub struct Ignored {
    pub object: ObjectRef,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub drifted: usize,
    pub missing: usize,
    pub orphaned: usize,
    pub unmanaged: usize,
    pub owned_elsewhere: usize,
    pub in_sync: usize,
}

impl Summary {
    pub fn line(&self) -> String {
        format!(
            "{} drifted, {} missing, {} orphaned, {} unmanaged, {} owned elsewhere",
            self.drifted, self.missing, self.orphaned, self.unmanaged, self.owned_elsewhere
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where the rendered objects came from.
    pub rendered_from: String,
    /// `live cluster` or `snapshot`.
    pub against: String,
    /// How objects were compared.
    pub compared_by: String,
    pub owner: Owner,
    pub rendered_objects: usize,
    pub summary: Summary,
    pub findings: Vec<DiffFinding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    pub ignore_rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Unreadable>,
}

/// What the cluster (or snapshot) holds for one rendered object.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub live: Option<Value>,
    /// The server-side apply dry run's answer, when one was made.
    pub merged: Option<Value>,
    /// Why no dry run was made for an object that exists and is ours.
    pub local_reason: Option<String>,
    /// Why the object could not be read (it is then neither missing nor compared).
    pub unreadable: Option<String>,
}

pub const SERVER_DRY_RUN: &str = "server-dry-run";
pub const LOCAL: &str = "local";

/// Runs the command: the report text and the exit code.
pub fn run(args: &DiffArgs) -> Result<(String, u8), Error> {
    crate::render::set_color(args.output.color_choice());
    let iop = args
        .file
        .as_deref()
        .map(crate::overlap::iop::read_file)
        .transpose()?;
    // As `kubectl diff -n`: the namespace of rendered objects that name none.
    let install_ns = args
        .source
        .narrowed_to()
        .map(str::to_string)
        .or_else(|| {
            iop.as_ref()
                .and_then(|i| i.spec["namespace"].as_str().map(str::to_string))
        })
        .unwrap_or_else(|| "istio-system".to_string());
    let (text, rendered_from) = rendered_text(args)?;
    let mut rendered = read_rendered(&rendered_from, &text, &install_ns)?;
    let owner = resolve_owner(args, iop.as_ref(), &rendered)?;
    for r in &mut rendered {
        stamp(r, &owner);
    }
    let mut rules = Vec::new();
    if !args.no_default_ignores {
        rules.extend(ignore::builtins());
    }
    if let Some(path) = &args.config {
        rules.extend(ignore::read_config(path)?);
    }
    for r in &args.ignores {
        rules.push(Rule::parse(r, "--ignore")?);
    }

    let mut notes = Vec::new();
    let (against, observed, candidates, not_checked) = if args.source.snapshots.is_empty() {
        let (observed, candidates, not_checked, mut n) =
            live::observe(&args.source, &rendered, &owner, args.server_dry_run)?;
        notes.append(&mut n);
        (
            "live cluster".to_string(),
            observed,
            candidates,
            not_checked,
        )
    } else {
        let all = read_snapshot_objects(&args.source.snapshots)?;
        let mut index: BTreeMap<ObjId, Value> = BTreeMap::new();
        for v in all {
            if let Some(id) = identity(&v, "") {
                index.insert(id, v);
            }
        }
        let observed = rendered
            .iter()
            .map(|r| Observed {
                live: index.get(&r.id).cloned(),
                local_reason: Some("against a snapshot".to_string()),
                ..Observed::default()
            })
            .collect();
        let candidates = index
            .into_values()
            .filter(|v| is_prunable(v) && selected_for_prune(v, &owner))
            .collect();
        ("snapshot".to_string(), observed, candidates, Vec::new())
    };
    if !args.no_default_ignores {
        rules.extend(hpa_rules(&rendered, &observed, &candidates));
    }
    if owner.name.is_none() {
        notes.push(
            "no owner named (-f or --owner): orphans are looked for by revision alone, as istioctl prunes for an unnamed CR"
                .to_string(),
        );
    }

    let mut report = evaluate(&rendered, &observed, &candidates, &owner, &rules);
    report.rendered_from = rendered_from;
    report.against = against;
    report.notes.extend(notes);
    for u in &not_checked {
        report.findings.push(DiffFinding {
            finding: Finding::new(
                Code::IR901,
                ObjectRef::new("Resource", "", &u.resource),
                format!(
                    "not checked: could not list {} for orphans: {}",
                    u.resource, u.reason
                ),
            ),
            group: String::new(),
            compared_by: String::new(),
            changed_paths: Vec::new(),
            ignored_paths: Vec::new(),
            diff: String::new(),
        });
    }
    for (r, o) in rendered.iter().zip(&observed) {
        if let Some(reason) = &o.unreadable {
            report.not_checked.push(Unreadable {
                resource: r.id.to_string(),
                namespace: r.id.namespace.clone(),
                reason: reason.clone(),
            });
        }
    }
    report.not_checked.extend(not_checked);
    let text = match args.output.format {
        crate::render::Format::Table => render::text(&report),
        crate::render::Format::Json => crate::render::json(&report),
        crate::render::Format::Yaml => crate::render::yaml(&report),
    };
    let code = if !report.not_checked.is_empty() {
        3
    } else if report
        .findings
        .iter()
        .any(|f| args.fail_on.trips(f.finding.severity))
    {
        1
    } else {
        0
    };
    Ok((text, code))
}

fn rendered_text(args: &DiffArgs) -> Result<(String, String), Error> {
    if let Some(m) = &args.manifest {
        let text = if m == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| Error::input("<stdin>", e))?
        } else {
            std::fs::read_to_string(m).map_err(|e| Error::input(m, e))?
        };
        let name = if m == "-" { "<stdin>" } else { m.as_str() };
        return Ok((text, name.to_string()));
    }
    let Some(file) = &args.file else {
        return Err(Error::Input(
            "diff needs the rendered output: --manifest FILE, or -f IOP.yaml with istioctl"
                .to_string(),
        ));
    };
    let Some(bin) = istioctl::locate(args.istioctl.as_deref())? else {
        return Err(Error::Input(format!(
            "-f {file}: no istioctl to render it (pass --istioctl PATH, put istioctl on PATH, or give --manifest)"
        )));
    };
    let text = istioctl::generate(&bin, file, args.revision.as_deref())?;
    Ok((
        text,
        format!("{} manifest generate -f {file}", bin.display()),
    ))
}

/// Every non-empty document of a YAML stream, as whole values. Whole objects of any kind are
/// what diff compares, so the inventory's slim reader does not fit here.
fn yaml_documents(name: &str, text: &str) -> Result<Vec<Value>, Error> {
    let options = serde_saphyr::options! { budget: None };
    let docs: Vec<Option<Value>> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|e| {
            Error::parse(
                name,
                None,
                e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                }),
            )
        })?;
    Ok(docs.into_iter().flatten().collect())
}

/// Parses rendered output into whole objects; identities and validation come from
/// [`objects::read_manifest`], the shared parser of rendered manifests.
pub fn read_rendered(name: &str, text: &str, default_ns: &str) -> Result<Vec<Rendered>, Error> {
    let thin = objects::read_manifest(name, text, default_ns)?;
    let docs: Vec<Value> = yaml_documents(name, text)?
        .into_iter()
        .filter(|v| !v.is_null())
        .collect();
    if docs.len() != thin.len() {
        return Err(Error::parse(
            name,
            None,
            "documents could not be told apart",
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (t, mut obj) in thin.into_iter().zip(docs) {
        if !seen.insert(t.id.clone()) {
            return Err(Error::Input(format!("{name}: {} is rendered twice", t.id)));
        }
        if let Some(meta) = obj["metadata"].as_object_mut() {
            if t.id.namespace.is_empty() {
                meta.remove("namespace");
            } else {
                meta.insert("namespace".into(), Value::String(t.id.namespace.clone()));
            }
        }
        let api_version = obj["apiVersion"].as_str().unwrap_or("v1").to_string();
        out.push(Rendered {
            id: t.id,
            api_version,
            obj,
        });
    }
    Ok(out)
}

fn resolve_owner(
    args: &DiffArgs,
    iop: Option<&crate::overlap::iop::IopInput>,
    rendered: &[Rendered],
) -> Result<Owner, Error> {
    let (mut name, mut namespace) = match iop {
        Some(i) => (
            i.name.clone(),
            Some(
                i.namespace
                    .clone()
                    .unwrap_or_else(|| crate::overlap::iop::DEFAULT_IOP_NAMESPACE.to_string()),
            ),
        ),
        None => (None, None),
    };
    if let Some(o) = &args.owner {
        match o.split_once('/') {
            Some((ns, n)) if !ns.is_empty() && !n.is_empty() => {
                namespace = Some(ns.to_string());
                name = Some(n.to_string());
            }
            None if !o.is_empty() => {
                name = Some(o.clone());
                namespace
                    .get_or_insert_with(|| crate::overlap::iop::DEFAULT_IOP_NAMESPACE.to_string());
            }
            _ => {
                return Err(Error::Input(format!(
                    "--owner {o:?}: want NAME or NAMESPACE/NAME"
                )));
            }
        }
    }
    if name.is_none() {
        namespace = None;
    }
    let revision = args
        .revision
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            iop.and_then(|i| i.spec["revision"].as_str())
                .filter(|r| !r.is_empty())
                .map(str::to_string)
        })
        .or_else(|| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in rendered {
                if let Some(rev) = r.obj["metadata"]["labels"][LABEL_REV].as_str() {
                    *counts.entry(rev).or_default() += 1;
                }
            }
            counts
                .into_iter()
                .max_by_key(|(_, n)| *n)
                .map(|(r, _)| r.to_string())
        })
        .unwrap_or_else(|| "default".to_string());
    Ok(Owner {
        name,
        namespace,
        revision,
    })
}

/// The component an object belongs to: its own label, else base for CRDs and base's shared
/// objects, else by name (CNI, ztunnel), else Pilot.
pub fn component_of(r: &Rendered) -> String {
    if let Some(c) = r.obj["metadata"]["labels"][LABEL_COMPONENT].as_str() {
        return c.to_string();
    }
    let thin = objects::RenderedObject {
        id: r.id.clone(),
        labels: BTreeMap::new(),
        namespace_hint: r.obj["metadata"]["namespace"]
            .as_str()
            .unwrap_or("istio-system")
            .to_string(),
    };
    let base = objects::is_base_object(crate::overlap::profiles::ProfileSet::Latest, &thin)
        || objects::is_base_object(crate::overlap::profiles::ProfileSet::V1_8, &thin);
    if base {
        "Base".to_string()
    } else if r.id.name.contains("cni") {
        "Cni".to_string()
    } else if r.id.name.contains("ztunnel") {
        "Ztunnel".to_string()
    } else {
        "Pilot".to_string()
    }
}

/// Adds the owner labels `istioctl install` writes at apply time (`getOwnerLabels`): managed,
/// revision, component, and the owning resource's name and namespace when the CR is named.
/// The istioctl version label is not known here; it is never compared.
pub fn stamp(r: &mut Rendered, owner: &Owner) {
    let component = component_of(r);
    let meta = &mut r.obj["metadata"];
    if !meta["labels"].is_object() {
        meta["labels"] = Value::Object(Default::default());
    }
    let labels = meta["labels"].as_object_mut().expect("labels is an object");
    labels.insert(LABEL_MANAGED.into(), "Reconcile".into());
    labels.insert(LABEL_REV.into(), owner.revision.clone().into());
    labels.insert(LABEL_COMPONENT.into(), component.into());
    if let Some(n) = &owner.name {
        labels.insert(LABEL_OWNER.into(), n.clone().into());
    }
    if let Some(ns) = &owner.namespace {
        labels.insert(LABEL_OWNER_NS.into(), ns.clone().into());
    }
}

/// Who a live object belongs to, by its owner labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    /// No owner labels: not installed by istioctl (or relabelled by hand).
    Unmanaged,
    /// Labelled as another CR's: its namespace/name.
    Foreign(String),
}

pub fn ownership(live: &Value, owner: &Owner) -> Ownership {
    let labels = &live["metadata"]["labels"];
    let get = |k: &str| labels[k].as_str().filter(|s| !s.is_empty());
    let live_owner = get(LABEL_OWNER).filter(|o| *o != "unknown");
    if get(LABEL_MANAGED).is_none() && live_owner.is_none() {
        return Ownership::Unmanaged;
    }
    let (Some(ours), Some(theirs)) = (&owner.name, live_owner) else {
        return Ownership::Ours;
    };
    let their_ns = get(LABEL_OWNER_NS);
    let ns_differs = matches!((&owner.namespace, their_ns), (Some(a), Some(b)) if a != b);
    if ours != theirs || ns_differs {
        return Ownership::Foreign(match their_ns {
            Some(ns) => format!("{ns}/{theirs}"),
            None => theirs.to_string(),
        });
    }
    Ownership::Ours
}

/// The kinds istioctl prunes (latest `NamespacedResources` and `ClusterResources`, with the
/// 1.8 networking kinds); Pods never carry the managed label.
pub const PRUNE_KINDS: &[(&str, &str, &str)] = &[
    ("apps", "v1", "Deployment"),
    ("apps", "v1", "DaemonSet"),
    ("", "v1", "Service"),
    ("", "v1", "ConfigMap"),
    ("", "v1", "Secret"),
    ("", "v1", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "v1", "Role"),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    ("policy", "v1", "PodDisruptionBudget"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ("networking.istio.io", "v1alpha3", "EnvoyFilter"),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
    ),
];

fn is_prunable(v: &Value) -> bool {
    let kind = v["kind"].as_str().unwrap_or("");
    PRUNE_KINDS.iter().any(|(_, _, k)| *k == kind)
}

/// The label selector istioctl's prune uses for this CR, without the version (so objects an
/// older istioctl stamped are found too).
pub fn prune_selector(owner: &Owner) -> String {
    let mut s = format!(
        "{LABEL_MANAGED}=Reconcile,{LABEL_REV}={},{LABEL_COMPONENT}",
        owner.revision
    );
    if let Some(n) = &owner.name {
        s.push_str(&format!(",{LABEL_OWNER}={n}"));
    }
    if let Some(ns) = &owner.namespace {
        s.push_str(&format!(",{LABEL_OWNER_NS}={ns}"));
    }
    s
}

fn selected_for_prune(v: &Value, owner: &Owner) -> bool {
    let labels = &v["metadata"]["labels"];
    let is = |k: &str, want: &str| labels[k].as_str() == Some(want);
    is(LABEL_MANAGED, "Reconcile")
        && is(LABEL_REV, &owner.revision)
        && labels.get(LABEL_COMPONENT).is_some()
        && owner.name.as_deref().is_none_or(|n| is(LABEL_OWNER, n))
        && owner
            .namespace
            .as_deref()
            .is_none_or(|ns| is(LABEL_OWNER_NS, ns))
}

/// An object's identity from its apiVersion/kind/metadata.
pub fn identity(v: &Value, default_ns: &str) -> Option<ObjId> {
    let kind = v["kind"].as_str()?;
    let name = v["metadata"]["name"].as_str()?;
    let api_version = v["apiVersion"].as_str().unwrap_or("v1");
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    let ns = v["metadata"]["namespace"].as_str().unwrap_or(default_ns);
    Some(ObjId::new(group, kind, ns, name))
}

/// `spec.replicas` ignored on every workload a rendered or live HPA scales.
fn hpa_rules(rendered: &[Rendered], observed: &[Observed], candidates: &[Value]) -> Vec<Rule> {
    let hpas = rendered
        .iter()
        .map(|r| &r.obj)
        .chain(observed.iter().filter_map(|o| o.live.as_ref()))
        .chain(candidates.iter())
        .filter(|v| v["kind"] == "HorizontalPodAutoscaler");
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for h in hpas {
        let target = &h["spec"]["scaleTargetRef"];
        let (Some(kind), Some(name)) = (target["kind"].as_str(), target["name"].as_str()) else {
            continue;
        };
        let ns = h["metadata"]["namespace"].as_str().unwrap_or("");
        if seen.insert((kind.to_string(), ns.to_string(), name.to_string())) {
            out.push(ignore::hpa_replicas(kind, ns, name));
        }
    }
    out
}

/// Turns what was observed into findings.
pub fn evaluate(
    rendered: &[Rendered],
    observed: &[Observed],
    candidates: &[Value],
    owner: &Owner,
    rules: &[Rule],
) -> Report {
    let mut findings = Vec::new();
    let mut ignored = Vec::new();
    let mut summary = Summary::default();
    let mut methods = BTreeSet::new();
    let mut local_reasons = BTreeSet::new();
    for (r, o) in rendered.iter().zip(observed) {
        let plain = |code: Code, message: String| DiffFinding {
            finding: Finding::new(code, r.id.object_ref(), message),
            group: r.id.group.clone(),
            compared_by: String::new(),
            changed_paths: Vec::new(),
            ignored_paths: Vec::new(),
            diff: String::new(),
        };
        if let Some(reason) = &o.unreadable {
            findings.push(plain(
                Code::IR901,
                format!("not checked: could not read it: {reason}"),
            ));
            continue;
        }
        let Some(live) = &o.live else {
            summary.missing += 1;
            findings.push(plain(
                Code::IR502,
                "missing: rendered but not in the cluster (istioctl install would create it)"
                    .to_string(),
            ));
            continue;
        };
        match ownership(live, owner) {
            Ownership::Unmanaged => {
                summary.unmanaged += 1;
                findings.push(plain(
                    Code::IR504,
                    "exists without istioctl's owner labels: istioctl install would take it over"
                        .to_string(),
                ));
                continue;
            }
            Ownership::Foreign(other) => {
                summary.owned_elsewhere += 1;
                let mut f = plain(
                    Code::IR405,
                    format!(
                        "labelled as owned by IstioOperator {other}: installing {} would take it over, and {other}'s next install would take it back",
                        owner.describe()
                    ),
                );
                f.finding.revisions = vec![owner.revision.clone()];
                findings.push(f);
                continue;
            }
            Ownership::Ours => {}
        }
        let method = if o.merged.is_some() {
            SERVER_DRY_RUN
        } else {
            LOCAL
        };
        methods.insert(method);
        if let Some(reason) = &o.local_reason {
            local_reasons.insert(reason.clone());
        }
        let c = compare_one(r, live, o.merged.as_ref(), rules);
        if c.changed.is_empty() {
            summary.in_sync += 1;
            if !c.ignored.is_empty() {
                ignored.push(Ignored {
                    object: r.id.object_ref(),
                    paths: c.ignored,
                });
            }
            continue;
        }
        summary.drifted += 1;
        let shown: Vec<&str> = c.changed.iter().take(3).map(String::as_str).collect();
        let more = c.changed.len().saturating_sub(3);
        let mut message = format!(
            "drifted: istioctl install would change {}",
            shown.join(", ")
        );
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
        findings.push(DiffFinding {
            finding: Finding::new(Code::IR501, r.id.object_ref(), message)
                .fix("istioctl install with this CR puts it back; or bring the change into the CR"),
            group: r.id.group.clone(),
            compared_by: method.to_string(),
            changed_paths: c.changed,
            ignored_paths: c.ignored,
            diff: c.diff,
        });
    }
    let rendered_ids: BTreeSet<&ObjId> = rendered.iter().map(|r| &r.id).collect();
    for v in candidates {
        let Some(id) = identity(v, "") else { continue };
        if rendered_ids.contains(&id) {
            continue;
        }
        let labels = &v["metadata"]["labels"];
        if labels[LABEL_NOT_PRUNED].as_str() == Some("true") {
            continue;
        }
        summary.orphaned += 1;
        let component = labels[LABEL_COMPONENT].as_str().unwrap_or("");
        let mut message = format!(
            "orphaned: carries {}'s owner labels (revision {}, component {component}) but is no longer rendered",
            owner.describe(),
            owner.revision
        );
        if let Some(version) = labels[LABEL_VERSION].as_str() {
            message.push_str(&format!(
                "; stamped by istioctl {version} (istioctl only prunes objects of its own version)"
            ));
        }
        let ns_flag = if id.namespace.is_empty() {
            String::new()
        } else {
            format!(" -n {}", id.namespace)
        };
        findings.push(DiffFinding {
            finding: Finding::new(Code::IR503, id.object_ref(), message)
                .revisions([owner.revision.clone()])
                .fix(format!(
                    "kubectl delete {}{ns_flag} {} (after checking nothing uses it)",
                    id.kind.to_lowercase(),
                    id.name
                )),
            group: id.group.clone(),
            compared_by: String::new(),
            changed_paths: Vec::new(),
            ignored_paths: Vec::new(),
            diff: String::new(),
        });
    }
    findings.sort_by(|a, b| {
        let (x, y) = (&a.finding, &b.finding);
        y.severity
            .cmp(&x.severity)
            .then(x.code.cmp(&y.code))
            .then(x.object.cmp(&y.object))
    });
    let compared_by = describe_method(&methods, &local_reasons);
    Report {
        rendered_from: String::new(),
        against: String::new(),
        compared_by,
        owner: owner.clone(),
        rendered_objects: rendered.len(),
        summary,
        findings,
        ignored,
        ignore_rules: rules.to_vec(),
        notes: Vec::new(),
        not_checked: Vec::new(),
    }
}

fn describe_method(methods: &BTreeSet<&str>, local_reasons: &BTreeSet<String>) -> String {
    let server = "server-side apply dry run as field manager istio-operator";
    let local = format!(
        "rendered fields against live objects, normalized ({})",
        local_reasons.iter().cloned().collect::<Vec<_>>().join("; ")
    );
    match (methods.contains(SERVER_DRY_RUN), methods.contains(LOCAL)) {
        (true, true) => format!("{server}; some objects by {local}"),
        (true, false) => server.to_string(),
        (false, true) => local,
        (false, false) => "nothing compared (no rendered object exists as ours)".to_string(),
    }
}

pub struct Comparison {
    pub changed: Vec<String>,
    pub ignored: Vec<String>,
    pub diff: String,
}

/// Compares one object: `merged` from a server dry run, or predicted by overlaying the
/// rendered fields on live.
pub fn compare_one(
    r: &Rendered,
    live: &Value,
    merged: Option<&Value>,
    rules: &[Rule],
) -> Comparison {
    let mut live_c = live.clone();
    compare::strip_noise(&mut live_c);
    let mut merged_c = match merged {
        Some(m) => m.clone(),
        None => {
            let mut rendered = r.obj.clone();
            normalize::fold_string_data(&mut rendered);
            compare::overlay(&live_c, &rendered, "")
        }
    };
    compare::strip_noise(&mut merged_c);
    let mut ignored = Vec::new();
    for rule in rules.iter().filter(|rule| rule.matches(&r.id)) {
        ignored.extend(ignore::apply(rule, &mut live_c, &mut merged_c));
    }
    ignored.sort();
    ignored.dedup();
    let changed = compare::changed_paths(&live_c, &merged_c);
    let diff = if changed.is_empty() {
        String::new()
    } else {
        render::unified(&r.id, &live_c, &merged_c)
    };
    Comparison {
        changed,
        ignored,
        diff,
    }
}

/// Reads whole objects from `--snapshot` paths (files, directories, `-`): `kubectl get -o
/// yaml|json` output, lists or single objects, multi-document YAML.
pub fn read_snapshot_objects(paths: &[String]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            let text = std::io::read_to_string(std::io::stdin())
                .map_err(|e| Error::input("<stdin>", e))?;
            parse_objects("<stdin>", &text, &mut out)?;
            continue;
        }
        let path = std::path::Path::new(p);
        let files = if path.is_dir() {
            crate::snapshot::snapshot_files(path)?
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(&f).map_err(|e| Error::input(&name, e))?;
            parse_objects(&name, &text, &mut out)?;
        }
    }
    Ok(out)
}

fn parse_objects(name: &str, text: &str, out: &mut Vec<Value>) -> Result<(), Error> {
    let first = text.trim_start().chars().next();
    let docs: Vec<Value> = if matches!(first, Some('{' | '[')) {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .map_err(|e| Error::parse(name, None, e))?
    } else {
        yaml_documents(name, text)?
    };
    for d in docs {
        push_object(d, out);
    }
    Ok(())
}

fn push_object(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| push_object(i, out)),
        Value::Object(mut m) => {
            let is_list = m
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                || (m.get("kind").is_none() && m.contains_key("items"));
            if is_list {
                if let Some(Value::Array(items)) = m.remove("items") {
                    items.into_iter().for_each(|i| push_object(i, out));
                }
            } else if m.contains_key("kind") {
                out.push(Value::Object(m));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owner() -> Owner {
        Owner {
            name: Some("control-plane".into()),
            namespace: Some("istio-system".into()),
            revision: "default".into(),
        }
    }

    fn rendered(obj: Value) -> Rendered {
        let id = identity(&obj, "istio-system").unwrap();
        Rendered {
            id,
            api_version: obj["apiVersion"].as_str().unwrap().to_string(),
            obj,
        }
    }

    #[test]
    fn stamping_adds_the_installer_labels() {
        let mut r = rendered(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "istio", "namespace": "istio-system",
                "labels": {"install.operator.istio.io/owning-resource": "unknown",
                           "operator.istio.io/component": "Pilot"}}}));
        stamp(&mut r, &owner());
        assert_eq!(
            r.obj["metadata"]["labels"],
            json!({
                "install.operator.istio.io/owning-resource": "control-plane",
                "install.operator.istio.io/owning-resource-namespace": "istio-system",
                "operator.istio.io/managed": "Reconcile",
                "operator.istio.io/component": "Pilot",
                "istio.io/rev": "default"
            })
        );
    }

    #[test]
    fn ownership_by_labels() {
        let o = owner();
        let live = |labels: Value| json!({"metadata": {"labels": labels}});
        assert_eq!(ownership(&live(json!({})), &o), Ownership::Unmanaged);
        assert_eq!(
            ownership(
                &live(json!({"install.operator.istio.io/owning-resource": "unknown"})),
                &o
            ),
            Ownership::Unmanaged
        );
        assert_eq!(
            ownership(
                &live(json!({"operator.istio.io/managed": "Reconcile",
                "install.operator.istio.io/owning-resource": "control-plane"})),
                &o
            ),
            Ownership::Ours
        );
        assert_eq!(
            ownership(
                &live(json!({"operator.istio.io/managed": "Reconcile",
                "install.operator.istio.io/owning-resource": "gateways",
                "install.operator.istio.io/owning-resource-namespace": "istio-ingress"})),
                &o
            ),
            Ownership::Foreign("istio-ingress/gateways".into())
        );
    }

    #[test]
    fn prune_selector_has_no_version() {
        assert_eq!(
            prune_selector(&owner()),
            "operator.istio.io/managed=Reconcile,istio.io/rev=default,operator.istio.io/component,install.operator.istio.io/owning-resource=control-plane,install.operator.istio.io/owning-resource-namespace=istio-system"
        );
    }

    #[test]
    fn rendered_objects_get_their_namespace() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: istiod\n---\n# only a comment\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n  namespace: ignored\n";
        let r = read_rendered("m.yaml", text, "istio-canary").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].obj["metadata"]["namespace"], "istio-canary");
        assert_eq!(r[0].id.to_string(), "Service/istio-canary/istiod");
        assert!(r[1].obj["metadata"].get("namespace").is_none());
        assert_eq!(r[1].api_version, "rbac.authorization.k8s.io/v1");
        let twice = format!("{text}---\n{text}");
        assert!(read_rendered("m.yaml", &twice, "x").is_err());
    }

    #[test]
    fn lists_and_documents_are_read() {
        let mut out = Vec::new();
        parse_objects("t", "{\"kind\":\"List\",\"items\":[{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}]}", &mut out).unwrap();
        parse_objects("t", "kind: Secret\nmetadata: {name: b}\n---\n# c\n---\nkind: ServiceList\nitems:\n- kind: Service\n  metadata: {name: c}\n", &mut out).unwrap();
        let names: Vec<&str> = out
            .iter()
            .map(|v| v["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
