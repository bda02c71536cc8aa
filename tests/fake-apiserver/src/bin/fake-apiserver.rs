//! Serves a directory (or files) of object snapshots on 127.0.0.1 and prints the port.
//!
//! ```text
//! fake-apiserver [--port N] [--token T] [--no-istio-crd] [--no-request-log]
//!                [--kubeconfig PATH] [--no-protobuf]
//!                [--synthetic-pods N --workloads W --namespaces M --revisions R]
//!                [DIR_OR_FILE ...]
//! ```
//! The first line on stdout is the port. The server runs until stdin is closed or the process
//! is killed.

use fake_apiserver::FakeApiServer;
use std::io::{Read, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut srv = FakeApiServer::new();
    let mut port = 0u16;
    let mut kubeconfig: Option<String> = None;
    let (mut pods, mut nss, mut revs, mut workloads) = (0usize, 10usize, 2usize, 0usize);
    let usage = "usage: fake-apiserver [--port N] [--token T] [--no-istio-crd] [--no-request-log] [--kubeconfig PATH] [--no-protobuf] [--synthetic-pods N --workloads W --namespaces M --revisions R] [DIR_OR_FILE ...]";
    while let Some(a) = args.next() {
        let mut val = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n{usage}");
                std::process::exit(2)
            })
        };
        let num = |s: String| -> usize {
            s.parse().unwrap_or_else(|_| {
                eprintln!("not a number: {s}");
                std::process::exit(2)
            })
        };
        match a.as_str() {
            "--port" => port = num(val("--port")) as u16,
            "--token" => srv = srv.bearer_token(val("--token")),
            "--no-istio-crd" => srv = srv.istio_operator_crd(false),
            "--no-request-log" => srv = srv.request_log(false),
            "--no-protobuf" => srv = srv.protobuf(false),
            "--workloads" => workloads = num(val("--workloads")),
            "--kubeconfig" => kubeconfig = Some(val("--kubeconfig")),
            "--synthetic-pods" => pods = num(val("--synthetic-pods")),
            "--namespaces" => nss = num(val("--namespaces")),
            "--revisions" => revs = num(val("--revisions")),
            "-h" | "--help" => {
                println!("{usage}");
                return;
            }
            path => {
                let p = std::path::Path::new(path);
                let r = if p.is_dir() {
                    srv.objects_from_dir(p)
                } else {
                    srv.objects_from_file(p)
                };
                srv = r.unwrap_or_else(|e| {
                    eprintln!("fake-apiserver: {e}");
                    std::process::exit(1)
                });
            }
        }
    }
    if pods > 0 {
        srv = srv.synthetic_pods(pods, nss.max(1), revs.max(1));
    }
    if workloads > 0 {
        srv = srv.synthetic_workloads(workloads, nss.max(1), revs.max(1));
    }
    let handle = srv.start_on(port).unwrap_or_else(|e| {
        eprintln!("fake-apiserver: bind: {e}");
        std::process::exit(1)
    });
    if let Some(k) = kubeconfig {
        std::fs::copy(handle.kubeconfig_path(), &k).unwrap_or_else(|e| {
            eprintln!("fake-apiserver: write {k}: {e}");
            std::process::exit(1)
        });
    }
    println!("{}", handle.port());
    std::io::stdout().flush().ok();
    // run until stdin closes (or the process is killed)
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    if sink.is_empty() {
        // stdin was /dev/null or closed immediately: keep serving until killed
        loop {
            std::thread::park();
        }
    }
}
