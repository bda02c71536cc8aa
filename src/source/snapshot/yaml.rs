//! YAML snapshots: a List as kubectl prints it split into items by lines, each parsed by
//! yaml_serde; any other document streamed by serde-saphyr one at a time.

use crate::error::Error;
use crate::inventory::parse::DocumentSeed;
use serde::de::DeserializeSeed;
use std::io::{BufRead, Read};

fn yaml_options() -> serde_saphyr::Options {
    // A 100k-pod dump is far past the default budget (a million events), which guards against
    // hostile config files; a cluster snapshot is big by nature.
    serde_saphyr::options! { budget: None }
}

pub(super) fn read_yaml<R: BufRead>(
    reader: R,
    name: &str,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), Error> {
    let mut docs = DocumentSplitter::new(reader);
    let mut number = 0;
    let io = |e: std::io::Error| Error::input(name, e);
    while docs.next_document().map_err(io)? {
        number += 1;
        // The parser counts lines from the document's start; the user needs the file's.
        let line_offset = docs.first_line.saturating_sub(1);
        let fail = |e: String| Error::parse(name, Some(number), e);
        match yaml_list_start(&mut docs).map_err(io)? {
            YamlStart::List { head, first_item } => {
                read_yaml_list(&mut docs, head, first_item, sink).map_err(fail)?
            }
            YamlStart::Other(prefix) => {
                let doc = docs.document(prefix);
                serde_saphyr::with_deserializer_from_reader_with_options(
                    doc,
                    yaml_options(),
                    |de| DocumentSeed { sink: &mut *sink }.deserialize(de),
                )
                .map_err(|e| fail(render_yaml_error(&e, line_offset)))?
            }
        }
    }
    Ok(())
}

fn render_yaml_error(e: &serde_saphyr::Error, line_offset: u64) -> String {
    e.render_with_options(serde_saphyr::render_options! {
        line_offset: line_offset,
        snippets: serde_saphyr::SnippetMode::Off,
    })
}

/// A part of a document, and the file line it starts on.
struct Lines {
    text: Vec<u8>,
    first_line: u64,
}

enum YamlStart {
    /// kubectl's layout: `items:` at column 0, then an item (`- ...`) at column 0 on the next
    /// line. `head` is what came before `items:`, made only of one-line `key: value` entries.
    List { head: Lines, first_item: Lines },
    /// Anything else; the document's lines read so far.
    Other(Vec<u8>),
}

/// Reads the start of a document to see whether it is a List as `kubectl get -o yaml` prints it.
fn yaml_list_start<R: BufRead>(docs: &mut DocumentSplitter<R>) -> std::io::Result<YamlStart> {
    let mut read = Vec::new();
    let mut head = Lines {
        text: Vec::new(),
        first_line: docs.first_line,
    };
    let mut line = Vec::new();
    loop {
        docs.read_line(&mut line)?;
        if line.is_empty() {
            return Ok(YamlStart::Other(read));
        }
        read.extend_from_slice(&line);
        if trim_eol(&line).trim_ascii_end() == b"items:" {
            docs.read_line(&mut line)?;
            if starts_item(&line) {
                let first_item = Lines {
                    text: std::mem::take(&mut line),
                    first_line: docs.lines_read,
                };
                return Ok(YamlStart::List { head, first_item });
            }
            read.extend_from_slice(&line);
            return Ok(YamlStart::Other(read));
        }
        if !(is_blank_or_comment(&line) || is_one_line_entry(&line)) {
            return Ok(YamlStart::Other(read));
        }
        head.text.extend_from_slice(&line);
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A sequence entry at column 0.
fn starts_item(line: &[u8]) -> bool {
    line.starts_with(b"- ") || trim_eol(line).trim_ascii_end() == b"-"
}

/// `key: value` at column 0 with a plain one-line value, as `apiVersion: v1`: nothing in it can
/// open a construct that spans lines.
fn is_one_line_entry(line: &[u8]) -> bool {
    let line = trim_eol(line);
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (key, value) = (&line[..colon], &line[colon + 1..]);
    let key_ok = key.first().is_some_and(u8::is_ascii_alphabetic)
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(b));
    let Some(value) = value.strip_prefix(b" ") else {
        return false;
    };
    let value = value.trim_ascii();
    key_ok
        && value
            .first()
            .is_some_and(|b| !b"|>\"'[{&*!%@`#".contains(b))
}

/// Whether a line inside a List's items belongs to the item before it: it is indented, blank,
/// or a comment. A block scalar's lines are indented (blank ones need not be), so a line at
/// column 0 that is none of these can only end the items or start the next one.
fn continues_item(line: &[u8]) -> bool {
    line.first() == Some(&b' ') || line.first() == Some(&b'#') || line.trim_ascii().is_empty()
}

/// Reads the items of a kubectl-layout List one at a time, each parsed from its own slice.
fn read_yaml_list<R: BufRead>(
    docs: &mut DocumentSplitter<R>,
    head: Lines,
    first_item: Lines,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), String> {
    let mut item = first_item;
    let mut count = 0usize;
    let mut line = Vec::new();
    // The items' kind when they name none; anything wrong with the head is reported below.
    let list_kind =
        serde_saphyr::with_deserializer_from_slice_with_options(&head.text, yaml_options(), |de| {
            crate::inventory::parse::ListHeadSeed.deserialize(de)
        })
        .ok()
        .flatten();
    let mut tail = Lines {
        text: Vec::new(),
        first_line: 0,
    };
    loop {
        docs.read_line(&mut line).map_err(|e| e.to_string())?;
        if !line.is_empty() && continues_item(&line) {
            item.text.extend_from_slice(&line);
            continue;
        }
        count += 1;
        let object = parse_yaml_item(&item)
            .and_then(|item| item.into_object(list_kind.as_deref()))
            .map_err(|e| format!("item {count}: {e}"))?;
        sink(object).map_err(|e| format!("item {count}: {e}"))?;
        item.text.clear();
        if line.is_empty() {
            break;
        }
        if starts_item(&line) {
            item.text.extend_from_slice(&line);
            item.first_line = docs.lines_read;
            continue;
        }
        // The document goes on after its items (`kind: List`, `metadata:`).
        tail.first_line = docs.lines_read;
        while !line.is_empty() {
            tail.text.extend_from_slice(&line);
            docs.read_line(&mut line).map_err(|e| e.to_string())?;
        }
        break;
    }
    for part in [head, tail] {
        if part
            .text
            .split_inclusive(|&b| b == b'\n')
            .all(is_blank_or_comment)
        {
            continue;
        }
        serde_saphyr::with_deserializer_from_slice_with_options(&part.text, yaml_options(), |de| {
            crate::inventory::parse::ListHeadSeed.deserialize(de)
        })
        .map_err(|e| render_yaml_error(&e, part.first_line.saturating_sub(1)))?;
    }
    Ok(())
}

/// An item's text is a sequence of one entry (`- apiVersion: ...`): read that entry.
struct OneEntry;

impl<'de> DeserializeSeed<'de> for OneEntry {
    type Value = crate::inventory::parse::Item;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for OneEntry {
    type Value = crate::inventory::parse::Item;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a List item")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let item = seq
            .next_element_seed(crate::inventory::parse::ItemSeed)?
            .ok_or_else(|| serde::de::Error::custom("an empty List item"))?;
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(item)
    }
}

/// Parses one item with yaml_serde, the fastest of the YAML crates that read Kubernetes YAML
/// correctly into these types (see `benches/snapshot.rs`); its positions are made the file's.
fn parse_yaml_item(item: &Lines) -> Result<crate::inventory::parse::Item, String> {
    OneEntry
        .deserialize(yaml_serde::Deserializer::from_slice(&item.text))
        .map_err(|e| {
            // The path starts at the one-entry sequence the item was read as.
            let text = e.to_string();
            let text = text.strip_prefix(".[0].").unwrap_or(&text);
            shift_lines(text, item.first_line.saturating_sub(1))
        })
}

/// Adds `offset` to every `line N` in a parser's message.
fn shift_lines(message: &str, offset: u64) -> String {
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    while let Some(i) = rest.find("line ") {
        let (before, after) = rest.split_at(i + 5);
        out.push_str(before);
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits].parse::<u64>() {
            Ok(n) => out.push_str(&(n + offset).to_string()),
            Err(_) => out.push_str(&after[..digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
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

    /// The rest of the current document as a reader, after `prefix` (lines already read).
    fn document(&mut self, prefix: Vec<u8>) -> DocumentReader<'_, R> {
        DocumentReader {
            splitter: self,
            line: prefix,
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
