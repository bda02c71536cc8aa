//! Synthetic pods for benchmarks.
use crate::store::Store;
use serde_json::Value;
pub fn synthetic_pod(_i: usize, _n_namespaces: usize, _revisions: usize) -> Value {
    Value::Null
}
pub fn load(_store: &mut Store, _n: usize, _ns: usize, _r: usize) {}
