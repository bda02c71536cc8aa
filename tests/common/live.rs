//! Running the plugin against a loopback API server, for the live end-to-end tests.
#![allow(dead_code)] // shared by the test binaries; not every one runs the plugin live

use assert_cmd::cargo::cargo_bin_cmd;
use fake_apiserver::ServerHandle;
use std::time::Duration;

/// How one run of the plugin ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The plugin with `args` against `server`, through its kubeconfig alone.
pub fn run(args: &[&str], server: &ServerHandle) -> Run {
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
