//! `-o junit`: the Apache Ant JUnit XML that CI systems read (GitLab's `artifacts:reports:junit`,
//! Jenkins, Azure Pipelines), valid against the strict Ant XSD.
//!
//! One testcase per check; a check that failed has one testcase per finding instead (the XSD
//! allows one `<failure>` per testcase, and a pipeline wants each finding as its own line),
//! named `CHECK: OBJECT`. A check that could not run is an `<error>`, a skipped one `<skipped>`.
//! Suppressed findings never fail a testcase; they are listed in `<system-out>`.
//!
//! Written with quick-xml's writer, which escapes every text and attribute.

use crate::verdict::{CheckState, Verdict};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

pub fn render(verdict: &Verdict, timestamp: &str, hostname: &str) -> String {
    struct Case {
        name: String,
        outcome: Option<(&'static str, &'static str, String, String)>,
    }
    let mut cases = Vec::new();
    for check in &verdict.checks {
        let name = format!("{} ({})", check.name, check.title);
        match check.state {
            CheckState::Passed => cases.push(Case {
                name,
                outcome: None,
            }),
            CheckState::Failed => {
                for f in check.findings(&verdict.findings) {
                    let mut text = format!("{} {} {}: {}", f.code, f.severity, f.object, f.message);
                    if !f.fix.is_empty() {
                        text.push_str(&format!("\nfix: {}", f.fix));
                    }
                    cases.push(Case {
                        name: format!("{}: {}", check.name, f.object),
                        outcome: Some(("failure", f.code.as_str(), f.message.clone(), text)),
                    });
                }
            }
            CheckState::NotRun => cases.push(Case {
                name,
                outcome: Some((
                    "error",
                    "not-checked",
                    check.reason.clone().unwrap_or_default(),
                    String::new(),
                )),
            }),
            CheckState::Skipped => cases.push(Case {
                name,
                outcome: Some((
                    "skipped",
                    "",
                    check.reason.clone().unwrap_or_default(),
                    String::new(),
                )),
            }),
        }
    }
    let count = |kind: &str| {
        cases
            .iter()
            .filter(|c| c.outcome.as_ref().is_some_and(|o| o.0 == kind))
            .count()
            .to_string()
    };
    let suite_name = format!("kubectl-istio-rev {}", verdict.command);
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let write = |w: &mut Writer<Vec<u8>>, e: Event| w.write_event(e).expect("writes to memory");
    write(
        &mut w,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", suite_name.as_str()));
    suite.push_attribute(("timestamp", timestamp));
    suite.push_attribute(("hostname", hostname));
    suite.push_attribute(("tests", cases.len().to_string().as_str()));
    suite.push_attribute(("failures", count("failure").as_str()));
    suite.push_attribute(("errors", count("error").as_str()));
    suite.push_attribute(("skipped", count("skipped").as_str()));
    suite.push_attribute(("time", "0"));
    write(&mut w, Event::Start(suite));
    write(&mut w, Event::Empty(BytesStart::new("properties")));
    for case in &cases {
        let mut tc = BytesStart::new("testcase");
        tc.push_attribute(("name", case.name.as_str()));
        tc.push_attribute(("classname", suite_name.as_str()));
        tc.push_attribute(("time", "0"));
        match &case.outcome {
            None => write(&mut w, Event::Empty(tc)),
            Some((element, kind, message, text)) => {
                write(&mut w, Event::Start(tc));
                let mut e = BytesStart::new(*element);
                e.push_attribute(("message", message.as_str()));
                if *element != "skipped" {
                    e.push_attribute(("type", *kind));
                }
                if text.is_empty() {
                    write(&mut w, Event::Empty(e));
                } else {
                    write(&mut w, Event::Start(e));
                    write(&mut w, Event::Text(BytesText::new(text)));
                    write(&mut w, Event::End(BytesEnd::new(*element)));
                }
                write(&mut w, Event::End(BytesEnd::new("testcase")));
            }
        }
    }
    let out: String = verdict
        .suppressed
        .iter()
        .map(|s| {
            format!(
                "suppressed {} {}: {} (by {})\n",
                s.finding.code, s.finding.object, s.finding.message, s.suppressed_by
            )
        })
        .collect();
    write(&mut w, Event::Start(BytesStart::new("system-out")));
    write(&mut w, Event::Text(BytesText::new(&out)));
    write(&mut w, Event::End(BytesEnd::new("system-out")));
    write(&mut w, Event::Start(BytesStart::new("system-err")));
    write(&mut w, Event::End(BytesEnd::new("system-err")));
    write(&mut w, Event::End(BytesEnd::new("testsuite")));
    let mut s = String::from_utf8(w.into_inner()).expect("XML is UTF-8");
    s.push('\n');
    s
}
