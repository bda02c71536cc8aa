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
//! [`crate::istio::profiles`]). A gateway list entry without `enabled: true` is not installed, as in istioctl.
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

mod rules;

use crate::error::Error;
use crate::finding::Code;
use crate::finding::{Finding, sort_findings};
use crate::inventory::{Input, Inventory};

/// The kinds whose owner labels IR405 compares rendered objects with.
const OWNERSHIP_INPUTS: &[Input] = &[
    Input::Deployments,
    Input::StatefulSets,
    Input::DaemonSets,
    Input::ReplicaSets,
    Input::MutatingWebhookConfigurations,
];
use crate::istio::iop::{self, Cr, IopInput, Slot};
use crate::istio::istioctl;
use crate::istio::manifest::{self, RenderedObject};
use crate::istio::profiles::ProfileSet;
pub use rules::{ReleaseInput, analyze, analyze_releases};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The command line's choices as plain values.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// IstioOperator files, one CR each.
    pub files: Vec<String>,
    /// Rendered output per CR, as `CR_NAME=FILE`.
    pub manifests: Vec<String>,
    /// The istioctl that renders each file; `None`: istioctl on PATH.
    pub istioctl: Option<String>,
    /// The revision the files are installed with.
    pub revision: Option<String>,
    /// The Istio version whose profiles apply.
    pub istio_version: Option<String>,
    /// Rendered output per Helm release (`helm template` or `helm get manifest`), as
    /// `[NAMESPACE/]RELEASE=FILE`.
    pub helm_manifests: Vec<String>,
}

/// A Helm release checked, and where its objects came from.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseRow {
    pub release: crate::istio::helm::Release,
    pub rendered_from: String,
    pub objects: usize,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub helm_releases: Vec<ReleaseRow>,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<crate::inventory::Unreadable>,
}

/// Checks the CRs of `args` and the cluster's (`inventory`; `None`: read neither the cluster
/// nor a snapshot).
pub fn check(args: &Options, inventory: Option<&Inventory>) -> Result<Report, Error> {
    let mut notes = Vec::new();
    let offline = Inventory::default();
    let inventory = match inventory {
        Some(inventory) => inventory,
        None => {
            notes.push(
                "cluster not read (--offline): IstioOperators and owner labels in the cluster not checked"
                    .to_string(),
            );
            &offline
        }
    };
    let profiles = choose_profiles(args.istio_version.as_deref(), inventory)?;
    let files = args
        .files
        .iter()
        .map(|f| iop::read_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut crs = resolve_all(&files, inventory, profiles.set, args.revision.as_deref())?;

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
        rendered[i] = Some(manifest::read_manifest(
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
            rendered[i] = Some(manifest::read_manifest(
                &name,
                &text,
                &cr.install_namespace,
            )?);
            cr.objects_from = "istioctl".to_string();
        }
    }
    if !crs.is_empty() && rendered.iter().all(Option::is_none) {
        notes.push(
            "no rendered manifests (--manifest, --istioctl or istioctl on PATH): objects predicted from the profiles alone"
                .to_string(),
        );
    }
    let releases = read_releases(&args.helm_manifests)?;
    let unread = inventory.unread_inputs();
    if unread.contains(&Input::IstioOperators) {
        notes.push(
            "the cluster's IstioOperator CRs could not be read (IR901): the -f files were checked against each other only"
                .to_string(),
        );
    } else if crs.is_empty() && releases.is_empty() {
        notes.push("no IstioOperator CRs given (-f) or found in the cluster".to_string());
    }

    let mut findings = analyze(
        &crs,
        &rendered,
        inventory,
        profiles.set,
        args.revision.as_deref(),
    );
    findings.extend(analyze_releases(
        &releases,
        &crs,
        &rendered,
        inventory,
        profiles.set,
    ));
    // IR405 and IR407 compare with the owners of the live workloads and webhooks: not with
    // what could not be read.
    let ownership_inputs = OWNERSHIP_INPUTS.iter().any(|i| unread.contains(i));
    if ownership_inputs {
        findings.retain(|f| f.code != Code::IR405 && f.code != Code::IR407);
    }
    let skipped = |input: Input| -> Vec<String> {
        match input {
            Input::IstioOperators => vec!["IR401-IR406 against the cluster's CRs".to_string()],
            i if OWNERSHIP_INPUTS.contains(&i) => vec![
                "IR405 objects owned by another CR".to_string(),
                "IR407 objects a Helm release would take over".to_string(),
            ],
            _ => Vec::new(),
        }
    };
    findings.extend(crate::checks::access::check(
        &inventory.unreadable,
        &skipped,
    ));
    sort_findings(&mut findings);
    let report = Report {
        profiles,
        components: component_rows(&crs),
        helm_releases: releases
            .iter()
            .zip(&args.helm_manifests)
            .map(|(r, arg)| ReleaseRow {
                release: r.release.clone(),
                rendered_from: arg
                    .split_once('=')
                    .map(|(_, f)| f)
                    .unwrap_or(arg)
                    .to_string(),
                objects: r.objects.len(),
            })
            .collect(),
        istio_operators: crs,
        findings,
        notes,
        not_checked: inventory.unreadable.clone(),
    };
    Ok(report)
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
    if inventory.unread_inputs().contains(&Input::Deployments) {
        return Ok(Profiles {
            set: ProfileSet::Latest,
            chosen_by:
                "newest shipped (the control plane's version is unknown: deployments not read)"
                    .to_string(),
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

/// `--helm-manifest [NAMESPACE/]RELEASE=FILE`: each release's rendered objects (namespaced
/// objects that name no namespace are in the release's, as `helm install -n` puts them).
fn read_releases(args: &[String]) -> Result<Vec<ReleaseInput>, Error> {
    let mut out: Vec<ReleaseInput> = Vec::new();
    for a in args {
        let Some((name, file)) = a
            .split_once('=')
            .filter(|(n, f)| !n.is_empty() && !f.is_empty())
        else {
            return Err(Error::Input(format!(
                "--helm-manifest {a}: expected [NAMESPACE/]RELEASE=FILE"
            )));
        };
        let release = crate::istio::helm::Release::parse(name, "--helm-manifest", "istio-system")?;
        if out.iter().any(|r| r.release == release) {
            return Err(Error::Input(format!(
                "--helm-manifest {a}: release {release} given twice"
            )));
        }
        let text = std::fs::read_to_string(file).map_err(|e| Error::input(file, e))?;
        let objects = manifest::read_manifest(file, &text, &release.namespace)?;
        out.push(ReleaseInput { release, objects });
    }
    Ok(out)
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

/// The file and line of each `-f` CR, for SARIF and workflow annotations.
pub fn cr_sources(report: &Report) -> Vec<(crate::finding::ObjectRef, crate::verdict::SourceLine)> {
    report
        .istio_operators
        .iter()
        .filter(|cr| !cr.from_cluster)
        .map(|cr| {
            let line = std::fs::read_to_string(&cr.source)
                .ok()
                .and_then(|text| {
                    text.lines()
                        .position(|l| l.trim_start().starts_with("kind: IstioOperator"))
                })
                .map_or(1, |i| i + 1);
            (
                cr.object(),
                crate::verdict::SourceLine {
                    file: cr.source.clone(),
                    line,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Severity};
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
