//! Suppression, the same for every command: `--ignore CODE[=KIND/NAMESPACE/NAME]`, the
//! `istio-rev.io/ignore` annotation, `--config` rules. Suppressed findings are listed with
//! their rule and never count.

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

const IR103: &str = "testdata/scenarios/broken-ir103-no-control-plane/cluster.yaml";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn codes(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn ignore_flags_suppress_list_and_never_count() {
    let (code, _, _) = run(&["status", "--snapshot", IR103, "-o", "json"]);
    assert_eq!(code, 1, "IR103 is an error");
    let (code, out, err) = run(&[
        "status",
        "--snapshot",
        IR103,
        "-o",
        "json",
        "--ignore",
        "IR103",
        "--ignore",
        "IR10?=Deployment/book*/rat*",
    ]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(codes(&v, "findings"), Vec::<String>::new());
    assert_eq!(codes(&v, "suppressed"), ["IR103 ratings", "IR102 ratings"]);
    let by: Vec<&str> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suppressedBy"].as_str().unwrap())
        .collect();
    assert_eq!(
        by,
        ["--ignore IR103", "--ignore IR10?=Deployment/book*/rat*"]
    );
    // The table lists them too, and SARIF keeps them as suppressed results.
    let (_, table, _) = run(&["status", "--snapshot", IR103, "--ignore", "IR10*"]);
    assert!(table.contains("SUPPRESSED (2, not counted)"), "{table}");
    assert!(table.contains("suppressed by: --ignore IR10*"), "{table}");
    let (_, sarif, _) = run(&[
        "status",
        "--snapshot",
        IR103,
        "--ignore",
        "IR10*",
        "-o",
        "sarif",
    ]);
    let results = json(&sarif)["runs"][0]["results"].clone();
    assert_eq!(results.as_array().unwrap().len(), 2);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["suppressions"][0]["kind"] == "external")
    );
    // A rule for another object suppresses nothing.
    let (code, _, _) = run(&[
        "status",
        "--snapshot",
        IR103,
        "--ignore",
        "IR103=Deployment/shop/*",
    ]);
    assert_eq!(code, 1);
}

#[test]
fn the_annotation_on_the_object_suppresses_its_findings() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(IR103))
            .unwrap();
    let annotated = text.replacen(
        "      deployment.kubernetes.io/revision: \"1\"\n    creationTimestamp: \"2026-11-02T10:02:00Z\"\n    generation: 1\n    labels:\n      app: ratings\n",
        "      deployment.kubernetes.io/revision: \"1\"\n      istio-rev.io/ignore: IR102, IR103\n    creationTimestamp: \"2026-11-02T10:02:00Z\"\n    generation: 1\n    labels:\n      app: ratings\n",
        1,
    );
    assert_ne!(annotated, text, "the ratings Deployment is in the scenario");
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, annotated).unwrap();
    let (code, out, err) = run(&["status", "--snapshot", file.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(codes(&v, "suppressed"), ["IR103 ratings", "IR102 ratings"]);
    assert_eq!(
        v["suppressed"][0]["suppressedBy"],
        "annotation istio-rev.io/ignore: IR102, IR103"
    );
    // The annotation survives a snapshot round trip.
    let (_, snapshot, _) = run(&["snapshot", "--snapshot", file.to_str().unwrap()]);
    assert!(
        snapshot.contains("istio-rev.io/ignore: IR102, IR103"),
        "{snapshot}"
    );
}

#[test]
fn config_file_sets_fail_on_and_rules_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ci.yaml");
    std::fs::write(
        &config,
        "failOn: warning\nignore:\n  - rule: IR103=Deployment/bookinfo/ratings\n    reason: retired next sprint\n",
    )
    .unwrap();
    let c = config.to_str().unwrap();
    // IR103 suppressed, IR102 (a warning) now fails the run.
    let (code, out, _) = run(&["status", "--snapshot", IR103, "-o", "json", "--config", c]);
    assert_eq!(code, 1);
    let v = json(&out);
    assert_eq!(codes(&v, "findings"), ["IR102 ratings"]);
    assert_eq!(v["suppressed"][0]["reason"], "retired next sprint");
    assert_eq!(
        v["suppressed"][0]["suppressedBy"],
        format!("{c} IR103=Deployment/bookinfo/ratings")
    );
    // The flag beats the file.
    let (code, _, _) = run(&[
        "status",
        "--snapshot",
        IR103,
        "--config",
        c,
        "--fail-on",
        "error",
    ]);
    assert_eq!(code, 0);
    // The same rules apply to a gate.
    let (code, out, _) = run(&[
        "gate",
        "post-upgrade",
        "--target",
        "1-8-1",
        "--snapshot",
        IR103,
        "-o",
        "json",
        "--config",
        c,
        "--ignore",
        "IR102",
    ]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn bad_rules_and_ir901_suppression_are_usage_errors() {
    for (rule, says) in [
        ("IR999", "matches no finding code"),
        ("IR901", "--allow-partial"),
        ("IR102=Deployment/x", "three parts"),
        ("Deployment/a/b:/spec", "--ignore-path"),
    ] {
        let (code, _, err) = run(&["status", "--snapshot", IR103, "--ignore", rule]);
        assert_eq!(code, 2, "{rule}");
        assert!(err.starts_with("error: --ignore: ignore rule"), "{err}");
        assert!(err.contains(says), "{rule}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("old.yaml");
    std::fs::write(&config, "ignore:\n  - ConfigMap/istio-*/istio:/data/mesh\n").unwrap();
    let (code, _, err) = run(&[
        "status",
        "--snapshot",
        IR103,
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("list it under ignorePaths"), "{err}");
}

#[test]
fn a_gateway_api_gateway_is_suppressed_by_its_own_annotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = "testdata/scenarios/broken-ir209-gateway-not-programmed/cluster.yaml";
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap();
    let annotated = text.replacen(
        "  kind: Gateway\n  metadata:\n    creationTimestamp: \"2026-09-07T08:33:00Z\"\n    generation: 1\n    labels:\n      istio.io/rev: prod-stable\n    name: bookinfo-gateway\n",
        "  kind: Gateway\n  metadata:\n    annotations:\n      istio-rev.io/ignore: IR209\n    creationTimestamp: \"2026-09-07T08:33:00Z\"\n    generation: 1\n    labels:\n      istio.io/rev: prod-stable\n    name: bookinfo-gateway\n",
        1,
    );
    assert_ne!(
        annotated, text,
        "the bookinfo-gateway Gateway is in the scenario"
    );
    let file = dir.path().join("cluster.yaml");
    std::fs::write(&file, annotated).unwrap();
    let (code, out, err) = run(&["status", "--snapshot", file.to_str().unwrap(), "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(codes(&v, "suppressed"), ["IR209 bookinfo-gateway"]);
    assert!(codes(&v, "findings").is_empty(), "{out}");
}
