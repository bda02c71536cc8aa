//! The `fix` plan and what applying it did.

use super::{Format, heading, table, table_text};
use crate::fix::apply::{Outcome, Report};
use crate::fix::{Disposition, Phase, Plan};
use serde::Serialize;

/// `-o json|yaml`: the plan (and each change's result once applied) under the envelope's
/// header fields; a plan is no findings report, so there are no `checks` or `findings`.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: u32,
    command: &'static str,
    result: &'static str,
    #[serde(rename = "exitCode")]
    exit_code: u8,
    #[serde(flatten)]
    plan: &'a Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<&'a [(usize, Outcome)]>,
}

/// The formats a plan prints in; junit, sarif, markdown and github describe findings' checks.
pub fn prints(format: Format) -> bool {
    matches!(format, Format::Table | Format::Json | Format::Yaml)
}

/// The plan in `format` (one [`prints`] accepts), with what applying it did when it was.
pub fn document(format: Format, plan: &Plan, report: Option<&Report>, exit_code: u8) -> String {
    let doc = || Document {
        schema_version: super::SCHEMA_VERSION,
        command: "fix",
        result: super::result_word(exit_code),
        exit_code,
        plan,
        results: report.map(|r| r.results.as_slice()),
    };
    match format {
        Format::Json => super::json(&doc()),
        Format::Yaml => super::yaml(&doc()),
        _ if report.is_some() => format!("\nResult:\n{}", plan_text(plan, report)),
        _ => plan_text(plan, None),
    }
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Namespaces => "Namespaces",
        Phase::Workloads => "Workloads",
        Phase::Gateways => "Gateways (last)",
        Phase::Drift => "Drift (the rendered install)",
    }
}

fn action(d: &Disposition, command: &str) -> String {
    match d {
        Disposition::Apply => command.to_string(),
        Disposition::Run => format!("run yourself: {command}"),
        Disposition::Manual => format!("manual: {command}"),
        Disposition::Refused(reason) => format!("refused: {reason}"),
    }
}

/// The plan as a table per phase, in the guide's order, then the totals and the removal.
pub fn plan_text(plan: &Plan, report: Option<&Report>) -> String {
    let mut out = String::new();
    if plan.changes.is_empty() {
        out.push_str(&match &plan.target {
            Some(t) => format!("Nothing to fix: everything runs {t}.\n"),
            None => "Nothing to fix: no control plane found.\n".to_string(),
        });
    }
    if let Some(t) = &plan.target
        && !plan.changes.is_empty()
    {
        out.push_str(&format!("Plan to move to {t}:\n"));
    }
    for phase in [
        Phase::Namespaces,
        Phase::Workloads,
        Phase::Gateways,
        Phase::Drift,
    ] {
        let rows: Vec<(usize, &crate::fix::Change)> = plan
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.phase == phase)
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&heading(phase_name(phase)));
        out.push('\n');
        let mut t = table();
        let mut header = vec!["CODE", "OBJECT", "FROM", "TO", "ACTION"];
        if report.is_some() {
            header.push("RESULT");
        }
        t.set_header(header);
        for (i, c) in rows {
            let mut act = action(&c.disposition, &c.command);
            if let Some(note) = &c.note {
                act.push_str(&format!(" ({note})"));
            }
            let mut row = vec![
                c.code.to_string(),
                c.object.clone(),
                c.from.clone(),
                format!("→ {}", c.to),
                act,
            ];
            if let Some(r) = report {
                row.push(
                    r.results
                        .iter()
                        .find(|(j, _)| *j == i)
                        .map(|(_, o)| outcome_text(o))
                        .unwrap_or_else(|| "-".to_string()),
                );
            }
            t.add_row(row);
        }
        out.push_str(&table_text(&t));
    }
    if !plan.changes.is_empty() {
        let n = &plan.totals;
        out.push_str(&format!(
            "\n{} to apply, {} to run yourself, {} manual, {} refused.\n",
            changes(n.apply),
            n.run,
            n.manual,
            n.refused
        ));
    }
    if let Some(r) = report {
        let count = |f: fn(&Outcome) -> bool| r.results.iter().filter(|(_, o)| f(o)).count();
        out.push_str(&format!(
            "\nDone: {} applied{}. Not done: {} failed, {} skipped.\n",
            count(|o| matches!(o, Outcome::Applied(_))),
            match count(|o| matches!(o, Outcome::WouldApply(_))) {
                0 => String::new(),
                n => format!(", {n} accepted by a server dry run"),
            },
            count(Outcome::failed),
            count(|o| matches!(o, Outcome::Skipped(_))),
        ));
    }
    for line in &plan.then {
        out.push_str(&format!(
            "Then, once nothing uses it (fix never removes a control plane): {line}\n"
        ));
    }
    out
}

pub fn changes(n: usize) -> String {
    if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    }
}

fn outcome_text(o: &Outcome) -> String {
    match o {
        Outcome::Applied(d) => format!("applied: {d}"),
        Outcome::WouldApply(d) => d.clone(),
        Outcome::Skipped(d) => format!("skipped: {d}"),
        Outcome::Failed(d) => format!("FAILED: {d}"),
        Outcome::TimedOut(d) => format!("TIMED OUT: {d}"),
        Outcome::Conflicts(cs) => format!(
            "CONFLICT: {}; --force-conflicts takes them over",
            cs.iter()
                .map(|c| format!("{} (managed by {})", c.field, c.manager))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
