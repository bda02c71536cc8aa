//! The gates over the ambient scenarios: which gate each Gateway API and node-agent code fails,
//! and `remove-revision` listing Gateways, waypoints and ztunnel as blockers.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;

fn snap(name: &str) -> String {
    format!(
        "{}/testdata/scenarios/{name}/cluster.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Exit code, failed check names and finding lines (`CODE KIND/NS/NAME`) of a JSON gate run.
fn gate(args: &[&str], scenario: &str) -> (i32, Vec<String>, Vec<String>) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .arg("gate")
        .args(args)
        .args(["-o", "json", "--snapshot", &snap(scenario)])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{scenario}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let failed = report["checks"]
        .as_array()
        .expect("a gate report lists its checks")
        .iter()
        .filter(|c| c["state"] == "failed")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let o = &f["object"];
            format!(
                "{} {}/{}/{}",
                f["code"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code().unwrap(), failed, findings)
}

#[test]
fn remove_revision_lists_gateways_waypoints_and_ztunnel() {
    // cni upgraded, ztunnel and both Gateways (through tag prod-stable) still on 1-29-1.
    let (code, failed, findings) = gate(&["remove-revision", "1-29-1"], "ambient-3-cni-upgraded");
    assert_eq!(code, 1);
    assert_eq!(
        failed,
        ["tags", "gateway-api-gateways", "ztunnel"],
        "{findings:#?}"
    );
    for want in [
        "IR706 Gateway/bookinfo/waypoint",
        "IR706 Gateway/istio-ingress/bookinfo-gateway",
        "IR707 DaemonSet/istio-system/ztunnel",
    ] {
        assert!(findings.iter().any(|f| f == want), "{want}: {findings:#?}");
    }
    // Each says how it depends on the revision.
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args([
            "gate",
            "remove-revision",
            "1-29-1",
            "-o",
            "json",
            "--snapshot",
        ])
        .arg(snap("ambient-3-cni-upgraded"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "IR706")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "waypoint bookinfo/waypoint: owned by 1-29-1; its Deployment waypoint rendered by 1-29-1; 1 of its pods runs 1-29-1",
            "Gateway istio-ingress/bookinfo-gateway: owned by 1-29-1; its Deployment bookinfo-gateway-istio rendered by 1-29-1; 2 of its pods run 1-29-1",
        ]
    );
    // The generated Deployments are not blockers of their own: the Gateway is.
    assert!(
        !findings.iter().any(|f| f.contains("Deployment")),
        "{findings:#?}"
    );
    // Finished: nothing depends on the old revision.
    let (code, failed, findings) =
        gate(&["remove-revision", "1-29-1"], "ambient-6-gateways-rolled");
    assert_eq!((code, failed), (0, vec![]), "{findings:#?}");
}

#[test]
fn pre_upgrade_fails_on_a_broken_data_plane_post_upgrade_on_anything_off_target() {
    for (scenario, check) in [
        (
            "broken-ir205-gateway-no-control-plane",
            "proxies-have-control-plane",
        ),
        (
            "broken-ir603-ztunnel-no-istiod",
            "proxies-have-control-plane",
        ),
        ("broken-ir206-gateway-two-owners", "gateway-single-owner"),
        ("broken-ir601-ztunnel-ahead", "node-agent-skew"),
        ("broken-ir604-cni-ahead-of-ztunnel", "node-agent-skew"),
    ] {
        let (code, failed, findings) = gate(&["pre-upgrade", "--target", "1-31-0"], scenario);
        assert_eq!(code, 1, "{scenario}: {findings:#?}");
        assert!(failed.iter().any(|c| c == check), "{scenario}: {failed:?}");
    }
    for (scenario, check) in [
        ("broken-ir207-gateway-not-rerendered", "gateways-on-target"),
        ("broken-ir208-waypoint-behind", "gateways-on-target"),
        ("broken-ir209-gateway-not-programmed", "gateways-programmed"),
        ("broken-ir602-cni-too-old", "node-agents"),
    ] {
        let (code, failed, findings) = gate(&["post-upgrade", "--target", "1-30-3"], scenario);
        assert_eq!(code, 1, "{scenario}: {findings:#?}");
        assert!(failed.iter().any(|c| c == check), "{scenario}: {failed:?}");
    }
    // Each step of the clean ambient upgrade passes pre-upgrade; the finished one post-upgrade.
    for step in [
        "ambient-1-installed",
        "ambient-2-canary-up",
        "ambient-4-ztunnel-upgraded",
        "ambient-7-old-removed",
    ] {
        let (code, failed, findings) = gate(&["pre-upgrade", "--target", "1-30-3"], step);
        assert_eq!((code, failed), (0, vec![]), "{step}: {findings:#?}");
    }
    let (code, failed, findings) = gate(
        &["post-upgrade", "--target", "1-30-3"],
        "ambient-7-old-removed",
    );
    assert_eq!((code, failed), (0, vec![]), "{findings:#?}");
}

/// `gate pre-upgrade --manifest CR=FILE`: the CR, named by its -f file or by its metadata.name
/// (or, with no -f of it, by name alone), owns what the rendered FILE is diffed against, with the
/// built-in ignores and the `--config` file's ignorePaths. The live install is the faithful one
/// with a drifted mesh config (ignored by the config) and a RoleBinding another CR owns (IR405
/// only when the owner is named): only the right owner and rules give "1 owned elsewhere".
#[test]
fn pre_upgrade_drift_check_diffs_against_the_cr_named_by_file_or_by_name() {
    let repo = |p: &str| format!("{}/{p}", env!("CARGO_MANIFEST_DIR"));
    let golden = repo("testdata/istio/manifest-generate-latest/output/pilot_default.golden.yaml");
    let cr = repo("testdata/diff/control-plane.yaml");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("testdata/diff/live-pilot-default.json")).unwrap();
    let mut live: serde_json::Value = serde_json::from_str(&text).unwrap();
    for item in live["items"].as_array_mut().unwrap() {
        match (
            item["kind"].as_str().unwrap(),
            item["metadata"]["name"].as_str().unwrap(),
        ) {
            ("ConfigMap", "istio") => item["data"]["mesh"] = "defaultConfig: {}\n".into(),
            ("RoleBinding", "istiod") => {
                item["metadata"]["labels"]["install.operator.istio.io/owning-resource"] =
                    "gateways".into()
            }
            _ => {}
        }
    }
    let snapshot = dir.path().join("live.json");
    std::fs::write(&snapshot, live.to_string()).unwrap();
    let config = dir.path().join("ci.yaml");
    std::fs::write(
        &config,
        "ignorePaths:\n  - ConfigMap/istio-system/istio:/data/mesh\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["gate", "pre-upgrade", "--target", "1-30-3", "-o", "json"])
            .args(args)
            .arg("--config")
            .arg(&config)
            .arg("--snapshot")
            .arg(&snapshot)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {stderr}"));
        let drift = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "install-drift")
            .map(|c| c["state"].as_str().unwrap().to_string())
            .unwrap();
        (out.status.code().unwrap(), drift, report["notes"].clone())
    };
    let summary = "0 drifted, 0 missing, 0 orphaned, 0 unmanaged, 1 owned elsewhere";
    // By its file.
    let manifest = format!("{cr}={golden}");
    let (code, drift, notes) = run(&["-f", &cr, "--manifest", &manifest]);
    assert_eq!((code, drift.as_str()), (1, "failed"), "{notes}");
    assert_eq!(notes, serde_json::json!([format!("{cr}: {summary}")]));
    // By its name, among other -f CRs: that one, not the first file given.
    let gateways = repo("testdata/overlap/gateways.yaml");
    let manifest = format!("control-plane={golden}");
    let (code, drift, notes) = run(&["-f", &gateways, "-f", &cr, "--manifest", &manifest]);
    assert_eq!((code, drift.as_str()), (1, "failed"), "{notes}");
    assert_eq!(
        notes,
        serde_json::json!([format!("control-plane: {summary}")])
    );
    // By its name alone: the cluster's CR.
    let (code, drift, notes) = run(&["--manifest", &manifest]);
    assert_eq!((code, drift.as_str()), (1, "failed"), "{notes}");
    assert_eq!(
        notes,
        serde_json::json!([format!("control-plane: {summary}")])
    );
}

/// Against a live cluster the drift check compares by server-side apply dry run, as `diff` does
/// by default (and never writes).
#[test]
fn pre_upgrade_drift_check_dry_runs_against_a_live_cluster() {
    let server = fake_apiserver::FakeApiServer::new()
        .object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}))
        .objects(common::install::fixture())
        .start();
    let dir = tempfile::tempdir().unwrap();
    let manifest = common::install::served_manifest(dir.path());
    let manifest = format!("control-plane={}", manifest.display());
    let r = common::live::run(
        &[
            "gate",
            "pre-upgrade",
            "--target",
            "1-30-3",
            "--manifest",
            &manifest,
            "-o",
            "json",
        ],
        &server,
    );
    let report: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    let drift = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "install-drift")
        .unwrap();
    assert_eq!(drift["state"], "passed", "{report:#}");
    assert_eq!(
        report["notes"],
        serde_json::json!([
            "control-plane: 0 drifted, 0 missing, 0 orphaned, 0 unmanaged, 0 owned elsewhere"
        ])
    );
    let dry_runs = server
        .requests()
        .into_iter()
        .filter(|q| q.method == "PATCH")
        .filter(|q| q.query_param("dryRun").as_deref() == Some("All"))
        .count();
    assert_eq!(dry_runs, 7, "one dry-run apply per served rendered object");
}

/// Without -f or --manifest, pre-upgrade's overlap and drift checks are skipped, and say why:
/// they did not pass.
#[test]
fn pre_upgrade_without_crs_skips_the_overlap_and_drift_checks() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["gate", "pre-upgrade", "--target", "1-30-3", "-o", "json"])
        .args(["--snapshot", &snap("ambient-1-installed")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<(String, String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["state"] != "passed")
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (s("name"), s("state"), s("reason"))
        })
        .collect();
    let row = |n: &str, why: &str| (n.to_string(), "skipped".to_string(), why.to_string());
    assert_eq!(
        states,
        [
            row("cr-overlap", "no -f IstioOperator files given"),
            row(
                "install-drift",
                "no --manifest CR=FILE given (istioctl manifest generate of the installed CR)"
            ),
        ]
    );
}
