//! Faults as seen on the wire (raw socket), and the request log.

mod common;

use common::*;
use fake_apiserver::{FakeApiServer, Fault};
use std::io::{Read, Write};
use std::net::TcpStream;

fn get(path: &str) -> RawRequest {
    RawRequest {
        method: "GET".into(),
        target: path.into(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: vec![],
    }
}

fn raw_bytes(addr: std::net::SocketAddr, path: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

#[test]
fn faults_on_the_wire() {
    let srv = FakeApiServer::new()
        .objects_from_str(&recorded_body("30-list-pods-all-namespaces.response.txt"))
        .unwrap()
        .start();

    srv.add_fault(Fault::ConnectionReset { resource: "pods" });
    assert!(
        raw_bytes(srv.addr(), "/api/v1/pods").is_empty(),
        "no response at all"
    );
    // other resources and discovery are unaffected
    assert_eq!(send(srv.addr(), &get("/api/v1/namespaces")).status, 200);
    assert_eq!(send(srv.addr(), &get("/api")).status, 200);
    srv.clear_faults();

    srv.add_fault(Fault::TruncatedBody { resource: "pods" });
    let raw = raw_bytes(srv.addr(), "/api/v1/pods");
    let r = parse_response(&raw);
    let promised: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(r.body.len() < promised, "{} < {promised}", r.body.len());
    srv.clear_faults();

    srv.add_fault(Fault::TooManyRequests {
        resource: "*",
        retry_after_secs: 7,
        times: 1,
    });
    let r = send(srv.addr(), &get("/api/v1/namespaces/rec-a/pods"));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\",\"details\":{\"retryAfterSeconds\":7},\"code\":429}\n"
    );
    assert_eq!(
        send(srv.addr(), &get("/api/v1/namespaces/rec-a/pods")).status,
        200
    );

    let r = send(srv.addr(), &get("/api/v1/pods?watch=true"));
    assert_eq!(r.status, 405);

    // request log
    let log = srv.requests();
    let last = log.last().unwrap();
    assert_eq!(last.method, "GET");
    assert_eq!(last.path, "/api/v1/pods");
    assert_eq!(last.query_param("watch").as_deref(), Some("true"));
    assert_eq!(last.header("Accept"), Some("application/json"));
    srv.clear_requests();
    assert!(srv.requests().is_empty());
}
