//! Writes: create (POST), update (PUT), patches (JSON merge, strategic merge, JSON patch,
//! server-side apply) and delete, with managedFields bookkeeping.
//!
//! Field ownership is tracked as sets of leaf paths in fieldsV1 notation (`f:spec`, `f:replicas`,
//! `k:{"name":"discovery"}`), with associative lists keyed like the real server for the common
//! lists (containers/env/volumes/ports/…); everything else is atomic.

use crate::resources::{RESOURCES, ResourceType};
use crate::server::{Ctx, ResourceReq, Shared};
use crate::status::{ApiError, details};
use crate::store::Store;
use crate::{defaults, json, util};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

type Path = Vec<String>;
type Res = Result<(u16, Vec<u8>), ApiError>;

// ---------- associative list keys ----------

fn list_keys(field: &str, parent_field: &str) -> Option<&'static [&'static str]> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "webhooks"
        | "resizePolicy"
            if field != "resizePolicy" =>
        {
            &["name"]
        }
        "resizePolicy" => &["resourceName"],
        "volumeMounts" => &["mountPath"],
        "ports" if parent_field == "spec" => &["port", "protocol"],
        "ports" => &["containerPort", "protocol"],
        "ownerReferences" => &["uid"],
        "conditions" => &["type"],
        _ => return None,
    })
}

fn item_key(item: &Value, keys: &[&str]) -> Option<String> {
    let mut m = Map::new();
    for k in keys {
        let v = match (&item[*k], *k) {
            (Value::Null, "protocol") => json!("TCP"),
            (Value::Null, _) => return None,
            (v, _) => v.clone(),
        };
        m.insert(k.to_string(), v);
    }
    // keys in alphabetical order, compact (like structured-merge-diff)
    Some(format!(
        "k:{}",
        String::from_utf8(json::to_vec(&Value::Object(m), true)).ok()?
    ))
}

/// Leaf paths of a value. `skip_meta`: only labels/annotations/ownerReferences/finalizers of
/// top-level metadata are tracked.
fn leaf_paths(v: &Value, out: &mut BTreeSet<Path>, skip_status: bool) {
    let Value::Object(m) = v else { return };
    for (k, child) in m {
        match k.as_str() {
            "kind" | "apiVersion" => continue,
            "status" if skip_status => continue,
            "metadata" => {
                for mk in ["labels", "annotations", "ownerReferences", "finalizers"] {
                    if let Some(c) = child.get(mk) {
                        walk(
                            c,
                            vec!["f:metadata".into(), format!("f:{mk}")],
                            mk,
                            "metadata",
                            out,
                        );
                    }
                }
                continue;
            }
            _ => {}
        }
        walk(child, vec![format!("f:{k}")], k, "", out);
    }
}

fn walk(v: &Value, path: Path, field: &str, parent: &str, out: &mut BTreeSet<Path>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                walk(c, p, k, field, out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            match list_keys(field, parent) {
                Some(keys) if a.iter().all(|i| item_key(i, keys).is_some()) => {
                    for it in a {
                        let mut p = path.clone();
                        p.push(item_key(it, keys).expect("key"));
                        out.insert(p.clone()); // the item itself (".")
                        walk(it, p, "", field, out);
                    }
                }
                _ => {
                    out.insert(path);
                }
            }
        }
        _ => {
            out.insert(path);
        }
    }
}

fn fields_v1(paths: &BTreeSet<Path>, item_dots: bool) -> Value {
    let mut root = Map::new();
    for p in paths {
        let mut cur = &mut root;
        for (i, seg) in p.iter().enumerate() {
            let e = cur.entry(seg.clone()).or_insert_with(|| json!({}));
            cur = e.as_object_mut().expect("obj");
            if i == p.len() - 1 && item_dots && seg.starts_with("k:") {
                // list items get an explicit "." like the real server
            }
        }
    }
    // add "." where a path is both a leaf and an interior node
    fn dots(m: &mut Map<String, Value>, paths: &BTreeSet<Path>, prefix: &mut Path) {
        let keys: Vec<String> = m.keys().cloned().collect();
        for k in keys {
            prefix.push(k.clone());
            let child = m.get_mut(&k).and_then(Value::as_object_mut).expect("obj");
            if !child.is_empty() && paths.contains(prefix) {
                child.insert(".".into(), json!({}));
            }
            if k != "." {
                dots(child, paths, prefix);
            }
            prefix.pop();
        }
    }
    dots(&mut root, paths, &mut Vec::new());
    Value::Object(root)
}

fn parse_fields_v1(v: &Value, prefix: &mut Path, out: &mut BTreeSet<Path>) {
    let Value::Object(m) = v else { return };
    if m.is_empty() && !prefix.is_empty() {
        out.insert(prefix.clone());
        return;
    }
    for (k, c) in m {
        if k == "." {
            out.insert(prefix.clone());
            continue;
        }
        prefix.push(k.clone());
        parse_fields_v1(c, prefix, out);
        prefix.pop();
    }
}

fn value_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        if let Some(f) = seg.strip_prefix("f:") {
            cur = cur.as_object()?.get(f)?;
        } else if let Some(k) = seg.strip_prefix("k:") {
            let want: Value = serde_json::from_str(k).ok()?;
            let keys: Vec<&str> = want.as_object()?.keys().map(String::as_str).collect();
            cur = cur
                .as_array()?
                .iter()
                .find(|it| item_key(it, &keys).as_deref() == Some(seg.as_str()))?;
        } else {
            return None;
        }
    }
    Some(cur)
}

fn remove_at(v: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for seg in parent {
        let next = if let Some(f) = seg.strip_prefix("f:") {
            cur.as_object_mut().and_then(|m| m.get_mut(f))
        } else if let Some(k) = seg.strip_prefix("k:") {
            let Ok(want) = serde_json::from_str::<Value>(k) else {
                return;
            };
            let keys: Vec<String> = want
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|it| item_key(it, &keys).as_deref() == Some(seg.as_str()))
            })
        } else {
            None
        };
        let Some(n) = next else { return };
        cur = n;
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:")
        && let Some(a) = cur.as_array_mut()
    {
        let Ok(want) = serde_json::from_str::<Value>(k) else {
            return;
        };
        let keys: Vec<String> = want
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        a.retain(|it| item_key(it, &keys).as_deref() != Some(last.as_str()));
    }
}

/// `.spec.template.spec.containers[name="discovery"].image`
fn display_path(p: &Path) -> String {
    let mut s = String::new();
    for seg in p {
        if let Some(f) = seg.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = seg.strip_prefix("k:") {
            let v: Value = serde_json::from_str(k).unwrap_or(Value::Null);
            let parts: Vec<String> = v
                .as_object()
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect())
                .unwrap_or_default();
            s.push_str(&format!("[{}]", parts.join(",")));
        }
    }
    s
}

fn related(a: &Path, b: &Path) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

// ---------- managedFields ----------

#[derive(Clone, Debug)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    subresource: Option<String>,
    set: BTreeSet<Path>,
}

fn read_entries(v: &Value) -> Vec<Entry> {
    v["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let mut set = BTreeSet::new();
            parse_fields_v1(&e["fieldsV1"], &mut Vec::new(), &mut set);
            Entry {
                manager: e["manager"].as_str().unwrap_or("").into(),
                operation: e["operation"].as_str().unwrap_or("Update").into(),
                api_version: e["apiVersion"].as_str().unwrap_or("").into(),
                time: e["time"].as_str().unwrap_or("").into(),
                subresource: e["subresource"].as_str().map(str::to_string),
                set,
            }
        })
        .collect()
}

fn write_entries(v: &mut Value, entries: &[Entry]) {
    // the real server's order: operation, then time, manager, apiVersion, subresource
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (
            &a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                &b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    let arr: Vec<Value> = sorted
        .into_iter()
        .filter(|e| !e.set.is_empty())
        .map(|e| {
            let mut m = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(&e.set, true),
            });
            if let Some(s) = &e.subresource {
                m["subresource"] = json!(s);
            }
            m
        })
        .collect();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        if arr.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(arr));
        }
    }
}

/// Adds a managedFields entry owning all fields (for loaded objects without managedFields).
pub fn synthesize_managed_fields(v: &mut Value, res: &ResourceType) {
    let mut set = BTreeSet::new();
    leaf_paths(v, &mut set, true);
    let e = Entry {
        manager: "kubectl-create".into(),
        operation: "Update".into(),
        api_version: res.api_version(),
        time: v["metadata"]["creationTimestamp"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(util::now_rfc3339),
        subresource: None,
        set,
    };
    write_entries(v, &[e]);
}

/// Records an Update by `manager`: it takes the changed leaf paths from everyone else.
fn record_update(
    res: &ResourceType,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    sub: Option<&str>,
) {
    let mut entries = old.map(read_entries).unwrap_or_default();
    let mut new_paths = BTreeSet::new();
    leaf_paths(new, &mut new_paths, sub != Some("status"));
    let changed: BTreeSet<Path> = new_paths
        .iter()
        .filter(|p| {
            if sub == Some("status") && p.first().map(String::as_str) != Some("f:status") {
                return false;
            }
            old.and_then(|o| value_at(o, p)) != value_at(new, p)
        })
        .cloned()
        .collect();
    for e in entries.iter_mut() {
        e.set
            .retain(|p| value_at(new, p).is_some() && !changed.contains(p));
    }
    if !changed.is_empty() {
        let now = util::now_rfc3339();
        match entries.iter_mut().find(|e| {
            e.manager == manager && e.operation == "Update" && e.subresource.as_deref() == sub
        }) {
            Some(e) => {
                e.set.extend(changed);
                e.time = now;
            }
            None => entries.push(Entry {
                manager: manager.into(),
                operation: "Update".into(),
                api_version: res.api_version(),
                time: now,
                subresource: sub.map(str::to_string),
                set: changed,
            }),
        }
    }
    write_entries(new, &entries);
}

// ---------- merging ----------

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            let t = target.as_object_mut().expect("obj");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Strategic merge patch (subset): maps merge, `null` deletes, lists with a known merge key
/// (containers/env/volumes/ports/… by name) merge by key (`$patch: delete` removes an item),
/// `$setElementOrder`/`$retainKeys` directives are ignored, other lists are replaced.
pub fn strategic_merge(target: &mut Value, patch: &Value, field: &str, parent: &str) {
    match (target, patch) {
        (t @ Value::Object(_), Value::Object(p)) => {
            let tm = t.as_object_mut().expect("obj");
            for (k, v) in p {
                if k.starts_with("$setElementOrder/") || k == "$retainKeys" || k == "$patch" {
                    continue;
                }
                if v.is_null() {
                    tm.remove(k);
                    continue;
                }
                match tm.get_mut(k) {
                    Some(existing) => strategic_merge(existing, v, k, field),
                    None => {
                        let mut clean = v.clone();
                        strip_directives(&mut clean);
                        tm.insert(k.clone(), clean);
                    }
                }
            }
        }
        (Value::Array(ta), Value::Array(pa)) if list_keys(field, parent).is_some() => {
            let keys = list_keys(field, parent).expect("keys");
            for item in pa {
                let Some(key) = item_key(item, keys) else {
                    ta.push(item.clone());
                    continue;
                };
                let pos = ta
                    .iter()
                    .position(|t| item_key(t, keys).as_deref() == Some(&key));
                if item["$patch"] == "delete" {
                    if let Some(i) = pos {
                        ta.remove(i);
                    }
                    continue;
                }
                match pos {
                    Some(i) => strategic_merge(&mut ta[i], item, "", field),
                    None => {
                        let mut clean = item.clone();
                        strip_directives(&mut clean);
                        ta.push(clean);
                    }
                }
            }
        }
        (t, p) => {
            let mut clean = p.clone();
            strip_directives(&mut clean);
            *t = clean;
        }
    }
}

fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            for c in m.values_mut() {
                strip_directives(c);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

/// Merges an applied configuration into the live object (maps recursive, associative lists
/// by key, everything else replaced).
fn apply_merge(target: &mut Value, applied: &Value, field: &str, parent: &str) {
    match (target, applied) {
        (t @ Value::Object(_), Value::Object(p)) => {
            let tm = t.as_object_mut().expect("obj");
            for (k, v) in p {
                match tm.get_mut(k) {
                    Some(e) if !v.is_null() => apply_merge(e, v, k, field),
                    _ => {
                        tm.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(ta), Value::Array(pa)) if list_keys(field, parent).is_some() => {
            let keys = list_keys(field, parent).expect("keys");
            for item in pa {
                match item_key(item, keys).and_then(|k| {
                    ta.iter()
                        .position(|t| item_key(t, keys).as_deref() == Some(&k))
                }) {
                    Some(i) => apply_merge(&mut ta[i], item, "", field),
                    None => ta.push(item.clone()),
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// RFC 6902 JSON patch. Errors map to 422 (failed test) or 500-ish messages.
fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("patch is not an array")?;
    for op in ops {
        let kind = op["op"].as_str().ok_or("missing op")?;
        let path = op["path"].as_str().ok_or("missing path")?;
        match kind {
            "test" => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err("test failed".into());
                }
            }
            "remove" => {
                remove_ptr(doc, path).ok_or_else(|| format!("remove: path {path} not found"))?;
            }
            "add" | "replace" => {
                if kind == "replace" && doc.pointer(path).is_none() {
                    return Err(format!(
                        "replace operation does not apply: doc is missing key: {path}"
                    ));
                }
                add_ptr(doc, path, op["value"].clone(), kind == "replace")?;
            }
            "move" | "copy" => {
                let from = op["from"].as_str().ok_or("missing from")?;
                let v = doc.pointer(from).cloned().ok_or("from not found")?;
                if kind == "move" {
                    remove_ptr(doc, from);
                }
                add_ptr(doc, path, v, false)?;
            }
            other => return Err(format!("unexpected kind: {other}")),
        }
    }
    Ok(())
}

fn split_ptr(path: &str) -> Option<(String, String)> {
    let i = path.rfind('/')?;
    let last = path[i + 1..].replace("~1", "/").replace("~0", "~");
    Some((path[..i].to_string(), last))
}

fn remove_ptr(doc: &mut Value, path: &str) -> Option<Value> {
    let (parent, last) = split_ptr(path)?;
    match doc.pointer_mut(&parent)? {
        Value::Object(m) => m.remove(&last),
        Value::Array(a) => {
            let i: usize = last.parse().ok()?;
            (i < a.len()).then(|| a.remove(i))
        }
        _ => None,
    }
}

fn add_ptr(doc: &mut Value, path: &str, v: Value, replace: bool) -> Result<(), String> {
    if path.is_empty() {
        *doc = v;
        return Ok(());
    }
    let (parent, last) = split_ptr(path).ok_or("bad path")?;
    match doc.pointer_mut(&parent) {
        Some(Value::Object(m)) => {
            m.insert(last, v);
            Ok(())
        }
        Some(Value::Array(a)) => {
            if last == "-" {
                a.push(v);
                return Ok(());
            }
            let i: usize = last.parse().map_err(|_| "bad index")?;
            if replace && i < a.len() {
                a[i] = v;
            } else if i <= a.len() {
                a.insert(i, v);
            } else {
                return Err("index out of range".into());
            }
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: {path}"
        )),
    }
}

// ---------- helpers ----------

fn parse_body(ctx: &Ctx, yaml_ok: bool) -> Result<Value, ApiError> {
    let ct = ctx.header("content-type").unwrap_or("application/json");
    let text = std::str::from_utf8(&ctx.body)
        .map_err(|_| ApiError::bad_request("the body is not valid UTF-8"))?;
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') || !(yaml_ok || ct.contains("yaml")) {
        serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
    } else {
        serde_saphyr::from_str::<Value>(text)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
    }
}

fn object_name(r: &ResourceReq) -> &str {
    r.name.as_deref().unwrap_or("")
}

fn ns_of(r: &ResourceReq) -> &str {
    r.ns.as_deref().unwrap_or("")
}

fn encode_full(res: &ResourceType, v: &Value) -> Vec<u8> {
    let mut v = v.clone();
    v["kind"] = json!(res.kind);
    v["apiVersion"] = json!(res.api_version());
    json::to_vec(&v, res.crd)
}

fn has_status_subresource(res: &ResourceType) -> bool {
    !matches!(
        res.plural,
        "configmaps" | "mutatingwebhookconfigurations" | "validatingwebhookconfigurations"
    )
}

fn spec_like(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
    }
    c
}

fn without_mf(v: &Value) -> Value {
    let mut c = v.clone();
    if let Some(m) = c["metadata"].as_object_mut() {
        m.remove("managedFields");
        m.remove("resourceVersion");
    }
    c
}

/// Restores server-owned metadata, bumps generation/resourceVersion as the server does and
/// stores (unless dry-run). Returns the object to send.
fn finalize_write(
    store: &mut Store,
    res_idx: usize,
    old: &Value,
    mut new: Value,
    dry_run: bool,
) -> Value {
    let res = &RESOURCES[res_idx];
    for k in [
        "uid",
        "creationTimestamp",
        "name",
        "namespace",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "resourceVersion",
    ] {
        match old["metadata"].get(k) {
            Some(v) => new["metadata"][k] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(k);
                }
            }
        }
    }
    defaults::apply(res, &mut new, false);
    if without_mf(&new) == without_mf(old)
        && new["metadata"]["managedFields"] == old["metadata"]["managedFields"]
    {
        return new; // no-op: nothing stored, resourceVersion unchanged
    }
    if res.generation && spec_like(&new) != spec_like(old) {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(1);
        new["metadata"]["generation"] = json!(g + 1);
    }
    if !dry_run {
        let rv = store.next_rv();
        new["metadata"]["resourceVersion"] = json!(rv.to_string());
        store.put(res_idx, &new);
    }
    new
}

fn check_namespace(store: &Store, res: &ResourceType, ns: &str) -> Result<(), ApiError> {
    if res.namespaced && store.get(0, "", ns).is_none() {
        return Err(ApiError::not_found(&RESOURCES[0], ns));
    }
    Ok(())
}

fn create_object(
    sh: &Shared,
    ctx: &Ctx,
    r: &ResourceReq,
    mut v: Value,
    manager: &str,
    apply_set: Option<BTreeSet<Path>>,
) -> Res {
    let res = &RESOURCES[r.res];
    if !v.is_object() {
        return Err(ApiError::bad_request("the body must be an object"));
    }
    let meta = v
        .as_object_mut()
        .expect("obj")
        .entry("metadata")
        .or_insert_with(|| json!({}));
    if meta["name"].as_str().is_none_or(str::is_empty)
        && let Some(g) = meta["generateName"].as_str()
    {
        let suffix: String = util::uuid().replace('-', "").chars().take(5).collect();
        meta["name"] = json!(format!("{g}{suffix}"));
    }
    if res.namespaced {
        if let Some(bns) = meta["namespace"].as_str()
            && bns != ns_of(r)
        {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        meta["namespace"] = json!(ns_of(r));
    }
    let causes = defaults::validate(res, &v);
    if !causes.is_empty() {
        let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
        return Err(ApiError::invalid(res, &name, &causes));
    }
    let name = v["metadata"]["name"].as_str().unwrap_or("").to_string();
    let mut store = sh.store.write().expect("store");
    check_namespace(&store, res, ns_of(r))?;
    if store.get(r.res, ns_of(r), &name).is_some() {
        return Err(ApiError::already_exists(res, &name));
    }
    for k in [
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "generation",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        if let Some(m) = v["metadata"].as_object_mut() {
            m.remove(k);
        }
    }
    v["kind"] = json!(res.kind);
    v["apiVersion"] = json!(res.api_version());
    defaults::apply(res, &mut v, true);
    let rv = if ctx.dry_run() {
        store.rv
    } else {
        store.next_rv()
    };
    crate::store::assign_metadata(&mut v, res, rv, false);
    match apply_set {
        Some(set) => write_entries(
            &mut v,
            &[Entry {
                manager: manager.into(),
                operation: "Apply".into(),
                api_version: res.api_version(),
                time: util::now_rfc3339(),
                subresource: None,
                set,
            }],
        ),
        None => record_update(res, None, &mut v, manager, None),
    }
    if !ctx.dry_run() {
        store.put(r.res, &v);
    }
    Ok((201, encode_full(res, &v)))
}

// ---------- verbs ----------

pub fn create(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Res {
    let v = parse_body(ctx, true)?;
    create_object(sh, ctx, r, v, &ctx.manager(), None)
}

pub fn update(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Res {
    let res = &RESOURCES[r.res];
    let mut body = parse_body(ctx, true)?;
    let name = object_name(r).to_string();
    let mut store = sh.store.write().expect("store");
    let old = store
        .get(r.res, ns_of(r), &name)
        .map(|o| o.to_value(res))
        .ok_or_else(|| ApiError::not_found(res, &name))?;
    if let Some(rv) = body["metadata"]["resourceVersion"].as_str()
        && !rv.is_empty()
        && Some(rv) != old["metadata"]["resourceVersion"].as_str()
    {
        return Err(ApiError::conflict(res, &name));
    }
    match r.sub.as_deref() {
        Some("finalize") if res.plural == "namespaces" => {
            let mut new = old.clone();
            new["spec"]["finalizers"] = body["spec"]["finalizers"].clone();
            if new["spec"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                if let Some(s) = new["spec"].as_object_mut() {
                    s.remove("finalizers");
                }
                if new["metadata"]["deletionTimestamp"].is_string() && !ctx.dry_run() {
                    remove_namespace(&mut store, &name);
                    return Ok((200, encode_full(res, &new)));
                }
            }
            let out = finalize_write(&mut store, r.res, &old, new, ctx.dry_run());
            return Ok((200, encode_full(res, &out)));
        }
        Some("status") => {
            let mut new = old.clone();
            new["status"] = body["status"].take();
            record_update(res, Some(&old), &mut new, &ctx.manager(), Some("status"));
            let out = finalize_write(&mut store, r.res, &old, new, ctx.dry_run());
            return Ok((200, encode_full(res, &out)));
        }
        Some(_) => return Err(ApiError::unknown_resource()),
        None => {}
    }
    if has_status_subresource(res) {
        body["status"] = old["status"].clone();
        if body["status"].is_null()
            && let Some(m) = body.as_object_mut()
        {
            m.remove("status");
        }
    }
    if let Some(m) = body["metadata"].as_object_mut() {
        m.remove("managedFields");
    }
    body["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    defaults::apply(res, &mut body, false);
    let causes = defaults::validate(res, &body);
    if !causes.is_empty() {
        return Err(ApiError::invalid(res, &name, &causes));
    }
    record_update(res, Some(&old), &mut body, &ctx.manager(), None);
    let out = finalize_write(&mut store, r.res, &old, body, ctx.dry_run());
    Ok((200, encode_full(res, &out)))
}

fn remove_namespace(store: &mut Store, name: &str) {
    store.tables[0].remove(&(String::new(), name.to_string()));
    for (i, t) in store.tables.iter_mut().enumerate() {
        if RESOURCES[i].namespaced {
            t.retain(|(ns, _), _| ns != name);
        }
    }
    store.next_rv();
}

pub fn patch(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Res {
    let res = &RESOURCES[r.res];
    let ct = ctx
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if ct == "application/apply-patch+yaml" {
        return apply(sh, ctx, r);
    }
    match ct.as_str() {
        "application/json-patch+json" | "application/merge-patch+json" => {}
        "application/strategic-merge-patch+json" if !res.crd => {}
        _ => return Err(ApiError::unsupported_patch(res.crd)),
    }
    if let Some(s) = r.sub.as_deref()
        && s != "status"
    {
        return Err(ApiError::unknown_resource());
    }
    let patch = parse_body(ctx, false)?;
    let name = object_name(r).to_string();
    let mut store = sh.store.write().expect("store");
    let old = store
        .get(r.res, ns_of(r), &name)
        .map(|o| o.to_value(res))
        .ok_or_else(|| ApiError::not_found(res, &name))?;
    let mut new = old.clone();
    match ct.as_str() {
        "application/json-patch+json" => {
            if let Err(e) = json_patch(&mut new, &patch) {
                if e == "test failed" {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        "the server rejected our request due to an error in our request",
                    )
                    .with_details("{}".into()));
                }
                return Err(ApiError::internal(&e));
            }
        }
        "application/merge-patch+json" => merge_patch(&mut new, &patch),
        _ => strategic_merge(&mut new, &patch, "", ""),
    }
    if let Some(rv) = patch["metadata"]["resourceVersion"].as_str()
        && Some(rv) != old["metadata"]["resourceVersion"].as_str()
    {
        return Err(ApiError::conflict(res, &name));
    }
    let sub = r.sub.as_deref();
    if sub == Some("status") {
        let st = new["status"].take();
        new = old.clone();
        new["status"] = st;
    } else if has_status_subresource(res) {
        new["status"] = old["status"].clone();
        if new["status"].is_null()
            && let Some(m) = new.as_object_mut()
        {
            m.remove("status");
        }
    }
    new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    let causes = defaults::validate(res, &new);
    if !causes.is_empty() {
        return Err(ApiError::invalid(res, &name, &causes));
    }
    record_update(res, Some(&old), &mut new, &ctx.manager(), sub);
    let out = finalize_write(&mut store, r.res, &old, new, ctx.dry_run());
    Ok((200, encode_full(res, &out)))
}

/// Server-side apply.
fn apply(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Res {
    let res = &RESOURCES[r.res];
    let manager = match ctx.q("fieldManager") {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => {
            return Err(ApiError::bad_request(
                "PATCH requests of the apply type (application/apply-patch+yaml) require a fieldManager",
            ));
        }
    };
    let force = ctx.q("force") == Some("true");
    let applied = parse_body(ctx, true)?;
    if !applied.is_object() {
        return Err(ApiError::bad_request(
            "the applied configuration must be an object",
        ));
    }
    let name = object_name(r).to_string();
    if let Some(n) = applied["metadata"]["name"].as_str()
        && n != name
    {
        return Err(ApiError::bad_request(
            "the name of the object (".to_string()
                + n
                + ") does not match the name on the URL ("
                + &name
                + ")",
        ));
    }
    let mut applied_set = BTreeSet::new();
    leaf_paths(
        &applied,
        &mut applied_set,
        r.sub.as_deref() != Some("status"),
    );
    let old = {
        let store = sh.store.read().expect("store");
        store.get(r.res, ns_of(r), &name).map(|o| o.to_value(res))
    };
    let Some(old) = old else {
        let mut v = applied.clone();
        v["metadata"]["name"] = json!(name);
        return create_object(sh, ctx, r, v, &manager, Some(applied_set));
    };
    let mut entries = read_entries(&old);
    // conflicts: another manager owns a related path whose value would change
    // (manager, path, the manager as the real server prints it)
    let mut conflicts: Vec<(String, Path, String)> = Vec::new();
    for p in &applied_set {
        let changes = value_at(&applied, p) != value_at(&old, p)
            && !(value_at(&old, p).is_none()
                && value_at(&applied, p).is_some_and(|v| v.is_object() || v.is_array()));
        if !changes {
            continue;
        }
        for e in &entries {
            if e.manager == manager {
                continue;
            }
            if let Some(op) = e.set.iter().find(|op| related(op, p)) {
                let shown = if op.len() < p.len() {
                    op.clone()
                } else {
                    p.clone()
                };
                if !conflicts
                    .iter()
                    .any(|(m, q, _)| *m == e.manager && *q == shown)
                {
                    conflicts.push((e.manager.clone(), shown, printed_manager(e)));
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(&conflicts));
    }
    // build the new object
    let mut new = old.clone();
    let prev: BTreeSet<Path> = entries
        .iter()
        .filter(|e| e.manager == manager && e.operation == "Apply")
        .flat_map(|e| e.set.iter().cloned())
        .collect();
    for p in prev.difference(&applied_set) {
        let owned_by_other = entries
            .iter()
            .any(|e| e.manager != manager && e.set.contains(p));
        if !owned_by_other {
            remove_at(&mut new, p);
        }
    }
    let mut cfg = applied.clone();
    if let Some(m) = cfg.as_object_mut() {
        m.remove("kind");
        m.remove("apiVersion");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "labels" | "annotations" | "ownerReferences" | "finalizers"
                )
            });
        }
        if r.sub.as_deref() != Some("status") && has_status_subresource(res) {
            m.remove("status");
        }
    }
    apply_merge(&mut new, &cfg, "", "");
    // ownership
    let now = util::now_rfc3339();
    for e in entries.iter_mut() {
        if e.manager != manager {
            e.set.retain(|op| {
                !conflicts
                    .iter()
                    .any(|(m, q, _)| *m == e.manager && related(q, op))
            });
        }
    }
    match entries.iter_mut().find(|e| {
        e.manager == manager
            && e.operation == "Apply"
            && e.subresource.as_deref() == r.sub.as_deref()
    }) {
        Some(e) => {
            if e.set != applied_set {
                e.time = now;
            }
            e.set = applied_set;
        }
        None => entries.push(Entry {
            manager: manager.clone(),
            operation: "Apply".into(),
            api_version: res.api_version(),
            time: now,
            subresource: r.sub.clone(),
            set: applied_set,
        }),
    }
    write_entries(&mut new, &entries);
    let mut store = sh.store.write().expect("store");
    let out = finalize_write(&mut store, r.res, &old, new, ctx.dry_run());
    Ok((200, encode_full(res, &out)))
}

/// A manager as apiserver's `printManager` names it in conflicts: appliers by name, updaters
/// with the API version they wrote through (`"kubectl-edit" using apps/v1`), a subresource
/// after the name.
fn printed_manager(e: &Entry) -> String {
    let mut out = serde_json::to_string(&e.manager).unwrap_or_default();
    if let Some(sub) = &e.subresource {
        out.push_str(&format!(
            " with subresource {}",
            serde_json::to_string(sub).unwrap_or_default()
        ));
    }
    if e.operation == "Update" {
        out.push_str(&format!(" using {}", e.api_version));
    }
    out
}

/// The 409 of a conflicting apply: one `FieldManagerConflict` cause per field, and the
/// message apiserver's `getConflictMessage` builds (managers sorted, their fields listed).
fn conflict_error(conflicts: &[(String, Path, String)]) -> ApiError {
    let n = conflicts.len();
    let text = if n == 1 {
        format!(
            "conflict with {}: {}",
            conflicts[0].2,
            display_path(&conflicts[0].1)
        )
    } else {
        let mut managers: Vec<&String> = conflicts.iter().map(|(_, _, m)| m).collect();
        managers.sort();
        managers.dedup();
        managers
            .iter()
            .map(|m| {
                let ps: Vec<String> = conflicts
                    .iter()
                    .filter(|(_, _, mm)| mm == *m)
                    .map(|(_, p, _)| format!("- {}", display_path(p)))
                    .collect();
                format!("conflicts with {m}:\n{}", ps.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let msg = format!(
        "Apply failed with {n} conflict{}: {text}",
        if n == 1 { "" } else { "s" }
    );
    let causes: Vec<(String, String)> = conflicts
        .iter()
        .map(|(_, p, m)| (format!("conflict with {m}"), display_path(p)))
        .collect();
    let cs: Vec<(&str, &str, &str)> = causes
        .iter()
        .map(|(m, f)| ("FieldManagerConflict", m.as_str(), f.as_str()))
        .collect();
    ApiError::new(409, "Conflict", msg).with_details(details(None, None, None, None, &cs, None))
}

pub fn delete(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Res {
    let res = &RESOURCES[r.res];
    let name = object_name(r).to_string();
    let opts: Value = if ctx.body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&ctx.body).unwrap_or(json!({}))
    };
    let dry = ctx.dry_run()
        || opts["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"));
    let mut store = sh.store.write().expect("store");
    let old = store
        .get(r.res, ns_of(r), &name)
        .map(|o| o.to_value(res))
        .ok_or_else(|| ApiError::not_found(res, &name))?;
    if let Some(uid) = opts["preconditions"]["uid"].as_str()
        && Some(uid) != old["metadata"]["uid"].as_str()
    {
        return Err(ApiError::conflict(res, &name));
    }
    let key = (ns_of(r).to_string(), name.clone());
    match res.plural {
        "pods" => {
            let phase = old["status"]["phase"].as_str().unwrap_or("");
            let scheduled = old["spec"]["nodeName"]
                .as_str()
                .is_some_and(|n| !n.is_empty());
            let terminated = phase == "Succeeded" || phase == "Failed";
            let grace = opts["gracePeriodSeconds"]
                .as_i64()
                .or_else(|| old["spec"]["terminationGracePeriodSeconds"].as_i64())
                .unwrap_or(30);
            let mut new = old.clone();
            if scheduled && !terminated && grace > 0 {
                if new["metadata"]["deletionTimestamp"].is_null() {
                    new["metadata"]["deletionTimestamp"] = json!(util::rfc3339_after(grace as u64));
                    new["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
                } else {
                    return Ok((200, encode_full(res, &old)));
                }
                if !dry {
                    let rv = store.next_rv();
                    new["metadata"]["resourceVersion"] = json!(rv.to_string());
                    store.put(r.res, &new);
                }
                return Ok((200, encode_full(res, &new)));
            }
            new["metadata"]["deletionTimestamp"] = json!(util::now_rfc3339());
            new["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            if !dry {
                let rv = store.next_rv();
                new["metadata"]["resourceVersion"] = json!(rv.to_string());
                store.tables[r.res].remove(&key);
            }
            Ok((200, encode_full(res, &new)))
        }
        "namespaces" => {
            let mut new = old.clone();
            if new["metadata"]["deletionTimestamp"].is_null() {
                new["metadata"]["deletionTimestamp"] = json!(util::now_rfc3339());
                new["status"]["phase"] = json!("Terminating");
            }
            let finalizers_empty = new["spec"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
            if !dry {
                if finalizers_empty {
                    remove_namespace(&mut store, &name);
                } else {
                    let rv = store.next_rv();
                    new["metadata"]["resourceVersion"] = json!(rv.to_string());
                    store.put(r.res, &new);
                }
            }
            Ok((200, encode_full(res, &new)))
        }
        _ => {
            if !dry {
                store.tables[r.res].remove(&key);
                store.next_rv();
            }
            let uid = old["metadata"]["uid"].as_str().unwrap_or("");
            let body = format!(
                "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Success\",\"details\":{}}}",
                details(
                    Some(&name),
                    Some(res.group),
                    Some(res.plural),
                    Some(uid),
                    &[],
                    None
                )
            );
            Ok((200, body.into_bytes()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_roundtrip() {
        let v = json!({"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}}});
        let mut s = BTreeSet::new();
        leaf_paths(&v, &mut s, true);
        let f = fields_v1(&s, true);
        let mut back = BTreeSet::new();
        parse_fields_v1(&f, &mut Vec::new(), &mut back);
        assert_eq!(s, back);
        let p: Path = vec![
            "f:spec".into(),
            "f:template".into(),
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"c\"}".into(),
            "f:image".into(),
        ];
        assert_eq!(value_at(&v, &p), Some(&json!("i")));
        assert_eq!(
            display_path(&p),
            ".spec.template.spec.containers[name=\"c\"].image"
        );
    }

    #[test]
    fn strategic() {
        let mut t = json!({"spec":{"containers":[{"name":"a","image":"1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"2"}]}});
        strategic_merge(
            &mut t,
            &json!({"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}]}]}}),
            "",
            "",
        );
        assert_eq!(
            t["spec"]["containers"][0]["env"].as_array().unwrap().len(),
            2
        );
        assert_eq!(t["spec"]["containers"][1]["image"], "2");
    }
}
