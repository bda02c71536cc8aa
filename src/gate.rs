//! The pipeline gates: `pre-upgrade`, `post-upgrade` and `remove-revision`. Each is a list of
//! named checks over finding codes ([`PRE_UPGRADE`], [`POST_UPGRADE`], [`REMOVE_REVISION`]);
//! the verdict ([`crate::verdict::Verdict::settle`]) says which ran, passed, failed or could not
//! run, so a gate never passes a check it did not make.

use crate::checks::{self, removal};
use crate::error::Error;
use crate::finding::{Code, Finding, sort_findings};
use crate::inventory::{Inventory, Unreadable};
use crate::mesh;
use crate::verdict::{CheckRun, SourceLine};
use crate::{diff, overlap};
use serde::Serialize;

/// A gate's check: a name for pipeline logs, what it verifies, and the codes that fail it.
pub struct Check {
    pub name: &'static str,
    pub title: &'static str,
    pub codes: &'static [Code],
}

const OVERLAP: &str = "cr-overlap";
const DRIFT: &str = "install-drift";

pub const PRE_UPGRADE: &[Check] = &[
    Check {
        name: "revision-name",
        title: "the target and every revision and tag are DNS-1123 labels",
        codes: &[Code::IR302],
    },
    Check {
        name: OVERLAP,
        title: "the IstioOperator CRs (-f and the cluster's) do not overlap",
        codes: &[
            Code::IR401,
            Code::IR402,
            Code::IR403,
            Code::IR404,
            Code::IR405,
            Code::IR406,
        ],
    },
    Check {
        name: DRIFT,
        title: "the current install has not drifted from its CRs (--manifest)",
        codes: &[
            Code::IR405,
            Code::IR501,
            Code::IR502,
            Code::IR503,
            Code::IR504,
        ],
    },
    Check {
        name: "control-plane-ready",
        title: "every control plane is ready",
        codes: &[Code::IR301],
    },
    Check {
        name: "proxies-have-control-plane",
        title: "no proxy, gateway, Gateway API gateway or ztunnel depends on a revision without a control plane",
        codes: &[Code::IR103, Code::IR202, Code::IR205, Code::IR603],
    },
    Check {
        name: "no-dangling-tag",
        title: "every revision tag points at a control plane",
        codes: &[Code::IR303],
    },
    Check {
        name: "double-injector",
        title: "no namespace or pod is matched by two injectors",
        codes: &[Code::IR107],
    },
    Check {
        name: "gateway-single-owner",
        title: "no Gateway API gateway or waypoint is claimed by two revisions",
        codes: &[Code::IR206],
    },
    Check {
        name: "node-agent-skew",
        title: "ztunnel and istio-cni are within the supported skew (never ahead, at most one minor behind, cni not far ahead of ztunnel)",
        codes: &[Code::IR601, Code::IR602, Code::IR604],
    },
    Check {
        name: "cluster-readable",
        title: "everything the checks need could be read",
        codes: &[Code::IR901],
    },
];

pub const POST_UPGRADE: &[Check] = &[
    Check {
        name: "control-plane-ready",
        title: "every control plane is ready",
        codes: &[Code::IR301],
    },
    Check {
        name: "namespaces-on-target",
        title: "every injected namespace selects the target",
        codes: &[Code::IR104, Code::IR105, Code::IR106],
    },
    Check {
        name: "workloads-on-target",
        title: "every workload runs what it selects, on a revision with a control plane",
        codes: &[Code::IR102, Code::IR103],
    },
    Check {
        name: "gateways-on-target",
        title: "every gateway runs the target; every Gateway API gateway and waypoint has one owner and runs it",
        codes: &[
            Code::IR201,
            Code::IR202,
            Code::IR205,
            Code::IR206,
            Code::IR207,
            Code::IR208,
        ],
    },
    Check {
        name: "gateways-programmed",
        title: "every owned Gateway API gateway and waypoint is Programmed",
        codes: &[Code::IR209],
    },
    Check {
        name: "node-agents",
        title: "ztunnel points at a control plane; ztunnel and istio-cni are within the supported skew",
        codes: &[Code::IR601, Code::IR602, Code::IR603, Code::IR604],
    },
    Check {
        name: "nothing-mixed",
        title: "no workload or gateway runs two revisions",
        codes: &[Code::IR101, Code::IR204],
    },
    Check {
        name: "no-dangling-tag",
        title: "every revision tag points at a control plane",
        codes: &[Code::IR303],
    },
    Check {
        name: "cluster-readable",
        title: "everything the checks need could be read",
        codes: &[Code::IR901],
    },
];

pub const REMOVE_REVISION: &[Check] = &[
    Check {
        name: "namespaces",
        title: "no namespace selects the revision",
        codes: &[Code::IR701],
    },
    Check {
        name: "workloads-and-pods",
        title: "no workload or pod selects or runs the revision",
        codes: &[Code::IR702],
    },
    Check {
        name: "tags",
        title: "no revision tag points at the revision",
        codes: &[Code::IR703],
    },
    Check {
        name: "gateways",
        title: "no gateway selects or runs the revision",
        codes: &[Code::IR704],
    },
    Check {
        name: "gateway-api-gateways",
        title: "no Gateway API gateway or waypoint is owned by, rendered by or runs the revision",
        codes: &[Code::IR706],
    },
    Check {
        name: "ztunnel",
        title: "ztunnel does not point at the revision's istiod",
        codes: &[Code::IR707],
    },
    Check {
        name: "istio-operators",
        title: "no IstioOperator CR installs the revision",
        codes: &[Code::IR705],
    },
    Check {
        name: "cluster-readable",
        title: "everything the checks need could be read",
        codes: &[Code::IR901],
    },
];

/// `gate pre-upgrade`'s inputs beyond the cluster.
#[derive(Debug, Clone, Default)]
pub struct PreUpgrade {
    pub target: String,
    /// IstioOperator files: checked for overlap with each other and the cluster's.
    pub files: Vec<String>,
    /// `CR=FILE`: the rendered output of an installed CR, diffed against the cluster.
    pub manifests: Vec<String>,
    pub istioctl: Option<String>,
    pub istio_version: Option<String>,
    /// A `--config` file whose `ignorePaths` apply to the drift check.
    pub config: Option<String>,
    pub source: crate::source::Options,
}

/// What a gate saw: its findings (before suppression) and what it could not read.
#[derive(Debug, Clone, Serialize)]
pub struct GateReport {
    pub gate: String,
    /// The target (`pre-upgrade`, `post-upgrade`) or the revision to remove.
    pub revision: String,
    pub findings: Vec<Finding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Unreadable>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A gate's report, its checks (skipped ones already marked) and the files objects came from.
pub struct Outcome {
    pub report: GateReport,
    pub checks: Vec<CheckRun>,
    pub sources: Vec<(crate::finding::ObjectRef, SourceLine)>,
}

fn runs(table: &[Check]) -> Vec<CheckRun> {
    table
        .iter()
        .map(|c| CheckRun::new(c.name, c.title, c.codes))
        .collect()
}

/// Keeps the findings of the gate's own checks, worst first.
fn own(table: &[Check], mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.retain(|f| table.iter().any(|c| c.codes.contains(&f.code)));
    findings.dedup();
    sort_findings(&mut findings);
    findings
}

fn mesh_findings(inventory: &Inventory, target: Option<&str>) -> Vec<Finding> {
    let mesh = mesh::resolve(inventory, None);
    let options = checks::Options {
        target: target.map(str::to_string),
    };
    let mut findings = checks::run(&mesh, &options, &mesh.unread).findings;
    findings.extend(access(inventory));
    findings
}

/// IR901 per unread kind, naming the status checks it took away.
fn access(inventory: &Inventory) -> Vec<Finding> {
    let skipped = |input: crate::inventory::Input| {
        checks::skipped_by(&[input].into())
            .iter()
            .map(|c| format!("{} {}", c.code, c.name))
            .collect::<Vec<String>>()
    };
    checks::access::check(&inventory.unreadable, &skipped)
}

pub fn pre_upgrade(options: &PreUpgrade, inventory: &Inventory) -> Result<Outcome, Error> {
    let mut findings = mesh_findings(inventory, Some(&options.target));
    let mut not_checked = inventory.unreadable.clone();
    let mut notes = Vec::new();
    let mut checks = runs(PRE_UPGRADE);
    let mut sources = Vec::new();
    if options.files.is_empty() {
        skip(&mut checks, OVERLAP, "no -f IstioOperator files given");
    } else {
        let report = overlap::check(
            &overlap::Options {
                files: options.files.clone(),
                manifests: options.manifests.clone(),
                istioctl: options.istioctl.clone(),
                revision: None,
                istio_version: options.istio_version.clone(),
                helm_manifests: Vec::new(),
            },
            Some(inventory),
        )?;
        findings.extend(report.findings.iter().cloned());
        not_checked.extend(report.not_checked.iter().cloned());
        notes.extend(report.notes.iter().cloned());
        sources = overlap::cr_sources(&report);
    }
    if options.manifests.is_empty() {
        skip(
            &mut checks,
            DRIFT,
            "no --manifest CR=FILE given (istioctl manifest generate of the installed CR)",
        );
    }
    for m in &options.manifests {
        let (cr, file) = m
            .split_once('=')
            .ok_or_else(|| Error::Input(format!("--manifest {m:?}: want CR_NAME=FILE")))?;
        let owner_file = options.files.iter().find(|f| {
            f.as_str() == cr
                || crate::istio::iop::read_file(f)
                    .ok()
                    .is_some_and(|iop| iop.name.as_deref() == Some(cr))
        });
        let report = diff::run(&diff::Options {
            manifest: Some(file.to_string()),
            file: owner_file.cloned(),
            owner: owner_file.is_none().then(|| cr.to_string()),
            server_dry_run: true,
            config: options.config.clone(),
            default_ignores: true,
            source: options.source.clone(),
            ..diff::Options::default()
        })?;
        findings.extend(report.findings.iter().map(|f| f.finding.clone()));
        not_checked.extend(report.not_checked.iter().cloned());
        notes.push(format!("{cr}: {}", report.summary.line()));
    }
    Ok(Outcome {
        report: GateReport {
            gate: "pre-upgrade".to_string(),
            revision: options.target.clone(),
            findings: own(PRE_UPGRADE, findings),
            not_checked,
            notes,
        },
        checks,
        sources,
    })
}

pub fn post_upgrade(target: &str, inventory: &Inventory) -> Outcome {
    Outcome {
        report: GateReport {
            gate: "post-upgrade".to_string(),
            revision: target.to_string(),
            findings: own(POST_UPGRADE, mesh_findings(inventory, Some(target))),
            not_checked: inventory.unreadable.clone(),
            notes: Vec::new(),
        },
        checks: runs(POST_UPGRADE),
        sources: Vec::new(),
    }
}

pub fn remove_revision(revision: &str, inventory: &Inventory) -> Outcome {
    let mesh = mesh::resolve(inventory, None);
    let mut findings = removal::check(&mesh, inventory, revision);
    findings.extend(access(inventory));
    let mut notes = Vec::new();
    if mesh.control_plane(revision).is_none() {
        notes.push(format!(
            "no control plane for {revision} in the cluster: nothing to uninstall"
        ));
    }
    Outcome {
        report: GateReport {
            gate: "remove-revision".to_string(),
            revision: revision.to_string(),
            findings: own(REMOVE_REVISION, findings),
            not_checked: inventory.unreadable.clone(),
            notes,
        },
        checks: runs(REMOVE_REVISION),
        sources: Vec::new(),
    }
}

fn skip(checks: &mut [CheckRun], name: &str, why: &str) {
    for c in checks.iter_mut().filter(|c| c.name == name) {
        *c = c.clone().skipped(why);
    }
}
