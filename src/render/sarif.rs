//! `-o sarif`: SARIF 2.1.0, as GitHub code scanning and GitLab read it. The rules are the whole
//! finding catalogue (so a viewer can explain a code it has not seen yet), each result points at
//! its object (a logical location `KIND/NAMESPACE/NAME`) and, where the object came from a file,
//! at that file and line. `results` is always present, empty on a clean run, because an absent
//! array means "did not run" to SARIF consumers. Suppressed findings are results with a
//! `suppressions` entry, which viewers hide and never count.
//!
//! Built on serde-sarif's types, generated from the SARIF schema itself.

use crate::explain;
use crate::finding::{CATALOGUE, Severity};
use crate::verdict::Verdict;
use serde_sarif::sarif::{
    ArtifactLocation, Location, LogicalLocation, Message, MultiformatMessageString,
    PhysicalLocation, Region, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, Sarif, Suppression, Tool, ToolComponent,
};

fn level(s: Severity) -> ResultLevel {
    match s {
        Severity::Error => ResultLevel::Error,
        Severity::Warning => ResultLevel::Warning,
        Severity::Info => ResultLevel::Note,
    }
}

fn level_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(verdict: &Verdict) -> String {
    let rules: Vec<ReportingDescriptor> = CATALOGUE
        .iter()
        .map(|c| {
            let e = explain::explanation(*c);
            ReportingDescriptor::builder()
                .id(c.as_str())
                .short_description(MultiformatMessageString::builder().text(c.title()).build())
                .full_description(MultiformatMessageString::builder().text(e.why).build())
                .help(
                    MultiformatMessageString::builder()
                        .text(format!("{}\n\nFix: {}", e.why, e.fix))
                        .build(),
                )
                .default_configuration(
                    ReportingConfiguration::builder()
                        .level(serde_json::json!(level_name(c.severity())))
                        .build(),
                )
                .build()
        })
        .collect();
    let rule_index = |code: crate::finding::Code| {
        CATALOGUE
            .iter()
            .position(|c| *c == code)
            .unwrap_or_default() as i64
    };
    let result = |f: &crate::finding::Finding, suppressed: Option<&str>| {
        let logical = LogicalLocation::builder()
            .name(f.object.name.clone())
            .fully_qualified_name(f.object.to_string())
            .kind(f.object.kind.clone())
            .build();
        let mut location = Location::builder().logical_locations(vec![logical]).build();
        if let Some(source) = verdict.source_of(&f.object) {
            location.physical_location = Some(
                PhysicalLocation::builder()
                    .artifact_location(ArtifactLocation::builder().uri(source.file.clone()).build())
                    .region(Region::builder().start_line(source.line as i64).build())
                    .build(),
            );
        }
        let mut text = f.message.clone();
        if !f.fix.is_empty() {
            text.push_str(&format!(" Fix: {}", f.fix));
        }
        let mut r = SarifResult::builder()
            .rule_id(f.code.as_str())
            .rule_index(rule_index(f.code))
            .level(level(f.severity))
            .message(Message::builder().text(text).build())
            .locations(vec![location])
            .build();
        if let Some(by) = suppressed {
            r.suppressions = Some(vec![
                Suppression::builder()
                    .kind(serde_json::json!("external"))
                    .justification(by.to_string())
                    .build(),
            ]);
        }
        r
    };
    let mut results: Vec<SarifResult> = verdict.findings.iter().map(|f| result(f, None)).collect();
    results.extend(
        verdict
            .suppressed
            .iter()
            .map(|s| result(&s.finding, Some(&s.suppressed_by))),
    );
    let driver = ToolComponent::builder()
        .name("kubectl-istio-rev")
        .version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/kubectl-istio-rev/kubectl-istio-rev")
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .build();
    let sarif = Sarif::builder()
        .schema("https://json.schemastore.org/sarif-2.1.0.json")
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    super::json(&sarif)
}
