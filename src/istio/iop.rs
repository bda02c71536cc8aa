//! IstioOperator CRs: read from `-f` files or the cluster, and resolved into the components
//! each one installs (profile merged with `spec.components` and the revision).

use super::profiles::{ProfileSet, merge};
use crate::error::Error;
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// The namespace istioctl gives an IstioOperator that names none.
pub const DEFAULT_IOP_NAMESPACE: &str = "istio-system";

/// One IstioOperator as read, before its profile is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct IopInput {
    /// The file it came from, or `None` for a CR read from the cluster.
    pub file: Option<String>,
    /// Its document number in the file (1-based).
    pub document: usize,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub spec: Value,
}

impl IopInput {
    /// Where it came from, for messages: `file.yaml` or `cluster`.
    pub fn source(&self) -> String {
        self.file.clone().unwrap_or_else(|| "cluster".to_string())
    }

    fn context(&self) -> String {
        match &self.file {
            Some(f) => format!("{f}: document {}", self.document),
            None => format!(
                "IstioOperator {}/{} in the cluster",
                self.namespace.as_deref().unwrap_or(DEFAULT_IOP_NAMESPACE),
                self.name.as_deref().unwrap_or("<unnamed>")
            ),
        }
    }
}

/// Reads an `-f` file: exactly one IstioOperator, as istioctl requires.
pub fn read_file(path: &str) -> Result<IopInput, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e))?;
    let mut found: Option<IopInput> = None;
    for (number, doc) in split_documents(&text) {
        let value: Value = serde_saphyr::from_str(&doc).map_err(|e| {
            Error::parse(
                path,
                Some(number),
                e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                }),
            )
        })?;
        if value.is_null() {
            continue;
        }
        let iop = from_document(path, number, &value)?;
        if found.is_some() {
            return Err(Error::parse(
                path,
                Some(number),
                "a second IstioOperator in one file: istioctl takes one per file",
            ));
        }
        found = Some(iop);
    }
    found.ok_or_else(|| Error::input(path, "no IstioOperator in the file"))
}

fn from_document(path: &str, number: usize, value: &Value) -> Result<IopInput, Error> {
    let bad = |e: String| Error::parse(path, Some(number), e);
    let Value::Object(map) = value else {
        return Err(bad("not an IstioOperator: not a map".into()));
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let api = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if kind != "IstioOperator" || !api.starts_with(super::labels::IOP_API_PREFIX) {
        let what = if kind.is_empty() {
            "a document without kind".to_string()
        } else {
            format!("a {kind} ({api})")
        };
        return Err(bad(format!(
            "{what}, not an IstioOperator (install.istio.io)"
        )));
    }
    let meta = map.get("metadata");
    let text = |key: &str| {
        meta.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let spec = map.get("spec").cloned().unwrap_or(Value::Null);
    if !(spec.is_object() || spec.is_null()) {
        return Err(bad("spec is not a map".into()));
    }
    Ok(IopInput {
        file: Some(path.to_string()),
        document: number,
        name: text("name"),
        namespace: text("namespace"),
        spec,
    })
}

/// Splits a YAML stream at `---` lines, numbering documents from 1 as a reader counts them.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut started = false;
    for line in text.lines() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            if started || !current.trim().is_empty() {
                docs.push(std::mem::take(&mut current));
            }
            current.clear();
            started = true;
            if let Some(rest) = t.strip_prefix("--- ") {
                current.push_str(rest);
                current.push('\n');
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push(current);
    // Documents holding only comments are no documents (istioctl output is full of them).
    docs.into_iter()
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .enumerate()
        .map(|(i, d)| (i + 1, d))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ComponentKind {
    Base,
    Pilot,
    IstiodRemote,
    Cni,
    Ztunnel,
    IngressGateway,
    EgressGateway,
}

impl ComponentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentKind::Base => "base",
            ComponentKind::Pilot => "pilot",
            ComponentKind::IstiodRemote => "istiodRemote",
            ComponentKind::Cni => "cni",
            ComponentKind::Ztunnel => "ztunnel",
            ComponentKind::IngressGateway => "ingressGateway",
            ComponentKind::EgressGateway => "egressGateway",
        }
    }

    pub fn is_gateway(self) -> bool {
        matches!(
            self,
            ComponentKind::IngressGateway | ComponentKind::EgressGateway
        )
    }

    pub fn is_control_plane(self) -> bool {
        matches!(self, ComponentKind::Pilot | ComponentKind::IstiodRemote)
    }
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A component instance of a CR, enabled or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Component {
    pub component: ComponentKind,
    /// The gateway's name; for other components the object name that identifies the instance
    /// (`istiod-<rev>` for pilot).
    pub name: String,
    pub namespace: String,
    pub enabled: bool,
}

/// What two CRs can both install. Pilot and istiodRemote of one revision render the same
/// injector webhook and `istiod-<rev>` Service, so they share a slot; CNI and ztunnel come with
/// cluster-scoped RBAC, so there is one of each per cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "slot", rename_all = "camelCase")]
pub enum Slot {
    Base,
    ControlPlane { namespace: String, name: String },
    Cni,
    Ztunnel,
    Gateway { namespace: String, name: String },
}

impl Component {
    pub fn slot(&self) -> Slot {
        match self.component {
            ComponentKind::Base => Slot::Base,
            ComponentKind::Pilot | ComponentKind::IstiodRemote => Slot::ControlPlane {
                namespace: self.namespace.clone(),
                name: self.name.clone(),
            },
            ComponentKind::Cni => Slot::Cni,
            ComponentKind::Ztunnel => Slot::Ztunnel,
            ComponentKind::IngressGateway | ComponentKind::EgressGateway => Slot::Gateway {
                namespace: self.namespace.clone(),
                name: self.name.clone(),
            },
        }
    }

    pub fn describe(&self) -> String {
        match self.component {
            ComponentKind::Base | ComponentKind::Cni | ComponentKind::Ztunnel => {
                self.component.to_string()
            }
            _ => format!("{} {}/{}", self.component, self.namespace, self.name),
        }
    }
}

/// A CR with its profile applied: what `istioctl install` would install.
#[derive(Debug, Clone, Serialize)]
pub struct Cr {
    /// `metadata.name`; `None` for an unnamed CR.
    pub name: Option<String>,
    pub namespace: String,
    /// The `-f` file, or `cluster`.
    pub source: String,
    #[serde(skip)]
    pub from_cluster: bool,
    pub profile: String,
    /// `spec.revision` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec_revision: Option<String>,
    /// The revision it installs: `--revision` for files, else `spec.revision`; `None` is the
    /// default revision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub components: Vec<Component>,
    /// Where its objects come from: `profile`, `manifest <file>` or `istioctl`.
    pub objects_from: String,
    /// The namespace components go to unless they name one.
    #[serde(skip)]
    pub install_namespace: String,
    /// Its own `spec.components` names gateways and nothing else: a gateways CR, whatever its
    /// profile adds.
    #[serde(skip)]
    pub lists_only_gateways: bool,
}

impl Cr {
    /// The label it is shown under: its name, or `<unnamed>` and its file.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("<unnamed> ({})", self.source),
        }
    }

    /// `name` (`file`), for messages that must name both.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.source),
            None => format!("<unnamed> ({})", self.source),
        }
    }

    pub fn object(&self) -> crate::finding::ObjectRef {
        crate::finding::ObjectRef::new(
            "IstioOperator",
            &self.namespace,
            self.name.as_deref().unwrap_or("<unnamed>"),
        )
    }

    pub fn revision_label(&self) -> &str {
        self.revision.as_deref().unwrap_or("default")
    }

    /// The name istioctl writes into `install.operator.istio.io/owning-resource`. The
    /// `installed-state[-<name>][-<rev>]` copies istioctl 1.8–1.20 saves stand for `<name>`.
    pub fn owner_name(&self) -> Option<String> {
        let name = self.name.as_deref()?;
        if !self.from_cluster {
            return Some(name.to_string());
        }
        let Some(rest) = name.strip_prefix("installed-state") else {
            return Some(name.to_string());
        };
        let rest = match &self.revision {
            Some(r) => rest.strip_suffix(&format!("-{r}")).unwrap_or(rest),
            None => rest,
        };
        rest.strip_prefix('-').map(str::to_string)
    }

    pub fn enabled(&self) -> impl Iterator<Item = &Component> {
        self.components.iter().filter(|c| c.enabled)
    }

    pub fn installs_control_plane(&self) -> bool {
        self.enabled().any(|c| c.component.is_control_plane())
    }

    pub fn gateways(&self) -> impl Iterator<Item = &Component> {
        self.enabled().filter(|c| c.component.is_gateway())
    }
}

/// Applies the profile of `set` and the revision to one CR. `flag_revision` is `--revision`,
/// which istioctl applies to the `-f` files it installs (not to CRs already in the cluster).
pub fn resolve(
    input: &IopInput,
    set: ProfileSet,
    flag_revision: Option<&str>,
) -> Result<Cr, Error> {
    let bad =
        |e: String| Error::Input(crate::error::one_line(&format!("{}: {e}", input.context())));
    let spec = &input.spec;
    let profile = match spec.get("profile") {
        None | Some(Value::Null) => "default".to_string(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(other) => return Err(bad(format!("spec.profile is not a name: {other}"))),
    };
    let mut merged = set
        .spec("default")
        .expect("every set has a default profile");
    if profile != "default" {
        let Some(p) = set.spec(&profile) else {
            return Err(bad(format!(
                "unknown profile `{profile}` (Istio {} profiles: {})",
                set.as_str(),
                set.names().join(", ")
            )));
        };
        merge(&mut merged, &p);
    }
    match spec.get("components") {
        None | Some(Value::Null) => {}
        Some(Value::Object(components)) => {
            for key in components.keys() {
                if !set.component_keys().contains(&key.as_str()) {
                    return Err(bad(format!(
                        "unknown component `spec.components.{key}` (Istio {} components: {})",
                        set.as_str(),
                        set.component_keys().join(", ")
                    )));
                }
            }
        }
        Some(_) => return Err(bad("spec.components is not a map".into())),
    }
    let mut user = spec.clone();
    if let Value::Object(m) = &mut user {
        m.remove("profile");
    }
    merge(&mut merged, &user);

    let spec_revision = spec
        .get("revision")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let revision = match (input.file.is_some(), flag_revision) {
        (true, Some(r)) if !r.is_empty() => Some(r.to_string()),
        _ => spec_revision.clone(),
    };
    let default_ns = merged
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            merged
                .pointer("/values/global/istioNamespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        })
        .unwrap_or(DEFAULT_IOP_NAMESPACE)
        .to_string();
    let components = components(&merged, set, revision.as_deref(), &default_ns).map_err(bad)?;
    let lists_only_gateways = spec
        .get("components")
        .and_then(Value::as_object)
        .is_some_and(|c| {
            !c.is_empty()
                && c.keys()
                    .all(|k| matches!(k.as_str(), "ingressGateways" | "egressGateways"))
        });
    Ok(Cr {
        lists_only_gateways,
        name: input.name.clone(),
        namespace: input
            .namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_IOP_NAMESPACE.to_string()),
        source: input.source(),
        from_cluster: input.file.is_none(),
        profile,
        spec_revision,
        revision,
        components,
        objects_from: "profile".to_string(),
        install_namespace: default_ns,
    })
}

/// `enabled: true`, or the `{value: true}` form of older protobuf JSON.
fn enabled(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Object(m)) => m.get("value").and_then(Value::as_bool).unwrap_or(false),
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

fn components(
    merged: &Value,
    set: ProfileSet,
    revision: Option<&str>,
    default_ns: &str,
) -> Result<Vec<Component>, String> {
    let suffix = |base: &str| match revision {
        Some(r) => format!("{base}-{r}"),
        None => base.to_string(),
    };
    let mut out = Vec::new();
    let Some(components) = merged.get("components") else {
        return Ok(out);
    };
    let namespace_of = |c: &Value| {
        c.get("namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(default_ns)
            .to_string()
    };
    let singles = [
        ("base", ComponentKind::Base, "base".to_string()),
        ("pilot", ComponentKind::Pilot, suffix("istiod")),
        (
            "istiodRemote",
            ComponentKind::IstiodRemote,
            suffix("istiod"),
        ),
        ("cni", ComponentKind::Cni, "istio-cni-node".to_string()),
        ("ztunnel", ComponentKind::Ztunnel, "ztunnel".to_string()),
    ];
    for (key, kind, name) in singles {
        if !set.component_keys().contains(&key) {
            continue;
        }
        if let Some(c) = components.get(key).filter(|c| c.is_object()) {
            out.push(Component {
                component: kind,
                name,
                namespace: namespace_of(c),
                enabled: enabled(c.get("enabled")),
            });
        }
    }
    for (key, kind, default_name) in [
        (
            "ingressGateways",
            ComponentKind::IngressGateway,
            "istio-ingressgateway",
        ),
        (
            "egressGateways",
            ComponentKind::EgressGateway,
            "istio-egressgateway",
        ),
    ] {
        match components.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, g) in items.iter().enumerate() {
                    if !g.is_object() {
                        return Err(format!("spec.components.{key}[{i}] is not a map"));
                    }
                    out.push(Component {
                        component: kind,
                        name: g
                            .get("name")
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty())
                            .unwrap_or(default_name)
                            .to_string(),
                        namespace: namespace_of(g),
                        enabled: enabled(g.get("enabled")),
                    });
                }
            }
            Some(_) => return Err(format!("spec.components.{key} is not a list")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(spec: Value) -> IopInput {
        IopInput {
            file: Some("x.yaml".into()),
            document: 1,
            name: Some("x".into()),
            namespace: None,
            spec,
        }
    }

    fn enabled_of(cr: &Cr) -> Vec<String> {
        cr.enabled().map(Component::describe).collect()
    }

    #[test]
    fn doc_files_resolve_on_both_sets() {
        for set in [ProfileSet::V1_8, ProfileSet::Latest] {
            let cp = resolve(&input(json!({"profile": "minimal"})), set, Some("1-8-0")).unwrap();
            assert_eq!(enabled_of(&cp), ["base", "pilot istio-system/istiod-1-8-0"]);
            let gw = resolve(
                &input(
                    json!({"profile": "empty", "components": {"ingressGateways": [
                    {"name": "istio-ingressgateway", "enabled": true}]}}),
                ),
                set,
                None,
            )
            .unwrap();
            assert_eq!(
                enabled_of(&gw),
                ["ingressGateway istio-system/istio-ingressgateway"]
            );
            let def = resolve(&input(json!({})), set, None).unwrap();
            assert_eq!(
                enabled_of(&def),
                [
                    "base",
                    "pilot istio-system/istiod",
                    "ingressGateway istio-system/istio-ingressgateway"
                ]
            );
        }
    }

    #[test]
    fn sets_differ_in_component_keys() {
        let ambient = input(json!({"components": {"ztunnel": {"enabled": true}}}));
        assert!(resolve(&ambient, ProfileSet::Latest, None).is_ok());
        let e = resolve(&ambient, ProfileSet::V1_8, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("unknown component `spec.components.ztunnel`")
        );
        let e = resolve(
            &input(json!({"profile": "ambient"})),
            ProfileSet::V1_8,
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.yaml: document 1: unknown profile `ambient`")
        );
    }

    #[test]
    fn spec_revision_unless_flag() {
        let i = input(json!({"revision": "1-8-0"}));
        let cr = resolve(&i, ProfileSet::V1_8, None).unwrap();
        assert_eq!(cr.revision.as_deref(), Some("1-8-0"));
        let cr = resolve(&i, ProfileSet::V1_8, Some("1-8-1")).unwrap();
        assert_eq!(cr.revision.as_deref(), Some("1-8-1"));
        assert_eq!(cr.spec_revision.as_deref(), Some("1-8-0"));
    }

    #[test]
    fn installed_state_names_stand_for_the_original() {
        let mut cr = resolve(&input(json!({"revision": "1-8-0"})), ProfileSet::V1_8, None).unwrap();
        cr.from_cluster = true;
        cr.name = Some("installed-state-control-plane-1-8-0".into());
        assert_eq!(cr.owner_name().as_deref(), Some("control-plane"));
        cr.name = Some("installed-state-1-8-0".into());
        assert_eq!(cr.owner_name(), None);
    }

    #[test]
    fn documents_are_split_and_comment_only_ones_skipped() {
        let docs = split_documents("# c\n---\na: 1\n---\n# only\n---\nb: 2\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].0, 2);
        assert!(docs[1].1.contains("b: 2"));
    }
}
