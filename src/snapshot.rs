//! Snapshot files as a source of the inventory: what `kubectl get ... -A -o yaml|json` prints.
//!
//! Inputs are streamed: JSON straight from a buffered reader, YAML one document at a time, and
//! the items of a `List` are added to the inventory as they are read.

use crate::error::Error;
use crate::inventory::parse::DocumentSeed;
use crate::inventory::{Inventory, Object};
use serde::de::DeserializeSeed;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

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

fn read_json<R: Read>(
    reader: R,
    name: &str,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), Error> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    DocumentSeed { sink }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| Error::parse(name, None, e))
}

fn yaml_options() -> serde_saphyr::Options {
    // A 100k-pod dump is far past the default budget (a million events), which guards against
    // hostile config files; a cluster snapshot is big by nature.
    serde_saphyr::options! { budget: None }
}

fn read_yaml<R: BufRead>(
    reader: R,
    name: &str,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), Error> {
    let mut docs = DocumentSplitter::new(reader);
    let mut number = 0;
    while docs.next_document().map_err(|e| Error::input(name, e))? {
        number += 1;
        // The parser counts lines from the document's start; the user needs the file's.
        let line_offset = docs.first_line.saturating_sub(1);
        let doc = docs.document();
        serde_saphyr::with_deserializer_from_reader_with_options(doc, yaml_options(), |de| {
            DocumentSeed { sink: &mut *sink }.deserialize(de)
        })
        .map_err(|e| {
            let rendered = e.render_with_options(serde_saphyr::render_options! {
                line_offset: line_offset,
                snippets: serde_saphyr::SnippetMode::Off,
            });
            Error::parse(name, Some(number), rendered)
        })?;
    }
    Ok(())
}

/// Splits a YAML stream at `---`/`...` lines so each document is parsed from its own reader:
/// the parser reads ahead, and must not read into the next document. Documents holding only
/// comments or blank lines (common in `istioctl manifest generate` output) are skipped.
struct DocumentSplitter<R> {
    reader: R,
    /// The current document's first content line, already read while looking for it.
    pending: Vec<u8>,
    /// The current document ended (a marker line or end of input).
    ended: bool,
    eof: bool,
    /// Content that followed a `--- ` marker on the same line.
    carry: Option<Vec<u8>>,
    /// Lines read so far, and the line the current document starts on.
    lines_read: u64,
    first_line: u64,
}

enum Line {
    Marker { rest: Option<Vec<u8>> },
    Content,
}

fn classify(line: &[u8]) -> Line {
    let trimmed = line.strip_suffix(b"\n").unwrap_or(line);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    for marker in [&b"---"[..], &b"..."[..]] {
        if let Some(rest) = trimmed.strip_prefix(marker)
            && (rest.is_empty() || rest[0] == b' ' || rest[0] == b'\t')
        {
            let rest = rest.trim_ascii();
            return Line::Marker {
                rest: (!rest.is_empty() && !rest.starts_with(b"#")).then(|| {
                    let mut v = rest.to_vec();
                    v.push(b'\n');
                    v
                }),
            };
        }
    }
    Line::Content
}

fn is_blank_or_comment(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.is_empty() || t.starts_with(b"#") || t.starts_with(b"%")
}

impl<R: BufRead> DocumentSplitter<R> {
    fn new(reader: R) -> Self {
        DocumentSplitter {
            reader,
            pending: Vec::new(),
            ended: true,
            eof: false,
            carry: None,
            lines_read: 0,
            first_line: 1,
        }
    }

    /// Moves to the next document with content; false at the end of the stream.
    fn next_document(&mut self) -> std::io::Result<bool> {
        // Drain what the parser left of the previous document.
        while !self.ended {
            let mut sink = Vec::new();
            self.read_line(&mut sink)?;
        }
        loop {
            if let Some(carry) = self.carry.take() {
                self.pending = carry;
                self.ended = false;
                self.first_line = self.lines_read;
                return Ok(true);
            }
            if self.eof {
                return Ok(false);
            }
            let mut line = Vec::new();
            if self.reader.read_until(b'\n', &mut line)? == 0 {
                self.eof = true;
                continue;
            }
            self.lines_read += 1;
            match classify(&line) {
                Line::Marker { rest } => self.carry = rest,
                Line::Content if is_blank_or_comment(&line) => {}
                Line::Content => {
                    self.pending = line;
                    self.ended = false;
                    self.first_line = self.lines_read;
                    return Ok(true);
                }
            }
        }
    }

    fn document(&mut self) -> DocumentReader<'_, R> {
        DocumentReader {
            splitter: self,
            line: Vec::new(),
            pos: 0,
        }
    }

    /// Reads one line of the current document into `out`; an empty `out` means it ended.
    fn read_line(&mut self, out: &mut Vec<u8>) -> std::io::Result<()> {
        out.clear();
        if self.ended {
            return Ok(());
        }
        if !self.pending.is_empty() {
            std::mem::swap(out, &mut self.pending);
            return Ok(());
        }
        if self.reader.read_until(b'\n', out)? == 0 {
            self.ended = true;
            self.eof = true;
            return Ok(());
        }
        self.lines_read += 1;
        if let Line::Marker { rest } = classify(out) {
            out.clear();
            self.ended = true;
            self.carry = rest;
        }
        Ok(())
    }
}

struct DocumentReader<'a, R> {
    splitter: &'a mut DocumentSplitter<R>,
    line: Vec<u8>,
    pos: usize,
}

impl<R: BufRead> Read for DocumentReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.line.len() {
            self.splitter.read_line(&mut self.line)?;
            self.pos = 0;
            if self.line.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.line.len() - self.pos);
        buf[..n].copy_from_slice(&self.line[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let pod = &inv.pods[0];
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

    #[test]
    fn a_marker_with_content_on_its_line_starts_a_document() {
        let text = "--- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n";
        assert_eq!(load_str(text, false).unwrap().namespaces.len(), 1);
    }
}
