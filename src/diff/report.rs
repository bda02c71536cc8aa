//! What a diff found: the report, its findings and summary, and what was observed per object.

use super::ignore::Rule;
use crate::finding::{Finding, ObjectRef};
use crate::inventory::Unreadable;
use crate::istio::installer::Installer;
use serde::Serialize;
use serde_json::Value;

/// A finding with what the diff saw.
#[derive(Debug, Clone, Serialize)]
pub struct DiffFinding {
    #[serde(flatten)]
    pub finding: Finding,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// How a drifted object was compared: `server-dry-run` or `local`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub compared_by: String,
    /// JSON pointers that would change (secret values are never shown; keys are).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_paths: Vec<String>,
    /// Differences an ignore rule removed (they do not count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_paths: Vec<String>,
    /// A unified diff, live (`-`) against after install (`+`); Secret data masked.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

/// Differences ignored on an object that otherwise matched.
#[derive(Debug, Clone, Serialize)]
pub struct Ignored {
    pub object: ObjectRef,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub drifted: usize,
    pub missing: usize,
    pub orphaned: usize,
    pub unmanaged: usize,
    pub owned_elsewhere: usize,
    pub in_sync: usize,
}

impl Summary {
    pub fn line(&self) -> String {
        format!(
            "{} drifted, {} missing, {} orphaned, {} unmanaged, {} owned elsewhere",
            self.drifted, self.missing, self.orphaned, self.unmanaged, self.owned_elsewhere
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where the rendered objects came from.
    pub rendered_from: String,
    /// `live cluster` or `snapshot`.
    pub against: String,
    /// How objects were compared.
    pub compared_by: String,
    pub owner: Installer,
    pub rendered_objects: usize,
    pub summary: Summary,
    pub findings: Vec<DiffFinding>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<Ignored>,
    pub ignore_rules: Vec<Rule>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_checked: Vec<Unreadable>,
}

/// What the cluster (or snapshot) holds for one rendered object.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub live: Option<Value>,
    /// The server-side apply dry run's answer, when one was made.
    pub merged: Option<Value>,
    /// Why no dry run was made for an object that exists and is ours.
    pub local_reason: Option<String>,
    /// Why the object could not be read (it is then neither missing nor compared).
    pub unreadable: Option<String>,
}

pub const SERVER_DRY_RUN: &str = "server-dry-run";
pub const LOCAL: &str = "local";
