//! JSON snapshots: a List as kubectl prints it through a sliding window, each item parsed from
//! a slice; any other shape through serde_json's streaming reader.

use crate::error::Error;
use crate::inventory::parse::DocumentSeed;
use serde::de::DeserializeSeed;
use std::io::Read;

pub(super) fn read_json<R: Read>(
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

pub(super) fn read_json_streaming<R: Read>(
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
pub(super) struct Window<R> {
    reader: R,
    pub(super) buf: Vec<u8>,
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
    pub(super) fn new(reader: R) -> Self {
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
pub(super) fn count_newlines(bytes: &[u8]) -> u64 {
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
pub(super) struct ListStart {
    /// `buf[items]` is the first byte after `"items": [`.
    items: usize,
    /// The other members seen so far, as the text of a JSON object's members.
    head: Vec<u8>,
}

/// Looks for `{ ..., "items": [` at the start of the stream. Nothing is dropped from the window
/// until it is found, so the streaming parser can start over from the first byte if not.
pub(super) fn json_list_start<R: Read>(w: &mut Window<R>) -> std::io::Result<Option<ListStart>> {
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
pub(super) fn read_json_list<R: Read>(
    mut w: Window<R>,
    list: ListStart,
    name: &str,
    sink: &mut crate::inventory::parse::Sink<'_>,
) -> Result<(), Error> {
    let ListStart { items, mut head } = list;
    let list_kind = head_item_kind(&head);
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
        item.into_object(list_kind.as_deref())
            .and_then(&mut *sink)
            .map_err(|e| {
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
        .map(|_| ())
        .map_err(|e| {
            // The position is in the members put together, not in the file.
            let text = e.to_string();
            let message = text.rfind(" at line ").map_or(&*text, |i| &text[..i]);
            Error::parse(name, None, message)
        })
}

/// The kind of a List's items, from the members before `items` (the API server prints `kind`
/// first). Anything wrong with them is reported once the whole List has been read.
fn head_item_kind(head: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        kind: Option<String>,
    }
    let mut text = Vec::with_capacity(head.len() + 2);
    text.push(b'{');
    text.extend_from_slice(head);
    text.push(b'}');
    let head: Head = serde_json::from_slice(&text).ok()?;
    crate::inventory::parse::item_kind(head.kind.as_deref())
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
