//! Replays the real kube-apiserver recordings against the fake and compares status, headers
//! and the JSON body structurally. See the crate docs for what is covered and skipped.

mod common;

use common::*;
use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use serde_json::Value;

/// Keys whose values legitimately differ between the real server and the fake.
const VOLATILE: &[&str] = &[
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "time",
    "continue",
    "serverAddress",
    "gitVersion",
    "gitCommit",
    "buildDate",
    "goVersion",
];

fn ident(v: &Value) -> Option<String> {
    for k in ["name", "resource", "groupVersion", "version"] {
        if let Some(s) = v[k].as_str() {
            return Some(format!("{k}={s}"));
        }
    }
    v["metadata"]["name"]
        .as_str()
        .map(|s| format!("metadata.name={s}"))
}

/// Structural comparison. `subset`: fake arrays may hold a subset of the real elements
/// (discovery documents, which the fake filters to the resources it serves).
fn compare(path: &str, real: &Value, fake: &Value, subset: bool, errs: &mut Vec<String>) {
    let key = path.rsplit('.').next().unwrap_or("");
    match (real, fake) {
        (Value::Object(r), Value::Object(f)) => {
            let rk: Vec<&String> = r.keys().collect();
            let fk: Vec<&String> = f.keys().collect();
            if rk != fk {
                errs.push(format!("{path}: keys differ: real {rk:?} fake {fk:?}"));
            }
            for (k, rv) in r {
                if let Some(fv) = f.get(k) {
                    if k == "fieldsV1" || (k == "cells" && path.contains("rows")) {
                        continue; // ownership detail / ages: not compared
                    }
                    compare(&format!("{path}.{k}"), rv, fv, subset, errs);
                }
            }
        }
        (Value::Array(r), Value::Array(f))
            if subset
                && ident(&r[0..1.min(r.len())].first().cloned().unwrap_or(Value::Null))
                    .is_some() =>
        {
            if f.is_empty() && !r.is_empty() {
                errs.push(format!("{path}: fake array empty"));
            }
            for fv in f {
                let id = ident(fv);
                match r.iter().find(|rv| ident(rv) == id) {
                    Some(rv) => compare(
                        &format!("{path}[{}]", id.clone().unwrap_or_default()),
                        rv,
                        fv,
                        subset,
                        errs,
                    ),
                    None => errs.push(format!("{path}: fake element {id:?} not in real")),
                }
            }
        }
        (Value::Array(r), Value::Array(f)) => {
            if r.len() != f.len() {
                errs.push(format!(
                    "{path}: array length real {} fake {}",
                    r.len(),
                    f.len()
                ));
                return;
            }
            for (i, (rv, fv)) in r.iter().zip(f).enumerate() {
                compare(&format!("{path}[{i}]"), rv, fv, subset, errs);
            }
        }
        (r, f) => {
            if VOLATILE.contains(&key) {
                if std::mem::discriminant(r) != std::mem::discriminant(f) {
                    errs.push(format!("{path}: type differs: real {r} fake {f}"));
                }
            } else if r != f {
                errs.push(format!("{path}: real {r} fake {f}"));
            }
        }
    }
}

struct Replay {
    etag: Option<String>,
    failures: Vec<String>,
    covered: Vec<String>,
}

impl Replay {
    fn new() -> Self {
        Replay {
            etag: None,
            failures: vec![],
            covered: vec![],
        }
    }

    fn run(&mut self, srv: &ServerHandle, name: &str) {
        let mut req = parse_request(&read_recording(&format!("{name}.request.txt")));
        if name.starts_with("10-") {
            // the recorded ETag is the real server's; use the fake's (from 08)
            for h in req.headers.iter_mut() {
                if h.0.eq_ignore_ascii_case("if-none-match") {
                    h.1 = self.etag.clone().expect("etag from 08");
                }
            }
        }
        if name.starts_with("88-") {
            // the recorded resourceVersion is the real server's; a client would use the current one
            let mut b: Value = serde_json::from_slice(&req.body).unwrap();
            let cur = srv.get_object("namespaces", None, "rec-a").unwrap();
            b["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"].clone();
            req.body = serde_json::to_vec(&b).unwrap();
        }
        let raw = std::fs::read(recordings_dir().join(format!("{name}.response.txt"))).unwrap();
        let real = parse_response(&raw);
        let fake = send(srv.addr(), &req);
        if name.starts_with("08-") {
            self.etag = fake.header("etag").map(str::to_string);
        }
        let mut errs = Vec::new();
        if real.status != fake.status {
            errs.push(format!("status: real {} fake {}", real.status, fake.status));
        }
        for h in ["Content-Type", "Cache-Control", "Vary"] {
            if real.header(h) != fake.header(h) {
                errs.push(format!(
                    "header {h}: real {:?} fake {:?}",
                    real.header(h),
                    fake.header(h)
                ));
            }
        }
        for h in [
            "Audit-Id",
            "X-Kubernetes-Pf-Flowschema-Uid",
            "X-Kubernetes-Pf-Prioritylevel-Uid",
            "X-Content-Type-Options",
            "Etag",
            "Retry-After",
        ] {
            if real.header(h).is_some() != fake.header(h).is_some() {
                errs.push(format!(
                    "header {h} presence: real {:?} fake {:?}",
                    real.header(h),
                    fake.header(h)
                ));
            }
        }
        // framing: Content-Length for small bodies, chunked for large (tolerate bodies near the
        // 2 KiB threshold, whose size differs slightly)
        let near = |n: usize| (1800..2300).contains(&n);
        let discovery = name.as_bytes()[0] == b'0';
        if real.chunked != fake.chunked
            && !discovery
            && !near(real.body.len())
            && !near(fake.body.len())
        {
            errs.push(format!(
                "framing: real chunked={} fake chunked={}",
                real.chunked, fake.chunked
            ));
        }
        let ct = real.header("content-type").unwrap_or("");
        if ct.starts_with("application/json") && !real.body.is_empty() {
            let rv: Value = serde_json::from_slice(&real.body).unwrap();
            match serde_json::from_slice::<Value>(&fake.body) {
                Ok(fv) => {
                    if rv["kind"] == "Status" {
                        for k in ["kind", "apiVersion", "status", "reason", "code", "message"] {
                            if rv[k] != fv[k] {
                                errs.push(format!("Status.{k}: real {} fake {}", rv[k], fv[k]));
                            }
                        }
                    }
                    let subset = name.as_bytes()[0] == b'0';
                    compare("", &rv, &fv, subset, &mut errs);
                    // compact JSON + trailing newline, or indented like the real server
                    let indented = real.body.starts_with(b"{\n");
                    if indented != fake.body.starts_with(b"{\n") {
                        errs.push("indentation differs".into());
                    }
                    if real.body.ends_with(b"\n") != fake.body.ends_with(b"\n") {
                        errs.push("trailing newline differs".into());
                    }
                }
                Err(e) => errs.push(format!(
                    "fake body is not JSON: {e}: {}",
                    String::from_utf8_lossy(&fake.body)
                )),
            }
        } else if real.body != fake.body {
            errs.push(format!(
                "body: real {:?} fake {:?}",
                String::from_utf8_lossy(&real.body),
                String::from_utf8_lossy(&fake.body)
            ));
        }
        if errs.is_empty() {
            self.covered.push(name.to_string());
        } else {
            self.failures
                .push(format!("{name}:\n  {}", errs.join("\n  ")));
        }
    }
}

fn names(from: &str, to: &str, skip: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(recordings_dir())
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".request.txt").map(str::to_string)
        })
        .filter(|n| n.as_str() >= from && n.as_str() < to)
        .filter(|n| !skip.iter().any(|s| n.starts_with(s)))
        .collect();
    v.sort();
    v
}

/// Objects as the recordings show them at the time of the reads (30–49).
fn loaded_state() -> FakeApiServer {
    let mut srv = FakeApiServer::new();
    for f in [
        "42-list-namespaces.response.txt",
        "30-list-pods-all-namespaces.response.txt",
        "43-list-deployments-in-namespace.response.txt",
        "44-list-mutatingwebhookconfigurations.response.txt",
        "45-list-istiooperators-all-namespaces.response.txt",
    ] {
        srv = srv.objects_from_str(&recorded_body(f)).unwrap();
    }
    // The recording server also held objects outside the corpus (README); one pod in a namespace
    // sorting after the corpus makes paginated selector lists behave like 36/36b.
    srv.objects_from_str(
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"zz-other"}}
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"other","namespace":"zz-other"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}"#,
    )
    .unwrap()
}

#[test]
fn recordings_replay_against_the_fake() {
    let mut replay = Replay::new();

    // 1. discovery and creates (11–22) against an empty server
    let empty = FakeApiServer::new().start();
    for n in names("01", "30", &[]) {
        replay.run(&empty, &n);
    }
    drop(empty);

    // 2. reads, errors, writes and deletes against the recorded state
    let srv = loaded_state().start();
    for n in names("30", "90", &["50-", "51-", "55-"]) {
        if n.starts_with("41-") {
            srv.add_fault(Fault::ExpireContinue { resource: "pods" });
        }
        if n.starts_with("57-") || n.starts_with("58-") {
            srv.add_fault(Fault::Forbidden {
                resource: "pods",
                namespace: None,
            });
        }
        replay.run(&srv, &n);
        srv.clear_faults();
    }
    drop(srv);

    // 3. bad bearer token against a server that requires a token
    let tok = FakeApiServer::new().bearer_token("the-right-token").start();
    replay.run(&tok, "55-bad-token-401");

    eprintln!("covered ({}): {:?}", replay.covered.len(), replay.covered);
    assert!(
        replay.failures.is_empty(),
        "{} recordings differ:\n{}",
        replay.failures.len(),
        replay.failures.join("\n")
    );
}

/// The second recording server's `rec-pb` state (README, "Added later"): the `hello` pods as 96
/// lists them, with the phases the recorder set through the status subresource (`hello-2`
/// Succeeded). The spec is each pod's own last-applied configuration.
fn completed_pods_state() -> FakeApiServer {
    let listed: Value = serde_json::from_str(&recorded_body(
        "96-list-pods-namespace-metadata-only-all-phases.response.txt",
    ))
    .unwrap();
    let mut objects = vec![serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rec-pb"}
    })];
    for item in listed["items"].as_array().unwrap() {
        let metadata = item["metadata"].clone();
        let applied: Value = serde_json::from_str(
            metadata["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        let phase = if metadata["name"] == "hello-2" {
            "Succeeded"
        } else {
            "Running"
        };
        objects.push(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": applied["spec"],
            "status": {"phase": phase},
        }));
    }
    let text: Vec<String> = objects.iter().map(Value::to_string).collect();
    FakeApiServer::new()
        .objects_from_str(&text.join("\n"))
        .unwrap()
}

#[test]
fn finished_pods_are_left_out_by_the_phase_field_selector_as_recorded() {
    let srv = completed_pods_state().start();
    let mut replay = Replay::new();
    for n in names("95", "97", &[]) {
        replay.run(&srv, &n);
    }
    assert_eq!(replay.covered.len(), 2, "{:?}", replay.failures);
    assert!(
        replay.failures.is_empty(),
        "{} recordings differ:\n{}",
        replay.failures.len(),
        replay.failures.join("\n")
    );
}
