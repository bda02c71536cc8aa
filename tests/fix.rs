//! `fix` end to end against the loopback API server, which rolls Deployments, StatefulSets and
//! DaemonSets onto the revision their namespace selects.

mod common;

use common::live::{Run, run};

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

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn plan(server: &ServerHandle) -> Value {
    let out = run(&["fix", "--dry-run=client", "-o", "json"], server);
    assert_eq!(out.code, 0, "{}", out.stderr);
    json(&out.stdout)
}

/// What a fix report says became of the change at `index` of its plan.
fn result_of(report: &Value, index: usize) -> Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == index)
        .map(|r| r[1].clone())
        .unwrap_or_else(|| panic!("no result for change {index}: {report:#}"))
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
    // Nothing to apply: a plain fix prints the plan and asks nothing, even without a terminal.
    let settled = run(&["fix", "-o", "json"], &server);
    assert_eq!(settled.code, 0, "{}", settled.stderr);
    assert_eq!(json(&settled.stdout)["totals"]["apply"], 0);
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

// ---------- drift: the pilot golden against its live install ----------

const OWNER: &str = "istio-system/control-plane";

fn serve_install(live: &[Value]) -> ServerHandle {
    FakeApiServer::new()
        .object(
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}),
        )
        .objects(live.iter().cloned())
        .start()
}

/// `fix drift` on the golden's served kinds, as `diff` takes them.
fn drift(server: &ServerHandle, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let manifest = common::install::served_manifest(dir.path());
    let mut args = vec![
        "fix",
        "drift",
        "--manifest",
        manifest.to_str().unwrap(),
        "--owner",
        OWNER,
    ];
    args.extend_from_slice(extra);
    run(&args, server)
}

/// `kubectl edit` of one field: an Update by field manager `kubectl-edit`.
fn kubectl_edit(server: &ServerHandle, plural: &str, namespace: &str, name: &str, patch: Value) {
    let status = std::process::Command::new("kubectl")
        .args([
            "patch",
            plural,
            name,
            "-n",
            namespace,
            "--type",
            "merge",
            "--field-manager",
            "kubectl-edit",
            "-p",
            &patch.to_string(),
        ])
        .env("KUBECONFIG", server.kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn mesh_config(server: &ServerHandle) -> Value {
    server
        .get_object("configmaps", Some("istio-system"), "istio")
        .unwrap()["data"]["mesh"]
        .clone()
}

fn changes_of(plan: &Value, code: &str) -> Vec<Value> {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn drift_is_applied_as_istio_operator_and_a_conflict_names_its_fields_and_managers() {
    let server = serve_install(&common::install::fixture());
    let rendered = mesh_config(&server);
    kubectl_edit(
        &server,
        "configmap",
        "istio-system",
        "istio",
        serde_json::json!({"data": {"mesh": "defaultConfig: {}\n"}}),
    );
    let out = drift(&server, &["--dry-run=client", "-o", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let planned = json(&out.stdout);
    let rows = changes_of(&planned, "IR501");
    assert_eq!(rows.len(), 1, "{planned:#}");
    assert_eq!(rows[0]["object"], "ConfigMap istio-system/istio");
    assert_eq!(rows[0]["step"]["field_manager"], "istio-operator");
    assert_eq!(rows[0]["step"]["force"], false);

    // Without --force-conflicts: the server's 409, its fields and their manager, exit 1.
    let out = drift(&server, &["--yes", "-o", "json"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let applied = json(&out.stdout);
    let result = &applied["results"][0][1];
    assert_eq!(result["result"], "conflicts", "{applied:#}");
    assert_eq!(
        result["detail"],
        serde_json::json!([{"field": ".data.mesh", "manager": "\"kubectl-edit\" using v1"}])
    );
    assert_ne!(mesh_config(&server), rendered, "a conflict changes nothing");
    let table = drift(&server, &["--yes", "--no-color"]);
    assert!(
        table
            .stdout
            .contains(".data.mesh (managed by \"kubectl-edit\" using v1)"),
        "{}",
        table.stdout
    );
    let sent: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| {
            r.header("content-type") == Some("application/apply-patch+yaml")
                && r.query_param("dryRun").is_none()
        })
        .collect();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(
        sent.iter().all(|r| r.query_param("force").is_none()
            && r.query_param("fieldManager").as_deref() == Some("istio-operator")),
        "{sent:#?}"
    );

    // With it: the rendered value is back, and a re-run plans nothing.
    let out = drift(&server, &["--yes", "--force-conflicts"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(mesh_config(&server), rendered);
    let again = json(&drift(&server, &["--dry-run=client", "-o", "json"]).stdout);
    assert_eq!(again["changes"], serde_json::json!([]), "{again:#}");
}

fn with_orphan() -> Vec<Value> {
    let mut live = common::install::fixture();
    // A component an older istioctl rendered and this one no longer does.
    let mut old = common::install::find(&mut live, "Deployment", "istiod").clone();
    old["metadata"]["name"] = serde_json::json!("istiod-old");
    for k in ["uid", "resourceVersion", "managedFields"] {
        old["metadata"].as_object_mut().unwrap().remove(k);
    }
    old["metadata"]["labels"]["operator.istio.io/version"] = serde_json::json!("1.23.2");
    live.push(old);
    live
}

#[test]
fn orphans_are_deleted_only_with_prune_and_each_is_listed() {
    let server = serve_install(&with_orphan());
    let out = drift(&server, &["--yes", "-o", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let planned = json(&out.stdout);
    let rows = changes_of(&planned, "IR503");
    assert_eq!(rows.len(), 1, "{planned:#}");
    assert_eq!(rows[0]["object"], "Deployment istio-system/istiod-old");
    assert_eq!(rows[0]["disposition"]["kind"], "refused");
    assert!(
        server.requests().iter().all(|r| r.method != "DELETE"),
        "nothing is deleted without --prune"
    );
    assert!(
        server
            .get_object("deployments", Some("istio-system"), "istiod-old")
            .is_some()
    );

    // A server dry run of the prune deletes nothing either: the DELETE carries dryRun.
    let out = drift(&server, &["--prune", "--dry-run=server", "-o", "json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let dry_deletes: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(dry_deletes.len(), 1);
    // As kubectl's DeleteOptions: in the query or in the body.
    let body = String::from_utf8_lossy(&dry_deletes[0].body);
    assert!(
        dry_deletes[0].query_param("dryRun").as_deref() == Some("All")
            || body.contains(r#""dryRun":["All"]"#),
        "{:?} {body}",
        dry_deletes[0].query
    );
    assert!(
        server
            .get_object("deployments", Some("istio-system"), "istiod-old")
            .is_some(),
        "a server dry run deleted the orphan"
    );
    server.clear_requests();

    let out = drift(&server, &["--yes", "--prune"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("kubectl delete deployment -n istio-system istiod-old"),
        "{}",
        out.stdout
    );
    let deletes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.path)
        .collect();
    assert_eq!(
        deletes,
        ["/apis/apps/v1/namespaces/istio-system/deployments/istiod-old"]
    );
    assert!(
        server
            .get_object("deployments", Some("istio-system"), "istiod-old")
            .is_none()
    );
    let again = json(&drift(&server, &["--prune", "--dry-run=client", "-o", "json"]).stdout);
    assert_eq!(again["changes"], serde_json::json!([]), "{again:#}");
}

#[test]
fn secret_data_is_never_printed_and_a_mask_is_never_applied() {
    let dir = tempfile::tempdir().unwrap();
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/diff/secret-manifest.yaml");
    let text = std::fs::read_to_string(&real).unwrap();
    // What a diff shows for it: the mask, never the values.
    let masked_path = dir.path().join("masked.yaml");
    std::fs::write(
        &masked_path,
        text.replace("rendered-token-value", "'***'")
            .replace("https://east.example:6443", "'*** (after)'"),
    )
    .unwrap();
    let server = serve_install(&common::install::fixture());
    for format in ["json", "yaml", "table"] {
        let out = run(
            &[
                "fix",
                "drift",
                "--manifest",
                real.to_str().unwrap(),
                "--owner",
                OWNER,
                "--dry-run=client",
                "-o",
                format,
            ],
            &server,
        );
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert!(
            out.stdout.contains("istio-remote-secret-east"),
            "{}",
            out.stdout
        );
        for secret in ["rendered-token-value", "cmVuZGVyZWQtdG9rZW4tdmFsdWU="] {
            assert!(!out.stdout.contains(secret), "{format}: {}", out.stdout);
            assert!(!out.stderr.contains(secret), "{format}: {}", out.stderr);
        }
    }
    let out = run(
        &[
            "fix",
            "drift",
            "--manifest",
            masked_path.to_str().unwrap(),
            "--owner",
            OWNER,
            "--yes",
            "-o",
            "json",
        ],
        &server,
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let row = &changes_of(&json(&out.stdout), "IR502")[0];
    assert_eq!(row["disposition"]["kind"], "refused", "{row:#}");
    assert!(
        row["disposition"]["reason"]
            .as_str()
            .unwrap()
            .contains("masked"),
        "{row:#}"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.method != "PATCH" || r.query_param("dryRun").is_some()),
        "a masked Secret is never applied"
    );
}

#[test]
fn a_change_whose_object_moved_on_since_the_plan_is_skipped_and_reported() {
    // Another client edits namespace bookinfo between fix's plan and its re-plan.
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-2-canary-up"))
        .expect("scenario loads")
        .rollout_delay(Duration::ZERO)
        .edit_before_list("namespaces", "", "bookinfo", 2)
        .start();
    let out = run(&["fix", "--yes", "-o", "json"], &server);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let applied = json(&out.stdout);
    let outcome = |object: &str| {
        let changes = applied["changes"].as_array().unwrap();
        let i = changes.iter().position(|c| c["object"] == object).unwrap();
        result_of(&applied, i)
    };
    let skipped = outcome("Namespace bookinfo");
    assert_eq!(skipped["result"], "skipped", "{applied:#}");
    assert!(
        skipped["detail"]
            .as_str()
            .unwrap()
            .contains("moved on since the plan"),
        "{skipped}"
    );
    // Not touched, and neither are the restarts that depend on it; the rest went ahead.
    let ns = server.get_object("namespaces", None, "bookinfo").unwrap();
    assert_eq!(ns["metadata"]["labels"]["istio.io/rev"], "1-8-0");
    assert_eq!(
        outcome("Deployment bookinfo/ratings")["result"],
        "skipped",
        "{applied:#}"
    );
    let shop = server.get_object("namespaces", None, "shop").unwrap();
    assert_eq!(shop["metadata"]["labels"]["istio.io/rev"], "1-8-1");
}

#[test]
fn a_cluster_that_cannot_be_read_exits_3() {
    let server = serve(
        Duration::ZERO,
        &[Fault::Forbidden {
            resource: "pods",
            namespace: None,
        }],
    );
    let out = run(&["fix", "--yes"], &server);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(patches(&server).is_empty());
}

#[test]
fn the_plan_prints_in_the_envelope_and_finding_formats_are_refused() {
    let server = serve(Duration::ZERO, &[]);
    let planned = plan(&server);
    assert_eq!(planned["schemaVersion"], 1);
    assert_eq!(planned["command"], "fix");
    assert_eq!(planned["result"], "pass");
    assert_eq!(planned["exitCode"], 0);
    // Every change fix would send carries its object's resourceVersion, namespaces and
    // workloads alike: what "moved on since the plan" is measured against.
    let applied: Vec<&Value> = planned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["disposition"]["kind"] == "apply")
        .collect();
    assert!(
        applied.iter().any(|c| c["phase"] == "workloads"),
        "{planned:#}"
    );
    for c in applied {
        assert!(c["resource_version"].is_string(), "{c:#}");
    }
    for format in ["junit", "sarif", "markdown", "github"] {
        let out = run(&["fix", "--dry-run=client", "-o", format], &server);
        assert_eq!(out.code, 2, "{format}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{format}: {}", out.stdout);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("table, json or yaml"), "{}", out.stderr);
    }
}

#[test]
fn gateways_wait_until_every_change_before_them_succeeded() {
    // Workload restarts refused (a token that may not patch Deployments): the operator
    // gateways' CR is not patched either, so the gateways do not move ahead of the workloads.
    let server = serve_scenario(
        "operator-3-relabeled",
        Duration::ZERO,
        &[Fault::ForbiddenVerb {
            resource: "deployments",
            verb: "patch",
        }],
    );
    let planned = plan(&server);
    let gateway = planned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["phase"] == "gateways" && c["disposition"]["kind"] == "apply")
        .unwrap_or_else(|| panic!("an applied gateway change: {planned:#}"));
    // Its CR's resourceVersion, as every change fix sends carries its object's.
    assert!(
        planned["changes"][gateway]["resource_version"].is_string(),
        "{planned:#}"
    );
    let out = run(&["fix", "--yes", "-o", "json"], &server);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let report = json(&out.stdout);
    let result = result_of(&report, gateway);
    assert_eq!(result["result"], "skipped", "{report:#}");
    assert!(
        result["detail"]
            .as_str()
            .unwrap()
            .contains("gateways move last"),
        "{result}"
    );
    assert!(
        !patches(&server)
            .iter()
            .any(|p| p.contains("istiooperators")),
        "{:?}",
        patches(&server)
    );
}
