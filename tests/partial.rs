//! A partly readable cluster exits 3 in every command and every `-o` (a pipeline must never
//! read "clean", nor only "findings", from what it could not see), unless `--allow-partial`.
//! Against the loopback API server, with a token that may not list some kinds.

use assert_cmd::cargo::cargo_bin_cmd;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use std::time::Duration;

const FORMATS: &[&str] = &[
    "table", "json", "yaml", "junit", "sarif", "markdown", "github",
];

fn serve() -> ServerHandle {
    let mut server = FakeApiServer::new()
        .objects_from_file(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/scenarios/istioctl-6-old-removed/cluster.yaml"),
        )
        .unwrap();
    for resource in ["mutatingwebhookconfigurations", "configmaps"] {
        server = server.fault(Fault::Forbidden {
            resource,
            namespace: None,
        });
    }
    server.start()
}

fn run(server: &ServerHandle, args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env_remove("KUBECONFIG")
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const MANIFEST: &str = "testdata/istio/manifest-generate-latest/output/pilot_default.golden.yaml";

fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["status"],
        vec!["check-overlap", "-f", "testdata/overlap/control-plane.yaml"],
        vec![
            "diff",
            "--manifest",
            MANIFEST,
            "--owner",
            "istio-system/control-plane",
        ],
        vec!["gate", "pre-upgrade", "--target", "1-8-1"],
        vec!["gate", "post-upgrade", "--target", "1-8-1"],
        vec!["gate", "remove-revision", "1-8-0"],
    ]
}

#[test]
fn every_command_in_every_format_exits_3() {
    let server = serve();
    for command in commands() {
        for format in FORMATS {
            let mut args = command.clone();
            args.extend(["-o", format]);
            let (code, out, err) = run(&server, &args);
            assert_eq!(code, 3, "{args:?}: {out}\n{err}");
        }
    }
    // snapshot has no -o of findings, but the same contract.
    let (code, _, err) = run(&server, &["snapshot"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("not in the snapshot: mutatingwebhookconfigurations"),
        "{err}"
    );
}

#[test]
fn the_check_that_needed_the_unreadable_kind_says_it_could_not_run() {
    let server = serve();
    let (_, out, _) = run(
        &server,
        &["gate", "pre-upgrade", "--target", "1-8-1", "-o", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let state = |name: &str| {
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| (c["state"].clone(), c["reason"].clone()))
            .unwrap()
    };
    assert_eq!(
        state("no-dangling-tag"),
        (
            "not-run".into(),
            "could not read mutatingwebhookconfigurations".into()
        )
    );
    assert_eq!(state("control-plane-ready").0, "passed");
    assert_eq!(state("cluster-readable").0, "failed");
    let (_, table, _) = run(&server, &["gate", "pre-upgrade", "--target", "1-8-1"]);
    assert!(table.contains("INCOMPLETE"), "{table}");
    assert!(
        table.contains("no-dangling-tag             could not run  could not read mutatingwebhookconfigurations"),
        "{table}"
    );
}

#[test]
fn status_says_which_checks_could_not_run() {
    let server = serve();
    let (_, table, _) = run(&server, &["status"]);
    assert!(table.contains("COULD NOT RUN ("), "{table}");
    assert!(
        table.contains("IR303 dangling tags: could not read mutatingwebhookconfigurations"),
        "{table}"
    );
}

#[test]
fn allow_partial_lets_ir901_count_as_a_warning() {
    let server = serve();
    let (code, _, err) = run(&server, &["status", "--allow-partial"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run(
        &server,
        &["status", "--allow-partial", "--fail-on", "warning"],
    );
    assert_eq!(code, 1);
}
