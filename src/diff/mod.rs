//! `diff`: rendered output against the cluster — drifted (IR501), missing (IR502), orphaned
//! (IR503), unmanaged (IR504) and owned by another installer (IR405). The owner is an
//! [`Installer`]: an IstioOperator (istioctl) or a Helm release.
//!
//! # Inputs
//! * Rendered: `--manifest FILE` (`istioctl manifest generate`, `helm template` or `helm get
//!   manifest` output, `-` for stdin), or `-f IOP.yaml` rendered on the spot by `istioctl
//!   manifest generate` (`--istioctl PATH`, else istioctl on PATH), or `--helm --chart C
//!   [--values F]...` rendered by `helm template` (`--helm-bin PATH`, else helm on PATH). `-f`
//!   with `--manifest` names the owner without running istioctl; `--helm-release` names a
//!   release as the owner.
//! * Against: the live cluster (default) or `--snapshot` files of whole objects.
//!
//! # Stamping
//! Before comparing, every rendered object gets what its installer adds at apply time
//! ([`Installer::stamp`]: istioctl's owner labels, or Helm's release annotations and label),
//! so a faithful install shows no drift.
//!
//! # Comparing
//! Live, by default: a server-side apply dry run of each rendered object as the installer's
//! field manager (`istio-operator`, or `helm`) with force, as istioctl and Helm 4 apply —
//! "would installing this change the object?". When the dry run is refused (a read-only token), with
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
use crate::istio::helm::{self, Release};
use crate::istio::installer::{HelmOwner, Installer};
use crate::istio::manifest::{identity, read_rendered};
use crate::istio::objects::ObjId;
use crate::istio::owner;
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
    /// The owning Helm release as NAME or NAMESPACE/NAME: the rendered side is then `helm
    /// template` or `helm get manifest` output, and the owner is the release.
    pub helm_release: Option<String>,
    /// Render the release with `helm template` (needs `helm_release` and `chart`).
    pub helm: bool,
    /// The chart `helm template` renders (`istio/istiod`, a directory, a .tgz).
    pub chart: Option<String>,
    /// The chart version (`helm template --version`).
    pub chart_version: Option<String>,
    /// Values files for `helm template` (`--values`).
    pub values: Vec<String>,
    /// The helm that renders; `None`: helm on PATH.
    pub helm_bin: Option<String>,
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
    check_flags(args)?;
    let iop = args.file.as_deref().map(iop::read_file).transpose()?;
    // A release is stored in `-n` (as helm's own flag), else in istio-system, where Istio's
    // docs install every chart but the gateways.
    let release = args
        .helm_release
        .as_deref()
        .map(|r| {
            Release::parse(
                r,
                "--helm-release",
                args.source.namespace.as_deref().unwrap_or("istio-system"),
            )
        })
        .transpose()?;
    // As `kubectl diff -n`: the namespace of rendered objects that name none (for a release,
    // its namespace, as `helm install -n`).
    let install_ns = args
        .source
        .namespace
        .clone()
        .or_else(|| release.as_ref().map(|r| r.namespace.clone()))
        .or_else(|| {
            iop.as_ref()
                .and_then(|i| i.spec["namespace"].as_str().map(str::to_string))
        })
        .unwrap_or_else(|| "istio-system".to_string());
    let (text, rendered_from) = rendered_text(args, release.as_ref())?;
    let mut rendered = read_rendered(&rendered_from, &text, &install_ns)?;
    let owner = match release {
        Some(helm_release) => {
            let by_revision = owner::resolve(None, None, args.revision.as_deref(), &rendered)?;
            Installer::Helm(HelmOwner {
                helm_release,
                revision: by_revision.revision,
            })
        }
        None => Installer::IstioOperator(owner::resolve(
            iop.as_ref(),
            args.owner.as_deref(),
            args.revision.as_deref(),
            &rendered,
        )?),
    };
    for r in &mut rendered {
        owner.stamp(r);
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
            .filter(|v| owner.is_orphan_candidate(v))
            .collect();
        ("snapshot".to_string(), observed, candidates, Vec::new())
    };
    if args.default_ignores {
        rules.extend(hpa_rules(&rendered, &observed, &candidates));
    }
    if let Installer::IstioOperator(o) = &owner
        && o.name.is_none()
    {
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

/// Flags that name two owners, or a way to render that lacks its inputs.
fn check_flags(args: &Options) -> Result<(), Error> {
    let conflict = |a: &str, b: &str| Err(Error::Input(format!("{a} and {b} cannot be combined")));
    if args.helm_release.is_some() {
        if args.file.is_some() {
            return conflict("--helm-release", "-f (an IstioOperator)");
        }
        if args.owner.is_some() {
            return conflict("--helm-release", "--owner (an IstioOperator)");
        }
    }
    if args.helm {
        if args.helm_release.is_none() {
            return Err(Error::Input(
                "--helm needs --helm-release [NAMESPACE/]NAME (the release helm template renders)"
                    .to_string(),
            ));
        }
        if args.chart.is_none() {
            return Err(Error::Input(
                "--helm needs --chart CHART (e.g. istio/istiod)".to_string(),
            ));
        }
        if args.manifest.is_some() {
            return conflict("--helm", "--manifest");
        }
    } else if args.chart.is_some() || !args.values.is_empty() || args.chart_version.is_some() {
        return Err(Error::Input(
            "--chart, --values and --version are for --helm (render with helm template)"
                .to_string(),
        ));
    }
    Ok(())
}

fn rendered_text(args: &Options, release: Option<&Release>) -> Result<(String, String), Error> {
    if let (true, Some(release), Some(chart)) = (args.helm, release, &args.chart) {
        let Some(bin) = helm::locate(args.helm_bin.as_deref())? else {
            return Err(Error::Input(format!(
                "--helm: no helm to render {chart} (pass --helm-bin PATH, put helm on PATH, or give --manifest with helm template output)"
            )));
        };
        let template = helm::Template {
            release,
            chart,
            values: &args.values,
            revision: args.revision.as_deref(),
            chart_version: args.chart_version.as_deref(),
        };
        let text = template.run(&bin)?;
        return Ok((
            text,
            format!("{} {}", bin.display(), template.args().join(" ")),
        ));
    }
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
