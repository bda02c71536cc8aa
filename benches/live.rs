//! Live-cluster benchmark: `status` against the loopback fake API server loaded with a mesh
//! shaped like a measured real one (synthetic Istio-injected pods with ~17 KB of metadata each,
//! managedFields included; one Deployment and one ReplicaSet per 4 pods; 1k namespaces), side
//! by side with the server's own cost (one bare metadata-only LIST of all pods by curl, as JSON
//! and as protobuf; one bare LIST of all Deployments and of all ReplicaSets, full objects, in
//! both encodings) and with `kubectl get pods -A -o json`. Wall time, peak RSS and, for
//! status, its own CPU time (user + system of its process, apart from the server's).
//!
//! ```text
//! cargo bench --bench live                                   # 20k and 100k pods, 1k namespaces
//! LIVE_BENCH_PODS=2000 LIVE_BENCH_RUNS=1 cargo bench --bench live         # quick
//! ```
//!
//! Environment:
//! * `LIVE_BENCH_PODS` (comma-separated, default `20000,100000`), `LIVE_BENCH_NAMESPACES`
//!   (default 1000), `LIVE_BENCH_PODS_PER_WORKLOAD` (default 4: 5k Deployments and 5k
//!   ReplicaSets at 20k pods; 0 = no workloads), `LIVE_BENCH_REVISIONS` (default 2), `LIVE_BENCH_RUNS` (default 2);
//! * `LIVE_BENCH_KUBECTL_MAX_PODS` (default 20000): kubectl keeps every full pod in memory
//!   (5 GB at 20k on a real server), so it is skipped above this size (0 = never run it);
//! * `LIVE_BENCH_MAX_LOAD` (default 1.5) and `LIVE_BENCH_LOAD_WAIT` (seconds, default 180): before
//!   each measurement, wait up to that long for the 1-minute load average to drop below the
//!   threshold; the load measured is reported with every figure;
//! * `LIVE_BENCH_OUT` (default `bench/LIVE-RESULTS.md`; empty = do not write).
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it does nothing.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ACCEPT_METADATA: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
const ACCEPT_METADATA_PROTOBUF: &str =
    "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
/// What status sends for the other built-in lists (client-go's order, recording 92).
const ACCEPT_PROTOBUF: &str = "application/vnd.kubernetes.protobuf,application/json";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("live bench: skipped (run it with `cargo bench --bench live`)");
        return;
    }
    let sizes: Vec<usize> = std::env::var("LIVE_BENCH_PODS")
        .unwrap_or_else(|_| "20000,100000".into())
        .split(',')
        .filter_map(|s| s.trim().replace('_', "").parse().ok())
        .collect();
    let cfg = Config {
        namespaces: env_or("LIVE_BENCH_NAMESPACES", 1000),
        pods_per_workload: env_or("LIVE_BENCH_PODS_PER_WORKLOAD", 4),
        revisions: env_or("LIVE_BENCH_REVISIONS", 2),
        runs: env_or("LIVE_BENCH_RUNS", 2usize).max(1),
        kubectl_max: env_or("LIVE_BENCH_KUBECTL_MAX_PODS", 20_000),
        max_load: env_or("LIVE_BENCH_MAX_LOAD", 1.5),
        load_wait: Duration::from_secs(env_or("LIVE_BENCH_LOAD_WAIT", 180)),
    };
    let bins = build_release();
    let started = now_utc();
    let mut rows = Vec::new();
    let mut servers = Vec::new();
    for &pods in &sizes {
        let (r, s) = bench_size(&bins, &cfg, pods);
        rows.extend(r);
        servers.push(s);
    }
    let report = render(&cfg, &sizes, &rows, &servers, &started);
    println!("\n{report}");
    let out = std::env::var("LIVE_BENCH_OUT").unwrap_or_else(|_| "bench/LIVE-RESULTS.md".into());
    if !out.is_empty() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(out);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the results directory");
        }
        std::fs::write(&path, report).expect("write the results");
        println!("written to {}", path.display());
    }
}

struct Config {
    namespaces: usize,
    pods_per_workload: usize,
    revisions: usize,
    runs: usize,
    kubectl_max: usize,
    max_load: f64,
    load_wait: Duration,
}

struct Bins {
    plugin: PathBuf,
    server: PathBuf,
}

/// `cargo build --release` of both binaries; their paths from cargo's own messages.
fn build_release() -> Bins {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = |package: &str, bin: &str| -> PathBuf {
        let out = Command::new(&cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--release",
                "--message-format=json-render-diagnostics",
            ])
            .args(["-p", package, "--bin", bin])
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build");
        assert!(out.status.success(), "cargo build -p {package} failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .unwrap_or_else(|| panic!("no executable for {bin} in cargo's output"))
    };
    Bins {
        plugin: build("kubectl-istio-rev", "kubectl-istio_rev"),
        server: build("fake-apiserver", "fake-apiserver"),
    }
}

/// One measured command.
struct Row {
    pods: usize,
    what: &'static str,
    run: usize,
    wall: Duration,
    /// Peak RSS of the child, bytes.
    max_rss: u64,
    /// User + system CPU time of the child.
    cpu: Duration,
    /// Bytes received (curl) or written (status).
    bytes: Option<u64>,
    exit: i32,
    load: f64,
}

struct ServerStats {
    pods: usize,
    load_time: Duration,
    rss_loaded: u64,
    peak_rss: u64,
}

struct Server {
    child: Child,
    port: u16,
    kubeconfig: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        // stdin closing stops it; kill in case it ignores that
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(bins: &Bins, cfg: &Config, pods: usize) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = Command::new(&bins.server)
        .args(["--synthetic-pods", &pods.to_string()])
        .args(["--namespaces", &cfg.namespaces.to_string()])
        .args(["--revisions", &cfg.revisions.to_string()])
        .args(["--workloads", &workloads(cfg, pods).to_string()])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--no-request-log")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start fake-apiserver");
    // keep stdin open (a byte in it: an empty stdin at EOF means "serve until killed")
    child
        .stdin
        .as_mut()
        .expect("stdin")
        .write_all(b"x")
        .expect("write to fake-apiserver");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the port");
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("fake-apiserver printed {line:?}, not a port"));
    Server {
        child,
        port,
        kubeconfig,
        _dir: dir,
    }
}

fn workloads(cfg: &Config, pods: usize) -> usize {
    pods.checked_div(cfg.pods_per_workload).unwrap_or(0)
}

fn bench_size(bins: &Bins, cfg: &Config, pods: usize) -> (Vec<Row>, ServerStats) {
    eprintln!(
        "== {pods} pods, {} Deployments and as many ReplicaSets, {} namespaces",
        workloads(cfg, pods),
        cfg.namespaces
    );
    let t = Instant::now();
    let srv = start_server(bins, cfg, pods);
    let load_time = t.elapsed();
    let rss_loaded = proc_status_kb(srv.child.id(), "VmRSS") * 1024;
    eprintln!(
        "   server loaded in {:.1}s, RSS {}",
        load_time.as_secs_f64(),
        mb(rss_loaded)
    );
    let url = format!("http://127.0.0.1:{}/api/v1/pods", srv.port);
    let kubeconfig = srv.kubeconfig.to_str().expect("utf-8 path").to_string();
    // The fake keeps each object's JSON encoded and encodes its protobuf metadata the first time
    // it is asked: one unmeasured protobuf LIST first, so both encodings are served from bytes
    // the server already holds and neither run pays a one-off cost.
    let warm = Command::new("curl")
        .args(["-sS", "-o", "/dev/null"])
        .args(["-H", &format!("Accept: {ACCEPT_METADATA_PROTOBUF}")])
        .arg(&url)
        .status()
        .expect("run curl");
    assert!(warm.success(), "the warm-up protobuf LIST failed");
    // The fake reads a pod's selectable fields once, as a real server holds its objects decoded;
    // status's pod list filters on status.phase, so warm that too.
    let warm = Command::new("curl")
        .args(["-sS", "-o", "/dev/null"])
        .args(["-H", &format!("Accept: {ACCEPT_METADATA_PROTOBUF}")])
        .arg(format!(
            "{url}?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed"
        ))
        .status()
        .expect("run curl");
    assert!(warm.success(), "the warm-up filtered protobuf LIST failed");
    // Full workloads the same way: the fake encodes an object's protobuf once, then holds it.
    let workload_lists: Vec<(&str, &str, String)> = if workloads(cfg, pods) == 0 {
        Vec::new()
    } else {
        ["deployments", "replicasets"]
            .into_iter()
            .zip([(WHATS[4], WHATS[5]), (WHATS[6], WHATS[7])])
            .flat_map(|(plural, (json, pb))| {
                let url = format!("http://127.0.0.1:{}/apis/apps/v1/{plural}", srv.port);
                [
                    (json, "application/json", url.clone()),
                    (pb, ACCEPT_PROTOBUF, url),
                ]
            })
            .collect()
    };
    for (_, accept, url) in workload_lists.iter().filter(|l| l.1 == ACCEPT_PROTOBUF) {
        let warm = Command::new("curl")
            .args(["-sS", "-o", "/dev/null"])
            .args(["-H", &format!("Accept: {accept}")])
            .arg(url)
            .status()
            .expect("run curl");
        assert!(warm.success(), "the warm-up protobuf LIST of {url} failed");
    }
    let mut rows = Vec::new();
    for run in 1..=cfg.runs {
        // (a) the server's own cost: one bare metadata-only LIST of every pod, in each encoding,
        // and one bare LIST of every Deployment and ReplicaSet (full objects), in each encoding
        let pod_lists = [
            (WHATS[0], ACCEPT_METADATA, url.clone()),
            (WHATS[1], ACCEPT_METADATA_PROTOBUF, url.clone()),
        ];
        for (what, accept, url) in pod_lists.iter().chain(&workload_lists) {
            let mut curl = Command::new("curl");
            curl.args([
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{size_download} %{http_code} %{content_type}",
            ])
            .args(["-H", &format!("Accept: {accept}")])
            .arg(url);
            let load = wait_for_quiet(cfg);
            let m = measure(&mut curl, Output::Capture);
            let text = String::from_utf8_lossy(&m.stdout).to_string();
            let mut it = text.split_whitespace();
            let bytes = it.next().and_then(|s| s.parse().ok());
            let code: i32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
            // a protobuf Accept answered as JSON would measure the wrong encoding
            let wanted = accept.split([',', ';']).next().unwrap_or_default();
            let encoding_ok = it.next() == Some(wanted);
            rows.push(m.row(pods, what, run, bytes, load, |e| match e {
                0 if code != 200 => code,
                0 if !encoding_ok => -2,
                e => e,
            }));
            print_row(rows.last().unwrap());
        }

        // (b) the plugin
        let mut status = Command::new(&bins.plugin);
        status
            .args(["status", "-o", "json", "--kubeconfig", &kubeconfig])
            .env_remove("KUBECONFIG");
        let load = wait_for_quiet(cfg);
        let m = measure(&mut status, Output::Capture);
        if run == 1 {
            check_report(&m.stdout, pods);
        }
        let bytes = Some(m.stdout.len() as u64);
        rows.push(m.row(pods, WHATS[2], run, bytes, load, |e| e));
        print_row(rows.last().unwrap());

        // (c) kubectl
        if pods <= cfg.kubectl_max {
            let mut kubectl = Command::new("kubectl");
            kubectl
                .args([
                    "get",
                    "pods",
                    "-A",
                    "-o",
                    "json",
                    "--kubeconfig",
                    &kubeconfig,
                ])
                .env_remove("KUBECONFIG");
            let load = wait_for_quiet(cfg);
            let m = measure(&mut kubectl, Output::DevNull);
            rows.push(m.row(pods, WHATS[3], run, None, load, |e| e));
            print_row(rows.last().unwrap());
        }
    }
    let peak_rss = proc_status_kb(srv.child.id(), "VmHWM") * 1024;
    (
        rows,
        ServerStats {
            pods,
            load_time,
            rss_loaded,
            peak_rss,
        },
    )
}

/// The report must cover every pod: the benchmark measures a run that did the work.
fn check_report(stdout: &[u8], pods: usize) {
    let report: serde_json::Value = match serde_json::from_slice(stdout) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("   WARNING: status printed no JSON report ({e})");
            return;
        }
    };
    let counted: u64 = report["pods_per_revision"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_u64())
        .sum();
    let planes = report["control_planes"].as_array().map_or(0, Vec::len);
    let namespaces = report["namespaces"].as_array().map_or(0, Vec::len);
    eprintln!("   status report: {planes} control planes, {namespaces} namespaces, {counted} pods");
    if counted != pods as u64 {
        eprintln!("   WARNING: the report counts {counted} pods, the server holds {pods}");
    }
}

enum Output {
    Capture,
    DevNull,
}

struct Measured {
    wall: Duration,
    max_rss: u64,
    cpu: Duration,
    exit: i32,
    stdout: Vec<u8>,
}

impl Measured {
    fn row(
        self,
        pods: usize,
        what: &'static str,
        run: usize,
        bytes: Option<u64>,
        load: f64,
        exit: impl Fn(i32) -> i32,
    ) -> Row {
        Row {
            pods,
            what,
            run,
            wall: self.wall,
            max_rss: self.max_rss,
            cpu: self.cpu,
            bytes,
            exit: exit(self.exit),
            load,
        }
    }
}

/// Runs `cmd` to completion: wall time, and the child's own peak RSS from `wait4`.
fn measure(cmd: &mut Command, out: Output) -> Measured {
    let tmp = tempfile::tempfile().expect("temp file");
    let stdout = match out {
        Output::Capture => Stdio::from(tmp.try_clone().expect("dup")),
        Output::DevNull => Stdio::null(),
    };
    let t = Instant::now();
    // reaped by `wait4` below, which also gives its rusage (std's `wait` would not)
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let (status, rusage) = wait4(child.id() as libc::pid_t);
    let wall = t.elapsed();
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    let mut stdout = Vec::new();
    if let Output::Capture = out {
        use std::io::{Read, Seek};
        let mut f = tmp;
        f.rewind().expect("rewind");
        f.read_to_end(&mut stdout).expect("read the output");
    }
    Measured {
        wall,
        // Linux reports ru_maxrss in KiB
        max_rss: rusage.ru_maxrss as u64 * 1024,
        cpu: timeval(rusage.ru_utime) + timeval(rusage.ru_stime),
        exit,
        stdout,
    }
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

fn wait4(pid: libc::pid_t) -> (libc::c_int, libc::rusage) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, zero is a valid value; wait4 writes both out-params.
    let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped (std only reaps on wait/try_wait).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if r == pid {
            return (status, rusage);
        }
        let err = std::io::Error::last_os_error();
        assert_eq!(err.kind(), std::io::ErrorKind::Interrupted, "wait4: {err}");
    }
}

/// Waits (up to `load_wait`) for the 1-minute load average to drop below `max_load`; returns
/// the load measured just before the measurement.
fn wait_for_quiet(cfg: &Config) -> f64 {
    let t = Instant::now();
    let mut load = loadavg();
    let mut said = false;
    while load > cfg.max_load && t.elapsed() < cfg.load_wait {
        if !said {
            eprintln!(
                "   load {load:.2} > {:.2}: waiting up to {}s",
                cfg.max_load,
                cfg.load_wait.as_secs()
            );
            said = true;
        }
        std::thread::sleep(Duration::from_secs(5));
        load = loadavg();
    }
    load
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

fn proc_status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name")?.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_default();
    let mem_gb = proc_meminfo_kb("MemTotal") as f64 / 1024.0 / 1024.0;
    format!("{cpus} cores ({model}), {mem_gb:.0} GB RAM")
}

fn proc_meminfo_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn print_row(r: &Row) {
    eprintln!(
        "   run {} {:<28} {:>8.2}s  CPU {:>7.2}s  peak RSS {:>10}  exit {}  (load {:.2})",
        r.run,
        r.what,
        r.wall.as_secs_f64(),
        r.cpu.as_secs_f64(),
        mb(r.max_rss),
        r.exit,
        r.load
    );
}

fn best<'a>(rows: &'a [Row], pods: usize, what: &str) -> Option<&'a Row> {
    rows.iter()
        .filter(|r| r.pods == pods && r.what == what)
        .min_by_key(|r| r.wall)
}

const WHATS: [&str; 8] = [
    "curl JSON metadata LIST",
    "curl protobuf metadata LIST",
    "status -o json",
    "kubectl get -o json",
    "curl JSON Deployments LIST",
    "curl protobuf Deployments LIST",
    "curl JSON ReplicaSets LIST",
    "curl protobuf ReplicaSets LIST",
];

fn render(
    cfg: &Config,
    sizes: &[usize],
    rows: &[Row],
    servers: &[ServerStats],
    started: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Live-cluster benchmark\n");
    let _ = writeln!(
        s,
        "`cargo bench --bench live` (benches/live.rs): release binaries against the loopback fake \
         API server (`tests/fake-apiserver`) loaded with synthetic Istio-injected pods (~17 KB of \
         metadata each, managedFields included), one Deployment and one ReplicaSet per {} pods \
         (recordings 14 and 15, with kubectl's last-applied configuration), {} namespaces, {} \
         revisions (an istiod Deployment and injector webhook each). Each figure is one run; the \
         load is the 1-minute load average just before it: the machine's cores are shared with \
         other engineers' builds, so a high load inflates wall times (CPU times less so).\n",
        cfg.pods_per_workload, cfg.namespaces, cfg.revisions
    );
    let _ = writeln!(s, "* date: {started}");
    let _ = writeln!(s, "* machine: {}", machine());
    let _ = writeln!(
        s,
        "* curl: `curl -H 'Accept: {ACCEPT_METADATA}' .../api/v1/pods -o /dev/null` (one \
         unpaginated metadata-only LIST: the server's own cost), and the same with \
         `Accept: {ACCEPT_METADATA_PROTOBUF}`; the same for every Deployment and ReplicaSet \
         (`.../apis/apps/v1/deployments`, full objects) with `Accept: application/json` and with \
         `Accept: {ACCEPT_PROTOBUF}` (what status sends for them; exit -2 if the answer was not \
         in the encoding asked)"
    );
    let _ = writeln!(
        s,
        "* status: `kubectl-istio_rev status -o json --kubeconfig K` (its pod lists ask protobuf \
         first; CPU = user + system time of the status process alone)"
    );
    let _ = writeln!(
        s,
        "* kubectl: `kubectl get pods -A -o json > /dev/null` ({}; skipped above {} pods)\n",
        kubectl_version(),
        cfg.kubectl_max
    );
    let _ = writeln!(
        s,
        "| pods | command | run | wall (s) | CPU (s) | pods/s | peak RSS (MB) | bytes | exit | load |"
    );
    let _ = writeln!(s, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} | {:.0} | {:.1} | {} | {} | {:.2} |",
            r.pods,
            r.what,
            r.run,
            r.wall.as_secs_f64(),
            r.cpu.as_secs_f64(),
            r.pods as f64 / r.wall.as_secs_f64(),
            r.max_rss as f64 / 1e6,
            r.bytes.map_or("-".into(), |b| b.to_string()),
            r.exit,
            r.load
        );
    }
    let _ = writeln!(s, "\nFake API server (loading and serving):\n");
    let _ = writeln!(
        s,
        "| pods | load time (s) | RSS loaded (MB) | peak RSS (MB) |"
    );
    let _ = writeln!(s, "|---:|---:|---:|---:|");
    for v in servers {
        let _ = writeln!(
            s,
            "| {} | {:.1} | {:.1} | {:.1} |",
            v.pods,
            v.load_time.as_secs_f64(),
            v.rss_loaded as f64 / 1e6,
            v.peak_rss as f64 / 1e6
        );
    }
    let _ = writeln!(s, "\nSummary (best run of each):\n");
    for &pods in sizes {
        let (Some(json), Some(pb), Some(status)) = (
            best(rows, pods, WHATS[0]),
            best(rows, pods, WHATS[1]),
            best(rows, pods, WHATS[2]),
        ) else {
            continue;
        };
        let _ = write!(
            s,
            "* {pods} pods: status {:.2} s (own CPU {:.2} s) / {:.1} MB vs bare protobuf metadata \
             LIST {:.2} s (status/list = {:.2}) and bare JSON metadata LIST {:.2} s",
            status.wall.as_secs_f64(),
            status.cpu.as_secs_f64(),
            status.max_rss as f64 / 1e6,
            pb.wall.as_secs_f64(),
            status.wall.as_secs_f64() / pb.wall.as_secs_f64(),
            json.wall.as_secs_f64(),
        );
        if let Some(k) = best(rows, pods, WHATS[3]) {
            let _ = write!(
                s,
                "; kubectl -o json {:.2} s / {:.1} MB",
                k.wall.as_secs_f64(),
                k.max_rss as f64 / 1e6
            );
        }
        let _ = writeln!(s);
        for (kind, json, pb) in [
            ("Deployments", WHATS[4], WHATS[5]),
            ("ReplicaSets", WHATS[6], WHATS[7]),
        ] {
            if let (Some(j), Some(p)) = (best(rows, pods, json), best(rows, pods, pb)) {
                let cheaper = if p.wall < j.wall { "protobuf" } else { "JSON" };
                let _ = writeln!(
                    s,
                    "  * bare {kind} LIST: JSON {:.2} s / {} bytes, protobuf {:.2} s / {} bytes: \
                     {cheaper} is cheaper",
                    j.wall.as_secs_f64(),
                    j.bytes.unwrap_or_default(),
                    p.wall.as_secs_f64(),
                    p.bytes.unwrap_or_default(),
                );
            }
        }
    }
    if let (Some(&small), Some(&large)) = (sizes.first(), sizes.last())
        && large > small
    {
        let _ = writeln!(
            s,
            "\nLinearity, {large} vs {small} pods (pods ratio {:.1}):\n",
            large as f64 / small as f64
        );
        for what in WHATS {
            if let (Some(a), Some(b)) = (best(rows, small, what), best(rows, large, what)) {
                let _ = writeln!(
                    s,
                    "* {what}: wall x{:.2}, peak RSS x{:.2}",
                    b.wall.as_secs_f64() / a.wall.as_secs_f64(),
                    b.max_rss as f64 / a.max_rss.max(1) as f64
                );
            }
        }
    }
    s
}

fn kubectl_version() -> String {
    Command::new("kubectl")
        .args(["version", "--client", "-o", "json"])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| v["clientVersion"]["gitVersion"].as_str().map(String::from))
        .unwrap_or_else(|| "kubectl".into())
}
