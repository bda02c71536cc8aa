//! The pilot golden as `diff` and `fix` compare it: the rendered text
//! (`testdata/istio/manifest-generate-latest`) and its faithful live install
//! (`testdata/diff/live-pilot-default.json`, see `testdata/diff/README.md`).
#![allow(dead_code)] // shared by the test binaries; each uses some

use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

pub fn golden() -> PathBuf {
    repo("testdata/istio/manifest-generate-latest/output/pilot_default.golden.yaml")
}

pub fn fixture_path() -> PathBuf {
    repo("testdata/diff/live-pilot-default.json")
}

/// The live objects of a faithful install, as a list of values.
pub fn fixture() -> Vec<Value> {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    let list: Value = serde_json::from_str(&text).unwrap();
    list["items"].as_array().unwrap().clone()
}

pub fn find<'a>(objs: &'a mut [Value], kind: &str, name: &str) -> &'a mut Value {
    objs.iter_mut()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in the fixture"))
}

/// The kinds the fake API server serves, of those the pilot golden renders.
pub const SERVED: &[&str] = &[
    "ConfigMap",
    "Deployment",
    "Service",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The golden's documents of the kinds the fake serves, text untouched.
pub fn served_manifest(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(golden()).unwrap();
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line == "---" {
            let kind = cur
                .lines()
                .find_map(|l| l.strip_prefix("kind: "))
                .unwrap_or("");
            if SERVED.contains(&kind) {
                docs.push(std::mem::take(&mut cur));
            }
            cur.clear();
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    let p = dir.join("served.yaml");
    std::fs::write(&p, docs.join("---\n")).unwrap();
    p
}
