//! No output, error or `snapshot` file ever holds a credential or Secret data: kubeconfigs with a
//! bearer token, a client key, an exec plugin's credential and a basic-auth password, against a
//! healthy server, a storm of faults, a server that refuses the credential and a damaged
//! kubeconfig, for every command that reads a cluster (status, snapshot, check-overlap, diff, the
//! gates, fix's plan); the request log shows that only `diff`, and `fix drift` through it, ever
//! asks for Secrets; and `fix drift` plans and applies a Secret without printing its data.

use assert_cmd::cargo::cargo_bin_cmd;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

const TOKEN: &str = "tok-SECRET-7f3a9c1e5b";
const EXEC_TOKEN: &str = "exec-SECRET-2d8e6b4a90";
const EXEC_ENV: &str = "envSECRET4c1f0e";
const PASSWORD: &str = "pw-SECRET-b7a5c3";

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One way a kubeconfig can hold a credential, and the strings that must never be printed.
struct Credential {
    name: &'static str,
    user_yaml: String,
    secrets: Vec<String>,
}

fn credentials(dir: &Path) -> Vec<Credential> {
    let key = std::fs::read(repo("testdata/credentials/client.key")).unwrap();
    let crt = std::fs::read(repo("testdata/credentials/client.crt")).unwrap();
    let key_text = String::from_utf8(key.clone()).unwrap();
    let key_b64 = b64(&key);
    let plugin = dir.join("credential-plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{EXEC_TOKEN}\"}}}}'\n"
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    vec![
        Credential {
            name: "bearer token",
            user_yaml: format!("    token: {TOKEN}\n"),
            secrets: vec![TOKEN.to_string()],
        },
        Credential {
            name: "client key",
            user_yaml: format!(
                "    client-certificate-data: {}\n    client-key-data: {key_b64}\n",
                b64(&crt)
            ),
            secrets: vec![
                key_text.lines().nth(5).unwrap().to_string(),
                key_b64[200..240].to_string(),
                "PRIVATE KEY".to_string(),
            ],
        },
        Credential {
            name: "exec plugin",
            user_yaml: format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n      env:\n      - name: PLUGIN_SECRET\n        value: {EXEC_ENV}\n",
                plugin.display()
            ),
            secrets: vec![EXEC_TOKEN.to_string(), EXEC_ENV.to_string()],
        },
        Credential {
            name: "basic auth",
            user_yaml: format!("    username: admin\n    password: {PASSWORD}\n"),
            secrets: vec![PASSWORD.to_string()],
        },
    ]
}

fn kubeconfig(dir: &Path, server: &ServerHandle, user_yaml: &str, damaged: bool) -> PathBuf {
    let mut text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: loop\n  cluster:\n    server: {}\ncontexts:\n- name: loop\n  context:\n    cluster: loop\n    user: u\ncurrent-context: loop\nusers:\n- name: u\n  user:\n{user_yaml}",
        server.url()
    );
    if damaged {
        // A tab and an unclosed flow right after the credential: the YAML parser's error points
        // at the lines that hold it.
        text.push_str("\t  broken: [unclosed\n");
    }
    let path = dir.join(if damaged {
        "damaged.kubeconfig"
    } else {
        "kubeconfig"
    });
    std::fs::write(&path, text).unwrap();
    path
}

fn run(kubeconfig: &Path, args: &[&str]) -> String {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--request-timeout")
        .arg("2s")
        .env_remove("KUBECONFIG")
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn server(storm: bool, required_token: Option<&str>) -> ServerHandle {
    let mut s = FakeApiServer::new()
        .objects_from_file(repo("testdata/scenarios/istioctl-3-relabeled/cluster.yaml"))
        .unwrap()
        .request_log(true);
    if let Some(t) = required_token {
        s = s.bearer_token(t);
    }
    if storm {
        s = s.fault(Fault::Storm {
            seed: 0xc0ffee,
            per_mille: 250,
            slow: Duration::from_secs(3),
        });
    }
    s.start()
}

#[test]
fn no_credential_is_ever_printed() {
    let dir = tempfile::tempdir().unwrap();
    let overlap_cr = repo("testdata/overlap/control-plane.yaml");
    let manifest = repo("testdata/diff/secret-manifest.yaml");
    let snapshot_file = dir.path().join("snapshot.yaml");
    let mut leaks = Vec::new();
    let mut runs = 0;
    for credential in credentials(dir.path()) {
        // Healthy and accepting; a storm; a server that wants another token (401); a damaged
        // kubeconfig.
        for (setting, storm, required, damaged) in [
            ("healthy", false, None, false),
            ("storm", true, None, false),
            ("refused", false, Some("another-token"), false),
            ("damaged kubeconfig", false, None, true),
        ] {
            let srv = server(storm, required);
            let kc = kubeconfig(dir.path(), &srv, &credential.user_yaml, damaged);
            let snap_out = snapshot_file.display().to_string();
            let commands: Vec<Vec<&str>> = vec![
                vec!["status", "-o", "json"],
                vec!["snapshot", "-o", "yaml"],
                vec![
                    "check-overlap",
                    "-f",
                    overlap_cr.to_str().unwrap(),
                    "-o",
                    "json",
                ],
                vec![
                    "diff",
                    "--manifest",
                    manifest.to_str().unwrap(),
                    "-o",
                    "yaml",
                ],
                vec!["gate", "pre-upgrade", "--target", "1-8-1", "-o", "json"],
                vec!["fix", "--dry-run=client", "-o", "json"],
            ];
            for args in &commands {
                runs += 1;
                let mut output = run(&kc, args);
                if args[0] == "snapshot" {
                    std::fs::write(&snapshot_file, &output).unwrap();
                    output.push_str(&std::fs::read_to_string(&snap_out).unwrap());
                }
                for s in &credential.secrets {
                    if output.contains(s.as_str()) {
                        leaks.push(format!(
                            "{} / {setting} / {}: prints {s:?}:\n{output}",
                            credential.name,
                            args.join(" ")
                        ));
                    }
                }
            }
        }
    }
    assert!(runs >= 96, "{runs}");
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

#[test]
fn only_diff_asks_for_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(false, None);
    let kc = kubeconfig(dir.path(), &srv, &format!("    token: {TOKEN}\n"), false);
    let overlap_cr = repo("testdata/overlap/control-plane.yaml");
    for args in [
        vec!["status", "-o", "json"],
        vec!["snapshot"],
        vec!["check-overlap", "-f", overlap_cr.to_str().unwrap()],
        vec!["gate", "pre-upgrade", "--target", "1-8-1"],
        vec!["gate", "post-upgrade", "--target", "1-8-1"],
        vec!["gate", "remove-revision", "1-8-0"],
        vec!["fix", "--dry-run=client"],
    ] {
        run(&kc, &args);
    }
    let secret_requests: Vec<String> = srv
        .requests()
        .iter()
        .filter(|r| r.path.contains("/secrets"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        secret_requests.is_empty(),
        "status, snapshot, check-overlap, the gates or fix's plan asked for Secrets: {secret_requests:?}"
    );
    assert!(
        !srv.requests().is_empty(),
        "the commands reached the server"
    );

    let manifest = repo("testdata/diff/secret-manifest.yaml");
    let manifest = manifest.to_str().unwrap();
    for args in [
        vec!["diff", "--manifest", manifest],
        vec!["fix", "drift", "--manifest", manifest, "--dry-run=client"],
    ] {
        srv.clear_requests();
        run(&kc, &args);
        let asked: Vec<String> = srv
            .requests()
            .iter()
            .filter(|r| r.path.contains("/secrets"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        // The rendered Secret by name, and the prune search's label-selected LIST.
        assert!(
            asked
                .iter()
                .any(|r| r.starts_with("GET") && r.contains("/secrets/")),
            "{}: {asked:?}",
            args[0]
        );
        let unexpected: Vec<String> = srv
            .requests()
            .iter()
            .filter(|r| r.path.contains("/secrets"))
            .filter(|r| {
                let rendered = r.path.ends_with("/secrets/istio-remote-secret-east");
                let prune_search = r.method == "GET"
                    && r.path.ends_with("/secrets")
                    && r.query_param("labelSelector")
                        .is_some_and(|s| s.contains("operator.istio.io/managed=Reconcile"));
                !(rendered || prune_search)
            })
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{} asked for Secrets other than the rendered one and the prune search: {unexpected:?}",
            args.join(" ")
        );
    }
}

/// The rendered Secret's value, its live value, and both as base64.
const SECRET_VALUES: [&str; 4] = [
    "rendered-token-value",
    "cmVuZGVyZWQtdG9rZW4tdmFsdWU=",
    "live-token-value",
    "bGl2ZS10b2tlbi12YWx1ZQ==",
];

#[test]
fn fix_drift_plans_and_applies_a_secret_without_printing_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(false, None);
    // The Secret as the operator installed it, since changed: the rendered install wants its
    // token back.
    srv.load_str(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-remote-secret-east\n  namespace: istio-system\n  labels:\n    install.operator.istio.io/owning-resource: control-plane\n    install.operator.istio.io/owning-resource-namespace: istio-system\n    operator.istio.io/managed: Reconcile\n    operator.istio.io/component: Pilot\n    istio.io/rev: default\ntype: Opaque\ndata:\n  token: bGl2ZS10b2tlbi12YWx1ZQ==\n  server: aHR0cHM6Ly9lYXN0LmV4YW1wbGU6NjQ0Mw==\n",
    )
    .unwrap();
    let kc = kubeconfig(dir.path(), &srv, &format!("    token: {TOKEN}\n"), false);
    let manifest = repo("testdata/diff/secret-manifest.yaml");
    let drift = |extra: &[&str]| {
        let mut args = vec![
            "fix",
            "drift",
            "--manifest",
            manifest.to_str().unwrap(),
            "--owner",
            "istio-system/control-plane",
            "--no-color",
        ];
        args.extend_from_slice(extra);
        run(&kc, &args)
    };
    let mut outputs = Vec::new();
    for format in ["table", "json", "yaml"] {
        let plan = drift(&["--dry-run=client", "-o", format]);
        assert!(plan.starts_with("exit Some(0)"), "{plan}");
        assert!(plan.contains("istio-remote-secret-east"), "{plan}");
        outputs.push(plan);
    }
    outputs.push(drift(&["--dry-run=server", "-o", "json"]));
    let applied = drift(&["--yes", "-o", "json"]);
    assert!(applied.starts_with("exit Some(0)"), "{applied}");
    outputs.push(applied);
    for output in &outputs {
        for value in SECRET_VALUES {
            assert!(!output.contains(value), "prints {value}:\n{output}");
        }
    }
    // It did apply the rendered value.
    let stored = srv
        .get_object("secrets", Some("istio-system"), "istio-remote-secret-east")
        .unwrap();
    // stringData folds into data, as the API server stores it.
    assert_eq!(
        stored["data"]["token"], "cmVuZGVyZWQtdG9rZW4tdmFsdWU=",
        "{stored:#}"
    );
    assert!(stored.get("stringData").is_none(), "{stored:#}");
}
