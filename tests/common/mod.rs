//! Helpers shared by the end-to-end tests.

pub mod install;
pub mod live;

/// A report's findings as sorted `CODE KIND NAMESPACE/NAME` lines, the format of the scenarios'
/// `expected.txt`.
#[allow(dead_code)] // shared by the test binaries; not every one lists findings
pub fn finding_lines(report: &serde_json::Value) -> Vec<String> {
    let mut lines: Vec<String> = report["findings"]
        .as_array()
        .expect("a report has findings")
        .iter()
        .map(|f| {
            let o = &f["object"];
            format!(
                "{} {} {}/{}",
                f["code"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    lines
}

/// A report's findings with their fix as `CODE KIND NAMESPACE/NAME: FIX` lines, the format of
/// the scenarios' optional `fixes.txt`.
#[allow(dead_code)] // shared by the test binaries; not every one compares fix lines
pub fn fix_lines(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("a report has findings")
        .iter()
        .map(|f| {
            let o = &f["object"];
            format!(
                "{} {} {}/{}: {}",
                f["code"].as_str().unwrap(),
                o["kind"].as_str().unwrap(),
                o["namespace"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap(),
                f["fix"].as_str().unwrap_or("")
            )
        })
        .collect()
}
