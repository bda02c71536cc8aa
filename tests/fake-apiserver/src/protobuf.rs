//! The kube-apiserver's protobuf encoding, for what the fake serves as protobuf: metadata-only
//! lists and objects (`PartialObjectMetadata(List)`) and `Status` errors (recordings 90, 91, 94).
//!
//! Written as Go's generated marshallers write it, so the bytes match the recordings: fields in
//! ascending number, every non-pointer field even when empty (`generateName: ""`,
//! `generation: 0`, an Unknown's empty `contentEncoding`/`contentType`), pointer fields
//! (`deletionTimestamp`, `controller`, a managed field's `time`) only when set, map entries
//! sorted by key with both key and value written.
//!
//! Full objects of the kinds the plugin lists are encoded by [`crate::protobuf_full`]; for other
//! kinds the fake skips the protobuf media type and answers the JSON fallback of the `Accept`
//! header.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

pub(crate) fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

pub(crate) fn string(out: &mut Vec<u8>, field: u32, s: &str) {
    bytes(out, field, s.as_bytes());
}

pub(crate) fn int(out: &mut Vec<u8>, field: u32, v: i64) {
    key(out, field, 0);
    // Go's int64/int32 varints: negative values as their 64-bit two's complement.
    varint(out, v as u64);
}

pub(crate) fn message(out: &mut Vec<u8>, field: u32, write: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    write(&mut inner);
    bytes(out, field, &inner);
}

/// `k8s\0` and a `runtime.Unknown` holding `raw`, an object of `api_version`/`kind`.
pub fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 64);
    out.extend_from_slice(MAGIC);
    message(&mut out, 1, |t| {
        string(t, 1, api_version);
        string(t, 2, kind);
    });
    bytes(&mut out, 2, raw);
    string(&mut out, 3, "");
    string(&mut out, 4, "");
    out
}

/// `ListMeta` of a page.
pub fn list_meta(
    out: &mut Vec<u8>,
    resource_version: &str,
    cont: Option<&str>,
    remaining: Option<i64>,
) {
    string(out, 1, "");
    string(out, 2, resource_version);
    string(out, 3, cont.unwrap_or(""));
    if let Some(r) = remaining {
        int(out, 4, r);
    }
}

/// A list message: `meta` is its encoded ListMeta, each item an encoded object, or with
/// `partial` an encoded ObjectMeta (a `PartialObjectMetadataList`).
pub fn partial_list<'a>(
    meta: &[u8],
    items: impl Iterator<Item = &'a [u8]>,
    partial: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    bytes(&mut out, 1, meta);
    for item in items {
        match partial {
            true => message(&mut out, 2, |o| bytes(o, 1, item)),
            false => bytes(&mut out, 2, item),
        }
    }
    out
}

/// A `PartialObjectMetadata` message: its only field is the encoded ObjectMeta.
pub fn partial_object(object_meta: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(object_meta.len() + 8);
    bytes(&mut out, 1, object_meta);
    out
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ObjectMeta<'a> {
    name: String,
    generate_name: String,
    namespace: String,
    self_link: String,
    uid: String,
    resource_version: String,
    generation: i64,
    creation_timestamp: Option<String>,
    deletion_timestamp: Option<String>,
    deletion_grace_period_seconds: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    owner_references: Option<Vec<OwnerReference>>,
    finalizers: Option<Vec<String>>,
    #[serde(borrow)]
    managed_fields: Option<Vec<ManagedFields<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OwnerReference {
    api_version: String,
    kind: String,
    name: String,
    uid: String,
    controller: Option<bool>,
    block_owner_deletion: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ManagedFields<'a> {
    manager: String,
    operation: String,
    api_version: String,
    time: Option<String>,
    fields_type: String,
    /// Kept as the stored JSON text: protobuf carries it as `FieldsV1.Raw`, those bytes.
    #[serde(borrow, rename = "fieldsV1")]
    fields_v1: Option<&'a RawValue>,
    subresource: String,
}

/// An object's metadata (its stored JSON) as an `ObjectMeta` message.
pub fn object_meta(json: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let m: ObjectMeta = serde_json::from_slice(json)?;
    let mut out = Vec::with_capacity(json.len() / 2);
    string(&mut out, 1, &m.name);
    string(&mut out, 2, &m.generate_name);
    string(&mut out, 3, &m.namespace);
    string(&mut out, 4, &m.self_link);
    string(&mut out, 5, &m.uid);
    string(&mut out, 6, &m.resource_version);
    int(&mut out, 7, m.generation);
    time(&mut out, 8, m.creation_timestamp.as_deref());
    if let Some(t) = m.deletion_timestamp.as_deref() {
        time(&mut out, 9, Some(t));
    }
    if let Some(s) = m.deletion_grace_period_seconds {
        int(&mut out, 10, s);
    }
    for (field, map) in [(11, &m.labels), (12, &m.annotations)] {
        for (k, v) in map.iter().flatten() {
            message(&mut out, field, |e| {
                string(e, 1, k);
                string(e, 2, v);
            });
        }
    }
    for o in m.owner_references.iter().flatten() {
        message(&mut out, 13, |r| {
            string(r, 1, &o.kind);
            string(r, 3, &o.name);
            string(r, 4, &o.uid);
            string(r, 5, &o.api_version);
            if let Some(c) = o.controller {
                int(r, 6, i64::from(c));
            }
            if let Some(b) = o.block_owner_deletion {
                int(r, 7, i64::from(b));
            }
        });
    }
    for f in m.finalizers.iter().flatten() {
        string(&mut out, 14, f);
    }
    for f in m.managed_fields.iter().flatten() {
        message(&mut out, 17, |e| {
            string(e, 1, &f.manager);
            string(e, 2, &f.operation);
            string(e, 3, &f.api_version);
            if let Some(t) = f.time.as_deref() {
                time(e, 4, Some(t));
            }
            string(e, 6, &f.fields_type);
            if let Some(raw) = f.fields_v1 {
                message(e, 7, |v| bytes(v, 1, raw.get().as_bytes()));
            }
            string(e, 8, &f.subresource);
        });
    }
    Ok(out)
}

/// A `metav1.Time` as its `Timestamp` message; an absent time (Go's zero time) is an empty
/// message, as `metav1.Time` marshals it (a pod template's `creationTimestamp`, recording 92).
pub(crate) fn time(out: &mut Vec<u8>, field: u32, rfc3339: Option<&str>) {
    let Some((seconds, nanos)) = rfc3339.and_then(parse_rfc3339) else {
        bytes(out, field, &[]);
        return;
    };
    message(out, field, |t| {
        int(t, 1, seconds);
        int(t, 2, i64::from(nanos));
    });
}

/// `2026-12-01T20:48:44Z` (fractions and offsets allowed) as Unix seconds and nanoseconds.
fn parse_rfc3339(s: &str) -> Option<(i64, i32)> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    let mut nanos = 0i32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut n: i64 = frac[..digits].parse().ok()?;
        for _ in digits..9 {
            n *= 10;
        }
        nanos = i32::try_from(n).ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Details {
    name: String,
    group: String,
    kind: String,
    uid: String,
    causes: Vec<Cause>,
    retry_after_seconds: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cause {
    reason: String,
    message: String,
    field: String,
}

/// A `Status` error in its envelope. `details` is the JSON the fake builds for the JSON form.
pub fn status(
    code: u16,
    reason: &str,
    message_text: &str,
    details_json: Option<&str>,
    cont: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::new();
    message(&mut out, 1, |m| list_meta_continue(m, cont));
    string(&mut out, 2, "Failure");
    string(&mut out, 3, message_text);
    string(&mut out, 4, reason);
    if let Some(d) = details_json.and_then(|d| serde_json::from_str::<Details>(d).ok()) {
        message(&mut out, 5, |o| {
            string(o, 1, &d.name);
            string(o, 2, &d.group);
            string(o, 3, &d.kind);
            for c in &d.causes {
                message(o, 4, |m| {
                    string(m, 1, &c.reason);
                    string(m, 2, &c.message);
                    string(m, 3, &c.field);
                });
            }
            int(o, 5, d.retry_after_seconds);
            string(o, 6, &d.uid);
        });
    }
    int(&mut out, 6, i64::from(code));
    envelope("v1", "Status", &out)
}

fn list_meta_continue(out: &mut Vec<u8>, cont: Option<&str>) {
    string(out, 1, "");
    string(out, 2, "");
    string(out, 3, cont.unwrap_or(""));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_go_writes_them() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_rfc3339("2026-12-01T20:48:44Z"),
            Some((1_796_158_124, 0))
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T21:48:44.5+01:00"),
            Some((1_796_158_124, 500_000_000))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn negative_ints_take_ten_bytes() {
        let mut out = Vec::new();
        int(&mut out, 1, -62_135_596_800);
        assert_eq!(out.len(), 11);
    }
}
