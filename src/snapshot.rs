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
    let mut window = Window::new(reader);
    match json_list_start(&mut window).map_err(|e| Error::input(name, e))? {
        Some(list) => read_json_list(window, list, name, sink),
        None => {
            // Not a List as kubectl prints one: parse the whole stream, the bytes already read
            // first.
            let Window {
                reader,
                mut buf,
                filled,
                ..
            } = window;
            buf.truncate(filled);
            read_json_streaming(std::io::Cursor::new(buf).chain(reader), name, sink)
        }
    }
}

fn read_json_streaming<R: Read>(
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

/// The first chunk read, and how much a List's items may take before the window grows.
const CHUNK: usize = 4 << 20;
/// How far into a JSON stream its `items` must start for the List fast path.
const MAX_LIST_HEAD: usize = 1 << 20;

/// A window on a stream: `buf[..filled]` holds what was read and not yet dropped. It counts
/// the lines of what it drops, so errors can still say where they are in the file.
struct Window<R> {
    reader: R,
    buf: Vec<u8>,
    filled: usize,
    eof: bool,
    /// Offset in the stream of `buf[0]`.
    base: u64,
    /// Newlines in the stream before `buf[counted]`, and the offset of the last one.
    lines: u64,
    counted: usize,
    last_newline: Option<u64>,
}

impl<R: Read> Window<R> {
    fn new(reader: R) -> Self {
        Window {
            reader,
            buf: vec![0; CHUNK],
            filled: 0,
            eof: false,
            base: 0,
            lines: 0,
            counted: 0,
            last_newline: None,
        }
    }

    fn data(&self) -> &[u8] {
        &self.buf[..self.filled]
    }

    /// Drops `buf[..drop]` (every position moves down by `drop`) and reads more; false at the
    /// end of the stream.
    fn fill(&mut self, drop: usize) -> std::io::Result<bool> {
        if drop > 0 {
            self.count_lines(drop);
            self.buf.copy_within(drop..self.filled, 0);
            self.filled -= drop;
            self.counted -= drop;
            self.base += drop as u64;
        }
        if self.eof {
            return Ok(false);
        }
        if self.filled == self.buf.len() {
            // One item bigger than the window: it grows to hold it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn count_lines(&mut self, upto: usize) {
        if upto <= self.counted {
            return;
        }
        let region = &self.buf[self.counted..upto];
        self.lines += count_newlines(region);
        if let Some(i) = region.iter().rposition(|&b| b == b'\n') {
            self.last_newline = Some(self.base + (self.counted + i) as u64);
        }
        self.counted = upto;
    }

    /// The 1-based line and column of `buf[pos]`.
    fn position(&mut self, pos: usize) -> (u64, u64) {
        self.count_lines(pos);
        let offset = self.base + pos as u64;
        let line_start = self.last_newline.map_or(0, |n| n + 1);
        (self.lines + 1, offset - line_start + 1)
    }

    /// The index of the first non-blank byte at or after `pos`, reading more (and dropping
    /// what is before `keep`) as needed; None at the end of the stream.
    fn skip_ws(&mut self, pos: &mut usize, keep: &mut usize) -> std::io::Result<Option<u8>> {
        loop {
            if let Some(i) = self.data()[*pos..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
            {
                *pos += i;
                return Ok(Some(self.buf[*pos]));
            }
            *pos = self.filled;
            let drop = *keep;
            let more = self.fill(drop)?;
            *pos -= drop;
            *keep -= drop;
            if !more {
                return Ok(None);
            }
        }
    }

    /// Parses the JSON value at `pos` as a `T` from a slice of the window, reading more while
    /// it is cut off by the window's end. Returns it and its length.
    fn value<T: serde::de::DeserializeOwned>(
        &mut self,
        pos: &mut usize,
        keep: &mut usize,
    ) -> Result<(T, usize), serde_json::Error> {
        loop {
            let data = &self.buf[*pos..self.filled];
            let self_delimited = matches!(data.first(), Some(b'{' | b'[' | b'"'));
            let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<T>();
            match stream.next() {
                Some(Ok(value)) => {
                    let len = stream.byte_offset();
                    // A number may go on in the next read.
                    if self_delimited || len < data.len() || self.eof {
                        return Ok((value, len));
                    }
                }
                Some(Err(e)) if e.is_eof() && !self.eof => {}
                Some(Err(e)) => return Err(e),
                None if self.eof => {
                    // Nothing but blanks left: the parser's own words for it.
                    return Err(serde_json::from_slice::<serde::de::IgnoredAny>(b"").unwrap_err());
                }
                None => {}
            }
            // Cut off by the window's end: read more, and parse it again.
            let drop = *keep;
            self.fill(drop).map_err(serde_json::Error::io)?;
            *pos -= drop;
            *keep -= drop;
        }
    }
}

/// Counts `\n`s. Byte counts summed in a `u8` over runs of 255 bytes vectorize: this runs at
/// several GB/s where a plain filter-and-count took a quarter of the JSON reading.
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|run| {
            let n = run
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
            u64::from(n)
        })
        .sum()
}

/// Where a kubectl-style List's items start, with the members read before them.
struct ListStart {
    /// `buf[items]` is the first byte after `"items": [`.
    items: usize,
    /// The other members seen so far, as the text of a JSON object's members.
    head: Vec<u8>,
}

/// Looks for `{ ..., "items": [` at the start of the stream. Nothing is dropped from the window
/// until it is found, so the streaming parser can start over from the first byte if not.
fn json_list_start<R: Read>(w: &mut Window<R>) -> std::io::Result<Option<ListStart>> {
    let mut keep = 0;
    let mut pos = 0;
    if w.skip_ws(&mut pos, &mut keep)? != Some(b'{') {
        return Ok(None);
    }
    pos += 1;
    let mut head = Vec::new();
    loop {
        if pos > MAX_LIST_HEAD {
            return Ok(None);
        }
        match w.skip_ws(&mut pos, &mut keep)? {
            Some(b'"') => {}
            Some(b',') if !head.is_empty() => {
                pos += 1;
                continue;
            }
            _ => return Ok(None),
        }
        let Ok((key, len)) = w.value::<String>(&mut pos, &mut keep) else {
            return Ok(None);
        };
        let key_start = pos;
        pos += len;
        if w.skip_ws(&mut pos, &mut keep)? != Some(b':') {
            return Ok(None);
        }
        pos += 1;
        let first = w.skip_ws(&mut pos, &mut keep)?;
        if key == "items" {
            if first != Some(b'[') {
                return Ok(None);
            }
            return Ok(Some(ListStart {
                items: pos + 1,
                head,
            }));
        }
        let Ok((serde::de::IgnoredAny, len)) =
            w.value::<serde::de::IgnoredAny>(&mut pos, &mut keep)
        else {
            return Ok(None);
        };
        pos += len;
        if !head.is_empty() {
            head.push(b',');
        }
        head.extend_from_slice(&w.data()[key_start..pos]);
    }
}

/// One item of a List, read from its own slice.
struct JsonItem(crate::inventory::parse::Item);

impl<'de> serde::Deserialize<'de> for JsonItem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::inventory::parse::ItemSeed
            .deserialize(d)
            .map(JsonItem)
    }
}

/// Reads a List's items one at a time: each is parsed from a slice of the window (much faster
/// than parsing from a reader), and only the window and the inventory are held.
fn read_json_list<R: Read>(
    mut w: Window<R>,
    list: ListStart,
    name: &str,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), Error> {
    let ListStart { items, mut head } = list;
    let mut pos = items;
    let mut keep;
    let io = |e: std::io::Error| Error::input(name, e);
    let mut count = 0usize;
    // `at` names a place in the file for an error found at `buf[p]`.
    fn at<R: Read>(w: &mut Window<R>, p: usize) -> String {
        let (line, column) = w.position(p);
        format!("at line {line} column {column}")
    }
    loop {
        keep = pos;
        let next = w.skip_ws(&mut pos, &mut keep).map_err(io)?;
        match next {
            Some(b']') if count == 0 => break,
            _ if count == 0 => {}
            Some(b',') => {
                pos += 1;
                keep = pos;
                if w.skip_ws(&mut pos, &mut keep).map_err(io)?.is_none() {
                    let msg = format!("EOF while parsing a list {}", at(&mut w, pos));
                    return Err(Error::parse(name, None, msg));
                }
            }
            Some(b']') => break,
            _ => {
                let msg = format!("expected `,` or `]` after item {count} {}", at(&mut w, pos));
                return Err(Error::parse(name, None, msg));
            }
        }
        count += 1;
        keep = pos;
        let (JsonItem(item), len) = match w.value::<JsonItem>(&mut pos, &mut keep) {
            Ok(v) => v,
            Err(e) if e.is_io() => return Err(Error::input(name, e)),
            Err(e) => {
                let msg = item_error(&mut w, pos, &e);
                return Err(Error::parse(name, None, format!("item {count}: {msg}")));
            }
        };
        let start = pos;
        pos += len;
        item.into_object().and_then(&mut *sink).map_err(|e| {
            let msg = format!("item {count}: {e} {}", at(&mut w, start));
            Error::parse(name, None, msg)
        })?;
    }
    // `]`, then the members after `items`, then `}` and nothing else.
    pos += 1;
    loop {
        keep = pos;
        match w.skip_ws(&mut pos, &mut keep).map_err(io)? {
            Some(b'}') => break,
            Some(b',') => {}
            _ => {
                let msg = format!("expected `,` or `}}` {}", at(&mut w, pos));
                return Err(Error::parse(name, None, msg));
            }
        }
        pos += 1;
        w.skip_ws(&mut pos, &mut keep).map_err(io)?;
        // `keep` marks the member's start from here: the window keeps it, and moves it along.
        keep = pos;
        let (key, len) = match w.value::<String>(&mut pos, &mut keep) {
            Ok(v) => v,
            Err(e) => return Err(Error::parse(name, None, item_error(&mut w, pos, &e))),
        };
        pos += len;
        if w.skip_ws(&mut pos, &mut keep).map_err(io)? != Some(b':') {
            let msg = format!("expected `:` after key {key:?} {}", at(&mut w, pos));
            return Err(Error::parse(name, None, msg));
        }
        pos += 1;
        w.skip_ws(&mut pos, &mut keep).map_err(io)?;
        let len = match w.value::<serde::de::IgnoredAny>(&mut pos, &mut keep) {
            Ok((_, len)) => len,
            Err(e) => return Err(Error::parse(name, None, item_error(&mut w, pos, &e))),
        };
        pos += len;
        if key == "items" {
            let msg = format!("duplicate field `items` {}", at(&mut w, keep));
            return Err(Error::parse(name, None, msg));
        }
        if !head.is_empty() {
            head.push(b',');
        }
        head.extend_from_slice(&w.data()[keep..pos]);
    }
    pos += 1;
    keep = pos;
    if w.skip_ws(&mut pos, &mut keep).map_err(io)?.is_some() {
        let msg = format!("trailing characters {}", at(&mut w, pos));
        return Err(Error::parse(name, None, msg));
    }
    head.insert(0, b'{');
    head.push(b'}');
    let mut de = serde_json::Deserializer::from_slice(&head);
    crate::inventory::parse::ListHeadSeed
        .deserialize(&mut de)
        .map_err(|e| {
            // The position is in the members put together, not in the file.
            let text = e.to_string();
            let message = text.rfind(" at line ").map_or(&*text, |i| &text[..i]);
            Error::parse(name, None, message)
        })
}

/// A parser's error inside the value that starts at `buf[start]`, placed in the file.
fn item_error<R: Read>(w: &mut Window<R>, start: usize, e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) if e.line() > 0 => &text[..i],
        _ => &text,
    };
    if e.line() == 0 {
        return message.to_string();
    }
    let (line, column) = w.position(start);
    let (line, column) = if e.line() == 1 {
        (line, column + e.column() as u64 - 1)
    } else {
        (line + e.line() as u64 - 1, e.column() as u64)
    };
    format!("{message} at line {line} column {column}")
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
            .and_then(|item| item.into_object())
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
