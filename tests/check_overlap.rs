//! `check-overlap` end to end: the real binary, exact findings (`-o json`) and exit codes, on
//! the Istio 1.8 and the latest profiles.

use serde_json::Value;

const T: &str = "testdata/overlap";
/// One version per shipped profile set.
const VERSIONS: [(&str, &str); 2] = [("1.8.1", "1.8"), ("1.30.3", "latest")];

struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    run_env(args, &[])
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    cmd.arg("check-overlap").args(args).args(["-o", "json"]);
    if !args.contains(&"--snapshot") {
        // No cluster here: check the files alone.
        cmd.arg("--offline");
    }
    // No istioctl from the host: tests choose it explicitly.
    cmd.env("PATH", "/nonexistent");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    Run {
        code: out.status.code().unwrap(),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn f(name: &str) -> String {
    format!("{T}/{name}")
}

/// `CODE severity Kind/ns/name` for every finding, in output order.
fn findings(r: &Run) -> Vec<String> {
    r.json["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {:?} (stderr {})", r.json, r.stderr))
        .iter()
        .map(|f| {
            let o = &f["object"];
            let ns = o["namespace"].as_str().unwrap_or("");
            let obj = if ns.is_empty() {
                format!(
                    "{}/{}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap()
                )
            } else {
                format!(
                    "{}/{ns}/{}",
                    o["kind"].as_str().unwrap(),
                    o["name"].as_str().unwrap()
                )
            };
            format!(
                "{} {} {obj}",
                f["code"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

fn message(r: &Run, i: usize) -> String {
    r.json["findings"][i]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_guides_files_give_no_finding() {
    for (v, set) in VERSIONS {
        let r = run(&[
            "-f",
            &f("control-plane.yaml"),
            "-f",
            &f("gateways.yaml"),
            "--revision",
            "1-8-0",
            "--istio-version",
            v,
        ]);
        assert_eq!(findings(&r), Vec::<String>::new(), "{v}");
        assert_eq!(r.code, 0);
        assert_eq!(r.json["profiles"]["set"], set);
        let rows: Vec<String> = r.json["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c["component"].as_str().unwrap(),
                    c["name"].as_str().unwrap_or("-"),
                    c["installed_by"]
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                "base - [\"control-plane\"]",
                "pilot istiod-1-8-0 [\"control-plane\"]",
                "ingressGateway istio-ingressgateway [\"gateways\"]"
            ]
        );
    }
}

#[test]
fn control_plane_left_on_default_gives_ir401_and_ir404() {
    for (v, _) in VERSIONS {
        let r = run(&[
            "-f",
            &f("control-plane-default.yaml"),
            "-f",
            &f("gateways.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            [
                "IR401 error Deployment/istio-system/istio-ingressgateway",
                "IR404 warning IstioOperator/istio-system/control-plane"
            ],
            "{v}"
        );
        let m = message(&r, 0);
        assert!(m.contains("control-plane (testdata/overlap/control-plane-default.yaml)"));
        assert!(m.contains("gateways (testdata/overlap/gateways.yaml)"));
        assert!(m.contains("Service/istio-system/istio-ingressgateway"));
        assert_eq!(r.code, 1);
        let row = r.json["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "istio-ingressgateway")
            .unwrap();
        assert_eq!(row["overlap"], "overlap");
    }
}

#[test]
fn ir401_gateways_are_never_name_revisioned() {
    for (v, _) in VERSIONS {
        let r = run(&[
            "-f",
            &f("gateways-1-8-0.yaml"),
            "-f",
            &f("gateways-1-8-1.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR401 error Deployment/istio-system/istio-ingressgateway"],
            "{v}"
        );
        assert!(message(&r, 0).contains("never name-revisioned"));
        assert_eq!(
            r.json["findings"][0]["revisions"],
            serde_json::json!(["1-8-0", "1-8-1"])
        );
        assert_eq!(r.code, 1);
    }
}

#[test]
fn ir401_same_revision_control_planes_overlap_different_ones_share_base() {
    for (v, _) in VERSIONS {
        // Operator flow: control planes at 1-8-0 and 1-8-1 and the gateways: base shared only.
        let r = run(&[
            "-f",
            &f("control-plane-1-8-0.yaml"),
            "-f",
            &f("control-plane-1-8-1.yaml"),
            "-f",
            &f("gateways-1-8-0.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR401 warning IstioOperator/istio-system/control-plane-1-8-1"],
            "{v}"
        );
        assert!(message(&r, 0).starts_with("base ("));
        assert_eq!(r.code, 0);
        // The same file installed twice at one revision: pilot and base overlap.
        let r = run(&[
            "-f",
            &f("control-plane.yaml"),
            "-f",
            &f("control-plane-1-8-0.yaml"),
            "--revision",
            "1-8-0",
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            [
                "IR401 error Deployment/istio-system/istiod-1-8-0",
                "IR401 error IstioOperator/istio-system/control-plane-1-8-0"
            ],
            "{v}"
        );
        assert_eq!(r.code, 1);
    }
}

#[test]
fn ir401_canary_with_istioctl_names_the_live_owner_of_base() {
    for (v, _) in VERSIONS {
        let r = run(&[
            "--snapshot",
            &f("snapshots/canary-installed-state.yaml"),
            "-f",
            &f("control-plane.yaml"),
            "--revision",
            "1-8-1",
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR401 warning IstioOperator/istio-system/control-plane"],
            "{v}"
        );
        let m = message(&r, 0);
        assert!(
            m.contains("in the cluster base was installed by installed-state-control-plane-1-8-0 (cluster) (revision 1-8-0)"),
            "{m}"
        );
        assert_eq!(r.code, 0);
        // The same CR at the same revision replaces its installed state: nothing to report.
        let r = run(&[
            "--snapshot",
            &f("snapshots/canary-installed-state.yaml"),
            "-f",
            &f("control-plane.yaml"),
            "--revision",
            "1-8-0",
            "--istio-version",
            v,
        ]);
        assert_eq!(findings(&r), Vec::<String>::new());
        assert_eq!(r.json["istio_operators"].as_array().unwrap().len(), 2);
    }
}

#[test]
fn ir402_unnamed_cr() {
    for (v, _) in VERSIONS {
        let r = run(&["-f", &f("unnamed-gateways.yaml"), "--istio-version", v]);
        assert_eq!(
            findings(&r),
            ["IR402 error IstioOperator/istio-system/<unnamed>"],
            "{v}"
        );
        assert!(message(&r, 0).contains("testdata/overlap/unnamed-gateways.yaml"));
        assert_eq!(r.code, 1);
    }
}

#[test]
fn ir403_gateways_cr_not_on_empty() {
    for (v, _) in VERSIONS {
        let r = run(&["-f", &f("gateways-on-default.yaml"), "--istio-version", v]);
        assert_eq!(
            findings(&r),
            ["IR403 error IstioOperator/istio-system/gateways"],
            "{v}"
        );
        assert!(message(&r, 0).contains("which also installs base"));
        assert_eq!(r.code, 1);
    }
}

#[test]
fn ir403_a_cr_listing_only_gateways_even_when_its_profile_brings_a_control_plane() {
    for (v, _) in VERSIONS {
        let r = run(&["-f", &f("gateways-no-profile.yaml"), "--istio-version", v]);
        assert_eq!(
            findings(&r),
            ["IR403 error IstioOperator/istio-system/gateways"],
            "{v}"
        );
        assert!(message(&r, 0).contains("on profile `default`, which also installs base, pilot"));
        assert_eq!(r.code, 1);
    }
}

#[test]
fn table_headers_name_crs_not_file_paths() {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    cmd.env("PATH", "/nonexistent").args([
        "check-overlap",
        "-f",
        "testdata/overlap/control-plane.yaml",
        "-f",
        "testdata/overlap/unnamed-gateways.yaml",
        "--istio-version",
        "1.8.1",
        "--no-color",
        "--offline",
    ]);
    let text = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("COMPONENT "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        header.contains("control-plane  <unnamed> (unnamed-gateways.yaml)  OVERLAP"),
        "{header}"
    );
    assert!(!header.contains("testdata/"), "{header}");
}

#[test]
fn ir404_alone_is_a_warning_and_fail_on_warning_trips() {
    for (v, _) in VERSIONS {
        let args = ["-f", &f("control-plane-default.yaml"), "--istio-version", v];
        let r = run(&args);
        assert_eq!(
            findings(&r),
            ["IR404 warning IstioOperator/istio-system/control-plane"],
            "{v}"
        );
        assert_eq!(r.code, 0);
        let mut strict = args.to_vec();
        strict.extend(["--fail-on", "warning"]);
        assert_eq!(run(&strict).code, 1);
    }
}

#[test]
fn ir405_live_object_owned_by_another_cr() {
    for (v, _) in VERSIONS {
        let r = run(&[
            "--snapshot",
            &f("snapshots/owned-objects.yaml"),
            "-f",
            &f("edge-gateways.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR405 error Deployment/istio-system/istio-ingressgateway"],
            "{v}"
        );
        assert!(message(&r, 0).contains("owned by IstioOperator istio-system/gateways"));
        assert_eq!(r.code, 1);
        // The owner itself re-installing is no finding; another control plane at 1-8-0 is.
        let r = run(&[
            "--snapshot",
            &f("snapshots/owned-objects.yaml"),
            "-f",
            &f("control-plane-1-8-0.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR405 error Deployment/istio-system/istiod-1-8-0"],
            "{v}"
        );
        assert!(message(&r, 0).contains("2 object(s)"));
        assert!(
            message(&r, 0).contains("MutatingWebhookConfiguration/istio-sidecar-injector-1-8-0")
        );
        let r = run(&[
            "--snapshot",
            &f("snapshots/owned-objects.yaml"),
            "-f",
            &f("control-plane.yaml"),
            "--revision",
            "1-8-0",
            "--istio-version",
            v,
        ]);
        assert_eq!(findings(&r), Vec::<String>::new());
    }
}

#[test]
fn ir406_revision_mismatch_and_operator_cr_without_revision() {
    for (v, _) in VERSIONS {
        let r = run(&[
            "-f",
            &f("control-plane-1-8-0.yaml"),
            "--revision",
            "1-8-1",
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR406 warning IstioOperator/istio-system/control-plane-1-8-0"],
            "{v}"
        );
        assert_eq!(
            r.json["findings"][0]["revisions"],
            serde_json::json!(["1-8-0", "1-8-1"])
        );
        assert_eq!(r.code, 0);
        let r = run(&[
            "--snapshot",
            &f("snapshots/operator-cr.yaml"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR406 warning IstioOperator/istio-system/control-plane"],
            "{v}"
        );
    }
}

#[test]
fn ir302_dotted_cr_revision() {
    for (v, _) in VERSIONS {
        let r = run(&["-f", &f("dotted-revision.yaml"), "--istio-version", v]);
        assert_eq!(
            findings(&r),
            ["IR302 error IstioOperator/istio-system/control-plane"],
            "{v}"
        );
        assert_eq!(r.json["findings"][0]["fix"], "use revision 1-8-1");
        assert_eq!(r.code, 1);
    }
}

/// Real `istioctl manifest generate` goldens from istio/istio (see testdata/overlap/README.md).
fn rendered(set: &str, name: &str) -> String {
    f(&format!("rendered/{set}/{name}"))
}

#[test]
fn rendered_manifests_overlap_by_object_identity() {
    for (v, set) in VERSIONS {
        let all_on = rendered(set, "all_on.golden-show-in-gh-pull-request.yaml");
        let pilot = rendered(set, "pilot_default.golden.yaml");
        let ingress = rendered(set, "ingressgateway_k8s_settings.golden.yaml");
        let r = run(&[
            "-f",
            &rendered(set, "all-on.yaml"),
            "-f",
            &rendered(set, "pilot-default.yaml"),
            "--manifest",
            &format!("all-on={all_on}"),
            "--manifest",
            &format!("pilot-default={pilot}"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            [
                "IR401 error Deployment/istio-system/istiod",
                "IR404 warning IstioOperator/istio-system/all-on"
            ],
            "{v}"
        );
        let m = message(&r, 0);
        // 1.8: ConfigMaps istio and istio-sidecar-injector, the injector webhook, Deployment,
        // PDB, HPA and Service istiod (the EnvoyFilters differ: pilot_default puts them in
        // istio-control). Latest also shares ConfigMap values and pilot's RBAC and validator.
        let expected = if set == "1.8" { 7 } else { 17 };
        assert!(
            m.contains(&format!("render {expected} identical object(s)")),
            "{set}: {m}"
        );
        assert_eq!(
            r.json["istio_operators"][0]["objects_from"],
            format!("manifest {all_on}")
        );
        assert_eq!(r.code, 1);

        let r = run(&[
            "-f",
            &rendered(set, "all-on.yaml"),
            "-f",
            &rendered(set, "ingressgateway-k8s-settings.yaml"),
            "--manifest",
            &format!("all-on={all_on}"),
            "--manifest",
            &format!("ingressgateway-k8s-settings={ingress}"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            [
                "IR401 error Deployment/istio-system/istio-ingressgateway",
                "IR403 error IstioOperator/istio-system/ingressgateway-k8s-settings",
                "IR404 warning IstioOperator/istio-system/all-on"
            ],
            "{v}"
        );
        assert!(message(&r, 0).contains("render 2 identical object(s): Deployment/istio-system/istio-ingressgateway, Service/istio-system/istio-ingressgateway"));

        // Rendered output that does not overlap: pilot only vs gateways only.
        let r = run(&[
            "-f",
            &rendered(set, "pilot-default.yaml"),
            "-f",
            &rendered(set, "ingressgateway-k8s-settings.yaml"),
            "--manifest",
            &format!("pilot-default={pilot}"),
            "--manifest",
            &format!("ingressgateway-k8s-settings={ingress}"),
            "--istio-version",
            v,
        ]);
        assert_eq!(
            findings(&r),
            ["IR403 error IstioOperator/istio-system/ingressgateway-k8s-settings"],
            "{v}"
        );
    }
}

#[test]
fn istioctl_renders_on_the_spot() {
    for (v, set) in VERSIONS {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("args.log");
        let log = log.to_str().unwrap();
        let r = run_env(
            &[
                "--istioctl",
                &f("fake-istioctl.sh"),
                "-f",
                &rendered(set, "all-on.yaml"),
                "-f",
                &rendered(set, "pilot-default.yaml"),
                "--revision",
                "canary",
                "--istio-version",
                v,
            ],
            &[("FAKE_ISTIOCTL_LOG", log), ("FAKE_ISTIOCTL_SET", set)],
        );
        assert_eq!(
            findings(&r),
            [
                "IR401 error Deployment/istio-system/istiod",
                "IR404 warning IstioOperator/istio-system/all-on"
            ],
            "{v}: {}",
            r.stderr
        );
        assert_eq!(r.json["istio_operators"][1]["objects_from"], "istioctl");
        let args = std::fs::read_to_string(log).unwrap();
        assert_eq!(
            args,
            format!(
                "manifest generate -f {} --revision canary\nmanifest generate -f {} --revision canary\n",
                rendered(set, "all-on.yaml"),
                rendered(set, "pilot-default.yaml")
            )
        );
    }
}

#[test]
fn istioctl_failure_is_bad_input() {
    let r = run(&[
        "--istioctl",
        &f("fake-istioctl.sh"),
        "-f",
        &f("gateways.yaml"),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("has no golden for testdata/overlap/gateways.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn profiles_follow_the_live_control_plane_version() {
    let r = run(&[
        "--snapshot",
        &f("snapshots/owned-objects.yaml"),
        "-f",
        &f("gateways.yaml"),
    ]);
    assert_eq!(r.json["profiles"]["set"], "1.8");
    assert_eq!(
        r.json["profiles"]["chosen_by"],
        "control plane version 1.8.0"
    );
    let r = run(&["-f", &f("gateways.yaml")]);
    assert_eq!(r.json["profiles"]["set"], "latest");
}

#[test]
fn bad_input_exits_2_naming_file_and_document() {
    let cases: [(&str, &[&str], &str); 8] = [
        (
            "bad/not-iop.yaml",
            &[],
            "testdata/overlap/bad/not-iop.yaml: document 2: a ConfigMap (v1), not an IstioOperator",
        ),
        (
            "bad/multiple_iops.yaml",
            &[],
            "testdata/overlap/bad/multiple_iops.yaml: document 2: a second IstioOperator in one file",
        ),
        (
            "bad/unknown-profile.yaml",
            &["--istio-version", "1.8.1"],
            "testdata/overlap/bad/unknown-profile.yaml: document 1: unknown profile `tiny`",
        ),
        (
            "bad/unknown-profile.yaml",
            &["--istio-version", "1.30.3"],
            "testdata/overlap/bad/unknown-profile.yaml: document 1: unknown profile `tiny`",
        ),
        (
            "bad/unknown-component.yaml",
            &["--istio-version", "1.30.3"],
            "testdata/overlap/bad/unknown-component.yaml: document 1: unknown component `spec.components.ingressGateway`",
        ),
        (
            "bad/ztunnel.yaml",
            &["--istio-version", "1.8.1"],
            "testdata/overlap/bad/ztunnel.yaml: document 1: unknown component `spec.components.ztunnel`",
        ),
        (
            "bad/invalid.yaml",
            &[],
            "testdata/overlap/bad/invalid.yaml: document 1:",
        ),
        (
            "missing.yaml",
            &[],
            "testdata/overlap/missing.yaml: No such file or directory",
        ),
    ];
    for (file, extra, expected) in cases {
        let mut args = vec!["-f".to_string(), f(file)];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(&args);
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{file}: {}", r.stderr);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{file}: {}", r.stderr);
    }
    // ztunnel is a component on the latest layout.
    let r = run(&["-f", &f("bad/ztunnel.yaml"), "--istio-version", "1.30.3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Usage errors.
    for args in [
        &["--manifest", "nope"][..],
        &[
            "-f",
            "testdata/overlap/gateways.yaml",
            "--manifest",
            "other=x.yaml",
        ][..],
        &["--istio-version", "newest"][..],
        &["--istioctl", "/nonexistent/istioctl"][..],
    ] {
        assert_eq!(run(args).code, 2, "{args:?}");
    }
}

#[test]
fn table_output_highlights_overlaps() {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    cmd.env("PATH", "/nonexistent").args([
        "check-overlap",
        "-f",
        "testdata/overlap/control-plane-default.yaml",
        "-f",
        "testdata/overlap/gateways.yaml",
        "--istio-version",
        "1.8.1",
        "--no-color",
        "--offline",
    ]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "ingressGateway  istio-system  istio-ingressgateway  yes            yes       OVERLAP"
        ),
        "{text}"
    );
    assert!(text.contains("IR401 error Deployment/istio-system/istio-ingressgateway"));
    assert!(text.contains("note: no rendered manifests"));
    // YAML carries the same findings.
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    cmd.env("PATH", "/nonexistent").args([
        "check-overlap",
        "-f",
        "testdata/overlap/control-plane-default.yaml",
        "-o",
        "yaml",
        "--offline",
    ]);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("code: IR404")
    );
}

#[test]
fn codes_lists_the_overlap_catalogue() {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    let out = cmd.args(["codes", "-o", "json"]).output().unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .filter(|c| c.starts_with("IR4"))
        .collect();
    assert_eq!(
        codes,
        [
            "IR401", "IR402", "IR403", "IR404", "IR405", "IR406", "IR407"
        ]
    );
}

#[test]
fn without_offline_or_snapshot_the_live_cluster_is_read() {
    let server = fake_apiserver::FakeApiServer::new()
        .objects_from_file(f("snapshots/canary-installed-state.yaml"))
        .unwrap()
        .start();
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev");
    let out = cmd
        .env("PATH", "/nonexistent")
        .args([
            "check-overlap",
            "-f",
            &f("control-plane.yaml"),
            "--revision",
            "1-8-1",
            "-o",
            "json",
            "--kubeconfig",
        ])
        .arg(server.kubeconfig_path())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_snapshot = run(&[
        "-f",
        &f("control-plane.yaml"),
        "--revision",
        "1-8-1",
        "--snapshot",
        &f("snapshots/canary-installed-state.yaml"),
    ]);
    assert_eq!(
        report["findings"],
        from_snapshot.json["findings"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|q| q.path.contains("istiooperators"))
    );
}

/// The cluster's CRs could not be listed: check-overlap says so (IR901, a note) instead of
/// "found none", and does not choose profiles by a control plane it could not see.
#[test]
fn unreadable_cluster_crs_and_control_planes_are_not_checked_not_absent() {
    for (kind, says) in [
        ("istiooperators", "IR401-IR406 against the cluster's CRs"),
        ("deployments", "IR405 objects owned by another CR"),
    ] {
        let server = fake_apiserver::FakeApiServer::new()
            .objects_from_file(f("snapshots/canary-installed-state.yaml"))
            .unwrap()
            .fault(fake_apiserver::Fault::Forbidden {
                resource: kind,
                namespace: None,
            })
            .start();
        let out = assert_cmd::cargo::cargo_bin_cmd!("kubectl-istio_rev")
            .env("PATH", "/nonexistent")
            .args([
                "check-overlap",
                "-f",
                &f("gateways.yaml"),
                "-o",
                "json",
                "--kubeconfig",
            ])
            .arg(server.kubeconfig_path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{kind}: {stderr}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let ir901: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "IR901")
            .collect();
        assert_eq!(ir901.len(), 1, "{kind}: {report}");
        let message = ir901[0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{kind}: {message}");
        let notes = report["notes"].to_string();
        assert!(!notes.contains("found in the cluster"), "{kind}: {notes}");
        if kind == "istiooperators" {
            assert!(notes.contains("could not be read"), "{notes}");
        } else {
            let chosen = report["profiles"]["chosen_by"].as_str().unwrap();
            assert!(chosen.contains("unknown"), "{chosen}");
        }
    }
}
