//! Every command that reports findings, in every `-o`, on a passing and a failing case: golden
//! outputs (insta), the exit contract, and the CI formats validated against their official
//! schemas (SARIF 2.1.0 and the Ant JUnit XSD, copied into `testdata/schemas/`, the `-o json` envelope
//! against `docs/report.schema.json`) by `tests/validate.py`.

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;
use std::process::Command;

const FORMATS: &[&str] = &[
    "table", "json", "yaml", "junit", "sarif", "markdown", "github",
];

const S: &str = "testdata/scenarios";

/// (name, arguments, exit code) with paths relative to the repository, so outputs are the same
/// on every machine.
fn cases() -> Vec<(&'static str, Vec<String>, i32)> {
    let snap = |s: &str| format!("{S}/{s}/cluster.yaml");
    let v = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            "status-pass",
            v(&["status", "--snapshot", &snap("istioctl-6-old-removed")]),
            0,
        ),
        (
            "status-fail",
            v(&[
                "status",
                "--snapshot",
                &snap("broken-ir103-no-control-plane"),
            ]),
            1,
        ),
        (
            "check-overlap-pass",
            v(&[
                "check-overlap",
                "--offline",
                "-f",
                "testdata/overlap/control-plane.yaml",
                "-f",
                "testdata/overlap/gateways.yaml",
                "--revision",
                "1-8-0",
                "--istio-version",
                "1.8.1",
            ]),
            0,
        ),
        (
            "check-overlap-fail",
            v(&[
                "check-overlap",
                "--offline",
                "-f",
                "testdata/overlap/gateways-on-default.yaml",
                "--istio-version",
                "1.8.1",
            ]),
            1,
        ),
        (
            "diff-pass",
            v(&[
                "diff",
                "--manifest",
                "testdata/istio/manifest-generate-latest/output/pilot_default.golden.yaml",
                "--owner",
                "istio-system/control-plane",
                "--snapshot",
                "testdata/diff/live-pilot-default.json",
            ]),
            0,
        ),
        (
            "diff-fail",
            v(&[
                "diff",
                "--manifest",
                "testdata/istio/manifest-generate-latest/output/pilot_default.golden.yaml",
                "--owner",
                "istio-system/control-plane",
                "--snapshot",
                &snap("istioctl-1-installed"),
            ]),
            1,
        ),
        (
            "gate-pre-upgrade-pass",
            v(&[
                "gate",
                "pre-upgrade",
                "--target",
                "1-8-1",
                "--snapshot",
                &snap("istioctl-1-installed"),
            ]),
            0,
        ),
        (
            "gate-pre-upgrade-fail",
            v(&[
                "gate",
                "pre-upgrade",
                "--target",
                "1.8.2",
                "--snapshot",
                &snap("broken-ir303-dangling-tag"),
            ]),
            1,
        ),
        (
            "gate-post-upgrade-pass",
            v(&[
                "gate",
                "post-upgrade",
                "--target",
                "1-8-1",
                "--snapshot",
                &snap("istioctl-6-old-removed"),
            ]),
            0,
        ),
        (
            "gate-post-upgrade-fail",
            v(&[
                "gate",
                "post-upgrade",
                "--target",
                "1-8-1",
                "--snapshot",
                &snap("istioctl-3-relabeled"),
            ]),
            1,
        ),
        (
            "gate-remove-revision-pass",
            v(&[
                "gate",
                "remove-revision",
                "1-8-0",
                "--snapshot",
                &snap("istioctl-6-old-removed"),
            ]),
            0,
        ),
        (
            "gate-remove-revision-fail",
            v(&[
                "gate",
                "remove-revision",
                "1-8-0",
                "--snapshot",
                &snap("istioctl-3-relabeled"),
            ]),
            1,
        ),
    ]
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[String]) -> Out {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1764633600")
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Runs `tests/validate.py KIND` on `text`; the validators are PyPI's jsonschema and xmlschema,
/// which `.ci/run` installs.
pub fn validate(kind: &str, text: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report");
    std::fs::write(&file, text).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(repo.join("tests/validate.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .expect("python3 runs tests/validate.py (see .ci/run)");
    match out.status.code() {
        Some(0) => Ok(()),
        _ => Err(String::from_utf8_lossy(&out.stderr).to_string()),
    }
}

#[test]
fn every_command_in_every_format_keeps_the_exit_contract_and_validates() {
    for (name, args, expected) in cases() {
        for format in FORMATS {
            let mut a = args.clone();
            a.extend(["-o".to_string(), format.to_string()]);
            let r = run(&a);
            assert_eq!(
                r.code, expected,
                "{name} -o {format}: {}\n{}",
                r.stdout, r.stderr
            );
            assert!(!r.stdout.is_empty(), "{name} -o {format}: no output");
            let checked = match *format {
                "sarif" => Some(validate("sarif", &r.stdout)),
                "junit" => Some(validate("junit", &r.stdout)),
                "json" => Some(validate("report", &r.stdout)),
                _ => None,
            };
            if let Some(Err(e)) = checked {
                panic!("{name} -o {format} is not valid:\n{e}\n{}", r.stdout);
            }
        }
    }
}

/// The machine's name and the crate's version, which golden files must not depend on.
fn stable(text: &str) -> String {
    let mut out = text.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[version]\"",
    );
    if let Some(start) = out.find(" hostname=\"") {
        let from = start + " hostname=\"".len();
        if let Some(len) = out[from..].find('"') {
            out.replace_range(from..from + len, "[host]");
        }
    }
    out
}

#[test]
fn golden_outputs() {
    for (name, args, _) in cases() {
        for format in FORMATS {
            let mut a = args.clone();
            a.extend(["-o".to_string(), format.to_string()]);
            let r = run(&a);
            insta::assert_snapshot!(format!("{name}.{format}"), stable(&r.stdout));
        }
    }
}

#[test]
fn sarif_always_has_results_and_the_catalogue_as_rules() {
    let (_, args, _) = cases().remove(0);
    let mut a = args;
    a.extend(["-o".into(), "sarif".into()]);
    let r = run(&a);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let run = &v["runs"][0];
    assert_eq!(
        run["results"],
        serde_json::json!([]),
        "a clean run has an empty results array"
    );
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let codes = run_json(&["codes".into(), "-o".into(), "json".into()]);
    let catalogue: Vec<&str> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(rules, catalogue);
}

#[test]
fn sarif_points_at_the_file_and_line_of_a_cr() {
    let r = run(&[
        "check-overlap".into(),
        "--offline".into(),
        "-f".into(),
        "testdata/overlap/gateways-on-default.yaml".into(),
        "--istio-version".into(),
        "1.8.1".into(),
        "-o".into(),
        "sarif".into(),
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let result = &v["runs"][0]["results"][0];
    let physical = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        physical["artifactLocation"]["uri"],
        "testdata/overlap/gateways-on-default.yaml"
    );
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/overlap/gateways-on-default.yaml"),
    )
    .unwrap();
    let line = physical["region"]["startLine"].as_u64().unwrap() as usize;
    assert_eq!(text.lines().nth(line - 1), Some("kind: IstioOperator"));
    assert!(
        result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("IstioOperator/")
    );
}

fn run_json(args: &[String]) -> serde_json::Value {
    let r = run(args);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[test]
fn a_bad_format_or_flag_is_a_usage_error() {
    let r = run(&["status".into(), "-o".into(), "xml".into()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(&["codes".into(), "-o".into(), "sarif".into()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // codes reports the catalogue, not findings: clap offers it only the plain formats.
    assert!(
        r.stderr.contains("[possible values: table, json, yaml]"),
        "{}",
        r.stderr
    );
}

#[test]
fn pre_upgrade_fails_the_double_injector_check_on_two_injectors() {
    let r = run_json(&[
        "gate".into(),
        "pre-upgrade".into(),
        "--target".into(),
        "1-8-1".into(),
        "--snapshot".into(),
        format!("{S}/ir107-two-injectors/cluster.yaml"),
        "-o".into(),
        "json".into(),
    ]);
    let check = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "double-injector")
        .unwrap();
    assert_eq!(check["state"], "failed", "{check}");
    assert_eq!(r["exitCode"], 1);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "IR107"),
        "{r}"
    );
}
