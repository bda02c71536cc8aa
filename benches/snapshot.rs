//! Snapshot-reader benchmark: `cargo bench --bench snapshot`.
//!
//! Generates (once, into `target/bench-data/`) `kubectl get ns,deploy,rs,pods,mwc -A -o json|yaml`
//! style `List`s of 20k and 100k realistic injected pods across 2k namespaces and 3 revisions,
//! then times the release binary's `status --snapshot FILE -o json` on each and reports wall
//! time, throughput and the child's peak RSS, next to a `cat FILE > /dev/null` I/O floor. It
//! also compares the YAML crates on the 20k-pod YAML, after checking that each reads
//! Kubernetes YAML correctly into the inventory's typed structs.
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it only builds and does nothing.
//!
//! Environment knobs:
//! - `BENCH_BIN`: time this binary instead of the one cargo built (e.g. an older build).
//! - `BENCH_SIZES`: pod counts, default `20000,100000`.
//! - `BENCH_FORMATS`: `json,yaml` by default.
//! - `BENCH_RUNS`: runs per file (the best is reported), default 1.
//! - `BENCH_STATUS`: `0` skips the runs of the binary.
//! - `BENCH_YAML_CRATES`: `0` skips the YAML crate comparison.
//! - `ISTIO_REV_SHARED`: where `apiserver-recordings/` lives (default `../shared` next to the
//!   repository), for the recorded `kubectl get -o yaml` correctness check.

use kubectl_istio_rev::inventory::Inventory;
use kubectl_istio_rev::inventory::parse::DocumentSeed;
use serde::de::DeserializeSeed;
use serde_json::{Value, json};
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NAMESPACES: usize = 2000;
const PODS_PER_DEPLOYMENT: usize = 10;
const REVISIONS: [(&str, &str); 3] = [
    ("1-28-2", "1.28.2"),
    ("1-29-1", "1.29.1"),
    ("1-30-3", "1.30.3"),
];
/// Bumped whenever the generated content changes, so stale files are not reused.
const DATA_VERSION: u32 = 1;

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("snapshot bench: skipped (run it with `cargo bench --bench snapshot`)");
        return;
    }
    let data_dir = target_dir().join("bench-data");
    std::fs::create_dir_all(&data_dir).expect("create target/bench-data");
    let sizes: Vec<usize> = env_list("BENCH_SIZES", "20000,100000")
        .iter()
        .map(|s| s.parse().expect("BENCH_SIZES: pod counts"))
        .collect();
    let formats = env_list("BENCH_FORMATS", "json,yaml");
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let bin = std::env::var("BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_BIN_EXE_kubectl-istio_rev")));

    let mut files = Vec::new();
    for &pods in &sizes {
        for format in &formats {
            let yaml = match format.as_str() {
                "json" => false,
                "yaml" => true,
                other => panic!("BENCH_FORMATS: unknown format {other}"),
            };
            let path = data_dir.join(format!(
                "snapshot-{}k-v{DATA_VERSION}.{}",
                pods / 1000,
                if yaml { "yaml" } else { "json" }
            ));
            if !path.exists() {
                let t = Instant::now();
                generate(&path, pods, yaml).expect("generate snapshot");
                eprintln!(
                    "generated {} ({:.0} MB) in {:.1} s",
                    path.display(),
                    mb(file_len(&path)),
                    t.elapsed().as_secs_f64()
                );
            }
            files.push((path, pods, yaml));
        }
    }

    println!("binary: {}", bin.display());
    println!(
        "{:<28} {:>6} {:>9} {:>8} {:>8} {:>8} {:>10} {:>13} {:>5}",
        "file", "format", "size MB", "wall s", "MB/s", "CPU s", "MB/CPU-s", "peak RSS MB", "exit"
    );
    let statuses = if std::env::var("BENCH_STATUS").as_deref() == Ok("0") {
        &files[..0]
    } else {
        &files[..]
    };
    for (path, _pods, yaml) in statuses {
        let size = mb(file_len(path));
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let fmt = if *yaml { "yaml" } else { "json" };
        let cat = best_of(runs, || {
            run_child(Command::new("cat").arg(path).stdout(Stdio::null()))
        });
        println!(
            "{:<28} {:>6} {:>9.0} {:>8.2} {:>8.0} {:>8.2} {:>10.0} {:>13.1} {:>5}",
            format!("{name} (cat)"),
            fmt,
            size,
            cat.wall.as_secs_f64(),
            size / cat.wall.as_secs_f64(),
            cat.cpu.as_secs_f64(),
            size / cat.cpu.as_secs_f64(),
            cat.max_rss_kib as f64 / 1024.0,
            cat.status
        );
        let status = best_of(runs, || {
            run_child(
                Command::new(&bin)
                    .args(["status", "--snapshot"])
                    .arg(path)
                    .args(["-o", "json"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped()),
            )
        });
        println!(
            "{:<28} {:>6} {:>9.0} {:>8.2} {:>8.0} {:>8.2} {:>10.0} {:>13.1} {:>5}",
            name,
            fmt,
            size,
            status.wall.as_secs_f64(),
            size / status.wall.as_secs_f64(),
            status.cpu.as_secs_f64(),
            size / status.cpu.as_secs_f64(),
            status.max_rss_kib as f64 / 1024.0,
            status.status
        );
        // 0 and 1 (findings) are both a successful read; 2 is an input error.
        if status.status > 1 {
            eprintln!("status failed on {}: {}", path.display(), status.stderr);
        }
    }

    if std::env::var("BENCH_YAML_CRATES").as_deref() != Ok("0")
        && let Some((path, pods, _)) = files.iter().find(|(_, _, yaml)| *yaml)
    {
        yaml_crates::compare(path, *pods);
    }
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

struct Run {
    wall: Duration,
    /// User plus system time: less swayed than wall time by other work on the machine.
    cpu: Duration,
    max_rss_kib: i64,
    status: i32,
    stderr: String,
}

fn best_of(runs: usize, mut f: impl FnMut() -> Run) -> Run {
    let mut best = f();
    for _ in 1..runs {
        let r = f();
        if r.wall < best.wall {
            best = r;
        }
    }
    best
}

/// Spawns the command and reaps it with `wait4`, which reports that child's own peak RSS.
fn run_child(cmd: &mut Command) -> Run {
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(p) = stderr_pipe.as_mut() {
            let _ = p.read_to_string(&mut s);
        }
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; the pointers are valid for the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // The child is reaped: keep std from waiting for it again.
    std::mem::forget(child);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
        status: code,
        stderr: reader.join().unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Generation: each kind of object is rendered once to JSON and YAML text with `@NAME@` holes,
// then written per object by filling the holes, so gigabytes are written without serde trees.

const VARS: &[&str] = &[
    "APP", "HASH", "SUF", "NS", "UID", "RV", "RSUID", "DUID", "REV", "VER", "NODE", "HOSTIP",
    "PODIP", "REPLICAS",
];

/// What a hole's real values look like, so YAML quoting is decided on a realistic value.
fn sample(var: &str) -> &'static str {
    match var {
        "RV" | "REPLICAS" => "12345",
        "HOSTIP" | "PODIP" => "10.1.2.3",
        "REV" => "1-30-3",
        "VER" => "1.30.3",
        "UID" => "64b04182-dc63-4e0c-a4ad-4f0c6079d5f3",
        _ => "abc",
    }
}

enum Piece {
    Lit(Vec<u8>),
    Var(usize),
}

struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    fn parse(text: &str) -> Template {
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let bytes = text.as_bytes();
        let mut i = 0;
        'outer: while i < bytes.len() {
            if bytes[i] == b'@' {
                for (v, name) in VARS.iter().enumerate() {
                    let end = i + 1 + name.len();
                    if bytes.len() > end
                        && &bytes[i + 1..end] == name.as_bytes()
                        && bytes[end] == b'@'
                    {
                        if !lit.is_empty() {
                            pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                        }
                        pieces.push(Piece::Var(v));
                        i = end + 1;
                        continue 'outer;
                    }
                }
            }
            lit.push(bytes[i]);
            i += 1;
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Template { pieces }
    }

    fn write(&self, out: &mut impl Write, values: &[String]) -> std::io::Result<()> {
        for p in &self.pieces {
            match p {
                Piece::Lit(b) => out.write_all(b)?,
                Piece::Var(v) => out.write_all(values[*v].as_bytes())?,
            }
        }
        Ok(())
    }
}

/// An object rendered as a List item in both layouts.
struct ItemTemplate {
    json: Template,
    yaml: Template,
}

impl ItemTemplate {
    fn new(value: &Value) -> ItemTemplate {
        ItemTemplate {
            json: Template::parse(&json_item(value)),
            yaml: Template::parse(&yaml_item(value)),
        }
    }
}

/// `kubectl get -o json`: 4-space indentation, the item two levels deep (kubectl sorts keys, as
/// serde_json's default map does).
fn json_item(value: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(value, &mut ser).unwrap();
    String::from_utf8(buf).unwrap().replace('\n', "\n        ")
}

/// `kubectl get -o yaml`: the item as `- ` at column 0, its keys at column 2, sequences not
/// indented under their key, multi-line strings as literal blocks.
fn yaml_item(value: &Value) -> String {
    let mut out = String::from("- ");
    yaml_map(&mut out, value.as_object().unwrap(), 2, true);
    out
}

fn yaml_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize, inline: bool) {
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 || !inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_scalar(k));
        out.push(':');
        yaml_value(out, v, indent);
    }
}

/// Writes what follows `key:` (a mapping value at `indent`).
fn yaml_value(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Object(m) => {
            out.push('\n');
            yaml_map(out, m, indent + 2, false);
        }
        Value::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Value::Array(a) => {
            out.push('\n');
            yaml_seq(out, a, indent);
        }
        Value::String(s) if s.contains('\n') => {
            let body = s.strip_suffix('\n');
            out.push_str(if body.is_some() { " |\n" } else { " |-\n" });
            for line in body.unwrap_or(s).split('\n') {
                if !line.is_empty() {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            out.push_str(&yaml_plain(other));
            out.push('\n');
        }
    }
}

fn yaml_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => yaml_map(out, m, indent + 2, true),
            other => {
                out.push_str(&yaml_plain(other));
                out.push('\n');
            }
        }
    }
}

fn yaml_plain(v: &Value) -> String {
    match v {
        Value::String(s) => yaml_scalar(s),
        Value::Null => "null".to_string(),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        other => other.to_string(),
    }
}

/// A string as go-yaml (kubectl) prints it: double quotes when it would read as another type,
/// single quotes when it starts with an indicator, plain otherwise.
fn yaml_scalar(s: &str) -> String {
    let mut probe = s.to_string();
    for v in VARS {
        probe = probe.replace(&format!("@{v}@"), sample(v));
    }
    let p = probe.as_str();
    let reads_as_other = p.is_empty()
        || matches!(
            p.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "true" | "false" | "on" | "off" | "null" | "~"
        )
        || p.parse::<f64>().is_ok()
        || p.starts_with("0x")
        || p.starts_with("0o")
        || (p.len() >= 5 && p[..4].bytes().all(|b| b.is_ascii_digit()) && &p[4..5] == "-");
    if reads_as_other {
        return format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    }
    let first = p.as_bytes()[0];
    let second = p.as_bytes().get(1).copied();
    let indicator = b",[]{}#&*!|>'\"%@`".contains(&first)
        || (b"-?:".contains(&first) && matches!(second, None | Some(b' ')));
    if indicator
        || p.starts_with(' ')
        || p.ends_with(' ')
        || p.ends_with(':')
        || p.contains(": ")
        || p.contains(" #")
    {
        return format!("'{}'", s.replace('\'', "''"));
    }
    s.to_string()
}

fn namespace_object() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "creationTimestamp": "2026-11-29T03:29:52Z",
            "labels": {
                "istio.io/rev": "@REV@",
                "kubernetes.io/metadata.name": "@NS@",
                "team": "payments",
            },
            "name": "@NS@",
            "resourceVersion": "@RV@",
            "uid": "@UID@",
        },
        "spec": { "finalizers": ["kubernetes"] },
        "status": { "phase": "Active" },
    })
}

fn pod_template_spec(app: &str, with_hash: bool) -> Value {
    let mut labels = json!({ "app": app, "version": "v1", "team": "payments", "tier": "backend" });
    if with_hash {
        labels["pod-template-hash"] = json!("@HASH@");
    }
    json!({
        "metadata": {
            "annotations": { "prometheus.io/scrape": "true", "prometheus.io/port": "8080" },
            "creationTimestamp": null,
            "labels": labels,
        },
        "spec": {
            "containers": [{
                "env": [
                    { "name": "LOG_LEVEL", "value": "info" },
                    { "name": "DB_HOST", "value": "postgres.@NS@.svc.cluster.local" },
                ],
                "image": format!("registry.example.com/{app}:v1.4.2"),
                "imagePullPolicy": "IfNotPresent",
                "name": app,
                "ports": [{ "containerPort": 8080, "name": "http", "protocol": "TCP" }],
                "resources": {
                    "limits": { "cpu": "500m", "memory": "512Mi" },
                    "requests": { "cpu": "100m", "memory": "128Mi" },
                },
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": app,
            "serviceAccountName": app,
            "terminationGracePeriodSeconds": 30,
        },
    })
}

fn deployment_object() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": { "deployment.kubernetes.io/revision": "1" },
            "creationTimestamp": "2026-11-29T03:29:52Z",
            "generation": 1,
            "labels": { "app": "@APP@", "team": "payments" },
            "name": "@APP@",
            "namespace": "@NS@",
            "resourceVersion": "@RV@",
            "uid": "@DUID@",
        },
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": 10,
            "revisionHistoryLimit": 10,
            "selector": { "matchLabels": { "app": "@APP@", "version": "v1" } },
            "strategy": {
                "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": "25%" },
                "type": "RollingUpdate",
            },
            "template": pod_template_spec("@APP@", false),
        },
        "status": {
            "availableReplicas": 10,
            "conditions": [
                { "lastTransitionTime": "2026-11-29T03:29:55Z", "lastUpdateTime": "2026-11-29T03:29:55Z", "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable", "status": "True", "type": "Available" },
                { "lastTransitionTime": "2026-11-29T03:29:52Z", "lastUpdateTime": "2026-11-29T03:29:55Z", "message": "ReplicaSet \"@APP@-@HASH@\" has successfully progressed.", "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing" },
            ],
            "observedGeneration": 1,
            "readyReplicas": 10,
            "replicas": 10,
            "updatedReplicas": 10,
        },
    })
}

fn replicaset_object() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": "10",
                "deployment.kubernetes.io/max-replicas": "13",
                "deployment.kubernetes.io/revision": "1",
            },
            "creationTimestamp": "2026-11-29T03:29:52Z",
            "generation": 1,
            "labels": { "app": "@APP@", "pod-template-hash": "@HASH@", "version": "v1" },
            "name": "@APP@-@HASH@",
            "namespace": "@NS@",
            "ownerReferences": [{
                "apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true,
                "kind": "Deployment", "name": "@APP@", "uid": "@DUID@",
            }],
            "resourceVersion": "@RV@",
            "uid": "@RSUID@",
        },
        "spec": {
            "replicas": 10,
            "selector": { "matchLabels": { "app": "@APP@", "pod-template-hash": "@HASH@", "version": "v1" } },
            "template": pod_template_spec("@APP@", true),
        },
        "status": {
            "availableReplicas": 10, "fullyLabeledReplicas": 10, "observedGeneration": 1,
            "readyReplicas": 10, "replicas": 10,
        },
    })
}

fn istiod_object(rev: &str, ver: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "labels": { "app": "istiod", "istio.io/rev": rev, "istio": "pilot" },
            "name": format!("istiod-{rev}"),
            "namespace": "istio-system",
            "uid": format!("00000000-0000-4000-8000-istiod{rev}"),
        },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "istiod", "istio.io/rev": rev } },
            "template": {
                "metadata": { "labels": { "app": "istiod", "istio.io/rev": rev, "sidecar.istio.io/inject": "false" } },
                "spec": { "containers": [{
                    "name": "discovery",
                    "image": format!("docker.io/istio/pilot:{ver}"),
                    "args": ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info", "--domain", "cluster.local", "--keepaliveMaxServerConnectionAge", "30m"],
                    "env": [{ "name": "REVISION", "value": rev }, { "name": "PILOT_CERT_PROVIDER", "value": "istiod" }],
                }] },
            },
        },
        "status": { "availableReplicas": 2, "readyReplicas": 2, "replicas": 2, "updatedReplicas": 2 },
    })
}

fn injector_object(rev: &str) -> Value {
    let client = json!({ "service": { "name": format!("istiod-{rev}"), "namespace": "istio-system", "path": "/inject", "port": 443 } });
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {
            "labels": { "app": "sidecar-injector", "istio.io/rev": rev },
            "name": format!("istio-sidecar-injector-{rev}"),
        },
        "webhooks": [
            {
                "admissionReviewVersions": ["v1"],
                "clientConfig": client,
                "name": "rev.namespace.sidecar-injector.istio.io",
                "namespaceSelector": { "matchExpressions": [
                    { "key": "istio.io/rev", "operator": "In", "values": [rev] },
                    { "key": "istio-injection", "operator": "DoesNotExist" },
                ] },
                "objectSelector": { "matchExpressions": [
                    { "key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"] },
                ] },
                "sideEffects": "None",
            },
            {
                "admissionReviewVersions": ["v1"],
                "clientConfig": client,
                "name": "rev.object.sidecar-injector.istio.io",
                "namespaceSelector": { "matchExpressions": [
                    { "key": "istio.io/rev", "operator": "DoesNotExist" },
                    { "key": "istio-injection", "operator": "DoesNotExist" },
                ] },
                "objectSelector": { "matchExpressions": [
                    { "key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"] },
                    { "key": "istio.io/rev", "operator": "In", "values": [rev] },
                ] },
                "sideEffects": "None",
            },
        ],
    })
}

/// A cheap, deterministic scrambler for names and uids.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// Kubernetes' name-suffix alphabet: no vowels, no digits that read as letters.
fn suffix(mut x: u64, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut s = String::with_capacity(len);
    for i in 0..len {
        // The first is a letter, so the name never reads as a number.
        let n = if i == 0 { 20 } else { ALPHABET.len() as u64 };
        s.push(ALPHABET[(x % n) as usize] as char);
        x /= n;
    }
    s
}

fn uid(x: u64) -> String {
    let a = mix(x);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        a & 0xffff,
        (a >> 16) & 0xfff,
        b & 0xfff,
        b >> 16
    )
}

struct Writer<W: Write> {
    out: W,
    yaml: bool,
    count: usize,
}

impl<W: Write> Writer<W> {
    fn start(mut out: W, yaml: bool) -> std::io::Result<Self> {
        if yaml {
            out.write_all(b"apiVersion: v1\nitems:\n")?;
        } else {
            out.write_all(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")?;
        }
        Ok(Writer {
            out,
            yaml,
            count: 0,
        })
    }

    fn item(&mut self, t: &ItemTemplate, values: &[String]) -> std::io::Result<()> {
        if self.yaml {
            t.yaml.write(&mut self.out, values)?;
        } else {
            if self.count > 0 {
                self.out.write_all(b",\n")?;
            }
            self.out.write_all(b"        ")?;
            t.json.write(&mut self.out, values)?;
        }
        self.count += 1;
        Ok(())
    }

    fn value(&mut self, v: &Value) -> std::io::Result<()> {
        self.item(&ItemTemplate::new(v), &[])
    }

    fn finish(mut self) -> std::io::Result<()> {
        if self.yaml {
            self.out
                .write_all(b"kind: List\nmetadata:\n  resourceVersion: \"\"\n")?;
        } else {
            self.out.write_all(
                b"\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n",
            )?;
        }
        self.out.flush()
    }
}

fn var(name: &str) -> usize {
    VARS.iter().position(|v| *v == name).unwrap()
}

/// Writes the snapshot as `kubectl get ns,deploy,rs,pods,mutatingwebhookconfigurations -A`
/// prints it: kinds grouped in that order.
fn generate(path: &Path, pods: usize, yaml: bool) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
    let mut w = Writer::start(out, yaml)?;
    let pods_per_ns = (pods / NAMESPACES).max(1);
    let deploys_per_ns = (pods_per_ns / PODS_PER_DEPLOYMENT).max(1);

    let ns_t = ItemTemplate::new(&namespace_object());
    let deploy_t = ItemTemplate::new(&deployment_object());
    let rs_t = ItemTemplate::new(&replicaset_object());
    let pod_18: Value = serde_json::from_str(include_str!("templates/pod-istio-1.8.json")).unwrap();
    let pod_native: Value =
        serde_json::from_str(include_str!("templates/pod-istio-native-sidecar.json")).unwrap();
    let pod_t = [ItemTemplate::new(&pod_18), ItemTemplate::new(&pod_native)];

    let mut values: Vec<String> = VARS.iter().map(|_| String::new()).collect();
    let mut rv = 1000u64;
    let set = |values: &mut Vec<String>, name: &str, v: String| values[var(name)] = v;

    w.value(&json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": { "name": "istio-system", "labels": { "kubernetes.io/metadata.name": "istio-system" } },
    }))?;
    for ns in 0..NAMESPACES {
        let (rev, _) = REVISIONS[ns % REVISIONS.len()];
        rv += 1;
        set(&mut values, "NS", format!("ns-{ns:04}"));
        set(&mut values, "REV", rev.to_string());
        set(&mut values, "RV", rv.to_string());
        set(&mut values, "UID", uid(ns as u64));
        w.item(&ns_t, &values)?;
    }
    for (rev, ver) in REVISIONS {
        w.value(&istiod_object(rev, ver))?;
    }
    // Per-workload values shared by Deployments, ReplicaSets and pods.
    let workload = |values: &mut Vec<String>, ns: usize, d: usize| {
        let key = (ns * 1000 + d) as u64;
        values[var("NS")] = format!("ns-{ns:04}");
        values[var("APP")] = format!("svc-{d}");
        values[var("HASH")] = suffix(mix(key), 10);
        values[var("DUID")] = uid(key << 20 | 1);
        values[var("RSUID")] = uid(key << 20 | 2);
    };
    for ns in 0..NAMESPACES {
        for d in 0..deploys_per_ns {
            workload(&mut values, ns, d);
            rv += 1;
            values[var("RV")] = rv.to_string();
            w.item(&deploy_t, &values)?;
        }
    }
    for ns in 0..NAMESPACES {
        for d in 0..deploys_per_ns {
            workload(&mut values, ns, d);
            rv += 1;
            values[var("RV")] = rv.to_string();
            w.item(&rs_t, &values)?;
        }
    }
    let mut pod = 0u64;
    for ns in 0..NAMESPACES {
        let (rev, ver) = REVISIONS[ns % REVISIONS.len()];
        values[var("REV")] = rev.to_string();
        values[var("VER")] = ver.to_string();
        for d in 0..deploys_per_ns {
            workload(&mut values, ns, d);
            // Half the workloads run pods injected the 1.8 way (proxy among the containers, no
            // revision in the status annotation), half as native sidecars (1.2x).
            let t = &pod_t[d % 2];
            for _ in 0..pods_per_ns / deploys_per_ns {
                pod += 1;
                rv += 1;
                values[var("RV")] = rv.to_string();
                values[var("SUF")] = suffix(mix(pod), 5);
                values[var("UID")] = uid(pod << 1 | 1 << 40);
                values[var("NODE")] = format!("node-{:03}", pod % 200);
                values[var("HOSTIP")] = format!("10.0.{}.{}", pod % 200 / 100, pod % 100 + 10);
                values[var("PODIP")] = format!(
                    "10.{}.{}.{}",
                    100 + (pod >> 16) % 100,
                    (pod >> 8) & 255,
                    pod & 255
                );
                w.item(t, &values)?;
            }
        }
    }
    for (rev, _) in REVISIONS {
        w.value(&injector_object(rev))?;
    }
    w.finish()?;
    std::fs::rename(&tmp, path)
}

// ---------------------------------------------------------------------------------------------

mod yaml_crates {
    //! serde-saphyr against the libyaml ports, each reading into the inventory's typed structs.

    use super::*;

    type ParseDoc = fn(&str, &mut Inventory) -> Result<(), String>;

    struct Crate {
        name: &'static str,
        /// Parses one YAML document into the inventory.
        doc: ParseDoc,
        /// Parses a multi-document stream into the inventory.
        stream: ParseDoc,
    }

    fn sink_into(
        inv: &mut Inventory,
    ) -> impl FnMut(kubectl_istio_rev::inventory::Object) -> Result<(), String> + '_ {
        |o| {
            inv.add(o);
            Ok(())
        }
    }

    fn saphyr_doc(text: &str, inv: &mut Inventory) -> Result<(), String> {
        let mut sink = sink_into(inv);
        let opts = serde_saphyr::options! { budget: None };
        serde_saphyr::with_deserializer_from_str_with_options(text, opts, |de| {
            DocumentSeed { sink: &mut sink }.deserialize(de)
        })
        .map_err(|e| e.to_string())
    }

    fn saphyr_stream(text: &str, inv: &mut Inventory) -> Result<(), String> {
        // serde-saphyr as the project uses it: through the snapshot reader.
        kubectl_istio_rev::source::snapshot::read_stream(text.as_bytes(), "t", Some(false), inv)
            .map_err(|e| e.to_string())
    }

    fn yaml_serde_doc(text: &str, inv: &mut Inventory) -> Result<(), String> {
        let mut sink = sink_into(inv);
        DocumentSeed { sink: &mut sink }
            .deserialize(yaml_serde::Deserializer::from_str(text))
            .map_err(|e| e.to_string())
    }

    fn yaml_serde_stream(text: &str, inv: &mut Inventory) -> Result<(), String> {
        let mut sink = sink_into(inv);
        for doc in yaml_serde::Deserializer::from_str(text) {
            DocumentSeed { sink: &mut sink }
                .deserialize(doc)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn ng_doc(text: &str, inv: &mut Inventory) -> Result<(), String> {
        let mut sink = sink_into(inv);
        DocumentSeed { sink: &mut sink }
            .deserialize(serde_yaml_ng::Deserializer::from_str(text))
            .map_err(|e| e.to_string())
    }

    fn ng_stream(text: &str, inv: &mut Inventory) -> Result<(), String> {
        let mut sink = sink_into(inv);
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            DocumentSeed { sink: &mut sink }
                .deserialize(doc)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    const CRATES: &[Crate] = &[
        Crate {
            name: "serde-saphyr 2",
            doc: saphyr_doc,
            stream: saphyr_stream,
        },
        Crate {
            name: "yaml_serde 0.10",
            doc: yaml_serde_doc,
            stream: yaml_serde_stream,
        },
        Crate {
            name: "serde_yaml_ng 0.10",
            doc: ng_doc,
            stream: ng_stream,
        },
    ];

    const TRICKY: &str = r#"apiVersion: v1
kind: Namespace
metadata:
  name: tricky
  labels:
    quoted-on: "on"
    plain-on: on
    plain-yes: yes
    plain-no: NO
    quoted-octal: "0755"
    plain-octal: 0755
    plain-version: 1.10
    quoted-version: "1.10"
    plain-true: "true"
    plain-int: 12345
    plain-float: 1e3
    empty: ""
"#;

    const TRICKY_EXPECTED: &[(&str, &str)] = &[
        ("quoted-on", "on"),
        ("plain-on", "on"),
        ("plain-yes", "yes"),
        ("plain-no", "NO"),
        ("quoted-octal", "0755"),
        ("plain-octal", "0755"),
        ("plain-version", "1.10"),
        ("quoted-version", "1.10"),
        ("plain-true", "true"),
        ("plain-int", "12345"),
        ("plain-float", "1e3"),
        ("empty", ""),
    ];

    const MULTI: &str = "# Source: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# Source: only a comment\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n...\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: c\n";

    fn check(c: &Crate, recording: Option<&str>) -> Vec<(String, Result<(), String>)> {
        let mut out = Vec::new();
        let mut inv = Inventory::default();
        let r = (c.doc)(TRICKY, &mut inv).and_then(|()| {
            let labels = &inv.namespaces.first().ok_or("no namespace")?.meta.labels;
            for (k, want) in TRICKY_EXPECTED {
                let got = labels.get(k);
                if got != Some(*want) {
                    return Err(format!("{k}: got {got:?}, want {want:?}"));
                }
            }
            Ok(())
        });
        out.push((
            "label values stay strings (on/yes/NO/0755/1.10/12345/1e3)".into(),
            r,
        ));

        let mut inv = Inventory::default();
        let r = (c.stream)(MULTI, &mut inv).and_then(|()| {
            let names: Vec<&str> = inv.namespaces.iter().map(|n| n.meta.name()).collect();
            if names == ["a", "b", "c"] {
                Ok(())
            } else {
                Err(format!("namespaces {names:?}"))
            }
        });
        out.push((
            "multi-document stream with comment-only documents (the crate's own splitting; the reader splits documents itself and skips these)".into(),
            r,
        ));

        if let Some(text) = recording {
            let mut inv = Inventory::default();
            let r = (c.doc)(text, &mut inv).and_then(|()| {
                let got = (
                    inv.namespaces.len(),
                    inv.workloads.len(),
                    inv.pods.len(),
                    inv.webhooks.len(),
                    inv.istio_operators.len(),
                );
                let mut reference = Inventory::default();
                saphyr_doc(text, &mut reference)?;
                if got != (3, 3, 4, 1, 1) {
                    Err(format!("counts {got:?}"))
                } else if format!("{:?}", inv.pods) != format!("{:?}", reference.pods)
                    || format!("{:?}", inv.workloads) != format!("{:?}", reference.workloads)
                    || format!("{:?}", inv.webhooks) != format!("{:?}", reference.webhooks)
                {
                    Err("differs from serde-saphyr's reading".into())
                } else {
                    Ok(())
                }
            });
            out.push(("recorded `kubectl get ... -A -o yaml` (v1.32)".into(), r));
        }
        out
    }

    /// This thread's CPU time: other work on the machine sways it less than wall time.
    fn thread_cpu() -> Duration {
        // SAFETY: an all-zero timespec is valid, and clock_gettime only writes it.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: a valid clock id and a pointer to a live timespec.
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }

    /// The items of a column-0 `items:` List, each de-indented into a document of its own.
    fn items(text: &str) -> Vec<String> {
        let body = &text[text.find("\nitems:\n").expect("a List") + 8..];
        let mut out: Vec<String> = Vec::new();
        for line in body.split_inclusive('\n') {
            if let Some(rest) = line.strip_prefix("- ") {
                out.push(rest.to_string());
            } else if let Some(rest) = line.strip_prefix("  ") {
                out.last_mut().unwrap().push_str(rest);
            } else if line.trim().is_empty() {
                out.last_mut().unwrap().push_str(line);
            } else {
                break;
            }
        }
        out
    }

    pub fn compare(path: &Path, pods: usize) {
        let shared = std::env::var_os("ISTIO_REV_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
        let recording = std::fs::read_to_string(
            shared.join("apiserver-recordings/kubectl-get-ns-deploy-rs-pods-mwc-iop-A.yaml"),
        )
        .ok();
        if recording.is_none() {
            println!(
                "(recorded kubectl YAML not found under {}: that check is skipped)",
                shared.display()
            );
        }
        println!("\nYAML crates: correctness");
        for c in CRATES {
            for (what, r) in check(c, recording.as_deref()) {
                match r {
                    Ok(()) => println!("  {:<20} ok    {what}", c.name),
                    Err(e) => println!("  {:<20} FAIL  {what}: {e}", c.name),
                }
            }
        }

        let text = std::fs::read_to_string(path).expect("read YAML snapshot");
        let size = mb(text.len() as u64);
        let t = Instant::now();
        let docs = items(&text);
        let split = t.elapsed();
        println!(
            "\nYAML crates: {} ({size:.0} MB, {} items, {pods} pods), each item parsed from its own slice into the inventory (in-process, after reading the file; splitting took {:.2} s)",
            path.file_name().unwrap().to_string_lossy(),
            docs.len(),
            split.as_secs_f64()
        );
        println!(
            "  {:<20} {:>8} {:>8} {:>8} {:>10} {:>8}",
            "crate", "wall s", "MB/s", "CPU s", "MB/CPU-s", "pods"
        );
        let mut reference: Option<String> = None;
        for c in CRATES {
            let mut inv = Inventory::default();
            let t = Instant::now();
            let cpu = thread_cpu();
            for (i, d) in docs.iter().enumerate() {
                if let Err(e) = (c.doc)(d, &mut inv) {
                    panic!("{}: item {}: {e}", c.name, i + 1);
                }
            }
            let wall = t.elapsed().as_secs_f64();
            let cpu = (thread_cpu() - cpu).as_secs_f64();
            println!(
                "  {:<20} {:>8.2} {:>8.1} {:>8.2} {:>10.1} {:>8}",
                c.name,
                wall,
                size / wall,
                cpu,
                size / cpu,
                inv.pods.len()
            );
            let digest = format!(
                "{:?}{:?}{:?}{:?}",
                inv.namespaces, inv.workloads, inv.pods, inv.webhooks
            );
            match &reference {
                None => reference = Some(digest),
                Some(r) if *r != digest => println!(
                    "  {:<20} reads the snapshot differently from serde-saphyr!",
                    c.name
                ),
                Some(_) => {}
            }
        }
    }
}
