//! The finding contract pipelines rely on.
//!
//! Codes are stable: never renumbered, never reused. A new check gets a new code and a row in
//! [`CATALOGUE`]; the README's catalogue is generated from the same table by a test, so the two
//! cannot drift apart.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `--fail-on`: the lowest severity that makes the run exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    None,
}

impl FailOn {
    pub fn trips(self, severity: Severity) -> bool {
        match self {
            FailOn::None => false,
            FailOn::Info => true,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Error => severity >= Severity::Error,
        }
    }
}

/// The object a finding is about. `namespace` is empty for cluster-scoped objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjectRef {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Self {
        ObjectRef {
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn cluster(kind: &str, name: &str) -> Self {
        Self::new(kind, "", name)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{}/{}", self.kind, self.name)
        } else {
            write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub object: ObjectRef,
    /// Revisions involved, oldest first where an order is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<String>,
    /// What a person would run to resolve it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub fix: String,
}

impl Finding {
    pub fn new(code: Code, object: ObjectRef, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            message: message.into(),
            object,
            revisions: Vec::new(),
            fix: String::new(),
        }
    }

    pub fn revisions<I, S>(mut self, revisions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.revisions = revisions.into_iter().map(Into::into).collect();
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Sorts findings the way every output prints them: worst first, then by code and object.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(&b.code))
            .then(a.object.cmp(&b.object))
    });
}

macro_rules! catalogue {
    ($( $variant:ident = $code:literal, $sev:ident, $title:literal; )*) => {
        /// A finding code. Serialized as its stable string, e.g. `IR102`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Code {
            $( #[serde(rename = $code)] $variant, )*
        }

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }
            /// The default severity; a check may lower it where the catalogue says so.
            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }
            pub fn title(self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }
        }

        /// Every code, in catalogue order.
        pub const CATALOGUE: &[Code] = &[ $( Code::$variant, )* ];
    };
}

catalogue! {
    IR101 = "IR101", Warning, "a workload's pods run more than one revision";
    IR102 = "IR102", Warning, "stale proxy: pods run a revision other than the one their namespace/pod labels select now (restart needed)";
    IR103 = "IR103", Error, "pods run a revision that has no control plane";
    IR104 = "IR104", Warning, "namespace carries both istio-injection=enabled and istio.io/rev (istio-injection wins)";
    IR105 = "IR105", Error, "a namespace or pod selects a revision or tag that no injector serves";
    IR106 = "IR106", Warning, "with --target: a namespace still selects a revision other than the target";
    IR107 = "IR107", Error, "two or more injectors match one namespace or pod (the API server calls them all)";
    IR201 = "IR201", Warning, "gateway lagging: runs an older revision than the newest control plane (or --target)";
    IR202 = "IR202", Error, "gateway runs a revision that has no control plane";
    IR203 = "IR203", Warning, "gateway moved to a newer revision while workloads still run an older one (gateways go last)";
    IR204 = "IR204", Warning, "a gateway's pods run more than one revision";
    IR205 = "IR205", Error, "Gateway API gateway or waypoint whose revision or tag has no control plane: nothing reconciles it (\"Waiting for controller\")";
    IR206 = "IR206", Error, "Gateway API gateway or waypoint claimed by two revisions: both istiods reconcile its Deployment";
    IR207 = "IR207", Warning, "Gateway API gateway or waypoint whose pods run another revision than the one that owns it (not re-rendered, or rollout stuck)";
    IR208 = "IR208", Warning, "waypoint on an older revision than the namespace it serves now selects";
    IR209 = "IR209", Warning, "Gateway API gateway or waypoint owned by a control plane but not Programmed";
    IR301 = "IR301", Error, "control plane not ready";
    IR302 = "IR302", Error, "revision name is not a DNS-1123 label (no dots)";
    IR303 = "IR303", Error, "revision tag points to a revision that has no control plane";
    IR304 = "IR304", Info, "revision nothing uses any more: safe to remove";
    IR401 = "IR401", Error, "two installers (IstioOperator CRs, Helm releases) install the same object or component instance (base shared across CR revisions: warning)";
    IR402 = "IR402", Error, "IstioOperator CR without metadata.name (its prune deletes other CRs' objects)";
    IR403 = "IR403", Error, "gateways IstioOperator CR not on the empty profile";
    IR404 = "IR404", Warning, "control-plane IstioOperator CR also installs gateways (upgraded in place with it)";
    IR405 = "IR405", Error, "a CR or Helm release renders a live object owned by another IstioOperator or release";
    IR406 = "IR406", Warning, "IstioOperator revision mismatch: spec.revision differs from --revision, or an operator CR lacks spec.revision";
    IR407 = "IR407", Error, "a Helm release renders live objects another installer owns (an IstioOperator: the istioctl → Helm adoption of istio#59630; or another release)";
    IR501 = "IR501", Error, "drifted: installing the rendered output (istioctl install with the CR, or helm upgrade of the release) would change a live object";
    IR502 = "IR502", Error, "missing: the CR or release renders an object the cluster does not have";
    IR503 = "IR503", Warning, "orphaned: a live object carries the CR's owner labels or the release's annotations but is no longer rendered (older istioctl versions are never pruned)";
    IR504 = "IR504", Warning, "unmanaged: a rendered object exists live without its installer's marks (istioctl's owner labels, Helm's release annotations)";
    IR601 = "IR601", Error, "ztunnel or istio-cni ahead of its control plane (the data plane may never be ahead)";
    IR602 = "IR602", Warning, "ztunnel or istio-cni more than one minor version behind the newest control plane";
    IR603 = "IR603", Error, "ztunnel points (XDS_ADDRESS/CA_ADDRESS) at a revision or tag with no control plane";
    IR604 = "IR604", Warning, "istio-cni upgraded ahead of ztunnel by more than one minor version";
    IR701 = "IR701", Error, "remove-revision: a namespace still selects the revision (label, tag or istio-injection on the default revision)";
    IR702 = "IR702", Error, "remove-revision: a workload or pod still selects or runs the revision";
    IR703 = "IR703", Error, "remove-revision: a revision tag still points at the revision";
    IR704 = "IR704", Error, "remove-revision: a gateway still selects or runs the revision";
    IR705 = "IR705", Error, "remove-revision: an IstioOperator CR still installs the revision";
    IR706 = "IR706", Error, "remove-revision: a Gateway API gateway or waypoint is still owned by, rendered by or running the revision";
    IR707 = "IR707", Error, "remove-revision: ztunnel still points at the revision's istiod";
    IR901 = "IR901", Warning, "not checked: the cluster refused or failed a list; the checks that read it were skipped and are named";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::BTreeSet::new();
        for code in CATALOGUE {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.len() == 5 && s.starts_with("IR") && s[2..].chars().all(|c| c.is_ascii_digit())
            );
        }
    }

    #[test]
    fn fail_on_thresholds() {
        assert!(FailOn::Error.trips(Severity::Error));
        assert!(!FailOn::Error.trips(Severity::Warning));
        assert!(FailOn::Warning.trips(Severity::Warning));
        assert!(!FailOn::Warning.trips(Severity::Info));
        assert!(FailOn::Info.trips(Severity::Info));
        assert!(!FailOn::None.trips(Severity::Error));
    }

    #[test]
    fn code_serializes_as_its_string() {
        assert_eq!(serde_json::to_string(&Code::IR304).unwrap(), "\"IR304\"");
        let back: Code = serde_json::from_str("\"IR101\"").unwrap();
        assert_eq!(back, Code::IR101);
    }
}
