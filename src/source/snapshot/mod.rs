//! Snapshot files as a source of the inventory: what `kubectl get ... -A -o yaml|json` prints.
//!
//! Inputs are streamed, never held whole, and the items of a `List` are added to the inventory
//! as they are read. A List as kubectl prints it, the usual shape of a big snapshot, takes a
//! fast path: JSON items are found in a sliding window and each is parsed from a slice
//! (serde_json reads slices several times faster than readers); YAML items, at column 0 under
//! a column-0 `items:`, are split by lines and each is parsed from its own text by yaml_serde.
//! Any other shape goes to the streaming parsers: serde_json over the reader, and serde-saphyr
//! one document at a time. `benches/snapshot.rs` measures both.

use crate::error::Error;
use crate::inventory::{Inventory, Object};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

mod json;
pub mod objects;
mod yaml;

use json::read_json;
use yaml::read_yaml;

/// Where snapshot input comes from: a file, every snapshot file under a directory, or stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

impl Input {
    pub fn parse(arg: &str) -> Input {
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }
}

/// Loads every input into one inventory.
pub fn load(inputs: &[Input]) -> Result<Inventory, Error> {
    let mut inventory = Inventory::default();
    for input in inputs {
        match input {
            Input::Stdin => {
                let stdin = std::io::stdin();
                read_stream(stdin.lock(), "<stdin>", None, &mut inventory)?;
            }
            Input::Path(path) => load_path(path, &mut inventory)?,
        }
    }
    Ok(inventory)
}

fn load_path(path: &Path, inventory: &mut Inventory) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::input(path.display(), e))?;
    if meta.is_dir() {
        for file in snapshot_files(path)? {
            load_file(&file, inventory)?;
        }
        Ok(())
    } else {
        load_file(path, inventory)
    }
}

/// Every `*.yaml`, `*.yml` and `*.json` below `dir`, in a stable order.
pub fn snapshot_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::input(d.display(), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::input(d.display(), e))?;
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn load_file(path: &Path, inventory: &mut Inventory) -> Result<(), Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::input(path.display(), e))?;
    let json_hint = path.extension().and_then(|e| e.to_str()) == Some("json");
    read_stream(
        BufReader::with_capacity(1 << 20, file),
        &path.display().to_string(),
        Some(json_hint),
        inventory,
    )
}

/// Reads one stream. `json_hint` is the file extension's verdict; without one (stdin) the
/// first non-blank byte decides, as JSON always opens with `{` or `[`.
pub fn read_stream<R: BufRead>(
    mut reader: R,
    name: &str,
    json_hint: Option<bool>,
    inventory: &mut Inventory,
) -> Result<(), Error> {
    let is_json = match json_hint {
        Some(hint) => hint,
        None => first_significant_byte(&mut reader, name)?.is_some_and(|b| b == b'{' || b == b'['),
    };
    let mut sink = |object: Object| {
        inventory.add(object);
        Ok(())
    };
    if is_json {
        read_json(reader, name, &mut sink)
    } else {
        read_yaml(reader, name, &mut sink)
    }
}

fn first_significant_byte<R: BufRead>(reader: &mut R, name: &str) -> Result<Option<u8>, Error> {
    loop {
        let buf = reader.fill_buf().map_err(|e| Error::input(name, e))?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(pos) = buf.iter().position(|b| !b.is_ascii_whitespace()) {
            return Ok(Some(buf[pos]));
        }
        let n = buf.len();
        reader.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use json::{Window, count_newlines, json_list_start, read_json_list, read_json_streaming};

    fn load_str(text: &str, json: bool) -> Result<Inventory, Error> {
        let mut inv = Inventory::default();
        read_stream(text.as_bytes(), "t", Some(json), &mut inv)?;
        Ok(inv)
    }

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    istio.io/rev: 1-8-1\n";

    #[test]
    fn multi_document_stream_with_empty_docs() {
        let text = format!(
            "# Source: x\n---\n---\n{NS}---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n...\n"
        );
        let inv = load_str(&text, false).unwrap();
        assert_eq!(inv.namespaces.len(), 1);
        assert_eq!(inv.namespaces[0].meta.label("istio.io/rev"), Some("1-8-1"));
        assert_eq!(inv.skipped.get("Service"), Some(&1));
    }

    #[test]
    fn list_items_are_streamed_into_the_inventory() {
        let text = r#"{"apiVersion":"v1","items":[
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","annotations":{"sidecar.istio.io/status":"{\"revision\":\"1-30-3\"}"}},
             "spec":{"containers":[{"name":"app","image":"x"},{"name":"istio-proxy","image":"docker.io/istio/proxyv2:1.30.3","args":["proxy","sidecar"],"env":[{"name":"CA_ADDR","value":"istiod-1-30-3.istio-system.svc:15012"}]}]}},
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"n"}}
        ],"kind":"List","metadata":{"resourceVersion":""}}"#;
        let inv = load_str(text, true).unwrap();
        assert_eq!(inv.pods.len(), 1);
        let pod = &inv.pods.each().next().unwrap();
        assert_eq!(
            pod.meta.annotations.status_revision.as_deref(),
            Some("1-30-3")
        );
        let proxy = pod.spec.proxy().unwrap();
        assert_eq!(proxy.args, Some(crate::inventory::ProxyRole::Sidecar));
        assert_eq!(
            proxy.env.ca_addr.as_deref(),
            Some("istiod-1-30-3.istio-system.svc:15012")
        );
        assert_eq!(inv.skipped.get("ConfigMap"), Some(&1));
    }

    #[test]
    fn the_same_object_twice_is_kept_once() {
        let text = format!("{NS}---\n{NS}");
        assert_eq!(load_str(&text, false).unwrap().namespaces.len(), 1);
    }

    #[test]
    fn errors_name_the_document_and_item() {
        let text = format!(
            "{NS}---\napiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: Namespace, metadata: {{name: b}}}}\n- {{apiVersion: v1, metadata: {{name: c}}}}\n"
        );
        let err = load_str(&text, false).unwrap_err().to_string();
        assert!(
            err.starts_with("t: document 2: item 2: not a Kubernetes object: it has no kind"),
            "{err}"
        );
        let err = load_str(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\n",
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("document 1") && err.contains("Pod has no metadata.name"),
            "{err}"
        );
        let err = load_str("- a\n- b\n", false).unwrap_err().to_string();
        assert!(err.contains("expected a Kubernetes object"), "{err}");
        let err = load_str("{\"kind\": \"Pod\", ", true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t: "), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }

    /// What every kind of object the inventory keeps came out as, to compare two readings.
    fn digest(inv: &Inventory) -> String {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            inv.namespaces, inv.workloads, inv.pods, inv.webhooks, inv.istio_operators, inv.skipped
        )
    }

    /// Items whose block scalars hold lines that look like List syntax at the item's own
    /// indentation or deeper, blank lines, and a `---` that is content, not a marker.
    const KUBECTL_YAML_ITEMS: &str = r#"- apiVersion: v1
  kind: Namespace
  metadata:
    labels:
      istio.io/rev: 1-30-3
      quoted: "on"
      octal: "0755"
    name: a
- apiVersion: v1
  kind: Pod
  metadata:
    annotations:
      notes: |
        - apiVersion: v1
          kind: Namespace
        items:

        ---
        - not an item
      sidecar.istio.io/status: '{"revision":"1-30-3"}'
    labels:
      app: x
    name: p
    namespace: a
  spec:
    containers:
    - args:
      - proxy
      - sidecar
      env:
      - name: PROXY_CONFIG
        value: |
          {"discoveryAddress":"istiod-1-30-3.istio-system.svc:15012"}
      - name: CA_ADDR
        value: istiod-1-30-3.istio-system.svc:15012
      image: docker.io/istio/proxyv2:1.30.3
      name: istio-proxy
# a comment at column 0 between items
- apiVersion: v1
  kind: ConfigMap
  data:
    script: |-
      #!/bin/sh
      - echo
    
      --- 
  metadata:
    name: c
    namespace: a
"#;

    fn kubectl_yaml_list() -> String {
        format!(
            "apiVersion: v1\nitems:\n{KUBECTL_YAML_ITEMS}kind: List\nmetadata:\n  resourceVersion: \"\"\n"
        )
    }

    #[test]
    fn a_kubectl_yaml_list_reads_as_the_streaming_parser_reads_it() {
        let fast = load_str(&kubectl_yaml_list(), false).unwrap();
        // Indented items are not kubectl's layout: the streaming parser reads them.
        let indented: String = KUBECTL_YAML_ITEMS
            .lines()
            .map(|l| format!("  {l}\n"))
            .collect();
        let slow = load_str(
            &format!("apiVersion: v1\nkind: List\nitems:\n{indented}"),
            false,
        )
        .unwrap();
        assert_eq!(digest(&fast), digest(&slow));
        assert_eq!(fast.namespaces.len(), 1);
        assert_eq!(fast.namespaces[0].meta.label("quoted"), Some("on"));
        assert_eq!(fast.namespaces[0].meta.label("octal"), Some("0755"));
        assert_eq!(fast.pods.len(), 1);
        let first = fast.pods.each().next().unwrap();
        let proxy = first.spec.proxy().unwrap();
        assert_eq!(
            proxy.env.discovery_address.as_deref(),
            Some("istiod-1-30-3.istio-system.svc:15012")
        );
        assert_eq!(fast.skipped.get("ConfigMap"), Some(&1));
        assert_eq!(fast.skipped.get("List"), None);
    }

    #[test]
    fn a_kubectl_yaml_list_among_other_documents() {
        let text = format!(
            "{NS}---\n{}---\n# only a comment\n---\n{NS}",
            kubectl_yaml_list()
        );
        let inv = load_str(&text, false).unwrap();
        assert_eq!(inv.namespaces.len(), 1);
        assert_eq!(inv.pods.len(), 1);
    }

    #[test]
    fn yaml_list_errors_name_the_document_item_and_file_line() {
        let text = format!("{NS}---\n{}", kubectl_yaml_list())
            .replace("namespace: a\n  spec:", "namespace: [a\n  spec:");
        let err = load_str(&text, false).unwrap_err().to_string();
        assert!(err.starts_with("t: document 2: item 2: "), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
        let broken = text.lines().position(|l| l.contains("[a")).unwrap() + 1;
        assert!(
            err.ends_with(&format!(
                "item 2: metadata.namespace: invalid type: sequence, expected a string at line {broken} column 16"
            )),
            "{broken}: {err}"
        );

        let text = kubectl_yaml_list().replace("kind: List", "kind: Pod");
        let err = load_str(&text, false).unwrap_err().to_string();
        assert!(
            err.contains("has `items` but kind Pod is not a List"),
            "{err}"
        );
    }

    fn json_list(items: &[&str]) -> String {
        let items: Vec<String> = items
            .iter()
            .map(|i| format!("        {}", i.replace('\n', "\n        ")))
            .collect();
        format!(
            "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n{}\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {{\n        \"resourceVersion\": \"\"\n    }}\n}}\n",
            items.join(",\n")
        )
    }

    const JSON_NS: &str = "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Namespace\",\n    \"metadata\": {\n        \"labels\": {\"istio.io/rev\": \"1-30-3\", \"x\": \"a \\\" } { ] [\"},\n        \"name\": \"a\"\n    }\n}";
    const JSON_POD: &str = "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Pod\",\n    \"metadata\": {\"name\": \"p\", \"namespace\": \"a\", \"labels\": {\"app\": \"}\"}},\n    \"spec\": {\"containers\": [{\"name\": \"istio-proxy\", \"args\": [\"proxy\", \"router\"]}]}\n}";

    #[test]
    fn a_kubectl_json_list_reads_as_the_streaming_parser_reads_it() {
        let text = json_list(&[
            JSON_NS,
            JSON_POD,
            "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}}",
        ]);
        let mut slow = Inventory::default();
        read_json_streaming(text.as_bytes(), "t", &mut |o| {
            slow.add(o);
            Ok(())
        })
        .unwrap();
        assert_eq!(slow.pods.len(), 1);
        // Every window size, down to one smaller than a token, cuts items somewhere else.
        for window in [1, 2, 3, 7, 16, 64, 100, 1000, 1 << 20] {
            let mut fast = Inventory::default();
            let mut w = Window::new(text.as_bytes());
            w.buf = vec![0; window];
            let list = json_list_start(&mut w).unwrap().expect("a List");
            read_json_list(w, list, "t", &mut |o| {
                fast.add(o);
                Ok(())
            })
            .unwrap();
            assert_eq!(digest(&fast), digest(&slow), "window {window}");
        }
        assert_eq!(
            load_str(&text, true)
                .unwrap()
                .pods
                .each()
                .next()
                .unwrap()
                .spec
                .proxy()
                .unwrap()
                .args,
            Some(crate::inventory::ProxyRole::Router)
        );
    }

    #[test]
    fn other_json_shapes_take_the_streaming_parser() {
        for text in [
            JSON_POD.to_string(),
            format!("{{\"kind\": \"List\", \"items\": [{JSON_POD}]}}"),
            format!("[{JSON_POD}]"),
        ] {
            let r = load_str(&text, true);
            match text.starts_with('[') {
                true => assert!(
                    r.unwrap_err()
                        .to_string()
                        .contains("expected a Kubernetes object")
                ),
                false => assert!(r.is_ok(), "{text}: {:?}", r.err()),
            }
        }
        assert_eq!(
            load_str(
                &format!("{{\"kind\": \"List\", \"items\": [{JSON_POD}]}}"),
                true
            )
            .unwrap()
            .pods
            .len(),
            1
        );
    }

    #[test]
    fn json_list_errors_name_the_item_and_file_line() {
        let broken = JSON_POD.replace("\"spec\": {", "\"spec\": {,");
        let text = json_list(&[JSON_NS, &broken]);
        let err = load_str(&text, true).unwrap_err().to_string();
        let line = text.lines().position(|l| l.contains("{,")).unwrap() + 1;
        let column = text.lines().nth(line - 1).unwrap().find("{,").unwrap() + 2;
        assert!(err.starts_with("t: item 2: "), "{err}");
        assert!(
            err.ends_with(&format!("at line {line} column {column}")),
            "{line}:{column} {err}"
        );
        // The streaming parser places it at the same spot.
        let mut inv = Inventory::default();
        let slow = read_json_streaming(text.as_bytes(), "t", &mut |o| {
            inv.add(o);
            Ok(())
        })
        .unwrap_err()
        .to_string();
        assert!(
            slow.contains(&format!("line {line} column {column}")),
            "{slow}"
        );

        let nameless = JSON_POD.replace("\"name\": \"p\", ", "");
        let err = load_str(&json_list(&[JSON_NS, &nameless]), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t: item 2: Pod has no metadata.name"),
            "{err}"
        );

        let err = load_str(&json_list(&[JSON_NS]).replace("\"List\"", "\"Pod\""), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("has `items` but kind Pod is not a List"),
            "{err}"
        );

        let err = load_str(&format!("{} {{}}", json_list(&[JSON_NS])), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("trailing characters"), "{err}");

        let text = json_list(&[JSON_NS, JSON_POD]);
        let err = load_str(&text[..text.len() - 40], true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("t: "), "{err}");
    }

    #[test]
    fn newlines_are_counted_in_words_and_tails() {
        // Bytes next to `\n` (0x0a) in value, and with the high bit set, must not count.
        let text: &[u8] = b"a\n\n\nb\nccccccc\xc3\xa9\n\n\x0b\n\x8a\x09\n12345678\n";
        for start in 0..text.len() {
            let bytes = &text[start..];
            let want = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            assert_eq!(count_newlines(bytes), want, "from {start}");
        }
    }

    #[test]
    fn a_marker_with_content_on_its_line_starts_a_document() {
        let text = "--- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n";
        assert_eq!(load_str(text, false).unwrap().namespaces.len(), 1);
    }
}
