//! `--config FILE`: one file for a pipeline's policy, read the same by every command.
//!
//! ```yaml
//! failOn: warning          # as --fail-on (the flag wins when both are given)
//! allowPartial: false      # as --allow-partial
//! ignore:                  # suppression rules, as --ignore
//!   - IR304
//!   - rule: IR102=Deployment/legacy/*
//!     reason: restarted by the weekly job
//! ignorePaths:             # diff's field rules, as --ignore-path
//!   - Deployment/istio-system/istiod:/spec/template/metadata/annotations
//! ```
//!
//! YAML or JSON. Unknown keys are an error (a typo must not silently let a gate pass).

use crate::error::Error;
use crate::finding::FailOn;
use serde::Deserialize;

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from, named in suppression records and errors.
    pub path: String,
    pub fail_on: Option<FailOn>,
    pub allow_partial: Option<bool>,
    /// Suppression rules: `CODE[=KIND/NAMESPACE/NAME]` and why.
    pub ignore: Vec<(String, Option<String>)>,
    /// Diff's field rules: `KIND/NAMESPACE/NAME:/json/pointer`.
    pub ignore_paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct File {
    #[serde(default)]
    fail_on: Option<String>,
    #[serde(default)]
    allow_partial: Option<bool>,
    #[serde(default)]
    ignore: Vec<Entry>,
    #[serde(default)]
    ignore_paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Rule(String),
    WithReason {
        rule: String,
        #[serde(default)]
        reason: Option<String>,
    },
}

pub fn parse_fail_on(s: &str) -> Option<FailOn> {
    match s {
        "error" => Some(FailOn::Error),
        "warning" => Some(FailOn::Warning),
        "info" => Some(FailOn::Info),
        "none" => Some(FailOn::None),
        _ => None,
    }
}

impl Config {
    pub fn read(path: &str) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::input(path, e))?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Config, Error> {
        let file: File = serde_saphyr::from_str(text).map_err(|e| {
            Error::parse(
                path,
                None,
                e.render_with_options(serde_saphyr::render_options! {
                    snippets: serde_saphyr::SnippetMode::Off,
                }),
            )
        })?;
        let fail_on = match file.fail_on.as_deref() {
            None => None,
            Some(s) => Some(parse_fail_on(s).ok_or_else(|| {
                Error::Input(format!(
                    "{path}: failOn {s:?}: want error, warning, info or none"
                ))
            })?),
        };
        let mut ignore = Vec::new();
        for entry in file.ignore {
            let (rule, reason) = match entry {
                Entry::Rule(r) => (r, None),
                Entry::WithReason { rule, reason } => (rule, reason),
            };
            // The file format before suppression existed held diff's field rules under
            // `ignore`; say where they go now rather than reject them obscurely.
            if rule.contains(":/") {
                return Err(Error::Input(format!(
                    "{path}: ignore {rule:?} is a diff field rule: list it under ignorePaths"
                )));
            }
            ignore.push((rule, reason));
        }
        Ok(Config {
            path: path.to_string(),
            fail_on,
            allow_partial: file.allow_partial,
            ignore,
            ignore_paths: file.ignore_paths,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let c = Config::parse(
            "c.yaml",
            "failOn: warning\nallowPartial: true\nignore:\n- IR304\n- rule: IR102=Deployment/legacy/*\n  reason: weekly restart\nignorePaths:\n- Deployment/*/*:/spec/replicas\n",
        )
        .unwrap();
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert_eq!(c.allow_partial, Some(true));
        assert_eq!(
            c.ignore,
            vec![
                ("IR304".to_string(), None),
                (
                    "IR102=Deployment/legacy/*".to_string(),
                    Some("weekly restart".to_string())
                )
            ]
        );
        assert_eq!(c.ignore_paths, vec!["Deployment/*/*:/spec/replicas"]);
    }

    #[test]
    fn a_typo_or_an_old_field_rule_is_an_error() {
        let e = Config::parse("c.yaml", "failon: warning\n").unwrap_err();
        assert!(e.to_string().starts_with("c.yaml: "), "{e}");
        let e = Config::parse("c.yaml", "ignore: [\"Deployment/a/b:/spec\"]\n").unwrap_err();
        assert!(e.to_string().contains("ignorePaths"), "{e}");
        let e = Config::parse("c.yaml", "failOn: warn\n").unwrap_err();
        assert!(e.to_string().contains("failOn"), "{e}");
    }
}
