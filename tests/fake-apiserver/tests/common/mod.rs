//! Shared test helpers: a raw HTTP/1.1 client (so framing is visible) and recording parsing.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;

pub fn recordings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recordings")
}

pub fn read_recording(name: &str) -> String {
    std::fs::read_to_string(recordings_dir().join(name)).expect(name)
}

/// Body of a recorded response file.
pub fn recorded_body(file: &str) -> String {
    let t = read_recording(file);
    let i = t.find("\r\n\r\n").expect("header end");
    t[i + 4..].to_string()
}

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub chunked: bool,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn parse_request(text: &str) -> RawRequest {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while lines[i].starts_with("# ") || lines[i] == "#" {
        i += 1;
    }
    let mut rl = lines[i].split(' ');
    let method = rl.next().unwrap().to_string();
    let target = rl.next().unwrap().to_string();
    i += 1;
    let mut headers = Vec::new();
    while i < lines.len() && !lines[i].is_empty() {
        let (k, v) = lines[i].split_once(": ").unwrap();
        headers.push((k.to_string(), v.to_string()));
        i += 1;
    }
    let rest = lines[(i + 1).min(lines.len())..].join("\n");
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().unwrap())
        .unwrap_or(0);
    let body = rest.as_bytes()[..len.min(rest.len())].to_vec();
    RawRequest {
        method,
        target,
        headers,
        body,
    }
}

pub fn parse_response(raw: &[u8]) -> RawResponse {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked");
    RawResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
        chunked,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let i = b.windows(2).position(|w| w == b"\r\n").expect("chunk size");
        let n = usize::from_str_radix(std::str::from_utf8(&b[..i]).unwrap().trim(), 16).unwrap();
        b = &b[i + 2..];
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[..n]);
        b = &b[n + 2..];
    }
}

/// Sends one request over a fresh connection and reads the whole response.
pub fn send(addr: SocketAddr, req: &RawRequest) -> RawResponse {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!("{} {} HTTP/1.1\r\nHost: {addr}\r\n", req.method, req.target);
    for (k, v) in &req.headers {
        if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
    }
    head.push_str("Connection: close\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&req.body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let mut r = parse_response(&raw);
    if r.chunked {
        r.body = dechunk(&r.body);
    }
    r
}
