//! The README documents every finding code with the severity the binary gives it.

use assert_cmd::cargo::cargo_bin_cmd;

#[test]
fn readme_catalogue_matches_the_binary() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let out = cargo_bin_cmd!("kubectl-istio_rev")
        .args(["codes", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let codes: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!codes.is_empty());
    for c in codes {
        let row = format!(
            "| {} | {} | {} |",
            c["code"].as_str().unwrap(),
            c["severity"].as_str().unwrap(),
            c["title"].as_str().unwrap()
        );
        assert!(readme.contains(&row), "README lacks the row {row}");
    }
}
