//! Fault storms against the loopback API server: many faults at once (500, 429 with
//! Retry-After, resets, truncated bodies, slow answers past the timeout, an expired continue
//! mid-list), in bounded runs. Every run must end in one of three ways:
//!
//! * exactly the findings and exit code of the clean run (the retries absorbed the storm);
//! * a report that says what it could not check (IR901, `not_checked`) and exits 3;
//! * exit 3 with one line on stderr.
//!
//! Never a clean verdict, nor a different verdict, on data the tool did not see. `STORM_RUNS`
//! (default 6 per scenario, so CI stays bounded) and `STORM_SEED` replay or extend a run.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::finding_lines;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle, StormReport};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn status(server: &ServerHandle) -> Outcome {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args([
            "status",
            "-o",
            "json",
            "--chunk-size",
            "4",
            "--request-timeout",
            "2s",
        ])
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn serve(scenario: &str, storm: Option<Fault>) -> ServerHandle {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(scenario)
        .join("cluster.yaml");
    let mut server = FakeApiServer::new().objects_from_file(path).unwrap();
    if let Some(f) = storm {
        server = server.fault(f);
    }
    server.start()
}

#[derive(Debug, Default)]
struct Tally {
    runs: usize,
    same: usize,
    partial: usize,
    unreadable: usize,
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
        let clean_findings = finding_lines(&serde_json::from_str(&clean.stdout).unwrap());
        for run in 0..runs {
            let seed = base_seed ^ (run.wrapping_mul(0x9E37_79B9)) ^ scenario.len() as u64;
            let per_mille = 100 + (seed % 200) as u16;
            let server = serve(
                scenario,
                Some(Fault::Storm {
                    seed,
                    per_mille,
                    slow: Duration::from_secs(3),
                }),
            );
            let got = status(&server);
            tally.runs += 1;
            tally.add(&server.storm_report());
            let context = format!("{scenario} seed {seed:#x} rate {per_mille}‰");
            match got.code {
                // Exit 3 is both "could not read the cluster" (one line, no report) and, under
                // the exit contract, a report that says what it could not check.
                3 if got.stdout.trim().is_empty() => {
                    let lines: Vec<&str> = got.stderr.lines().collect();
                    if lines.len() == 1 && lines[0].starts_with("error: ") {
                        tally.unreadable += 1;
                    } else {
                        failures.push(format!(
                            "{context}: exit 3 without one line: {:?}",
                            got.stderr
                        ));
                    }
                }
                0..=3 => {
                    let report: serde_json::Value = match serde_json::from_str(&got.stdout) {
                        Ok(r) => r,
                        Err(e) => {
                            failures.push(format!(
                                "{context}: exit {} with no report ({e}): {}",
                                got.code, got.stderr
                            ));
                            continue;
                        }
                    };
                    let findings = finding_lines(&report);
                    let incomplete = report["not_checked"]
                        .as_array()
                        .is_some_and(|a| !a.is_empty());
                    if incomplete {
                        let says = findings.iter().any(|f| f.starts_with("IR901"));
                        if got.code != 3 || !says {
                            failures.push(format!(
                                "{context}: incomplete report exits {} (IR901 present: {says})",
                                got.code
                            ));
                        } else {
                            tally.partial += 1;
                        }
                    } else if findings == clean_findings && got.code == clean.code {
                        tally.same += 1;
                    } else {
                        failures.push(format!(
                            "{context}: a complete-looking report differs from the clean run (exit {} vs {}):\n  got {findings:?}\n  want {clean_findings:?}",
                            got.code, clean.code
                        ));
                    }
                }
                other => failures.push(format!("{context}: exit {other}: {}", got.stderr)),
            }
        }
    }
    eprintln!(
        "storm: {} runs, {} requests, faults injected {:?}; outcomes: {} same as clean, {} partial (IR901, non-zero), {} exit 3 one line",
        tally.runs, tally.requests, tally.injected, tally.same, tally.partial, tally.unreadable
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let injected: usize = tally.injected.values().sum();
    assert!(injected > 0, "the storm injected nothing: {tally:?}");
}
