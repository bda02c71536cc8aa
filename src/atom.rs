//! Interned strings: one copy of each distinct label key, label value, namespace, owner name,
//! image and revision, however many objects carry it.
//!
//! A cluster repeats the same few thousand strings across every pod and workload (`app`,
//! `istio.io/rev`, `1-8-1`, the namespace, the ReplicaSet name its pods share), so holding one
//! `String` of each per object made memory grow with pods × labels. An [`Atom`] is a pointer and
//! a length into a process-wide pool; equal strings share one allocation.
//!
//! The pool only grows: strings are never freed. A run reads one cluster once; `status --watch`
//! adds only strings it has not seen (new ReplicaSet hashes after a rollout), a few per frame.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock, PoisonError};

/// An interned string: one thin pointer to its pool entry (a `u32` length, then the bytes), so an
/// `Atom` is 8 bytes, and `Option<Atom>` too. Interning makes equal strings the same pointer, so
/// equality is a pointer comparison; hashing and ordering read the text.
#[derive(Clone, Copy)]
pub struct Atom(NonNull<u8>);

// SAFETY: an Atom points at bytes that are written once, before the Atom exists, and never
// freed or changed: sharing them between threads is sharing a `&'static str`.
unsafe impl Send for Atom {}
unsafe impl Sync for Atom {}

/// The entry of the empty string, which is never put in the pool.
static EMPTY: [u8; 4] = [0; 4];

/// Reading pages on several threads at once: a few shards keep them from queueing on one lock.
const SHARDS: usize = 16;

/// foldhash, not std's SipHash: every label, annotation and name of every object read is looked
/// up here, and SipHash's resistance to chosen keys buys nothing in a table the process fills
/// from one cluster's own strings (the seed is still random per process).
type Shard = Mutex<HashSet<Atom, foldhash::fast::RandomState>>;

fn pool() -> &'static [Shard; SHARDS] {
    static POOL: OnceLock<[Shard; SHARDS]> = OnceLock::new();
    POOL.get_or_init(|| std::array::from_fn(|_| Mutex::new(HashSet::default())))
}

fn shard(s: &str) -> usize {
    // FNV-1a over a few bytes: cheap, and the shard only spreads lock contention.
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes().take(16).chain(s.bytes().rev().take(8)) {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize % SHARDS
}

impl Atom {
    /// The pool's copy of `s`, made on first sight.
    pub fn new(s: &str) -> Atom {
        if s.is_empty() {
            return Atom::default();
        }
        let mut set = pool()[shard(s)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(&found) = set.get(s) {
            return found;
        }
        let len = u32::try_from(s.len()).expect("a label or name shorter than 4 GiB");
        let mut entry = Vec::with_capacity(4 + s.len());
        entry.extend_from_slice(&len.to_le_bytes());
        entry.extend_from_slice(s.as_bytes());
        let leaked: &'static mut [u8] = Box::leak(entry.into_boxed_slice());
        let atom = Atom(NonNull::from(leaked).cast());
        set.insert(atom);
        atom
    }

    pub fn as_str(&self) -> &'static str {
        let p = self.0.as_ptr();
        // SAFETY: `p` is EMPTY or an entry leaked by `new`: four length bytes, then that many
        // bytes copied from a `&str`, never freed or written again.
        unsafe {
            let len = u32::from_le_bytes(*p.cast::<[u8; 4]>()) as usize;
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.add(4), len))
        }
    }
}

impl Default for Atom {
    fn default() -> Atom {
        Atom(NonNull::from(&EMPTY).cast())
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        // One entry per distinct string, and the empty string has only EMPTY.
        self.0 == other.0
    }
}

impl Eq for Atom {}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Atom) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Atom {
    /// As its text, so a pool keyed by Atoms can be searched with a `&str`.
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Atom {
        Atom::new(s)
    }
}

impl From<String> for Atom {
    fn from(s: String) -> Atom {
        Atom::new(&s)
    }
}

impl From<&String> for Atom {
    fn from(s: &String) -> Atom {
        Atom::new(s)
    }
}

impl From<Atom> for String {
    fn from(a: Atom) -> String {
        a.as_str().to_string()
    }
}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Atom {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Atom> for &str {
    fn eq(&self, other: &Atom) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Atom> for str {
    fn eq(&self, other: &Atom) -> bool {
        self == other.as_str()
    }
}

impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Atom, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Atom;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Atom, E> {
                Ok(Atom::new(v))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy() {
        let a = Atom::new("istio.io/rev");
        let b = Atom::from(String::from("istio.io/rev"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "one allocation");
        assert_ne!(a, Atom::new("istio.io/rev2"));
        assert_eq!(a, "istio.io/rev");
        assert_eq!(Atom::new(""), Atom::default());
        assert_eq!(Atom::default().as_str(), "");
        assert_eq!(std::mem::size_of::<Option<Atom>>(), 8, "thin, with a niche");
    }

    #[test]
    fn orders_and_reads_as_its_text() {
        let mut v = vec![Atom::new("b"), Atom::new("a"), Atom::new("c")];
        v.sort();
        assert_eq!(v, ["a", "b", "c"]);
        let parsed: Vec<Atom> = serde_json::from_str(r#"["x","y","x"]"#).unwrap();
        assert!(std::ptr::eq(parsed[0].as_str(), parsed[2].as_str()));
        assert_eq!(serde_json::to_string(&parsed).unwrap(), r#"["x","y","x"]"#);
        let err = serde_json::from_str::<Atom>("3").unwrap_err().to_string();
        assert!(err.contains("a string"), "{err}");
    }
}
