//! Generated inputs (proptest) over the snapshot reader, label-selector evaluation and revision
//! resolution, in process through the library (running the binary per case would make a bounded
//! CI run too slow to be worth having).
//!
//! The number of cases is small by default so `cargo test` stays bounded in time;
//! `scripts/proptest-long.sh` runs the same properties with many more (`PROPTEST_CASES`).

use kubectl_istio_rev::error::Error;
use kubectl_istio_rev::inventory::Inventory;
use kubectl_istio_rev::inventory::write::write_json;
use kubectl_istio_rev::selector::{LabelSelector, Labels, Requirement};
use kubectl_istio_rev::source::snapshot::{self, Input};
use kubectl_istio_rev::{checks, fix, gate, mesh, status};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        // A shrunk failure is printed with its seed; nothing is written into the tree.
        failure_persistence: None,
        ..Config::default()
    }
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Real inputs to damage: every scenario snapshot and the verbatim Istio pods and manifests.
fn seed_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["testdata/scenarios", "testdata/istio", "testdata/bad"] {
        let mut stack = vec![repo(dir)];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("yaml" | "yml" | "json")
                ) {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    assert!(out.len() > 20, "testdata went missing: {out:?}");
    out
}

/// One kind of damage a file can take on its way to the tool.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    FlipByte(usize, u8),
    DeleteLine(usize),
    DuplicateLine(usize),
    /// A scalar value replaced by a mapping, a list or a number.
    WrongType(usize, u8),
    /// A value grown to this many bytes.
    Huge(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::FlipByte(i, b)),
        any::<usize>().prop_map(Damage::DeleteLine),
        any::<usize>().prop_map(Damage::DuplicateLine),
        (any::<usize>(), 0u8..4).prop_map(|(i, k)| Damage::WrongType(i, k)),
        (any::<usize>(), 1usize..(2 << 20)).prop_map(|(i, n)| Damage::Huge(i, n)),
    ]
}

fn apply(text: &[u8], d: &Damage) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    let pick = |i: usize, n: usize| if n == 0 { 0 } else { i % n };
    match d {
        Damage::Truncate(i) => text[..pick(*i, text.len() + 1)].to_vec(),
        Damage::FlipByte(i, b) => {
            let mut t = text.to_vec();
            if !t.is_empty() {
                let at = pick(*i, t.len());
                t[at] ^= b | 1;
            }
            t
        }
        Damage::DeleteLine(i) => {
            if !lines.is_empty() {
                lines.remove(pick(*i, lines.len()));
            }
            lines.join(&b'\n')
        }
        Damage::DuplicateLine(i) => {
            if !lines.is_empty() {
                let at = pick(*i, lines.len());
                let line = lines[at].clone();
                lines.insert(at, line);
            }
            lines.join(&b'\n')
        }
        Damage::WrongType(i, kind) => {
            let replacement: &[u8] = match kind % 4 {
                0 => b"{a: {b: c}}",
                1 => b"[1, [2, 3]]",
                2 => b"-12345678901234567890",
                _ => b"null",
            };
            replace_value(&mut lines, *i, replacement);
            lines.join(&b'\n')
        }
        Damage::Huge(i, n) => {
            let big = vec![b'x'; *n];
            replace_value(&mut lines, *i, &big);
            lines.join(&b'\n')
        }
    }
}

/// Replaces the value of the `i`-th line that has one (`key: value` in YAML, `"key": value`
/// in JSON), keeping the key, so the damage lands on a field rather than on syntax.
fn replace_value(lines: &mut [Vec<u8>], i: usize, value: &[u8]) {
    let with_value: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.windows(2).any(|w| w == b": "))
        .map(|(n, _)| n)
        .collect();
    if with_value.is_empty() {
        return;
    }
    let at = with_value[i % with_value.len()];
    let line = &lines[at];
    let colon = line.windows(2).position(|w| w == b": ").unwrap();
    let json = line.trim_ascii_end().ends_with(b",");
    let mut new = line[..colon + 2].to_vec();
    if json {
        new.push(b'"');
        new.extend(value.iter().filter(|b| **b != b'"'));
        new.extend_from_slice(b"\",");
    } else {
        new.extend_from_slice(value);
    }
    lines[at] = new;
}

fn report_json(inventory: &Inventory) -> String {
    let mesh = mesh::resolve(inventory, None);
    let report = status::build(inventory, &mesh, &checks::Options::default());
    serde_json::to_string(&report.findings).unwrap()
}

proptest! {
    #![proptest_config(cases(32))]

    /// Damaged input is either read (and then checked without a panic) or refused with one line
    /// that names the file — exit 2 in the binary, never a panic.
    #[test]
    fn damaged_snapshots_are_read_or_refused_in_one_line(
        file in proptest::sample::select(seed_files()),
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let mut text = std::fs::read(&file).unwrap();
        for d in &damages {
            text = apply(&text, d);
        }
        let dir = tempfile::tempdir().unwrap();
        let name = file.file_name().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        match snapshot::load(&[Input::Path(path.clone())]) {
            Ok(inventory) => {
                report_json(&inventory);
            }
            Err(Error::Input(message)) => {
                prop_assert!(!message.contains('\n'), "more than one line: {message}");
                prop_assert!(
                    message.contains(&path.display().to_string()),
                    "does not name the file: {message}"
                );
                for rust in ["Option<", "Vec<", "i32", "u32", "i64", "u64", "usize", "f64", "DuplicateKeyPolicy", "struct ", "enum "] {
                    prop_assert!(!message.contains(rust), "a Rust type or library advice in: {message}");
                }
            }
            Err(e) => prop_assert!(false, "not an input error: {e}"),
        }
    }
}

/// A snapshot written back by `snapshot` and read again gives the same findings, for every
/// scenario (all of them, so no generated case is needed).
#[test]
fn a_written_back_snapshot_gives_the_same_findings() {
    for name in scenarios() {
        let original = inventory_of(&scenario_objects(&name));
        let mut buf = Vec::new();
        write_json(&original, &mut buf).unwrap();
        let mut again = Inventory::default();
        snapshot::read_stream(&buf[..], "written-back", Some(true), &mut again).unwrap();
        assert_eq!(report_json(&original), report_json(&again), "{name}");
    }
}

/// Kubernetes' label-selector semantics written out the way apimachinery states them
/// (`LabelSelectorAsSelector`: every matchLabels entry is an `=` requirement; `Requirement.Matches`
/// for In, NotIn, Exists, DoesNotExist; an empty selector selects everything), as the reference
/// the tool's evaluation is held to. It reads plain maps, not the tool's interned [`Labels`].
fn reference_matches(
    match_labels: &BTreeMap<String, String>,
    selector: &LabelSelector,
    labels: &BTreeMap<String, String>,
) -> bool {
    let mut requirements: Vec<(String, String, Vec<String>)> = match_labels
        .iter()
        .map(|(k, v)| (k.clone(), "In".to_string(), vec![v.clone()]))
        .collect();
    for r in &selector.match_expressions {
        requirements.push((r.key.clone(), r.operator.clone(), r.values.clone()));
    }
    for (key, op, values) in requirements {
        let has = labels.contains_key(&key);
        let value_in = labels
            .get(&key)
            .is_some_and(|v| values.iter().any(|x| x == v));
        let ok = match op.as_str() {
            "In" => has && value_in,
            "NotIn" => !has || !value_in,
            "Exists" => has,
            "DoesNotExist" => !has,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

fn small_key() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "istio.io/rev",
        "istio-injection",
        "istio.io/tag",
        "sidecar.istio.io/inject",
        "app",
    ])
    .prop_map(str::to_string)
}

fn small_value() -> impl Strategy<Value = String> {
    proptest::sample::select(vec![
        "enabled", "disabled", "default", "1-8-0", "canary", "true", "false", "",
    ])
    .prop_map(str::to_string)
}

fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(small_key(), small_value(), 0..4)
}

fn selector() -> impl Strategy<Value = (BTreeMap<String, String>, LabelSelector)> {
    let op = proptest::sample::select(vec!["In", "NotIn", "Exists", "DoesNotExist"]);
    let requirement = (
        small_key(),
        op,
        proptest::collection::vec(small_value(), 0..3),
    )
        .prop_map(|(key, operator, values)| Requirement {
            key,
            operator: operator.to_string(),
            values,
        });
    (labels(), proptest::collection::vec(requirement, 0..4)).prop_map(
        |(match_labels, match_expressions)| {
            let selector = LabelSelector {
                match_labels: match_labels.iter().collect(),
                match_expressions,
            };
            (match_labels, selector)
        },
    )
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn selectors_match_as_kubernetes_does((match_labels, selector) in selector(), labels in labels()) {
        let tool_labels: Labels = labels.iter().collect();
        prop_assert_eq!(
            selector.matches(&tool_labels),
            reference_matches(&match_labels, &selector, &labels)
        );
    }
}

/// A scenario's objects as whole JSON values, to reorder and write back; read once per run.
fn scenario_objects(name: &str) -> Vec<Value> {
    static CACHE: std::sync::OnceLock<
        std::sync::Mutex<std::collections::BTreeMap<String, Vec<Value>>>,
    > = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    cache
        .entry(name.to_string())
        .or_insert_with(|| {
            let path = repo(&format!("testdata/scenarios/{name}/cluster.yaml"));
            snapshot::objects::read(&[path.display().to_string()]).unwrap()
        })
        .clone()
}

fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo("testdata/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The objects in an order drawn from `seed` (Fisher-Yates over a 64-bit LCG).
fn shuffle(objects: &[Value], seed: u64) -> Vec<Value> {
    let mut shuffled = objects.to_vec();
    let mut rng = seed;
    for i in (1..shuffled.len()).rev() {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        shuffled.swap(i, (rng >> 33) as usize % (i + 1));
    }
    shuffled
}

/// fix's plan, and the post-upgrade and remove-revision verdicts, as one comparable text.
fn plan_and_gates(inventory: &Inventory) -> String {
    let mesh = mesh::resolve(inventory, None);
    let plan = fix::plan(inventory, &mesh, None, &fix::Options::default());
    let mut out = serde_json::to_string(&plan).unwrap();
    let newest = mesh.newest_control_plane().map(|c| c.revision.clone());
    let oldest = mesh.control_planes.first().map(|c| c.revision.clone());
    if let Some(target) = newest {
        out.push_str(
            &serde_json::to_string(&gate::post_upgrade(&target, inventory).report).unwrap(),
        );
    }
    if let Some(old) = oldest {
        out.push_str(
            &serde_json::to_string(&gate::remove_revision(&old, inventory).report).unwrap(),
        );
    }
    out
}

fn inventory_of(objects: &[Value]) -> Inventory {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    let text = serde_json::to_vec(&list).unwrap();
    let mut inventory = Inventory::default();
    snapshot::read_stream(&text[..], "generated", Some(true), &mut inventory).unwrap();
    inventory
}

proptest! {
    #![proptest_config(cases(12))]

    /// What a namespace or pod selects, and so every finding, never depends on the order the
    /// objects arrive in (webhooks, namespaces, pods, owners listed in any order).
    #[test]
    fn findings_never_depend_on_object_order(
        name in proptest::sample::select(scenarios()),
        seed in any::<u64>(),
    ) {
        let objects = scenario_objects(&name);
        let shuffled = shuffle(&objects, seed);
        prop_assert_eq!(report_json(&inventory_of(&objects)), report_json(&inventory_of(&shuffled)));
    }

    /// Nor does what `fix` would change (its rows, their order, the removals it prints), nor a
    /// gate's verdict: post-upgrade to the newest control plane, remove-revision of the oldest.
    #[test]
    fn fix_plans_and_gate_verdicts_never_depend_on_object_order(
        name in proptest::sample::select(scenarios()),
        seed in any::<u64>(),
    ) {
        let objects = scenario_objects(&name);
        let shuffled = shuffle(&objects, seed);
        prop_assert_eq!(plan_and_gates(&inventory_of(&objects)), plan_and_gates(&inventory_of(&shuffled)));
    }

    /// `service.istio.io/canonical-revision` is the application's version: a value found only
    /// there never becomes a pod's running revision, whatever else the pod carries.
    #[test]
    fn canonical_revision_is_never_a_running_revision(
        name in proptest::sample::select(scenarios()),
        marker in "[a-z]{6}",
    ) {
        let marker = format!("canon-{marker}");
        let mut objects = scenario_objects(&name);
        for o in objects.iter_mut().filter(|o| o["kind"] == "Pod") {
            o["metadata"]["labels"]["service.istio.io/canonical-revision"] = json!(marker);
        }
        let report = {
            let inventory = inventory_of(&objects);
            let mesh = mesh::resolve(&inventory, None);
            serde_json::to_string(&status::build(&inventory, &mesh, &checks::Options::default())).unwrap()
        };
        prop_assert!(!report.contains(&marker), "{marker} became a revision");
    }
}
