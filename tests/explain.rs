//! `explain` and `docs/findings.md`: one catalogue, and the file kept in step with it.

use assert_cmd::cargo::cargo_bin_cmd;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn docs_findings_md_is_the_generated_catalogue() {
    let (code, generated, _) = run(&["explain", "--markdown"]);
    assert_eq!(code, 0);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/findings.md");
    let on_disk = std::fs::read_to_string(path).unwrap();
    assert!(
        on_disk == generated,
        "docs/findings.md is stale: regenerate it with `cargo run -- explain --markdown > docs/findings.md`"
    );
}

#[test]
fn every_code_is_explained_with_why_fix_and_example() {
    let (_, codes, _) = run(&["codes", "-o", "json"]);
    let codes: Vec<serde_json::Value> = serde_json::from_str(&codes).unwrap();
    for c in codes {
        let code = c["code"].as_str().unwrap();
        let (exit, text, _) = run(&["explain", code]);
        assert_eq!(exit, 0, "{code}");
        assert!(
            text.starts_with(&format!(
                "{code} ({}): {}",
                c["severity"].as_str().unwrap(),
                c["title"].as_str().unwrap()
            )),
            "{text}"
        );
        for section in ["Why it matters", "How to fix it", "Example"] {
            assert!(
                text.contains(&format!("\n{section}\n    ")),
                "{code}: {section}"
            );
        }
    }
    // Codes are case-insensitive, as people type them.
    assert_eq!(run(&["explain", "ir102"]).0, 0);
}

#[test]
fn an_unknown_code_is_a_usage_error() {
    let (code, _, stderr) = run(&["explain", "IR999"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: no finding code \"IR999\" (kubectl istio-rev codes lists them)\n"
    );
}
