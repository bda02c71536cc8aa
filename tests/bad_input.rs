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
fn a_fix_timeout_of_zero_or_nonsense_is_a_usage_error() {
    // The last is more than 0 but under a nanosecond: a zero Duration all the same.
    for timeout in ["0", "0s", "soon", "0.0000000001s"] {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["fix", "--dry-run=client", "--timeout", timeout])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{timeout}: {stderr}");
        // clap's usage error: the flag and the reason on its first line.
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.contains("--timeout"), "{timeout}: {stderr}");
        assert!(
            first.contains(&format!("{timeout:?}")),
            "{timeout}: {stderr}"
        );
    }
}

#[test]
fn prune_and_force_conflicts_without_a_rendered_install_are_refused() {
    for flag in ["--prune", "--force-conflicts"] {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["fix", "--dry-run=client", flag])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{flag}: {stderr}");
        assert!(
            stderr.contains("--prune and --force-conflicts are for drift"),
            "{flag}: {stderr}"
        );
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

/// A laptop with no cluster: no KUBECONFIG, no ~/.kube/config, not in a pod. Every command says
/// so in one line and what to pass instead, never kube's inference error.
#[test]
fn no_cluster_configured_is_one_line_for_every_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = tempfile::tempdir().unwrap();
    let overlap = root.join("testdata/overlap");
    let a = overlap.join("control-plane-1-8-0.yaml");
    let b = overlap.join("gateways-1-8-0.yaml");
    let manifest = root.join("testdata/diff/pilot-canary.golden.yaml");
    let commands: Vec<(Vec<&str>, &str)> = vec![
        (vec!["status"], "--snapshot"),
        (vec!["status", "--all-contexts"], "--snapshot"),
        (vec!["status", "--context", "prod"], "--snapshot"),
        (
            vec![
                "check-overlap",
                "-f",
                a.to_str().unwrap(),
                "-f",
                b.to_str().unwrap(),
            ],
            "--offline",
        ),
        (
            vec!["diff", "--manifest", manifest.to_str().unwrap()],
            "--snapshot",
        ),
        (vec!["snapshot"], "--kubeconfig"),
    ];
    for (args, advice) in commands {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(&args)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .env("HOME", home.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
        assert!(
            stderr.contains(
                "no cluster configured (KUBECONFIG unset, ~/.kube/config missing, not in a pod)"
            ),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains(advice),
            "{args:?}: suggests {advice}: {stderr}"
        );
        assert!(stderr.contains("--kubeconfig"), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("infer"),
            "{args:?}: not kube's words: {stderr}"
        );
    }
}

/// What a parser says about a damaged file, in the file's words: no Rust type, no advice meant
/// for the program's author, and the place in the file said once.
fn in_plain_words(e: &str) {
    for word in [
        "Option<",
        "i64",
        "i32",
        "u32",
        "DuplicateKeyPolicy",
        "struct ",
        "use ",
    ] {
        assert!(!e.contains(word), "no {word:?}: {e}");
    }
    assert_eq!(e.matches(" at line ").count(), 1, "one location: {e}");
}

#[test]
fn duplicate_key_in_a_list_item() {
    let e = bad("duplicate-key.yaml");
    assert!(e.contains("duplicate") && e.contains("name"), "{e}");
    assert!(e.contains("line 8"), "the inner position: {e}");
    in_plain_words(&e);
}

#[test]
fn wrong_type_is_named_as_yaml_names_it() {
    let e = bad("wrong-type.yaml");
    assert!(e.contains("integer") && e.contains("line 9"), "{e}");
    in_plain_words(&e);
}

#[test]
fn a_replica_count_beyond_int32_is_refused_in_either_encoding() {
    let e = bad("replicas-out-of-range.yaml");
    assert!(e.contains("32-bit integer") && e.contains("line 8"), "{e}");
    in_plain_words(&e);
    let e = bad("replicas-out-of-range.json");
    assert!(
        e.contains("3000000000") && e.contains("expected a 32-bit integer"),
        "{e}"
    );
    in_plain_words(&e);
}

#[test]
fn null_where_a_string_belongs() {
    let e = bad("null-label.yaml");
    assert!(e.contains("null") && e.contains("line 6"), "{e}");
    in_plain_words(&e);
}

fn good(files: &[&str]) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/bad");
    let mut cmd = cargo_bin_cmd!("kubectl-istio_rev");
    cmd.args(["status", "-o", "json"]);
    for f in files {
        cmd.arg("--snapshot").arg(root.join(f));
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{files:?}: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `kubectl get --raw /api/v1/pods` and curl print the API server's own Lists, whose items name
/// no kind (recordings 30 and 43): the List's kind names them.
#[test]
fn raw_api_lists_take_the_item_kind_from_the_list_kind() {
    let report = good(&["raw-api-pods.json", "raw-api-deployments.json"]);
    let pods: u64 = report["pods_per_revision"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(pods > 0, "the pods were read: {report}");
    assert!(report.get("skipped_kinds").is_none(), "{report}");
}

/// Istio's gateway goldens give a Service `ownerReferences[].uid: null`: a kind the checks skip
/// is never parsed beyond its kind.
#[test]
fn a_skipped_kind_is_not_parsed_beyond_its_kind() {
    let report = good(&["gateway-service-null-uid.yaml"]);
    assert_eq!(
        report["skipped_kinds"],
        serde_json::json!({"Service": 1, "ServiceAccount": 1}),
        "{report}"
    );
}
