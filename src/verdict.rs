//! What every command hands the renderers and the exit contract: which checks ran and how they
//! ended, the findings that count, the findings a rule suppressed, and whether anything could not
//! be checked.
//!
//! # The exit contract (every command, every `-o`)
//! * 0: nothing at or above `--fail-on`;
//! * 1: a finding at or above `--fail-on`;
//! * 2: bad usage or input (an [`crate::error::Error::Input`]);
//! * 3: something could not be checked (IR901, a check that could not run) or the cluster could
//!   not be read at all, unless `--allow-partial`, which lets IR901 count as the warning it is.
//!
//! 3 wins over 1: a pipeline that sees 1 fixes the findings and runs again, and must not then
//! read 0 from a cluster it still cannot see.

use crate::finding::{Code, FailOn, Finding, ObjectRef};
use crate::inventory::Unreadable;
use crate::suppress::Suppressed;
use serde::Serialize;

/// `--fail-on` and `--allow-partial`, after the config file and the command's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub fail_on: FailOn,
    pub allow_partial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckState {
    Passed,
    Failed,
    /// Its inputs could not be read: it did not run, and the run is incomplete.
    NotRun,
    /// Not asked for (no `-f` for the overlap check, `-n` for a mesh-wide one).
    Skipped,
}

impl CheckState {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckState::Passed => "passed",
            CheckState::Failed => "failed",
            CheckState::NotRun => "could not run",
            CheckState::Skipped => "skipped",
        }
    }
}

/// One check and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct CheckRun {
    pub name: String,
    pub title: String,
    pub codes: Vec<Code>,
    pub state: CheckState,
    /// Why it did not run, or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CheckRun {
    pub fn new(name: &str, title: &str, codes: &[Code]) -> Self {
        CheckRun {
            name: name.to_string(),
            title: title.to_string(),
            codes: codes.to_vec(),
            state: CheckState::Passed,
            reason: None,
        }
    }

    pub fn skipped(mut self, reason: impl Into<String>) -> Self {
        self.state = CheckState::Skipped;
        self.reason = Some(reason.into());
        self
    }

    pub fn not_run(mut self, reason: impl Into<String>) -> Self {
        self.state = CheckState::NotRun;
        self.reason = Some(reason.into());
        self
    }

    /// The check's own findings.
    pub fn findings<'a>(&'a self, findings: &'a [Finding]) -> impl Iterator<Item = &'a Finding> {
        findings.iter().filter(|f| self.codes.contains(&f.code))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `status`, `gate pre-upgrade`, …
    pub command: String,
    pub checks: Vec<CheckRun>,
    /// The findings that count, worst first.
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// Something could not be checked.
    pub incomplete: bool,
    /// The file and line objects came from, where they came from a file (`-f` CRs).
    #[serde(skip)]
    pub sources: Vec<(ObjectRef, SourceLine)>,
}

/// Where an object was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub file: String,
    /// 1-based.
    pub line: usize,
}

/// The API resources (as the sources name them in [`Unreadable`]) each check reads.
///
/// The status checks' inputs are the ones they declare in [`crate::checks::CHECKS`] (so a gate
/// never skips more, or less, than `status` does); the codes raised elsewhere are listed here. A
/// check whose inputs could not be read does not run, and says so.
pub fn inputs(code: Code) -> Vec<&'static str> {
    if let Some(check) = crate::checks::CHECKS.iter().find(|c| c.code == code) {
        return check.inputs.iter().map(|i| i.resource()).collect();
    }
    if let Some(inputs) = crate::checks::removal::inputs(code) {
        return inputs.iter().map(|i| i.resource()).collect();
    }
    other_inputs(code).to_vec()
}

fn other_inputs(code: Code) -> &'static [&'static str] {
    const WORKLOADS: &[&str] = &[
        "namespaces",
        "pods",
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "mutatingwebhookconfigurations",
    ];
    match code {
        Code::IR702 | Code::IR704 => WORKLOADS,
        Code::IR701 => &["namespaces", "mutatingwebhookconfigurations"],
        Code::IR703 => &["mutatingwebhookconfigurations"],
        Code::IR705 => &["istiooperators"],
        Code::IR401 | Code::IR402 | Code::IR403 | Code::IR404 | Code::IR405 | Code::IR406 => {
            &["istiooperators"]
        }
        // diff reads its objects itself and reports each one it could not read as IR901; the
        // status checks declare theirs in crate::checks::CHECKS.
        _ => &[],
    }
}

/// Why a check reading `reads` cannot run, if one of them could not be read.
pub fn unreadable_input(reads: &[&str], unreadable: &[Unreadable]) -> Option<String> {
    let missing: Vec<String> = unreadable
        .iter()
        .filter(|u| reads.contains(&u.resource.as_str()))
        .map(|u| {
            if u.namespace.is_empty() {
                u.resource.clone()
            } else {
                format!("{} in namespace {}", u.resource, u.namespace)
            }
        })
        .collect();
    (!missing.is_empty()).then(|| format!("could not read {}", missing.join(", ")))
}

impl Verdict {
    /// Settles each check: not run when its inputs were unreadable (its findings, made from
    /// missing data, are dropped), failed when a finding of its codes counts, else passed.
    pub fn settle(
        command: &str,
        mut checks: Vec<CheckRun>,
        findings: Vec<Finding>,
        suppressed: Vec<Suppressed>,
        unreadable: &[Unreadable],
    ) -> Verdict {
        for check in &mut checks {
            if check.state != CheckState::Passed {
                continue;
            }
            let reads: Vec<&str> = check.codes.iter().flat_map(|c| inputs(*c)).collect();
            if let Some(why) = unreadable_input(&reads, unreadable) {
                *check = check.clone().not_run(why);
            }
        }
        // A code counts only through a check that ran (two checks may share one, e.g. IR405).
        let ran: Vec<Code> = checks
            .iter()
            .filter(|c| c.state == CheckState::Passed)
            .flat_map(|c| c.codes.iter().copied())
            .collect();
        let dropped: Vec<Code> = checks
            .iter()
            .flat_map(|c| c.codes.iter().copied())
            .filter(|c| !ran.contains(c))
            .collect();
        let findings: Vec<Finding> = findings
            .into_iter()
            .filter(|f| !dropped.contains(&f.code) || f.code == Code::IR901)
            .collect();
        let suppressed: Vec<Suppressed> = suppressed
            .into_iter()
            .filter(|s| !dropped.contains(&s.finding.code))
            .collect();
        for check in &mut checks {
            if check.state == CheckState::Passed && check.findings(&findings).next().is_some() {
                check.state = CheckState::Failed;
            }
        }
        let incomplete = !unreadable.is_empty()
            || findings.iter().any(|f| f.code == Code::IR901)
            || checks.iter().any(|c| c.state == CheckState::NotRun);
        Verdict {
            command: command.to_string(),
            checks,
            findings,
            suppressed,
            incomplete,
            sources: Vec::new(),
        }
    }

    pub fn source_of(&self, object: &ObjectRef) -> Option<&SourceLine> {
        self.sources
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, s)| s)
    }

    /// One check per finding code a command raises, named by its code.
    pub fn by_code(
        command: &str,
        codes: &[Code],
        findings: Vec<Finding>,
        suppressed: Vec<Suppressed>,
        unreadable: &[Unreadable],
    ) -> Verdict {
        let checks = codes
            .iter()
            .map(|c| CheckRun::new(c.as_str(), c.title(), &[*c]))
            .collect();
        Verdict::settle(command, checks, findings, suppressed, unreadable)
    }
}

/// The exit contract, in one place for every command and every `-o`.
pub fn exit_code(verdict: &Verdict, policy: &Policy) -> u8 {
    if verdict.incomplete && !policy.allow_partial {
        3
    } else if verdict
        .findings
        .iter()
        .any(|f| policy.fail_on.trips(f.severity))
    {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{ObjectRef, Severity};

    fn unreadable(resource: &str) -> Unreadable {
        Unreadable {
            resource: resource.to_string(),
            namespace: String::new(),
            reason: "forbidden".to_string(),
        }
    }

    fn f(code: Code) -> Finding {
        Finding::new(code, ObjectRef::cluster("Namespace", "a"), "m")
    }

    const STRICT: Policy = Policy {
        fail_on: FailOn::Error,
        allow_partial: false,
    };

    #[test]
    fn pass_findings_and_partial() {
        let clean = Verdict::by_code("t", &[Code::IR104], vec![], vec![], &[]);
        assert_eq!(exit_code(&clean, &STRICT), 0);
        let warned = Verdict::by_code("t", &[Code::IR104], vec![f(Code::IR104)], vec![], &[]);
        assert_eq!(exit_code(&warned, &STRICT), 0);
        let warning = Policy {
            fail_on: FailOn::Warning,
            ..STRICT
        };
        assert_eq!(exit_code(&warned, &warning), 1);
        let errors = Verdict::by_code("t", &[Code::IR105], vec![f(Code::IR105)], vec![], &[]);
        assert_eq!(exit_code(&errors, &STRICT), 1);
        assert_eq!(errors.checks[0].state, CheckState::Failed);
    }

    #[test]
    fn a_check_whose_input_was_unreadable_does_not_run_and_the_run_exits_3() {
        let v = Verdict::by_code(
            "t",
            &[Code::IR104, Code::IR301, Code::IR901],
            vec![f(Code::IR104), f(Code::IR901).severity(Severity::Warning)],
            vec![],
            &[unreadable("namespaces")],
        );
        assert_eq!(v.checks[0].state, CheckState::NotRun);
        assert_eq!(
            v.checks[0].reason.as_deref(),
            Some("could not read namespaces")
        );
        assert_eq!(v.checks[1].state, CheckState::Passed);
        assert_eq!(
            v.findings.iter().map(|f| f.code).collect::<Vec<_>>(),
            [Code::IR901]
        );
        assert_eq!(exit_code(&v, &STRICT), 3);
        let partial = Policy {
            allow_partial: true,
            ..STRICT
        };
        assert_eq!(exit_code(&v, &partial), 0);
        let partial_warning = Policy {
            fail_on: FailOn::Warning,
            allow_partial: true,
        };
        assert_eq!(
            exit_code(&v, &partial_warning),
            1,
            "IR901 counts as a warning"
        );
    }

    #[test]
    fn the_check_states_as_the_markdown_table_shows_them() {
        assert_eq!(CheckState::Passed.as_str(), "passed");
        assert_eq!(CheckState::Failed.as_str(), "failed");
        assert_eq!(CheckState::NotRun.as_str(), "could not run");
        assert_eq!(CheckState::Skipped.as_str(), "skipped");
    }

    #[test]
    fn the_removal_and_installer_codes_do_not_run_without_what_they_read() {
        // Outside crate::checks::CHECKS: their inputs are listed in other_inputs.
        let cases = [
            (Code::IR701, "namespaces"),
            (Code::IR701, "mutatingwebhookconfigurations"),
            (Code::IR702, "pods"),
            (Code::IR702, "replicasets"),
            (Code::IR704, "deployments"),
            (Code::IR703, "mutatingwebhookconfigurations"),
            (Code::IR705, "istiooperators"),
            (Code::IR401, "istiooperators"),
            (Code::IR402, "istiooperators"),
            (Code::IR403, "istiooperators"),
            (Code::IR404, "istiooperators"),
            (Code::IR405, "istiooperators"),
            (Code::IR406, "istiooperators"),
        ];
        for (code, resource) in cases {
            let v = Verdict::by_code("t", &[code], vec![f(code)], vec![], &[unreadable(resource)]);
            assert_eq!(v.checks[0].state, CheckState::NotRun, "{code:?} {resource}");
            assert!(v.findings.is_empty(), "{code:?} {resource}");
        }
        // ...and only without those: IR703 reads no pods, so it still runs (and fails).
        let v = Verdict::by_code(
            "t",
            &[Code::IR703],
            vec![f(Code::IR703)],
            vec![],
            &[unreadable("pods")],
        );
        assert_eq!(v.checks[0].state, CheckState::Failed);
        assert_eq!(exit_code(&v, &STRICT), 3, "pods were still unreadable");
    }

    fn suppressed(code: Code) -> Suppressed {
        Suppressed {
            finding: f(code),
            suppressed_by: "--ignore".to_string(),
            reason: None,
        }
    }

    #[test]
    fn a_check_that_did_not_run_drops_its_suppressed_findings_too() {
        let v = Verdict::by_code(
            "t",
            &[Code::IR104, Code::IR301],
            vec![],
            vec![suppressed(Code::IR104), suppressed(Code::IR301)],
            &[unreadable("namespaces")],
        );
        assert_eq!(v.checks[0].state, CheckState::NotRun);
        assert_eq!(
            v.suppressed
                .iter()
                .map(|s| s.finding.code)
                .collect::<Vec<_>>(),
            [Code::IR301]
        );
    }

    #[test]
    fn any_one_sign_of_missing_data_makes_the_run_incomplete() {
        // An unreadable resource no check reads: every check ran, nothing raised IR901.
        let v = Verdict::by_code(
            "t",
            &[Code::IR301],
            vec![],
            vec![],
            &[unreadable("secrets")],
        );
        assert_eq!(v.checks[0].state, CheckState::Passed);
        assert!(v.incomplete);
        assert_eq!(exit_code(&v, &STRICT), 3);
        // An IR901 with nothing unreadable (diff reports the objects it could not read itself).
        let v = Verdict::by_code("t", &[Code::IR901], vec![f(Code::IR901)], vec![], &[]);
        assert!(v.incomplete);
        assert_eq!(exit_code(&v, &STRICT), 3);
        // A check settled as not run beforehand.
        let checks = vec![CheckRun::new("x", "x", &[Code::IR301]).not_run("no CRDs")];
        let v = Verdict::settle("t", checks, vec![], vec![], &[]);
        assert!(v.incomplete);
        let v = Verdict::by_code("t", &[Code::IR301], vec![], vec![], &[]);
        assert!(!v.incomplete);
    }

    #[test]
    fn source_of_finds_the_line_of_that_object_only() {
        let mut v = Verdict::by_code("t", &[Code::IR301], vec![], vec![], &[]);
        let a = ObjectRef::cluster("Namespace", "a");
        let b = ObjectRef::cluster("Namespace", "b");
        let line = |n| SourceLine {
            file: "crs.yaml".to_string(),
            line: n,
        };
        v.sources = vec![(a.clone(), line(3)), (b.clone(), line(9))];
        assert_eq!(v.source_of(&b), Some(&line(9)));
        assert_eq!(v.source_of(&a), Some(&line(3)));
        assert_eq!(v.source_of(&ObjectRef::cluster("Namespace", "c")), None);
    }
}
