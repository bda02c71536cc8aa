//! The fake's protobuf against the real server's bytes (recordings 90–94).
//!
//! 92 lists the hello Deployment the same server held: created through the fake from the
//! manifest kubectl applied, with the recording's server-set metadata, the fake must answer it
//! byte for byte too (its defaults and its encoding of a full object).
//!
//! 90, 91 and 96 were recorded from one server in the same second: 96 is the JSON form of the
//! pods 90 and 91 list as protobuf, so the fake loaded with 96's objects must answer 90 and 91
//! byte for byte.

mod common;

use common::*;
use fake_apiserver::{FakeApiServer, ServerHandle};
use serde_json::{Value, json};

fn recorded(name: &str) -> (RawRequest, RawResponse) {
    let req = parse_request(&read_recording(&format!("{name}.request.txt")));
    let raw = std::fs::read(recordings_dir().join(format!("{name}.response.txt"))).unwrap();
    (req, parse_response(&raw))
}

/// The pods of namespace rec-pb, as the server that recorded 90–96 held them.
fn rec_pb_pods() -> Vec<Value> {
    let body = recorded_body("96-list-pods-namespace-metadata-only-all-phases.response.txt");
    let list: Value = serde_json::from_str(&body).unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| json!({"apiVersion": "v1", "kind": "Pod", "metadata": item["metadata"]}))
        .collect()
}

fn rec_pb_server(protobuf: bool) -> ServerHandle {
    FakeApiServer::new()
        .objects(rec_pb_pods())
        .resource_version_at_least(1503)
        .protobuf(protobuf)
        .start()
}

fn assert_same(name: &str, real: &RawResponse, fake: &RawResponse) {
    assert_eq!(real.status, fake.status, "{name}: status");
    for h in ["Content-Type", "Cache-Control"] {
        assert_eq!(real.header(h), fake.header(h), "{name}: header {h}");
    }
    assert_eq!(real.chunked, fake.chunked, "{name}: chunked");
    if real.body != fake.body {
        let at = real
            .body
            .iter()
            .zip(&fake.body)
            .position(|(a, b)| a != b)
            .unwrap_or(real.body.len().min(fake.body.len()));
        panic!(
            "{name}: bodies differ at byte {at} of {} (fake {}):\nreal {:?}\nfake {:?}",
            real.body.len(),
            fake.body.len(),
            &real.body[at.saturating_sub(16)..(at + 32).min(real.body.len())],
            &fake.body[at.saturating_sub(16)..(at + 32).min(fake.body.len())],
        );
    }
}

#[test]
fn metadata_lists_match_the_recorded_bytes() {
    let srv = rec_pb_server(true);
    for name in [
        "90-list-pods-namespace-metadata-only-protobuf",
        "91-list-pods-all-namespaces-metadata-only-protobuf-limit-2",
    ] {
        let (req, real) = recorded(name);
        let fake = send(srv.addr(), &req);
        assert_same(name, &real, &fake);
    }
}

#[test]
fn a_custom_resource_answers_json_or_406_as_protobuf() {
    let srv = FakeApiServer::new().resource_version_at_least(1503).start();
    let (req, real) = recorded("93-list-istiooperators-protobuf-accept-json-answer");
    let fake = send(srv.addr(), &req);
    assert_eq!(fake.status, 200);
    assert_eq!(fake.header("Content-Type"), real.header("Content-Type"));
    assert_eq!(
        serde_json::from_slice::<Value>(&fake.body).unwrap(),
        serde_json::from_slice::<Value>(&real.body).unwrap()
    );

    let name = "94-list-istiooperators-protobuf-only-406";
    let (req, real) = recorded(name);
    let fake = send(srv.addr(), &req);
    assert_same(name, &real, &fake);
}

#[test]
fn a_server_without_protobuf_answers_the_json_fallback() {
    let srv = rec_pb_server(false);
    let (req, _) = recorded("90-list-pods-namespace-metadata-only-protobuf");
    let fake = send(srv.addr(), &req);
    assert_eq!(fake.status, 200);
    assert_eq!(fake.header("Content-Type"), Some("application/json"));
    let (_, json_list) = recorded("96-list-pods-namespace-metadata-only-all-phases");
    let strip = |mut v: Value| {
        // the fake's own uids and timestamps are kept from the load; only managedFields'
        // fieldsV1 key order is the fake's
        for item in v["items"].as_array_mut().unwrap() {
            item["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("managedFields");
        }
        v
    };
    assert_eq!(
        strip(serde_json::from_slice(&fake.body).unwrap()),
        strip(serde_json::from_slice(&json_list.body).unwrap())
    );
}

#[test]
fn a_protobuf_metadata_get_is_one_partial_object() {
    let srv = rec_pb_server(true);
    let mut req = recorded("90-list-pods-namespace-metadata-only-protobuf").0;
    req.target = "/api/v1/namespaces/rec-pb/pods/hello-0".into();
    let fake = send(srv.addr(), &req);
    assert_eq!(fake.status, 200);
    assert_eq!(
        fake.header("Content-Type"),
        Some("application/vnd.kubernetes.protobuf")
    );
    assert!(fake.body.starts_with(b"k8s\0"));
    let kind = b"\x12\x15PartialObjectMetadata";
    assert!(fake.body.windows(kind.len()).any(|w| w == kind));
    assert!(fake.body.windows(7).any(|w| w == b"hello-0"));
}

fn request(method: &str, target: &str, accept: &str, body: Vec<u8>) -> RawRequest {
    RawRequest {
        method: method.into(),
        target: target.into(),
        headers: vec![
            ("Host".into(), "127.0.0.1".into()),
            ("Accept".into(), accept.into()),
            ("Content-Type".into(), "application/json".into()),
        ],
        body,
    }
}

/// The hello Deployment as the server that recorded 92 held it: the manifest kubectl applied
/// (its last-applied annotation) created through the fake, so the fake's defaults fill what the
/// real server's did, then given the server-set metadata of the recording
/// (tests/data/92-hello-deployment-metadata.json, read from recording 92).
fn rec_pb_deployment() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/92-hello-deployment-metadata.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let recorded = &fixture["metadata"];
    let applied =
        recorded["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].as_str();
    let mut manifest: Value = serde_json::from_str(applied.unwrap()).unwrap();
    manifest["metadata"]["annotations"] = recorded["annotations"].clone();
    let srv = FakeApiServer::new().start();
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rec-pb"}});
    let created = send(
        srv.addr(),
        &request(
            "POST",
            "/api/v1/namespaces",
            "application/json",
            ns.to_string().into(),
        ),
    );
    assert_eq!(created.status, 201);
    let target = "/apis/apps/v1/namespaces/rec-pb/deployments";
    let created = send(
        srv.addr(),
        &request(
            "POST",
            target,
            "application/json",
            manifest.to_string().into(),
        ),
    );
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let mut stored: Value = serde_json::from_slice(&created.body).unwrap();
    for key in [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
    ] {
        stored["metadata"][key] = recorded[key].clone();
    }
    stored
}

#[test]
fn a_deployment_list_matches_the_recorded_bytes() {
    let srv = FakeApiServer::new()
        .object(rec_pb_deployment())
        .resource_version_at_least(1503)
        .start();
    let name = "92-list-deployments-namespace-protobuf";
    let (req, real) = recorded(name);
    let fake = send(srv.addr(), &req);
    assert_same(name, &real, &fake);
}

#[test]
fn without_protobuf_a_deployment_list_is_the_json_of_the_same_object() {
    let deployment = rec_pb_deployment();
    let srv = FakeApiServer::new()
        .object(deployment.clone())
        .protobuf(false)
        .start();
    let (req, _) = recorded("92-list-deployments-namespace-protobuf");
    let fake = send(srv.addr(), &req);
    assert_eq!(fake.status, 200);
    assert_eq!(fake.header("Content-Type"), Some("application/json"));
    let list: Value = serde_json::from_slice(&fake.body).unwrap();
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["items"][0]["spec"], deployment["spec"]);
}

#[test]
fn the_protobuf_schema_covers_every_field_of_the_testdata_workloads() {
    // a field the schema lacks would be dropped from the fake's protobuf answers without a sign
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
    let mut unknown = Vec::new();
    let mut seen = 0;
    let mut visit = |v: &Value, file: &std::path::Path| {
        let kind = v["kind"].as_str().unwrap_or_default();
        if fake_apiserver::PROTOBUF_KINDS.contains(&kind) {
            seen += 1;
            for path in fake_apiserver::protobuf_unknown_fields(kind, v) {
                unknown.push(format!("{}: {kind} {path}", file.display()));
            }
        }
    };
    walk_yaml(std::path::Path::new(root), &mut visit);
    assert!(
        seen > 50,
        "only {seen} objects of the protobuf kinds in testdata"
    );
    unknown.sort();
    unknown.dedup();
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
}

fn walk_yaml(dir: &std::path::Path, visit: &mut impl FnMut(&Value, &std::path::Path)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk_yaml(&path, visit);
            continue;
        }
        if !path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(docs) = serde_saphyr::from_multiple::<Value>(&text) else {
            continue;
        };
        for doc in docs {
            match doc["items"].as_array() {
                Some(items) => items.iter().for_each(|i| visit(i, &path)),
                None => visit(&doc, &path),
            }
        }
    }
}
