//! The fake's protobuf against the real server's bytes (recordings 90–94).
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
