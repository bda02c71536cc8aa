//! The fields a protobuf message declares, offered to serde under their JSON names, so the slim
//! inventory types read a protobuf object through the same `Deserialize` impls that read its
//! JSON: which annotations, env vars and args matter is decided in one place for both encodings.
//!
//! Strings are borrowed from the received body; a field the JSON would omit (`omitempty` and
//! empty, or a nil pointer) is left out of its map, as the JSON leaves it out.

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};

pub enum Value<'a> {
    Str(&'a str),
    /// A string not yet checked as UTF-8: a pod's annotations are mostly values no check reads
    /// (kilobytes of them), checked only if something reads them.
    Text(&'a [u8]),
    Int(i64),
    Bool(bool),
    Seq(Vec<Value<'a>>),
    Map(Vec<(&'a str, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// A map with the given entries, those that are `None` left out.
    pub fn map<const N: usize>(entries: [(&'a str, Option<Value<'a>>); N]) -> Value<'a> {
        Value::Map(
            entries
                .into_iter()
                .filter_map(|(k, v)| Some((k, v?)))
                .collect(),
        )
    }
}

/// A string field with `omitempty`: absent when empty.
pub fn text(s: &str) -> Option<Value<'_>> {
    (!s.is_empty()).then_some(Value::Str(s))
}

/// An integer field with `omitempty`: absent when zero.
pub fn nonzero<'a>(i: i32) -> Option<Value<'a>> {
    (i != 0).then_some(Value::Int(i64::from(i)))
}

/// A list with `omitempty`: absent when empty.
pub fn seq(items: Vec<Value<'_>>) -> Option<Value<'_>> {
    (!items.is_empty()).then_some(Value::Seq(items))
}

/// A map with `omitempty`: absent when empty.
pub fn entries<'a>(pairs: Vec<(&'a str, Value<'a>)>) -> Option<Value<'a>> {
    (!pairs.is_empty()).then_some(Value::Map(pairs))
}

impl<'de> de::Deserializer<'de> for Value<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Str(s) => visitor.visit_borrowed_str(s),
            Value::Text(b) => match std::str::from_utf8(b) {
                Ok(s) => visitor.visit_borrowed_str(s),
                Err(_) => Err(de::Error::custom("a string that is not UTF-8")),
            },
            Value::Int(i) => visitor.visit_i64(i),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Seq(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter());
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Map(pairs) => {
                let mut map = MapDeserializer::new(pairs.into_iter());
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        // An absent field never reaches here (it is not in its map): what is here is set.
        visitor.visit_some(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
    }
}

impl<'de> IntoDeserializer<'de, Error> for Value<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        name: String,
        #[serde(default)]
        replicas: Option<i64>,
        #[serde(default)]
        items: Vec<String>,
    }

    #[test]
    fn unchecked_text_is_checked_only_when_read() {
        let v = Value::map([
            ("name", Some(Value::Text(b"a"))),
            ("ignored", Some(Value::Text(b"\xff\xfe"))),
        ]);
        assert_eq!(Probe::deserialize(v).unwrap().name, "a");
        let v = Value::map([("name", Some(Value::Text(b"\xff")))]);
        let err = Probe::deserialize(v).unwrap_err().to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn left_out_fields_read_as_json_without_them() {
        let v = Value::map([
            ("name", text("a")),
            ("replicas", nonzero(0)),
            ("items", seq(vec![Value::Str("x")])),
            ("unknown", Some(Value::Bool(true))),
        ]);
        assert_eq!(
            Probe::deserialize(v).unwrap(),
            Probe {
                name: "a".into(),
                replicas: None,
                items: vec!["x".into()],
            }
        );
    }
}
