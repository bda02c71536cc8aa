//! End-to-end against a Kubernetes API server the test starts on loopback (the dev-only
//! `fake-apiserver` crate, checked against real kube-apiserver recordings in its own tests).

mod common;

use common::live::{Run, run};

use assert_cmd::cargo::cargo_bin_cmd;
use common::{finding_lines, fix_lines};
use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(name)
}

/// How the server answers a protobuf `Accept`: as a real kube-apiserver (protobuf for the pods'
/// metadata lists, protobuf `Status` errors), or with the JSON fallback, as a proxy or an
/// aggregated API server that only speaks JSON does.
#[derive(Clone, Copy, Debug)]
enum Encoding {
    Protobuf,
    JsonOnly,
}

const ENCODINGS: [Encoding; 2] = [Encoding::Protobuf, Encoding::JsonOnly];

fn serve(dir: &Path, faults: &[Fault]) -> ServerHandle {
    serve_as(dir, faults, Encoding::Protobuf)
}

fn serve_as(dir: &Path, faults: &[Fault], encoding: Encoding) -> ServerHandle {
    let mut server = FakeApiServer::new()
        .protobuf(matches!(encoding, Encoding::Protobuf))
        .objects_from_file(dir.join("cluster.yaml"))
        .expect("scenario loads into the fake API server");
    for f in faults {
        server = server.fault(f.clone());
    }
    server.start()
}

fn findings(json: &str) -> Vec<String> {
    let report: serde_json::Value =
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    finding_lines(&report)
}

fn snapshot_findings(dir: &Path, extra: &[String]) -> (i32, Vec<String>) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "-o", "json", "--snapshot"])
        .arg(dir.join("cluster.yaml"))
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        findings(&String::from_utf8(out.stdout).unwrap()),
    )
}

#[test]
fn live_and_snapshot_agree_on_every_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    let mut mismatches = Vec::new();
    for dir in dirs.iter().filter(|d| d.join("cluster.yaml").exists()) {
        let extra: Vec<String> = std::fs::read_to_string(dir.join("args"))
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let (code, expected) = snapshot_findings(dir, &extra);
        // The fix lines too: `fix` acts on what they say, so live and snapshot must agree.
        let snapshot_json = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["status", "-o", "json", "--snapshot"])
            .arg(dir.join("cluster.yaml"))
            .args(&extra)
            .output()
            .unwrap()
            .stdout;
        let fixes = |json: &[u8]| {
            serde_json::from_slice(json)
                .map(|r: serde_json::Value| fix_lines(&r))
                .unwrap_or_default()
        };
        for encoding in ENCODINGS {
            let server = serve_as(dir, &[], encoding);
            let mut args = vec!["status", "-o", "json", "--chunk-size", "3"];
            args.extend(extra.iter().map(String::as_str));
            let live = run(&args, &server);
            if fixes(live.stdout.as_bytes()) != fixes(&snapshot_json) {
                mismatches.push(format!(
                    "{} ({encoding:?}): fix lines differ live {:#?} snapshot {:#?}",
                    dir.display(),
                    fixes(live.stdout.as_bytes()),
                    fixes(&snapshot_json)
                ));
            }
            if live.code != code || findings(&live.stdout) != expected {
                mismatches.push(format!(
                    "{} ({encoding:?}): live exit {} {:#?}\nsnapshot exit {code} {expected:#?}\nstderr: {}",
                    dir.display(),
                    live.code,
                    findings(&live.stdout),
                    live.stderr
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn lists_are_paginated_and_pods_read_metadata_only() {
    for encoding in ENCODINGS {
        lists_are_paginated_and_pods_read_metadata_only_as(encoding);
    }
}

fn lists_are_paginated_and_pods_read_metadata_only_as(encoding: Encoding) {
    let server = serve_as(&scenario("istioctl-3-relabeled"), &[], encoding);
    let r = run(&["status", "-o", "json", "--chunk-size", "2"], &server);
    assert_eq!(r.code, 0, "{encoding:?}: {}", r.stderr);
    let requests = server.requests();
    let pod_lists: Vec<_> = requests
        .iter()
        .filter(|q| q.method == "GET" && q.path == "/api/v1/pods")
        .collect();
    assert!(
        pod_lists.len() > 1,
        "paginated: {} pod list requests",
        pod_lists.len()
    );
    for q in &pod_lists {
        assert_eq!(q.query_param("limit").as_deref(), Some("2"));
        assert!(
            q.header("accept").unwrap_or_default().starts_with(
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList"
            ),
            "metadata-only, protobuf first: {:?}",
            q.header("accept")
        );
    }
    assert!(
        pod_lists
            .iter()
            .skip(1)
            .all(|q| q.query_param("continue").is_some())
    );
    // The other built-in kinds: full objects, protobuf first as client-go asks (recording 92);
    // under JsonOnly the server answers JSON to that Accept and the run must read it the same.
    for path in [
        "/api/v1/namespaces",
        "/apis/apps/v1/deployments",
        "/apis/apps/v1/replicasets",
        "/apis/apps/v1/statefulsets",
        "/apis/apps/v1/daemonsets",
        "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    ] {
        let lists: Vec<_> = requests
            .iter()
            .filter(|q| q.method == "GET" && q.path == path)
            .collect();
        assert!(!lists.is_empty(), "{encoding:?}: {path} listed");
        for q in lists {
            assert_eq!(
                q.header("accept"),
                Some("application/vnd.kubernetes.protobuf,application/json"),
                "{path}"
            );
            assert_eq!(q.query_param("limit").as_deref(), Some("2"), "{path}");
        }
    }
    assert!(
        requests.iter().all(|q| q.method == "GET"),
        "status never writes"
    );
}

#[test]
fn full_pod_is_fetched_only_when_metadata_does_not_tell() {
    // The 1.8 pod here carries its revision only in CA_ADDR.
    let server = serve(&scenario("legacy-no-label-ca-addr"), &[]);
    let live = run(&["status", "-o", "json"], &server);
    let (code, expected) = snapshot_findings(&scenario("legacy-no-label-ca-addr"), &[]);
    assert_eq!(
        (live.code, findings(&live.stdout)),
        (code, expected),
        "{}",
        live.stderr
    );
    let gets: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.path.starts_with("/api/v1/namespaces/") && q.path.contains("/pods/"))
        .collect();
    assert!(!gets.is_empty(), "the label-less pod was fetched whole");
    let total_pods = server.count("pods");
    assert!(
        gets.len() < total_pods,
        "{} gets for {total_pods} pods",
        gets.len()
    );
}

#[test]
fn forbidden_list_degrades_to_ir901_and_never_reads_clean() {
    for encoding in ENCODINGS {
        forbidden_list_degrades_as(encoding);
    }
}

fn forbidden_list_degrades_as(encoding: Encoding) {
    let dir = scenario("istioctl-6-old-removed");
    let server = serve_as(
        &dir,
        &[Fault::Forbidden {
            resource: "pods",
            namespace: None,
        }],
        encoding,
    );
    let r = run(&["status", "-o", "json"], &server);
    assert_eq!(
        r.code, 3,
        "an unseen cluster is never clean, nor only \"findings\": {}",
        r.stderr
    );
    let f = findings(&r.stdout);
    assert!(f.contains(&"IR901 Resource /pods".to_string()), "{f:?}");
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let msg = report["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("forbidden") && msg.contains("pods"), "{msg}");
    // Table output says what was not checked, too.
    let t = run(&["status"], &server);
    assert_eq!(t.code, 3);
    assert!(t.stdout.contains("NOT CHECKED"), "{}", t.stdout);
}

#[test]
fn missing_istio_operator_crd_is_skipped_quietly() {
    let dir = scenario("tags-3-restarted");
    let server = FakeApiServer::new()
        .istio_operator_crd(false)
        .objects_from_file(dir.join("cluster.yaml"))
        .unwrap()
        .start();
    let r = run(&["status", "-o", "json"], &server);
    let (code, expected) = snapshot_findings(&dir, &[]);
    assert_eq!(
        (r.code, findings(&r.stdout)),
        (code, expected),
        "{}",
        r.stderr
    );
}

#[test]
fn server_errors_and_throttling_are_retried() {
    for encoding in ENCODINGS {
        server_errors_and_throttling_are_retried_as(encoding);
    }
}

fn server_errors_and_throttling_are_retried_as(encoding: Encoding) {
    let dir = scenario("istioctl-4-restarted");
    let (code, expected) = snapshot_findings(&dir, &[]);
    let server = serve_as(
        &dir,
        &[
            Fault::ServerErrorThenOk {
                resource: "deployments",
                times: 2,
            },
            Fault::TooManyRequests {
                resource: "pods",
                retry_after_secs: 1,
                times: 1,
            },
        ],
        encoding,
    );
    let r = run(&["status", "-o", "json"], &server);
    assert_eq!(
        (r.code, findings(&r.stdout)),
        (code, expected),
        "{}",
        r.stderr
    );
    let pod_lists = server
        .requests()
        .into_iter()
        .filter(|q| q.path == "/api/v1/pods")
        .count();
    assert!(pod_lists >= 2, "the throttled list was retried");
}

#[test]
fn persistent_server_errors_become_ir901() {
    let dir = scenario("istioctl-4-restarted");
    let server = serve(
        &dir,
        &[Fault::ServerErrorThenOk {
            resource: "replicasets",
            times: 1000,
        }],
    );
    let r = run(&["status", "-o", "json"], &server);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(findings(&r.stdout).contains(&"IR901 Resource /replicasets".to_string()));
}

#[test]
fn expired_continue_token_restarts_the_list() {
    let dir = scenario("istioctl-3-relabeled");
    let (code, expected) = snapshot_findings(&dir, &[]);
    for encoding in ENCODINGS {
        let server = serve_as(
            &dir,
            &[Fault::ExpireContinue { resource: "pods" }],
            encoding,
        );
        let r = run(&["status", "-o", "json", "--chunk-size", "2"], &server);
        assert_eq!(
            (r.code, findings(&r.stdout)),
            (code, expected.clone()),
            "{encoding:?}: {}",
            r.stderr
        );
    }
}

fn assert_cluster_error(r: &Run) {
    assert_eq!(r.code, 3, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn slow_server_past_the_request_timeout_exits_3() {
    let server = serve(
        &scenario("istioctl-1-installed"),
        &[Fault::Slow {
            resource: "pods",
            delay: Duration::from_secs(10),
        }],
    );
    let r = run(&["status", "--request-timeout", "1s"], &server);
    assert_cluster_error(&r);
}

#[test]
fn connection_reset_and_truncated_body_exit_3() {
    for fault in [
        Fault::ConnectionReset {
            resource: "namespaces",
        },
        Fault::TruncatedBody {
            resource: "namespaces",
        },
    ] {
        let server = serve(
            &scenario("istioctl-1-installed"),
            std::slice::from_ref(&fault),
        );
        let r = run(&["status", "--request-timeout", "5s"], &server);
        assert_cluster_error(&r);
        assert!(r.stderr.contains("namespaces"), "{fault:?}: {}", r.stderr);
    }
}

#[test]
fn unreachable_server_exits_3() {
    let server = serve(&scenario("istioctl-1-installed"), &[]);
    let kubeconfig = std::fs::read_to_string(server.kubeconfig_path()).unwrap();
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(
        &path,
        kubeconfig.replace(&server.port().to_string(), &port.to_string()),
    )
    .unwrap();
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--request-timeout", "5s", "--kubeconfig"])
        .arg(&path)
        .output()
        .unwrap();
    let r = Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_cluster_error(&r);
}

#[test]
fn namespace_flag_lists_only_that_namespace() {
    let server = serve(&scenario("istioctl-3-relabeled"), &[]);
    let r = run(&["status", "-o", "json", "-n", "bookinfo"], &server);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let paths: Vec<String> = server.requests().into_iter().map(|q| q.path).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/api/v1/namespaces/bookinfo/pods"),
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p == "/api/v1/pods"), "{paths:?}");
}

#[test]
fn runs_through_kubectl_as_a_plugin() {
    let server = serve(&scenario("istioctl-3-relabeled"), &[]);
    let bin = Path::new(env!("CARGO_BIN_EXE_kubectl-istio_rev"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("kubectl")
        .args(["istio-rev", "status", "-o", "json"])
        .env("PATH", path)
        .env("KUBECONFIG", server.kubeconfig_path())
        .output()
        .expect("kubectl is installed (v1.32 on these machines)");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, expected) = snapshot_findings(&scenario("istioctl-3-relabeled"), &[]);
    assert_eq!(findings(&stdout), expected);
}

#[test]
fn snapshot_of_a_live_cluster_replays_offline_with_the_same_findings() {
    let dir = scenario("tags-2-stable-moved");
    let server = serve(&dir, &[]);
    let live = run(&["status", "-o", "json"], &server);
    for format in ["yaml", "json"] {
        let snap = run(&["snapshot", "-o", format], &server);
        assert_eq!(snap.code, 0, "{}", snap.stderr);
        assert!(!snap.stdout.contains("managedFields"));
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join(format!("cluster.{format}"));
        std::fs::write(&file, &snap.stdout).unwrap();
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["status", "-o", "json", "--snapshot"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(live.code));
        assert_eq!(
            findings(&String::from_utf8(out.stdout).unwrap()),
            findings(&live.stdout),
            "{format}"
        );
    }
    // Writing a snapshot never writes to the cluster.
    assert!(server.requests().iter().all(|q| q.method == "GET"));
}

/// A kubeconfig with one context per (name, server address).
fn fleet_kubeconfig(dir: &Path, clusters: &[(&str, String)]) -> PathBuf {
    let mut s = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for (name, addr) in clusters {
        s.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: http://{addr}\n"
        ));
    }
    s.push_str("contexts:\n");
    for (name, _) in clusters {
        s.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: u\n"
        ));
    }
    s.push_str(&format!(
        "current-context: {}\nusers:\n- name: u\n  user: {{}}\n",
        clusters[0].0
    ));
    let path = dir.join("kubeconfig");
    std::fs::write(&path, s).unwrap();
    path
}

#[test]
fn a_fleet_is_checked_concurrently_and_one_dead_cluster_does_not_stop_the_others() {
    let prod = serve(&scenario("istioctl-3-relabeled"), &[]);
    let staging = serve(&scenario("broken-ir301-not-ready"), &[]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().to_string();
    drop(closed);
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = fleet_kubeconfig(
        tmp.path(),
        &[
            ("prod", prod.addr().to_string()),
            ("staging", staging.addr().to_string()),
            ("dead", dead),
        ],
    );
    let fleet = |args: &[&str]| {
        cargo_bin_cmd!("kubectl-istio_rev")
            .args(args)
            .args(["--request-timeout", "5s", "--kubeconfig"])
            .arg(&kubeconfig)
            .output()
            .unwrap()
    };

    let out = fleet(&["status", "-o", "json", "--context", "prod,staging"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0]["context"], "prod");
    let prod_findings = findings(&clusters[0]["report"].to_string());
    assert_eq!(
        prod_findings,
        snapshot_findings(&scenario("istioctl-3-relabeled"), &[]).1
    );
    let staging_findings = findings(&clusters[1]["report"].to_string());
    assert_eq!(
        staging_findings,
        snapshot_findings(&scenario("broken-ir301-not-ready"), &[]).1
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "worst of 0 (prod) and 1 (staging has an error)"
    );

    let out = fleet(&["status", "--all-contexts"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "an unreachable cluster is the worst: {text}"
    );
    assert!(text.contains("dead: NOT READ:"), "{text}");
    assert!(text.contains("prod: canary 1-8-0 → 1-8-1"), "{text}");
    assert!(text.contains("CLUSTER"), "{text}");
    assert!(text.contains("[staging]"), "{text}");
}

/// One kind forbidden at a time (a namespace admin's or a read-only CI token), on a cluster mid
/// canary: every check whose verdict reads that kind is skipped and named by IR901, the others
/// report exactly what they do with everything readable, and the progress line and tables say
/// "unknown" instead of building on the gap. A snapshot written through the same token replays
/// with the same findings.
#[test]
fn each_forbidden_kind_skips_the_checks_that_read_it() {
    let dir = scenario("istioctl-3-relabeled");
    let (_, all) = snapshot_findings(&dir, &[]);
    let ir102: Vec<String> = all
        .iter()
        .filter(|f| f.starts_with("IR102"))
        .cloned()
        .collect();
    let ir201: Vec<String> = all
        .iter()
        .filter(|f| f.starts_with("IR201"))
        .cloned()
        .collect();
    assert_eq!(ir102.len() + ir201.len(), all.len(), "{all:?}");
    assert!(!ir102.is_empty() && !ir201.is_empty(), "{all:?}");
    // (kind, findings besides its IR901, a check its IR901 names, progress says unknown)
    let cases: [(&str, Vec<String>, &str, bool); 8] = [
        ("namespaces", ir201.clone(), "IR102 stale proxies", true),
        ("pods", vec![], "IR201 gateways lagging", true),
        ("deployments", ir102.clone(), "IR103", true),
        (
            "statefulsets",
            all.clone(),
            "IR105 unserved revisions",
            true,
        ),
        ("daemonsets", all.clone(), "IR304 unused revisions", true),
        ("replicasets", all.clone(), "no check depends on it", false),
        (
            "mutatingwebhookconfigurations",
            ir201.clone(),
            "IR105 unserved revisions",
            true,
        ),
        (
            "istiooperators",
            all.clone(),
            "no check depends on it",
            false,
        ),
    ];
    let mut failures = Vec::new();
    for (kind, rest, named, unknown) in cases {
        let server = serve(
            &dir,
            &[Fault::Forbidden {
                resource: kind,
                namespace: None,
            }],
        );
        let live = run(&["status", "-o", "json"], &server);
        let mut expected = rest.clone();
        expected.push(format!("IR901 Resource /{kind}"));
        expected.sort();
        let got = findings(&live.stdout);
        if live.code == 0 || got != expected {
            failures.push(format!(
                "{kind}: exit {} {got:#?}, expected {expected:#?}\n{}",
                live.code, live.stderr
            ));
            continue;
        }
        let report: serde_json::Value = serde_json::from_str(&live.stdout).unwrap();
        let ir901 = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "IR901")
            .unwrap();
        let message = ir901["message"].as_str().unwrap();
        if !message.contains(named) || !message.contains(kind) {
            failures.push(format!("{kind}: IR901 names {named:?}: {message}"));
        }
        let progress = report["progress"].as_str().unwrap();
        if unknown != progress.contains("unknown")
            || (unknown && progress.contains("label namespaces"))
        {
            failures.push(format!("{kind}: progress line: {progress}"));
        }
        // A snapshot through the same token records what it could not read.
        let snap = run(&["snapshot"], &server);
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("cluster.yaml");
        std::fs::write(&file, &snap.stdout).unwrap();
        let replay = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["status", "-o", "json", "--snapshot"])
            .arg(&file)
            .output()
            .unwrap();
        let replayed = findings(&String::from_utf8(replay.stdout).unwrap());
        if replay.status.code() != Some(live.code) || replayed != expected {
            failures.push(format!(
                "{kind}: snapshot replay exit {:?} {replayed:#?}",
                replay.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The case that was seen: a token that may not list MutatingWebhookConfigurations. Nothing
/// reads as "no injector serves it": the namespaces' selection is unknown in every output.
#[test]
fn unreadable_injectors_leave_selections_unknown_not_unserved() {
    let dir = scenario("istioctl-3-relabeled");
    let server = serve(
        &dir,
        &[Fault::Forbidden {
            resource: "mutatingwebhookconfigurations",
            namespace: None,
        }],
    );
    let table = run(&["status", "--no-color"], &server);
    assert_ne!(table.code, 0, "{}", table.stderr);
    assert!(!table.stdout.contains("no injector"), "{}", table.stdout);
    assert!(!table.stdout.contains("IR105 error"), "{}", table.stdout);
    assert!(
        !table.stdout.contains("label namespaces"),
        "{}",
        table.stdout
    );
    assert!(
        table
            .stdout
            .contains("unknown (mutatingwebhookconfigurations not read)"),
        "{}",
        table.stdout
    );
    let json = run(&["status", "-o", "json"], &server);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let labelled: Vec<&serde_json::Value> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["rev_label"].is_string())
        .collect();
    assert_eq!(labelled.len(), 3, "{report}");
    assert_eq!(
        report["skipped_checks"],
        serde_json::json!([
            "IR102", "IR105", "IR106", "IR107", "IR205", "IR206", "IR207", "IR208", "IR209",
            "IR302", "IR303", "IR304", "IR601", "IR603"
        ])
    );
    for n in labelled {
        assert_eq!(n["selected"]["state"], "unknown", "{n}");
    }
}

/// Findings and exit code of `status` against `server`, beside the snapshot's.
fn live_matches_snapshot(dir: &Path, server: &ServerHandle) -> (Vec<String>, Vec<String>) {
    let live = run(&["status", "-o", "json"], server);
    assert!(live.code == 0 || live.code == 1, "{}", live.stderr);
    let (_, expected) = snapshot_findings(dir, &[]);
    (findings(&live.stdout), expected)
}

#[test]
fn gateway_api_served_at_v1beta1_is_read_too() {
    let dir = scenario("broken-ir205-gateway-no-control-plane");
    let server = FakeApiServer::new()
        .gateway_api(Some("v1beta1"))
        .objects_from_file(dir.join("cluster.yaml"))
        .unwrap()
        .start();
    let (live, expected) = live_matches_snapshot(&dir, &server);
    assert_eq!(live, expected);
    assert!(live.contains(&"IR205 Gateway istio-ingress/bookinfo-gateway".to_string()));
    assert!(server.requests().iter().any(|q| q.path
        == "/apis/gateway.networking.k8s.io/v1beta1/gateways"
        && q.query_param("continue").is_none()));
}

#[test]
fn a_cluster_without_the_gateway_api_crds_is_read_quietly() {
    let dir = scenario("tags-3-restarted");
    let server = FakeApiServer::new()
        .gateway_api(None)
        .objects_from_file(dir.join("cluster.yaml"))
        .unwrap()
        .start();
    let r = run(&["status", "-o", "json"], &server);
    let (code, expected) = snapshot_findings(&dir, &[]);
    assert_eq!(
        (r.code, findings(&r.stdout)),
        (code, expected),
        "{}",
        r.stderr
    );
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(report.get("not_checked").is_none(), "{report}");
}

#[test]
fn generated_gateway_pods_tell_their_revision_from_metadata() {
    let dir = scenario("ambient-5-tag-moved");
    let server = serve(&dir, &[]);
    let (live, expected) = live_matches_snapshot(&dir, &server);
    assert_eq!(live, expected);
    let gets = server
        .requests()
        .into_iter()
        .filter(|q| q.path.starts_with("/api/v1/namespaces/") && q.path.contains("/pods/"))
        .count();
    assert_eq!(
        gets, 0,
        "no pod fetched whole: the istio.io/rev annotation tells"
    );
}

#[test]
fn the_node_agents_stay_in_view_under_namespace() {
    let dir = scenario("broken-ir604-cni-ahead-of-ztunnel");
    let server = serve(&dir, &[]);
    let live = run(&["status", "-o", "json", "-n", "bookinfo"], &server);
    let (code, expected) = snapshot_findings(&dir, &["-n".into(), "bookinfo".into()]);
    assert_eq!(
        (live.code, findings(&live.stdout)),
        (code, expected.clone()),
        "{}",
        live.stderr
    );
    assert!(expected.contains(&"IR604 DaemonSet istio-system/istio-cni-node".to_string()));
}

/// A token that may not list one of the kinds that decide who owns a Gateway API gateway: the
/// Gateway API checks are skipped and named by IR901, every other check reports as with
/// everything readable, and a snapshot through the same token replays the same way.
#[test]
fn an_unreadable_gateway_api_kind_skips_the_gateway_api_checks() {
    let dir = scenario("broken-ir205-gateway-no-control-plane");
    let (_, all) = snapshot_findings(&dir, &[]);
    assert!(all.iter().any(|f| f.starts_with("IR205")), "{all:?}");
    let gateway_api = ["IR205", "IR206", "IR207", "IR208", "IR209"];
    let rest: Vec<String> = all
        .iter()
        .filter(|f| !gateway_api.iter().any(|c| f.starts_with(c)))
        .cloned()
        .collect();
    let mut failures = Vec::new();
    for kind in [
        "gateways",
        "gatewayclasses",
        "validatingwebhookconfigurations",
    ] {
        let server = serve(
            &dir,
            &[Fault::Forbidden {
                resource: kind,
                namespace: None,
            }],
        );
        let live = run(&["status", "-o", "json"], &server);
        let got = findings(&live.stdout);
        let (ir901, others): (Vec<String>, Vec<String>) =
            got.iter().cloned().partition(|f| f.starts_with("IR901"));
        if live.code == 0 || others != rest || ir901.len() != 1 || !ir901[0].contains(kind) {
            failures.push(format!(
                "{kind}: exit {} {got:#?}, expected {rest:#?} and one IR901\n{}",
                live.code, live.stderr
            ));
            continue;
        }
        let report: serde_json::Value = serde_json::from_str(&live.stdout).unwrap();
        let skipped = &report["skipped_checks"];
        if *skipped != serde_json::json!(gateway_api) {
            failures.push(format!("{kind}: skipped_checks {skipped}"));
        }
        let snap = run(&["snapshot"], &server);
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("cluster.yaml");
        std::fs::write(&file, &snap.stdout).unwrap();
        let replay = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["status", "-o", "json", "--snapshot"])
            .arg(&file)
            .output()
            .unwrap();
        let replayed = findings(&String::from_utf8(replay.stdout).unwrap());
        if replay.status.code() != Some(live.code) || replayed != got {
            failures.push(format!(
                "{kind}: snapshot replay exit {:?} {replayed:#?}",
                replay.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
