//! End-to-end: the real binary on every scenario under `testdata/scenarios/`, asserting the exact
//! findings (`expected.txt`) and the exit-code contract for every output format.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{finding_lines, fix_lines};
use std::path::{Path, PathBuf};

fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("testdata/scenarios exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("cluster.yaml").exists())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 20,
        "expected the full scenario set, found {}",
        dirs.len()
    );
    dirs
}

fn extra_args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

fn status(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .arg("status")
        .arg("--snapshot")
        .arg(dir.join("cluster.yaml"))
        .args(extra_args(dir))
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}: unexpected stderr: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn every_scenario_gives_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for dir in scenarios() {
        let expected: Vec<String> = {
            let mut v: Vec<String> = std::fs::read_to_string(dir.join("expected.txt"))
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            v.sort();
            v
        };
        let (code, json) = status(&dir, &["-o", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let got = finding_lines(&report);
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected:#?}\n  got      {got:#?}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
        // `fixes.txt`, where present: the exact fix line of each finding it names.
        let fixes = fix_lines(&report);
        for want in std::fs::read_to_string(dir.join("fixes.txt"))
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if !fixes.iter().any(|f| f == want) {
                failures.push(format!(
                    "{}: no finding with fix\n  {want}\n  got {fixes:#?}",
                    dir.file_name().unwrap().to_string_lossy()
                ));
            }
        }
        let has_error = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error");
        assert_eq!(code, i32::from(has_error), "{}: exit code", dir.display());
        for format in ["yaml", "table"] {
            let (c, _) = status(&dir, &["-o", format]);
            assert_eq!(c, code, "{}: -o {format} exits like -o json", dir.display());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn finished_upgrades_are_clean_even_at_fail_on_info() {
    for name in ["istioctl-6-old-removed", "operator-6-old-removed"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/scenarios")
            .join(name);
        let (code, out) = status(&dir, &["--fail-on", "info"]);
        assert_eq!(code, 0, "{name}:\n{out}");
        assert!(out.contains("No findings."), "{out}");
    }
}

#[test]
fn fail_on_moves_the_threshold() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios/istioctl-3-relabeled");
    assert_eq!(status(&dir, &["--fail-on", "error"]).0, 0);
    assert_eq!(status(&dir, &["--fail-on", "warning"]).0, 1);
    assert_eq!(status(&dir, &["--fail-on", "none"]).0, 0);
}

#[test]
fn table_output_snapshots() {
    insta::glob!("../testdata", "scenarios/*/cluster.yaml", |path| {
        let dir = path.parent().unwrap();
        let (_, out) = status(dir, &[]);
        insta::assert_snapshot!(out);
    });
}

#[test]
fn json_and_yaml_carry_the_same_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios/istioctl-3-relabeled");
    let (_, json) = status(&dir, &["-o", "json"]);
    let (_, yaml) = status(&dir, &["-o", "yaml"]);
    let from_json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(from_json, from_yaml);
    assert!(
        from_json["progress"]
            .as_str()
            .unwrap()
            .starts_with("canary 1-8-0 → 1-8-1")
    );
}

#[test]
fn namespace_flag_narrows_the_report() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios/istioctl-3-relabeled");
    let (_, json) = status(&dir, &["-n", "bookinfo", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    for f in report["findings"].as_array().unwrap() {
        let ns = f["object"]["namespace"].as_str().unwrap_or("");
        assert!(
            ns == "bookinfo" || ns == "istio-system" || ns.is_empty(),
            "{f}"
        );
    }
    let names: Vec<&str> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bookinfo"]);
    // -A overrides -n, as in kubectl.
    let (_, all) = status(&dir, &["-n", "bookinfo", "-A", "-o", "json"]);
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert!(all["namespaces"].as_array().unwrap().len() > 1);
}

#[test]
fn colors_follow_the_flags_and_no_color() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios/broken-ir301-not-ready");
    let run = |args: &[&str], no_color: bool| {
        let mut cmd = cargo_bin_cmd!("kubectl-istio_rev");
        cmd.arg("status")
            .arg("--snapshot")
            .arg(dir.join("cluster.yaml"))
            .args(args);
        if no_color {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        String::from_utf8(cmd.output().unwrap().stdout).unwrap()
    };
    assert!(
        run(&["--color", "always"], false).contains("\u{1b}["),
        "forced color"
    );
    assert!(!run(&["--color", "never"], false).contains("\u{1b}["));
    assert!(!run(&["--no-color"], false).contains("\u{1b}["));
    // Not a terminal, and NO_COLOR: plain.
    assert!(!run(&[], true).contains("\u{1b}["));
    assert!(
        !run(&[], false).contains("\u{1b}["),
        "stdout is a pipe here"
    );
    // JSON is never colored.
    assert!(!run(&["--color", "always", "-o", "json"], false).contains("\u{1b}["));
}

/// Issue 13's "done when": each Gateway API and node-agent code is raised on the broken
/// scenario named after it, and on no step of the clean ambient upgrade; no Deployment istiod
/// generated for a Gateway is ever an operator gateway, nor the object of a finding.
#[test]
fn ambient_codes_only_on_their_broken_scenarios() {
    let new_codes = [
        "IR205", "IR206", "IR207", "IR208", "IR209", "IR601", "IR602", "IR603", "IR604",
    ];
    let dirs = scenarios();
    let name = |d: &PathBuf| d.file_name().unwrap().to_string_lossy().into_owned();
    for code in new_codes {
        let prefix = format!("broken-{}-", code.to_lowercase());
        let dir = dirs
            .iter()
            .find(|d| name(d).starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {prefix}* scenario"));
        let (_, json) = status(dir, &["-o", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(
            finding_lines(&report).iter().any(|l| l.starts_with(code)),
            "{code} not raised on {}",
            name(dir)
        );
    }
    let mut clean_steps = 0;
    for dir in dirs.iter().filter(|d| {
        let n = name(d);
        n.starts_with("ambient-") || n.starts_with("broken-ir20") || n.starts_with("broken-ir60")
    }) {
        let (_, json) = status(dir, &["-o", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let lines = finding_lines(&report);
        if name(dir).starts_with("ambient-") {
            clean_steps += 1;
            for code in new_codes {
                assert!(
                    !lines.iter().any(|l| l.starts_with(code)),
                    "{code} on the clean step {}: {lines:#?}",
                    name(dir)
                );
            }
        }
        for g in report["gateways"].as_array().unwrap() {
            let Some(deployment) = g["deployment"].as_str() else {
                continue;
            };
            assert!(
                matches!(g["kind"].as_str(), Some("gateway-api" | "waypoint")),
                "{}: {g}",
                name(dir)
            );
            let object = format!(
                " Deployment {}/{deployment}",
                g["namespace"].as_str().unwrap()
            );
            assert!(
                !lines.iter().any(|l| l.ends_with(&object)),
                "{}: the generated Deployment is named in {lines:#?}",
                name(dir)
            );
        }
    }
    assert_eq!(clean_steps, 7, "the seven steps of the ambient upgrade");
}
