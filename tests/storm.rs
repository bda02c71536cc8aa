//! Fault storms against the loopback API server: many faults at once (500, 429 with
//! Retry-After, resets, truncated bodies, slow answers past the timeout, an expired continue
//! mid-list), in bounded runs. Every run must end in one of three ways:
//!
//! * exactly the findings and exit code of the clean run (the retries absorbed the storm);
//! * a report that says what it could not check (IR901, `not_checked`) and exits 3;
//! * exit 3 with one line on stderr.
//!
//! The same for the three gates. `fix --yes` under a storm either finishes every change (exit
//! 0, and nothing is left to do), or stops and lists what it did not do (exit 1), or exits 3
//! having written nothing; a second fix on the calm cluster then finishes the job.
//!
//! Never a clean verdict, nor a different verdict, on data the tool did not see. `STORM_RUNS`
//! (default 6 per scenario, so CI stays bounded) and `STORM_SEED` replay or extend a run;
//! `scripts/storm-long.sh` makes a long run.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::finding_lines;
use common::live::Run;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle, StormReport};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// The plugin against `server`, paging in small chunks so a list spans many requests, with a
/// request timeout shorter than the storm's slow answers (which then fail as timeouts).
fn plugin(server: &ServerHandle, args: &[&str]) -> Run {
    plugin_waiting(server, args, "2s")
}

fn plugin_waiting(server: &ServerHandle, args: &[&str], request_timeout: &str) -> Run {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(args)
        .args(["--chunk-size", "4", "--request-timeout", request_timeout])
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn status(server: &ServerHandle) -> Run {
    plugin(server, &["status", "-o", "json"])
}

fn serve(scenario: &str, storm: Option<Fault>) -> ServerHandle {
    serve_rolling(scenario, storm, Duration::ZERO)
}

fn serve_rolling(scenario: &str, storm: Option<Fault>, rollout: Duration) -> ServerHandle {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(scenario)
        .join("cluster.yaml");
    let mut server = FakeApiServer::new()
        .objects_from_file(path)
        .unwrap()
        .rollout_delay(rollout);
    if let Some(f) = storm {
        server = server.fault(f);
    }
    server.start()
}

/// The storm of one run: its seed, and a rate of 10-30% of requests.
fn storm(base_seed: u64, run: u64, salt: usize) -> (Fault, String) {
    let seed = base_seed ^ (run.wrapping_mul(0x9E37_79B9)) ^ salt as u64;
    let per_mille = 100 + (seed % 200) as u16;
    let fault = Fault::Storm {
        seed,
        per_mille,
        slow: Duration::from_secs(3),
    };
    (fault, format!("seed {seed:#x} rate {per_mille}‰"))
}

#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    same: usize,
    partial: usize,
    unreadable: usize,
    /// fix: runs that stopped partway and listed what they did not do.
    unfinished: usize,
    requests: usize,
    injected: BTreeMap<&'static str, usize>,
}

impl Tally {
    fn add(&mut self, r: &StormReport) {
        self.requests += r.requests;
        for (k, n) in &r.injected {
            *self.injected.entry(k).or_default() += n;
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Exit 3 with nothing on stdout and one `error:` line on stderr: the cluster could not be read.
fn one_line(got: &Run) -> bool {
    let lines: Vec<&str> = got.stderr.lines().collect();
    got.code == 3
        && got.stdout.trim().is_empty()
        && lines.len() == 1
        && lines[0].starts_with("error: ")
}

/// What a report under a storm must be, next to the clean run's: `Ok(true)` the same verdict,
/// `Ok(false)` a partial one that says so, `Err` anything else. `view` reduces a report to what
/// must match (its findings, and for a gate its checks' states).
fn judge(
    clean: &Run,
    got: &Run,
    view: fn(&serde_json::Value) -> Vec<String>,
    incomplete: fn(&serde_json::Value) -> bool,
) -> Result<bool, String> {
    let report: serde_json::Value = serde_json::from_str(&got.stdout)
        .map_err(|e| format!("exit {} with no report ({e}): {}", got.code, got.stderr))?;
    if incomplete(&report) {
        let says = finding_lines(&report)
            .iter()
            .any(|f| f.starts_with("IR901"));
        if got.code != 3 || !says {
            return Err(format!(
                "incomplete report exits {} (IR901 present: {says})",
                got.code
            ));
        }
        return Ok(false);
    }
    let want = view(&serde_json::from_str(&clean.stdout).unwrap());
    let have = view(&report);
    if have == want && got.code == clean.code {
        Ok(true)
    } else {
        Err(format!(
            "a complete-looking report differs from the clean run (exit {} vs {}):\n  got {have:?}\n  want {want:?}",
            got.code, clean.code
        ))
    }
}

fn not_checked(report: &serde_json::Value) -> bool {
    report["not_checked"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
}

/// A gate's checks that could not run, or the inputs it could not read.
fn gate_incomplete(report: &serde_json::Value) -> bool {
    not_checked(report)
        || report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["state"] == "could not run")
}

/// A gate's verdict: each check's state, its findings and its result.
fn gate_view(report: &serde_json::Value) -> Vec<String> {
    let mut lines: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["name"], c["state"]))
        .collect();
    lines.extend(finding_lines(report));
    lines.push(format!("result {}", report["result"]));
    lines
}

/// Tallies one storm run of a reading command, or records how it failed.
fn tally_run(
    tally: &mut Tally,
    failures: &mut Vec<String>,
    context: &str,
    clean: &Run,
    got: &Run,
    judged: impl FnOnce() -> Result<bool, String>,
) {
    tally.runs += 1;
    let verdict = match got.code {
        3 if got.stdout.trim().is_empty() => {
            if one_line(got) {
                tally.unreadable += 1;
                return;
            }
            Err(format!("exit 3 without one line: {:?}", got.stderr))
        }
        0..=3 => judged(),
        other => Err(format!("exit {other}: {}", got.stderr)),
    };
    match verdict {
        Ok(true) => tally.same += 1,
        Ok(false) => tally.partial += 1,
        Err(e) => failures.push(format!("{context}: {e} (clean run exit {})", clean.code)),
    }
}

fn report(name: &str, tally: &Tally) {
    eprintln!(
        "storm {name}: {} runs, {} requests, faults injected {:?}; outcomes: {} same as clean, {} partial (IR901, non-zero), {} exit 3 one line, {} stopped partway listing what was left",
        tally.runs,
        tally.requests,
        tally.injected,
        tally.same,
        tally.partial,
        tally.unreadable,
        tally.unfinished
    );
    let injected: usize = tally.injected.values().sum();
    assert!(injected > 0, "the storm injected nothing: {tally:?}");
}

#[test]
fn storms_end_in_the_clean_verdict_a_partial_report_or_one_line() {
    let runs = env_u64("STORM_RUNS", 6);
    let base_seed = env_u64("STORM_SEED", 0x5eed);
    // A mid-upgrade mesh with findings, and one whose clean verdict is "nothing wrong".
    let scenarios = ["istioctl-3-relabeled", "istioctl-6-old-removed"];
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for scenario in scenarios {
        let clean = status(&serve(scenario, None));
        for run in 0..runs {
            let (fault, what) = storm(base_seed, run, scenario.len());
            let server = serve(scenario, Some(fault));
            let got = status(&server);
            tally.add(&server.storm_report());
            tally_run(
                &mut tally,
                &mut failures,
                &format!("status {scenario} {what}"),
                &clean,
                &got,
                || judge(&clean, &got, finding_lines, not_checked),
            );
        }
    }
    report("status", &tally);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn gates_under_a_storm_pass_or_fail_as_on_a_clean_cluster_or_say_what_did_not_run() {
    let runs = env_u64("STORM_RUNS", 6);
    let base_seed = env_u64("STORM_SEED", 0x5eed);
    // Mid-upgrade (namespaces relabelled, pods not restarted): each gate has findings of its own.
    let scenario = "istioctl-3-relabeled";
    let gates: [&[&str]; 3] = [
        &["gate", "pre-upgrade", "--target", "1-8-1", "-o", "json"],
        &["gate", "post-upgrade", "--target", "1-8-1", "-o", "json"],
        &["gate", "remove-revision", "1-8-0", "-o", "json"],
    ];
    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for (i, gate) in gates.iter().enumerate() {
        let clean = plugin(&serve(scenario, None), gate);
        assert!(
            clean.code <= 1,
            "{}: {}{}",
            gate.join(" "),
            clean.stdout,
            clean.stderr
        );
        for run in 0..runs {
            let (fault, what) = storm(base_seed, run, 100 + i);
            let server = serve(scenario, Some(fault));
            let got = plugin(&server, gate);
            tally.add(&server.storm_report());
            tally_run(
                &mut tally,
                &mut failures,
                &format!("{} {what}", gate[..2].join(" ")),
                &clean,
                &got,
                || judge(&clean, &got, gate_view, gate_incomplete),
            );
        }
    }
    report("gate", &tally);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What is left to do once a fix has run: the findings of `status --target`, and the changes a
/// new plan would make.
fn left_to_do(server: &ServerHandle) -> Vec<String> {
    let status = plugin(server, &["status", "--target", "1-8-1", "-o", "json"]);
    let mut left = finding_lines(&serde_json::from_str(&status.stdout).unwrap());
    let plan = plugin(server, &["fix", "--dry-run=client", "-o", "json"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    for c in plan["changes"].as_array().unwrap() {
        if c["disposition"]["kind"] == "apply" {
            left.push(format!("change {} {}", c["code"], c["object"]));
        }
    }
    left
}

/// The index of every change a fix report planned to apply, and of those it reports applied.
fn applied(report: &serde_json::Value) -> (Vec<u64>, Vec<u64>) {
    let planned = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, c)| c["disposition"]["kind"] == "apply")
        .map(|(i, _)| i as u64)
        .collect();
    let mut done: Vec<u64> = report["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter(|r| r[1]["result"] == "applied")
                .map(|r| r[0].as_u64().unwrap())
                .collect()
        })
        .unwrap_or_default();
    done.sort_unstable();
    (planned, done)
}

#[test]
fn fix_under_a_storm_finishes_or_says_what_it_left_and_a_rerun_converges() {
    // Each run is a fix, its re-run and four reads: half as many runs as the reading storms.
    let runs = env_u64("STORM_RUNS", 6).div_ceil(2);
    let base_seed = env_u64("STORM_SEED", 0x5eed);
    // Two namespaces to relabel and their workloads to roll (the guide's step 2 onwards).
    let scenario = "istioctl-2-canary-up";
    let fix = ["fix", "--yes", "-o", "json", "--timeout", "20s"];
    let clean = serve_rolling(scenario, None, Duration::ZERO);
    let first = plugin(&clean, &fix);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let (planned, done) = applied(&serde_json::from_str(&first.stdout).unwrap());
    assert!(!planned.is_empty() && planned == done, "{}", first.stdout);
    let settled = left_to_do(&clean);

    let mut tally = Tally::default();
    let mut failures = Vec::new();
    for run in 0..runs {
        let (fault, what) = storm(base_seed, run, 200);
        let server = serve_rolling(scenario, Some(fault), Duration::ZERO);
        let before = server.resource_version();
        // A timeout is never retried: with 2s, a slow read ends the run before any write and a
        // slow write fails its change; with 10s slow answers arrive in time, and the storm's
        // other faults reach the writes and the rollouts' polls.
        let timeout = if run % 2 == 0 { "10s" } else { "2s" };
        let got = plugin_waiting(&server, &fix, timeout);
        tally.add(&server.storm_report());
        tally.runs += 1;
        server.clear_faults();
        let context = format!("fix {what} request timeout {timeout}");
        let report = serde_json::from_str::<serde_json::Value>(&got.stdout);
        match (got.code, report) {
            // Claims every change: it must have made them all.
            (0, Ok(r)) => {
                let (planned, done) = applied(&r);
                let left = left_to_do(&server);
                if planned != done || left != settled {
                    failures.push(format!(
                        "{context}: exit 0 but applied {done:?} of {planned:?}, left {left:?} (want {settled:?})"
                    ));
                } else {
                    tally.same += 1;
                }
            }
            // Stopped partway: the report must name something not applied.
            (1, Ok(r)) => {
                let (planned, done) = applied(&r);
                if planned == done {
                    failures.push(format!(
                        "{context}: exit 1 with every change applied: {}",
                        got.stdout
                    ));
                } else {
                    tally.unfinished += 1;
                }
            }
            // Could not read what it would change: nothing may have been written.
            (3, _) if one_line(&got) => {
                if server.resource_version() != before {
                    failures.push(format!(
                        "{context}: exit 3 ({}) after writing to the cluster",
                        got.stderr.trim()
                    ));
                } else {
                    tally.unreadable += 1;
                }
            }
            (code, _) => failures.push(format!(
                "{context}: exit {code}: {}{}",
                got.stdout, got.stderr
            )),
        }
        // Whatever the storm left half done, a second fix on the calm cluster finishes it.
        let again = plugin(&server, &fix);
        if again.code != 0 {
            failures.push(format!(
                "{context}: the re-run exits {}: {}",
                again.code, again.stderr
            ));
        } else {
            let left = left_to_do(&server);
            if left != settled {
                failures.push(format!(
                    "{context}: the re-run left {left:?}, want {settled:?}"
                ));
            }
        }
    }
    report("fix", &tally);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
