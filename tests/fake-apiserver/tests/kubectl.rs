//! The real `kubectl` (v1.32) against the fake, through the generated kubeconfig: discovery
//! (aggregated v2), `get -A -o json`, server-side printed tables.

use fake_apiserver::{FakeApiServer, ServerHandle};
use std::process::Command;

const DUMP: &str = include_str!("../recordings/kubectl-get-ns-deploy-rs-pods-mwc-iop-A.yaml");

fn kubectl(srv: &ServerHandle, args: &[&str]) -> (bool, String, String) {
    let cache = std::env::temp_dir().join(format!("fake-apiserver-kubectl-cache-{}", srv.port()));
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(srv.kubeconfig_path())
        .arg("--cache-dir")
        .arg(&cache)
        .args(args)
        .output()
        .expect("kubectl on PATH");
    let _ = std::fs::remove_dir_all(&cache);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kubectl_get_pods_json_and_namespaces() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("kubectl not on PATH; skipping");
        return;
    }
    let srv = FakeApiServer::new().objects_from_str(DUMP).unwrap().start();

    let (ok, out, err) = kubectl(&srv, &["get", "pods", "-A", "-o", "json"]);
    assert!(ok, "stderr: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["items"].as_array().unwrap().len(), 4);
    assert_eq!(v["items"][0]["kind"], "Pod");

    let (ok, out, err) = kubectl(&srv, &["get", "ns"]);
    assert!(ok, "stderr: {err}");
    assert!(out.starts_with("NAME"), "{out}");
    for ns in ["rec-a", "rec-b", "rec-c"] {
        assert!(out.contains(ns), "{out}");
    }
    assert!(out.contains("Active"), "{out}");

    let (ok, out, err) = kubectl(&srv, &["get", "pods", "-n", "rec-a", "-o", "wide"]);
    assert!(ok, "stderr: {err}");
    assert!(
        out.contains("productpage-5b9c8d7f6c-x7k2p") && out.contains("rec-node-1"),
        "{out}"
    );

    // resource types the fake does not have / short names via discovery
    let (ok, out, err) = kubectl(&srv, &["get", "iop", "-A"]);
    assert!(ok, "stderr: {err}");
    assert!(out.contains("installed-state-rec-1-8-1"), "{out}");

    // kubectl did discovery with the aggregated v2 Accept header
    let reqs = srv.requests();
    assert!(reqs.iter().any(|r| {
        r.path == "/apis"
            && r.header("accept")
                .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"))
    }));
    assert!(
        reqs.iter()
            .any(|r| r.path == "/api/v1/pods" && r.query_param("limit").as_deref() == Some("500"))
    );
}

#[test]
fn kubectl_without_istio_crd() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        return;
    }
    let srv = FakeApiServer::new().istio_operator_crd(false).start();
    let (ok, _, err) = kubectl(&srv, &["get", "istiooperators", "-A"]);
    assert!(!ok);
    assert!(
        err.contains("the server doesn't have a resource type"),
        "{err}"
    );
}
