//! End-to-end: the plugin at home in a terminal. Impersonation (`--as`, `--as-group`,
//! `--as-uid`), `version`, shell completion (scripts, the dynamic completer, kubectl's plugin
//! completion through the real kubectl), `status --watch` against a loopback API server that
//! changes between frames, progress output only on a terminal, and fix's question on one.

mod common;

use common::live::run;

use assert_cmd::cargo::cargo_bin_cmd;
use common::finding_lines;
use fake_apiserver::{FakeApiServer, ServerHandle};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios")
        .join(name)
        .join("cluster.yaml")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// ---- impersonation -------------------------------------------------------------------------

const CI_DEPLOYER: &str = "system:serviceaccount:ci:deployer";

#[test]
fn impersonation_flags_become_the_impersonate_headers_of_every_request() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .start();
    let plain = run(&["status", "-o", "json"], &server);
    server.clear_requests();
    let r = run(
        &[
            "status",
            "-o",
            "json",
            "--as",
            CI_DEPLOYER,
            "--as-group",
            "team-a",
            "--as-group=team-b",
            "--as-uid",
            "1234-uid",
        ],
        &server,
    );
    assert_eq!(r.code, plain.code, "{}", r.stderr);
    assert_eq!(
        finding_lines(&json(&r.stdout)),
        finding_lines(&json(&plain.stdout))
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    for q in &requests {
        let values = |name: &str| -> Vec<&str> {
            q.headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect()
        };
        assert_eq!(
            values("impersonate-user"),
            [CI_DEPLOYER],
            "{} {}",
            q.method,
            q.path
        );
        assert_eq!(values("impersonate-group"), ["team-a", "team-b"]);
        assert_eq!(values("impersonate-uid"), ["1234-uid"]);
    }
}

#[test]
fn without_as_no_impersonate_header_is_sent() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .start();
    run(&["status", "-o", "json"], &server);
    assert!(server.requests().iter().all(|q| {
        q.headers
            .iter()
            .all(|(k, _)| !k.starts_with("impersonate-"))
    }));
}

#[test]
fn what_the_impersonated_identity_may_not_read_is_ir901_naming_it() {
    // The CI service account may read everything but pods, cluster-wide: what it sees is not
    // clean, and the finding says who was refused what.
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .grant(
            "system:serviceaccounts:ci",
            &["get", "list"],
            &[
                "namespaces",
                "deployments",
                "statefulsets",
                "daemonsets",
                "replicasets",
                "mutatingwebhookconfigurations",
                "validatingwebhookconfigurations",
                "istiooperators",
                "gateways",
                "gatewayclasses",
            ],
        )
        .start();
    let r = run(&["status", "-o", "json", "--as", CI_DEPLOYER], &server);
    assert_eq!(
        r.code, 3,
        "never clean when pods were refused: {}",
        r.stderr
    );
    let report = json(&r.stdout);
    let refused: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "IR901")
        .collect();
    assert_eq!(refused.len(), 1, "{report:#}");
    let message = refused[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "not checked: could not list pods in all namespaces: forbidden: pods is forbidden: User \"system:serviceaccount:ci:deployer\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
        ),
        "{message}"
    );
    // The caller itself is not restricted: the same server without --as reads everything.
    let caller = run(&["status", "-o", "json"], &server);
    assert!(
        finding_lines(&json(&caller.stdout))
            .iter()
            .all(|l| !l.starts_with("IR901")),
        "{}",
        caller.stdout
    );
}

#[test]
fn a_caller_refused_the_impersonate_verb_sees_the_filters_403() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .may_impersonate(false)
        .start();
    let r = run(&["status", "-o", "json", "--as", "jane"], &server);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains(
            "users \\\"jane\\\" is forbidden: User \\\"fake-user\\\" cannot impersonate resource \\\"users\\\""
        ) || all.contains(
            "users \"jane\" is forbidden: User \"fake-user\" cannot impersonate resource \"users\""
        ),
        "{all}"
    );
}

#[test]
fn as_group_or_as_uid_without_as_is_a_usage_error() {
    for flags in [["--as-group", "team-a"], ["--as-uid", "1234"]] {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .arg("status")
            .args(flags)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("--as <USER>"), "{stderr}");
    }
}

// ---- version ---------------------------------------------------------------------------------

#[test]
fn version_live_names_the_plugin_the_server_and_each_revisions_istio() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .start();
    let r = run(&["version", "-o", "json"], &server);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["plugin"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["kubernetes"], "v1.32.0-fake");
    let planes: Vec<(String, String)> = v["control_planes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["revision"].as_str().unwrap().to_string(),
                c["istio"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        planes,
        [
            ("1-8-0".to_string(), "1.8.0".to_string()),
            ("1-8-1".to_string(), "1.8.1".to_string())
        ]
    );
    // Only what version needs is read: no pod is listed.
    assert!(
        server.requests().iter().all(|q| !q.path.ends_with("/pods")),
        "version lists no pods"
    );
    let t = run(&["version"], &server);
    assert_eq!(t.code, 0);
    assert!(t.stdout.starts_with(&format!(
        "Plugin version: {}\nServer version: v1.32.0-fake\n",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(t.stdout.contains("1-8-1"), "{}", t.stdout);
    assert!(t.stdout.contains("1.8.1"), "{}", t.stdout);
}

#[test]
fn version_offline_reads_the_control_planes_from_the_snapshot() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["version", "-o", "json", "--snapshot"])
        .arg(scenario("istioctl-3-relabeled"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v = json(&String::from_utf8(out.stdout).unwrap());
    assert!(
        v.get("kubernetes").is_none(),
        "a snapshot has no server version: {v}"
    );
    assert_eq!(v["control_planes"][1]["revision"], "1-8-1");
    assert_eq!(v["control_planes"][1]["istio"], "1.8.1");
    let client = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["version", "--client", "-o", "json"])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(client.status.code(), Some(0));
    let v = json(&String::from_utf8(client.stdout).unwrap());
    assert_eq!(
        v,
        serde_json::json!({"plugin": env!("CARGO_PKG_VERSION")}),
        "--client reads no cluster"
    );
}

#[test]
fn version_says_what_it_could_not_read() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .fault(fake_apiserver::Fault::Forbidden {
            resource: "deployments",
            namespace: None,
        })
        .start();
    let r = run(&["version"], &server);
    assert_eq!(
        r.code, 3,
        "incomplete is never clean: exit 3 as for every command"
    );
    assert!(
        r.stdout
            .contains("not checked: could not list deployments (app=istiod): forbidden"),
        "{}",
        r.stdout
    );
}

// ---- completion ------------------------------------------------------------------------------

#[test]
fn completion_scripts_for_each_shell_call_back_into_the_plugin() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .args(["completion", shell])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("KUBECTL_ISTIO_REV_COMPLETE") && script.contains("kubectl-istio_rev"),
            "{shell}: {script}"
        );
    }
    let bash = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["completion", "bash"])
        .output()
        .unwrap()
        .stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("completion.bash");
    std::fs::write(&path, bash).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{:?}", syntax);
}

/// The shell scripts' side of the protocol (fish's is the plainest: one `value\thelp` a line).
#[test]
fn the_shell_protocol_completes_commands_and_flags() {
    let ask = |words: &[&str]| -> Vec<String> {
        let out = cargo_bin_cmd!("kubectl-istio_rev")
            .env("KUBECTL_ISTIO_REV_COMPLETE", "fish")
            .arg("--")
            .arg("kubectl-istio_rev")
            .args(words)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    };
    let commands = ask(&["st"]);
    assert_eq!(commands, ["status"]);
    let flags = ask(&["status", "--as"]);
    assert_eq!(flags, ["--as", "--as-group", "--as-uid"]);
    let formats = ask(&["version", "-o", ""]);
    assert_eq!(formats, ["table", "json", "yaml"]);
}

fn kubectl_complete(server: &ServerHandle, words: &[&str]) -> Vec<String> {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .arg("__complete")
        .args(words)
        .env("KUBECONFIG", server.kubeconfig_path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn dynamic_values_come_from_the_kubeconfig_and_the_cluster() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .start();
    assert_eq!(
        kubectl_complete(&server, &["status", "--context", ""]),
        ["fake\tcluster fake", ":4"]
    );
    assert_eq!(
        kubectl_complete(&server, &["status", "--context=fake,"]),
        [":4"],
        "a context already in the list is not offered again"
    );
    let namespaces = kubectl_complete(&server, &["status", "-n", "sh"]);
    assert_eq!(namespaces, ["shop", ":4"]);
    let revisions = kubectl_complete(&server, &["status", "--target", ""]);
    assert_eq!(
        revisions,
        [
            "1-8-0\tcontrol plane, Istio 1.8.0",
            "1-8-1\tcontrol plane, Istio 1.8.1",
            ":4"
        ]
    );
    // The line's own --kubeconfig wins over KUBECONFIG: an unreadable one gives nothing, fast.
    assert_eq!(
        kubectl_complete(
            &server,
            &["status", "--kubeconfig", "/nonexistent", "-n", ""]
        ),
        [":4"]
    );
}

/// kubectl itself (1.26+) runs `kubectl_complete-istio_rev` for `kubectl istio-rev <TAB>`.
#[test]
fn real_kubectl_completes_the_plugin_through_the_shipped_completer() {
    let Ok(kubectl) = which("kubectl") else {
        panic!("kubectl is needed for this test (v1.26+)");
    };
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .start();
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin!("kubectl-istio_rev"),
        bin_dir.path().join("kubectl-istio_rev"),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kubectl_complete-istio_rev"),
        bin_dir.path().join("kubectl_complete-istio_rev"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let complete = |words: &[&str]| -> String {
        let out = std::process::Command::new(&kubectl)
            .arg("__complete")
            .arg("istio-rev")
            .args(words)
            .env("PATH", &path)
            .env("KUBECONFIG", server.kubeconfig_path())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let commands = complete(&["ver"]);
    assert_eq!(
        commands,
        "version\tThe plugin's version, the server's Kubernetes version and each control-plane revision's Istio version\n:4\n"
    );
    let revisions = complete(&["status", "--target", "1-8-"]);
    assert!(
        revisions
            .starts_with("1-8-0\tcontrol plane, Istio 1.8.0\n1-8-1\tcontrol plane, Istio 1.8.1\n"),
        "{revisions}"
    );
    assert!(revisions.ends_with(":4\n"), "{revisions}");
    let files = complete(&["status", "--snapshot", ""]);
    assert_eq!(
        files.lines().last(),
        Some(":0"),
        "file names are the shell's: {files}"
    );
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

// ---- status --watch and progress -------------------------------------------------------------

use std::io::{BufRead, Read};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Stdio};
use std::sync::mpsc;

/// A pseudo-terminal: the master end to read what the child drew, the slave end for its stdio.
fn pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 60,
        ws_col: 220,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new file descriptors, which are then owned here.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty");
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}

/// Everything the terminal received, read on a thread until the child closes it.
fn drain(mut master: std::fs::File) -> std::sync::Arc<std::sync::Mutex<String>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let out = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Linux answers EIO once the last slave descriptor is closed: the end of the stream.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    seen
}

fn wait_for(seen: &std::sync::Mutex<String>, what: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let text = seen.lock().unwrap().clone();
        if text.contains(what) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw {what:?} in {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn interrupt(child: &mut Child) -> i32 {
    // SAFETY: a plain signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Ctrl-C did not end it"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn plugin() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("kubectl-istio_rev"));
    cmd.env_remove("KUBECONFIG").env_remove("NO_COLOR");
    cmd
}

/// A kubeconfig of our own: the fake's file goes away with the server, and the watch must
/// outlive a server that restarts on the same port.
fn own_kubeconfig(server: &ServerHandle, dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::copy(server.kubeconfig_path(), &path).unwrap();
    path
}

#[test]
fn watch_json_prints_one_line_per_change_and_survives_a_lost_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-2-canary-up"))
        .unwrap()
        .start();
    let port = server.port();
    let kubeconfig = own_kubeconfig(&server, dir.path());
    let mut child = plugin()
        .args(["status", "--watch", "--interval", "200ms", "-o", "json"])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel::<String>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr_seen = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let seen = stderr_seen.clone();
        let mut stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let next = || -> serde_json::Value {
        json(
            &lines
                .recv_timeout(Duration::from_secs(90))
                .expect("a frame"),
        )
    };

    let first = next();
    assert!(first["observed_at"].as_str().unwrap().ends_with('Z'));
    assert!(first.get("since_last").is_none(), "{first}");
    assert_eq!(finding_lines(&first).len(), 1);

    // The operator relabels the namespaces: one new line says what moved.
    server
        .load_str(&std::fs::read_to_string(scenario("istioctl-3-relabeled")).unwrap())
        .unwrap();
    let second = next();
    let moved = &second["since_last"];
    let namespaces: Vec<(String, String, String)> = moved["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["namespace"].as_str().unwrap().to_string(),
                n["before"].as_str().unwrap().to_string(),
                n["after"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        namespaces,
        ["bookinfo", "legacy", "shop"].map(|n| (
            n.to_string(),
            "1-8-0".to_string(),
            "1-8-1".to_string()
        ))
    );
    assert_eq!(
        (
            moved["findings_before"].as_u64(),
            moved["findings_after"].as_u64()
        ),
        (Some(1), Some(9))
    );
    assert_eq!(
        finding_lines(&second).len(),
        9,
        "each line is a whole report"
    );

    // Nothing changes: nothing is printed.
    assert!(
        lines.recv_timeout(Duration::from_millis(1500)).is_err(),
        "an unchanged cluster prints no frame"
    );

    // The API server goes away, then comes back on the same port with the restarted pods.
    drop(server);
    wait_for(&stderr_seen, "connection lost");
    let back = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-4-restarted"))
        .unwrap()
        .start_on(port)
        .expect("the port is free again");
    let third = next();
    let pods = third["since_last"]["pods"].as_array().unwrap();
    assert!(
        pods.iter()
            .any(|p| p["revision"] == "1-8-1" && p["after"].as_u64() > p["before"].as_u64()),
        "{third}"
    );
    let said = wait_for(&stderr_seen, "reconnected");
    assert!(said.contains("retrying in 1s (attempt 1)"), "{said}");
    assert_eq!(interrupt(&mut child), 0, "Ctrl-C ends a watch cleanly");
    drop(back);
}

#[test]
fn watch_on_a_terminal_redraws_in_place_and_says_how_the_upgrade_moved() {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-2-canary-up"))
        .unwrap()
        .start();
    let (master, slave) = pty();
    let mut child = plugin()
        .args(["status", "-w", "--interval", "200ms", "--color", "never"])
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    let seen = drain(master);
    let first = wait_for(&seen, "every 0.2s");
    assert!(
        first.contains("\x1b[H\x1b[2J"),
        "redrawn in place: {first:?}"
    );
    server
        .load_str(&std::fs::read_to_string(scenario("istioctl-3-relabeled")).unwrap())
        .unwrap();
    let moved = wait_for(
        &seen,
        "since last frame: namespaces bookinfo, legacy, shop 1-8-0 → 1-8-1; findings 1 → 9 (8 new, 0 resolved)",
    );
    assert_eq!(
        moved.matches("\x1b[H\x1b[2J").count(),
        2,
        "one redraw per change"
    );
    assert_eq!(interrupt(&mut child), 0);
}

#[test]
fn watch_refuses_what_it_cannot_follow() {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--watch", "--snapshot"])
        .arg(scenario("istioctl-3-relabeled"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --watch follows a live cluster; a snapshot does not change\n"
    );
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--watch", "--interval", "0s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The finding formats describe one verdict, not a stream of frames.
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["status", "--watch", "-o", "sarif"])
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --watch prints tables or JSON lines (-o json); run status once for -o junit, sarif, markdown or github\n"
    );
}

/// Listing slowed past a second, stderr on a terminal: progress there, and only there.
fn progress_run(extra: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-3-relabeled"))
        .unwrap()
        .fault(fake_apiserver::Fault::Slow {
            resource: "pods",
            delay: Duration::from_millis(400),
        })
        .start();
    let (master, slave) = pty();
    let mut cmd = plugin();
    cmd.args(["status", "--chunk-size", "3"])
        .args(extra)
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .env("TERM", "xterm")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let seen = drain(master);
    let out = cmd.output().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let terminal = seen.lock().unwrap().clone();
    (String::from_utf8(out.stdout).unwrap(), terminal)
}

/// The text of what a terminal was sent, without its control sequences (`ESC [ ... letter`).
fn without_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn progress_shows_on_a_terminal_for_long_lists_and_never_in_the_report() {
    let (stdout, terminal) = progress_run(&[], &[]);
    assert!(
        without_escapes(&terminal).contains("listing pods: "),
        "{terminal:?}"
    );
    assert!(
        terminal.contains("\x1b["),
        "drawn with terminal control: {terminal:?}"
    );
    assert!(
        !stdout.contains("listing"),
        "the report stays clean: {stdout}"
    );

    let (_, plain) = progress_run(&[], &[("NO_COLOR", "1")]);
    assert!(
        plain.contains("listing pods"),
        "NO_COLOR keeps progress: {plain:?}"
    );
    assert!(
        !plain.contains("\x1b[36m"),
        "but drops its colors: {plain:?}"
    );
}

#[test]
fn no_progress_with_json_output_or_a_dumb_terminal() {
    let (stdout, terminal) = progress_run(&["-o", "json"], &[]);
    assert!(!terminal.contains("listing"), "{terminal:?}");
    json(&stdout);
    let (_, dumb) = progress_run(&[], &[("TERM", "dumb")]);
    assert!(!dumb.contains("listing"), "{dumb:?}");
}

// ---- fix asks on a terminal ------------------------------------------------------------------

/// `fix` with stdin on a terminal that answers `answer` to its question: exit code, stderr and
/// the PATCHes the server received.
fn fix_answering(answer: &str) -> (i32, String, Vec<String>) {
    use std::io::Write;
    let server = FakeApiServer::new()
        .objects_from_file(scenario("istioctl-2-canary-up"))
        .unwrap()
        .rollout_delay(Duration::ZERO)
        .start();
    let (mut master, slave) = pty();
    // Typed ahead: the terminal holds the line until fix reads it.
    master.write_all(format!("{answer}\n").as_bytes()).unwrap();
    // Its echo is read off, so the terminal never fills.
    let _echo = drain(master);
    let out = plugin()
        .args(["fix", "--no-color"])
        .arg("--kubeconfig")
        .arg(server.kubeconfig_path())
        .stdin(Stdio::from(slave))
        .output()
        .unwrap();
    let patches = server
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| r.path.clone())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).unwrap(),
        patches,
    )
}

#[test]
fn on_a_terminal_fix_asks_and_applies_only_on_yes() {
    let (code, stderr, patches) = fix_answering("n");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("? [y/N]"), "the question: {stderr}");
    assert!(stderr.contains("Nothing applied."), "{stderr}");
    assert!(patches.is_empty(), "{patches:?}");

    let (code, stderr, patches) = fix_answering("y");
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("Nothing applied."), "{stderr}");
    assert!(
        patches.iter().any(|p| p.ends_with("/namespaces/bookinfo")),
        "{patches:?}"
    );
}
