//! A small JSON writer that emits keys in the order the real kube-apiserver uses where it
//! matters (`kind`, `apiVersion`, `metadata` first, `metadata` fields in Go struct order,
//! `spec` before `status`) or fully alphabetical for custom resources (unstructured).

use serde_json::Value;
use std::ops::Range;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Plain,
    Metadata,
    ManagedField,
}

const META_ORDER: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

const MF_ORDER: &[&str] = &[
    "manager",
    "operation",
    "apiVersion",
    "time",
    "fieldsType",
    "fieldsV1",
    "subresource",
];

/// Writes `v` as compact JSON. `sorted` = plain alphabetical order (custom resources).
pub fn write(out: &mut Vec<u8>, v: &Value, sorted: bool) {
    write_ctx(out, v, Ctx::Plain, sorted, &mut None, false);
}

/// Writes an object and returns the byte range of its top-level `metadata` value.
pub fn write_with_meta_range(out: &mut Vec<u8>, v: &Value, sorted: bool) -> Range<usize> {
    let mut r = Some(0..0);
    write_ctx(out, v, Ctx::Plain, sorted, &mut r, false);
    r.unwrap_or(0..0)
}

/// Like [`write_with_meta_range`] but leaves out top-level `kind`/`apiVersion` (list-item form).
pub fn write_item(out: &mut Vec<u8>, v: &Value) -> Range<usize> {
    let mut r = Some(0..0);
    write_ctx(out, v, Ctx::Plain, false, &mut r, true);
    r.unwrap_or(0..0)
}

pub fn to_vec(v: &Value, sorted: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, v, sorted);
    out
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json never fails writing a str into a Vec
    serde_json::to_writer(&mut *out, s).expect("write str");
}

fn write_ctx(
    out: &mut Vec<u8>,
    v: &Value,
    ctx: Ctx,
    sorted: bool,
    meta_range: &mut Option<Range<usize>>,
    skip_type: bool,
) {
    match v {
        Value::Object(m) => {
            out.push(b'{');
            let mut first = true;
            let mut emit = |out: &mut Vec<u8>, k: &String, child: &Value| {
                if skip_type && (k == "kind" || k == "apiVersion") {
                    return;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_str(out, k);
                out.push(b':');
                let child_ctx = match (ctx, k.as_str()) {
                    (_, "metadata") if !sorted => Ctx::Metadata,
                    (Ctx::Metadata, "managedFields") if !sorted => Ctx::ManagedField,
                    _ => Ctx::Plain,
                };
                let capture = meta_range.is_some() && k.as_str() == "metadata";
                let start = out.len();
                write_ctx(out, child, child_ctx, sorted, &mut None, false);
                if capture {
                    *meta_range = Some(start..out.len());
                }
            };
            // serde_json's Map is a BTreeMap (sorted): emit the priority keys first, then the
            // rest in order, without allocating or sorting.
            let order: &[&str] = match (sorted, ctx) {
                (true, _) => &[],
                (false, Ctx::Plain) => &["kind", "apiVersion", "metadata"],
                (false, Ctx::Metadata) => META_ORDER,
                (false, Ctx::ManagedField) => MF_ORDER,
            };
            for k in order {
                if let Some((key, v)) = m.get_key_value(*k) {
                    emit(out, key, v);
                }
            }
            let tail: &[&str] = if !sorted && ctx == Ctx::Plain {
                &["spec", "status"]
            } else {
                &[]
            };
            for (k, v) in m {
                if order.contains(&k.as_str()) || tail.contains(&k.as_str()) {
                    continue;
                }
                emit(out, k, v);
            }
            for k in tail {
                if let Some((key, v)) = m.get_key_value(*k) {
                    emit(out, key, v);
                }
            }
            out.push(b'}');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // managedFields entries keep the managed-field order
                write_ctx(out, x, ctx, sorted, &mut None, false);
            }
            out.push(b']');
        }
        other => serde_json::to_writer(&mut *out, other).expect("write scalar"),
    }
}

/// Re-indents compact JSON the way Go's `json.Indent` does (2 spaces, `{}`/`[]` stay compact),
/// preserving key order. Used for `?pretty=true` and curl/browser User-Agents.
pub fn indent(src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() * 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    let mut i = 0;
    let nl = |out: &mut Vec<u8>, d: usize| {
        out.push(b'\n');
        for _ in 0..d {
            out.extend_from_slice(b"  ");
        }
    };
    while i < src.len() {
        let c = src[i];
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                out.push(c);
            }
            b'{' | b'[' => {
                let close = if c == b'{' { b'}' } else { b']' };
                if src.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                out.push(c);
                depth += 1;
                nl(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                nl(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                nl(&mut out, depth);
            }
            b':' => {
                out.extend_from_slice(b": ");
            }
            b'\n' | b' ' | b'\t' | b'\r' => {}
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn order_and_meta_range() {
        let v = json!({"status":{"phase":"Running"},"spec":{"b":1,"a":2},"metadata":{"labels":{"x":"y"},"name":"n","namespace":"ns"},"apiVersion":"v1","kind":"Pod"});
        let mut out = Vec::new();
        let r = write_with_meta_range(&mut out, &v, false);
        let s = String::from_utf8(out.clone()).unwrap();
        assert_eq!(
            s,
            r#"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"n","namespace":"ns","labels":{"x":"y"}},"spec":{"a":2,"b":1},"status":{"phase":"Running"}}"#
        );
        assert_eq!(&s[r], r#"{"name":"n","namespace":"ns","labels":{"x":"y"}}"#);
        let p = String::from_utf8(indent(br#"{"a":{},"b":[1,"x,:"]}"#)).unwrap();
        assert_eq!(
            p,
            "{\n  \"a\": {},\n  \"b\": [\n    1,\n    \"x,:\"\n  ]\n}"
        );
    }
}
