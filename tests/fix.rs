//! `fix` end to end against the loopback API server, which rolls Deployments, StatefulSets and
//! DaemonSets onto the revision their namespace selects.

mod common;

use assert_cmd::cargo::cargo_bin_cmd;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(name)
        .join("cluster.yaml")
}

fn serve(delay: Duration, faults: &[Fault]) -> ServerHandle {
    serve_scenario("istioctl-2-canary-up", delay, faults)
}

fn serve_scenario(name: &str, delay: Duration, faults: &[Fault]) -> ServerHandle {
    let mut server = FakeApiServer::new()
        .objects_from_file(scenario(name))
        .expect("scenario loads")
        .rollout_delay(delay);
    for f in faults {
        server = server.fault(f.clone());
    }
    server.start()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str], server: &ServerHandle) -> Run {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(args)
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn plan(server: &ServerHandle) -> Value {
    let out = run(&["fix", "--dry-run=client", "-o", "json"], server);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

/// `Kind namespace/name` of every PATCH the tool sent, in order.
fn patches(server: &ServerHandle) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect()
}

#[test]
fn the_plan_carries_the_findings_fix_lines() {
    let server = serve(Duration::ZERO, &[]);
    let status = run(&["status", "--target", "1-8-1", "-o", "json"], &server);
    let report = json(&status.stdout);
    let plan = plan(&server);
    let rows: Vec<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["command"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut compared = 0;
    for line in common::fix_lines(&report) {
        let (finding, fix) = line.split_once(": ").unwrap();
        let code = &finding[..5];
        if ["IR106", "IR201", "IR102", "IR104"].contains(&code) {
            assert!(
                rows.contains(&(code.to_string(), fix.to_string())),
                "{line} not in the plan {rows:#?}"
            );
            compared += 1;
        }
    }
    // Three namespaces and the gateway.
    assert_eq!(compared, 4, "{report:#}");
    assert!(patches(&server).is_empty(), "planning never writes");
}

#[test]
fn a_server_dry_run_changes_nothing() {
    let server = serve(Duration::ZERO, &[]);
    let before = server.resource_version();
    let out = run(&["fix", "--dry-run=server"], &server);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("server dry run: labelled"),
        "{}",
        out.stdout
    );
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(sent.len(), 10, "every change sent once");
    assert!(
        sent.iter()
            .all(|r| r.query_param("dryRun").as_deref() == Some("All")),
        "every write is a dry run"
    );
    assert_eq!(server.resource_version(), before, "nothing stored");
    let ns = server.get_object("namespaces", None, "bookinfo").unwrap();
    assert_eq!(ns["metadata"]["labels"]["istio.io/rev"], "1-8-0");
}

#[test]
fn yes_changes_exactly_the_plan_in_the_guides_order_and_a_rerun_plans_nothing() {
    let server = serve(Duration::from_millis(300), &[]);
    let planned = plan(&server);
    let out = run(&["fix", "--yes", "--max-parallel", "2"], &server);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("waiting: Deployment"),
        "progress on stderr: {}",
        out.stderr
    );

    let sent = patches(&server);
    let expected_objects: Vec<String> = planned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["disposition"]["kind"] == "apply")
        .map(|c| c["object"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sent.len(), expected_objects.len(), "{sent:#?}");
    // Namespaces first, then workloads; nothing else.
    let first_workload = sent.iter().position(|p| p.contains("/apis/apps/")).unwrap();
    assert!(
        sent[..first_workload]
            .iter()
            .all(|p| p.starts_with("/api/v1/namespaces/") && !p.contains("/apis/"))
    );
    assert!(
        sent[first_workload..]
            .iter()
            .all(|p| p.contains("/apis/apps/v1/"))
    );
    for object in &expected_objects {
        let (kind, rest) = object.split_once(' ').unwrap();
        let name = rest.rsplit('/').next().unwrap();
        assert!(
            sent.iter().any(|p| p.ends_with(&format!("/{name}"))
                && p.contains(&kind.to_lowercase())
                || kind == "Namespace" && p.ends_with(&format!("/namespaces/{name}"))),
            "{object} was not patched: {sent:#?}"
        );
    }

    // Read back: the namespaces select the target, the restarted pods run it.
    for ns in ["bookinfo", "legacy", "shop"] {
        let v = server.get_object("namespaces", None, ns).unwrap();
        assert_eq!(v["metadata"]["labels"]["istio.io/rev"], "1-8-1", "{ns}");
    }
    let d = server
        .get_object("deployments", Some("bookinfo"), "ratings")
        .unwrap();
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );

    // kubectl agrees the rollout finished.
    let status = std::process::Command::new("kubectl")
        .args([
            "rollout",
            "status",
            "deployment/ratings",
            "-n",
            "bookinfo",
            "--watch=false",
        ])
        .env("KUBECONFIG", server.kubeconfig_path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(said.contains("successfully rolled out"), "{said}");

    let again = plan(&server);
    assert_eq!(again["totals"]["apply"], 0, "{again:#}");
    let status = run(&["status", "-o", "json"], &server);
    let lines = common::finding_lines(&json(&status.stdout));
    // What fix leaves to a person: the bare pod and the istioctl-installed gateway.
    assert_eq!(
        lines,
        [
            "IR102 Pod legacy/batch-runner",
            "IR201 Deployment istio-system/istio-ingressgateway"
        ]
    );
}

#[test]
fn kubectl_sees_a_rollout_in_progress_as_waiting() {
    let server = serve(Duration::from_secs(3600), &[]);
    let out = run(&["fix", "workloads", "--yes", "--timeout", "1s"], &server);
    assert_eq!(
        out.code, 1,
        "a timed-out rollout exits 1: {}\n{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("TIMED OUT"), "{}", out.stdout);
    let status = std::process::Command::new("kubectl")
        .args([
            "rollout",
            "status",
            "deployment/productpage",
            "-n",
            "bookinfo",
            "--watch=false",
        ])
        .env("KUBECONFIG", server.kubeconfig_path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(said.contains("Waiting for deployment"), "{said}");
}

#[test]
fn without_a_terminal_it_refuses_and_says_to_add_yes() {
    let server = serve(Duration::ZERO, &[]);
    let out = run(&["fix"], &server);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("add --yes"), "{}", out.stderr);
    assert!(
        out.stdout.contains("Plan to move to 1-8-1"),
        "the plan is shown: {}",
        out.stdout
    );
    assert!(patches(&server).is_empty());
}

#[test]
fn a_paused_deployment_is_refused_in_the_plan() {
    let server = serve(Duration::ZERO, &[]);
    let paused = std::process::Command::new("kubectl")
        .args([
            "patch",
            "deployment",
            "ratings",
            "-n",
            "bookinfo",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"paused":true}}"#,
        ])
        .env("KUBECONFIG", server.kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        paused.status.success(),
        "{}",
        String::from_utf8_lossy(&paused.stderr)
    );
    server.clear_requests();
    let planned = plan(&server);
    let row = planned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["object"] == "Deployment bookinfo/ratings")
        .unwrap();
    assert_eq!(row["disposition"]["kind"], "refused", "{row:#}");
    assert!(
        row["disposition"]["reason"]
            .as_str()
            .unwrap()
            .contains("paused")
    );
    let out = run(&["fix", "workloads", "--yes"], &server);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !patches(&server)
            .iter()
            .any(|p| p.ends_with("/deployments/ratings")),
        "a paused Deployment is never restarted"
    );
}

#[test]
fn a_partial_failure_reports_what_was_done_and_exits_1() {
    let server = serve(
        Duration::ZERO,
        &[Fault::ForbiddenVerb {
            resource: "deployments",
            verb: "patch",
        }],
    );
    let out = run(&["fix", "--yes"], &server);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("applied: labelled"), "{}", out.stdout);
    assert!(out.stdout.contains("FAILED"), "{}", out.stdout);
    // The namespaces moved; the Deployments did not.
    let ns = server.get_object("namespaces", None, "bookinfo").unwrap();
    assert_eq!(ns["metadata"]["labels"]["istio.io/rev"], "1-8-1");
    let d = server
        .get_object("deployments", Some("bookinfo"), "ratings")
        .unwrap();
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_null()
    );
}

#[test]
fn a_snapshot_is_refused() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["fix", "--snapshot"])
        .arg(scenario("istioctl-2-canary-up"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("live cluster"));
}

#[test]
fn an_operator_gateway_moves_by_its_cr_and_last() {
    let server = serve_scenario("operator-2-canary-up", Duration::ZERO, &[]);
    let out = run(&["fix", "--yes"], &server);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let sent = patches(&server);
    assert!(
        sent.last().unwrap().contains("/istiooperators/gateways"),
        "the gateways' CR is patched last: {sent:#?}"
    );
    assert_eq!(
        sent.iter().filter(|p| p.contains("istiooperators")).count(),
        1,
        "{sent:#?}"
    );
    let cr = server
        .get_object("istiooperators", Some("istio-system"), "gateways")
        .unwrap();
    assert_eq!(cr["spec"]["revision"], "1-8-1");
}
