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
mod evaluate;
pub mod ignore;
mod live;
pub mod normalize;
pub mod report;
pub mod unified;

use evaluate::hpa_rules;
pub use evaluate::{Comparison, compare_one, evaluate};
pub use report::{DiffFinding, Ignored, LOCAL, Observed, Report, SERVER_DRY_RUN, Summary};

use crate::error::Error;
use crate::finding::{Code, Finding, ObjectRef};
use crate::inventory::{Input, Unreadable};
use crate::istio::manifest::{identity, read_rendered};
use crate::istio::objects::ObjId;
use crate::istio::owner::{self, is_prunable, selected_for_prune, stamp};
use crate::istio::{iop, istioctl};
use ignore::Rule;
use serde_json::Value;
use std::collections::BTreeMap;

/// What to compare and with what: the command line's choices as plain values.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The rendered output file, or `-` for stdin.
    pub manifest: Option<String>,
    /// The IstioOperator file: names the owner, and is rendered with istioctl unless
    /// `manifest` is given.
    pub file: Option<String>,
    /// The istioctl that renders `file`; `None`: istioctl on PATH.
    pub istioctl: Option<String>,
    /// The revision installed; `None`: the CR's, else the rendered objects', else `default`.
    pub revision: Option<String>,
    /// The owning IstioOperator as NAME or NAMESPACE/NAME, when `file` does not name it.
    pub owner: Option<String>,
    /// Compare through a server-side apply dry run (live cluster only).
    pub server_dry_run: bool,
    /// User ignore rules, `KIND/NAMESPACE/NAME:/json/pointer`.
    pub ignores: Vec<String>,
    /// A config file with more rules.
    pub config: Option<String>,
    /// Apply the built-in ignores of known false positives.
    pub default_ignores: bool,
    pub source: crate::source::Options,
}

/// Runs a diff: the rendered objects against the cluster or snapshot.
pub fn run(args: &Options) -> Result<Report, Error> {
    let iop = args.file.as_deref().map(iop::read_file).transpose()?;
    // As `kubectl diff -n`: the namespace of rendered objects that name none.
    let install_ns = args
        .source
        .namespace
        .clone()
        .or_else(|| {
            iop.as_ref()
                .and_then(|i| i.spec["namespace"].as_str().map(str::to_string))
        })
        .unwrap_or_else(|| "istio-system".to_string());
    let (text, rendered_from) = rendered_text(args)?;
    let mut rendered = read_rendered(&rendered_from, &text, &install_ns)?;
    let owner = owner::resolve(
        iop.as_ref(),
        args.owner.as_deref(),
        args.revision.as_deref(),
        &rendered,
    )?;
    for r in &mut rendered {
        stamp(r, &owner);
    }
    let mut rules = Vec::new();
    if args.default_ignores {
        rules.extend(ignore::builtins());
    }
    if let Some(path) = &args.config {
        rules.extend(ignore::read_config(path)?);
    }
    for r in &args.ignores {
        rules.push(Rule::parse(r, "--ignore")?);
    }

    let mut notes = Vec::new();
    let (against, observed, candidates, not_checked) = if args.source.is_live() {
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
        let all = crate::source::snapshot::objects::read(&args.source.snapshots)?;
        let mut index: BTreeMap<ObjId, Value> = BTreeMap::new();
        // What the snapshot's own source could not list: an object of those kinds is neither
        // missing nor in sync, it was not seen.
        let mut not_read: BTreeMap<&'static str, String> = BTreeMap::new();
        for v in all {
            if v["kind"] == crate::inventory::parse::NOT_READ_KIND {
                let resource = v["notRead"]["resource"].as_str().unwrap_or_default();
                if let Some(input) = Input::of_unreadable(resource) {
                    let reason = v["notRead"]["reason"].as_str().unwrap_or_default();
                    not_read.insert(
                        input.kind(),
                        format!("the snapshot's source could not list {resource}: {reason}"),
                    );
                }
                continue;
            }
            if let Some(id) = identity(&v, "") {
                index.insert(id, v);
            }
        }
        let observed = rendered
            .iter()
            .map(|r| Observed {
                live: index.get(&r.id).cloned(),
                local_reason: Some("against a snapshot".to_string()),
                unreadable: not_read.get(r.id.kind.as_str()).cloned(),
                ..Observed::default()
            })
            .collect();
        let candidates = index
            .into_values()
            .filter(|v| is_prunable(v) && selected_for_prune(v, &owner))
            .collect();
        ("snapshot".to_string(), observed, candidates, Vec::new())
    };
    if args.default_ignores {
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
    Ok(report)
}

fn rendered_text(args: &Options) -> Result<(String, String), Error> {
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
