//! Every bad input exits 2 with one line on stderr naming the file (and the document).

use assert_cmd::cargo::cargo_bin_cmd;
use std::path::Path;

fn bad(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/bad")
        .join(file);
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--snapshot"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
    assert!(out.stdout.is_empty(), "{file}: nothing on stdout");
    assert_eq!(stderr.lines().count(), 1, "{file}: one line: {stderr}");
    assert!(
        stderr.contains(&path.display().to_string()),
        "{file}: names the file: {stderr}"
    );
    stderr
}

#[test]
fn missing_file() {
    let e = bad("does-not-exist.yaml");
    assert!(e.contains("No such file"), "{e}");
}

#[test]
fn not_yaml() {
    let e = bad("not-yaml.yaml");
    assert!(e.contains("document 1") || e.contains("line"), "{e}");
}

#[test]
fn yaml_that_is_not_a_kubernetes_object() {
    let e = bad("not-k8s.yaml");
    assert!(
        e.contains("document 1") && e.contains("Kubernetes object"),
        "{e}"
    );
}

#[test]
fn list_with_one_broken_item() {
    let e = bad("list-broken-item.yaml");
    assert!(
        e.contains("document 1") && e.contains("item 3") && e.contains("no kind"),
        "{e}"
    );
}

#[test]
fn object_without_name() {
    let e = bad("no-name.yaml");
    assert!(e.contains("has no metadata.name"), "{e}");
}

#[test]
fn good_multi_document_and_json_inputs_load() {
    for file in ["multi-doc.yaml", "list.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/bad")
            .join(file);
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["status", "--fail-on", "none", "--snapshot"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn snapshot_from_stdin() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad/multi-doc.yaml"),
    )
    .unwrap();
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args([
            "status",
            "--fail-on",
            "none",
            "-o",
            "json",
            "--snapshot",
            "-",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["findings"].is_array());
}

#[test]
fn usage_errors_exit_2() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--fail-on", "sometimes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_reads_as_a_kubectl_plugin() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Usage: kubectl istio-rev"), "{help}");
}

fn run_status(args: &[&str]) -> (i32, String) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .arg("status")
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn missing_kubeconfig_names_the_file() {
    let (code, stderr) = run_status(&["--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("/nonexistent/kubeconfig"), "{stderr}");
}

#[test]
fn bad_request_timeout_and_chunk_size_are_usage_errors() {
    for args in [
        &["--request-timeout", "soon"][..],
        &["--request-timeout", "5d"][..],
        &["--chunk-size", "0"][..],
    ] {
        let (code, stderr) = run_status(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(args[0]), "{args:?}: {stderr}");
    }
}

#[test]
fn a_fleet_cannot_read_a_snapshot() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad/multi-doc.yaml");
    let (code, stderr) = run_status(&["--context", "a,b", "--snapshot", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--snapshot"), "{stderr}");
}
