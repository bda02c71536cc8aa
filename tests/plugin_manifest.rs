//! plugin.yaml must be a krew Plugin manifest krew-index would accept (the rules of its
//! `pkg/index/validation`), for this crate's version and binary.

use serde_json::Value;

fn manifest() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/plugin.yaml")).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

#[test]
fn is_a_krew_plugin_manifest() {
    let m = manifest();
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(m["metadata"]["name"], "istio-rev");
    let spec = &m["spec"];
    assert_eq!(spec["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
    for field in ["shortDescription", "description", "homepage"] {
        assert!(
            spec[field].as_str().is_some_and(|s| !s.trim().is_empty()),
            "{field}"
        );
    }
    assert!(spec["homepage"].as_str().unwrap().starts_with("https://"));
}

#[test]
fn platforms_are_valid() {
    let m = manifest();
    let platforms = m["spec"]["platforms"].as_array().expect("platforms");
    assert!(!platforms.is_empty());
    let mut saw_linux_amd64 = false;
    for p in platforms {
        let labels = p["selector"]["matchLabels"]
            .as_object()
            .expect("matchLabels");
        assert!(!labels.is_empty());
        for key in labels.keys() {
            assert!(key == "os" || key == "arch", "selector key {key}");
        }
        saw_linux_amd64 |= labels.get("os") == Some(&"linux".into())
            && labels.get("arch") == Some(&"amd64".into());
        let uri = p["uri"].as_str().unwrap();
        assert!(
            uri.starts_with("https://") && (uri.ends_with(".tar.gz") || uri.ends_with(".zip")),
            "{uri}"
        );
        assert!(
            uri.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))),
            "{uri}"
        );
        let sha = p["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{sha}"
        );
        let bin = p["bin"].as_str().unwrap();
        assert!(
            bin == "kubectl-istio_rev" || bin == "kubectl-istio_rev.exe",
            "{bin}"
        );
    }
    assert!(saw_linux_amd64);
}
