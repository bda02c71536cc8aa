//! Errors that end a run, each mapped to the exit code the README documents.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input or usage: exit 2.
    #[error("{0}")]
    Input(String),
    /// The cluster could not be read at all: exit 3.
    #[error("{0}")]
    Cluster(String),
}

impl Error {
    pub fn input(what: impl fmt::Display, e: impl fmt::Display) -> Error {
        Error::Input(one_line(&format!(
            "{what}: {}",
            plain_words(&e.to_string())
        )))
    }

    pub fn parse(file: &str, document: Option<usize>, e: impl fmt::Display) -> Error {
        let e = plain_words(&one_line(&e.to_string()));
        let e = e.strip_prefix("error: ").unwrap_or(&e);
        match document {
            Some(n) => Error::Input(one_line(&format!("{file}: document {n}: {e}"))),
            None => Error::Input(one_line(&format!("{file}: {e}"))),
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => 2,
            Error::Cluster(_) => 3,
        }
    }
}

/// Parser errors come with source snippets over several lines; a pipeline log wants one.
pub fn one_line(s: &str) -> String {
    let mut lines = s.lines().map(str::trim).filter(|l| !l.is_empty());
    lines.next().unwrap_or_default().to_string()
}

/// A parser's message in the words of the file, not of the program that read it: no Rust type
/// (`i64`, `Option<String>`, `struct Meta`), no advice meant for the program's author (serde-saphyr's
/// "set DuplicateKeyPolicy in Options if acceptable"), and one place in the file (an error inside
/// a List item carries the inner position and the item's; the inner one is the useful one).
pub fn plain_words(message: &str) -> String {
    const REPLACEMENTS: &[(&str, &str)] = &[
        (", set DuplicateKeyPolicy in Options if acceptable", ""),
        (
            "cannot deserialize null into string",
            "null where a string is expected",
        ),
        ("expected a borrowed string", "expected a string"),
    ];
    let mut s = message.to_string();
    for (from, to) in REPLACEMENTS {
        s = s.replace(from, to);
    }
    // `...; use Option<String>`: advice about the program's types.
    while let Some(i) = s.find("; use ") {
        let rest = &s[i + 6..];
        let end = rest.find(" at line ").unwrap_or(rest.len());
        if !rest[..end].contains('<') && !rest[..end].contains("::") {
            break;
        }
        s.replace_range(i..i + 6 + end, "");
    }
    s = rust_types_in_words(&s);
    first_location_only(&s)
}

/// `i64`, `u32`, `f64`..., `struct Meta`, `Vec<...>`, `Option<...>` as what a YAML or JSON
/// file would call them.
fn rust_types_in_words(s: &str) -> String {
    const INTEGERS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
    ];
    let mut out = String::with_capacity(s.len());
    let mut words = s.split(' ').peekable();
    let mut previous = "";
    while let Some(word) = words.next() {
        let bare = word.trim_end_matches([',', ';', ':', ')']);
        let tail = &word[bare.len()..];
        let replaced = if INTEGERS.contains(&bare) {
            // A field narrower than 64 bits says so: `3000000000` for `replicas` is an integer,
            // just not one an int32 field can hold.
            let integer = match bare {
                "i8" | "u8" => "8-bit integer",
                "i16" | "u16" => "16-bit integer",
                "i32" | "u32" => "32-bit integer",
                _ => "integer",
            };
            Some(match (previous, integer) {
                ("invalid", _) => integer.to_string(),
                (_, "integer") => "an integer".to_string(),
                _ => format!("a {integer}"),
            })
        } else if matches!(bare, "f32" | "f64") {
            Some(match previous {
                "invalid" => "number".to_string(),
                _ => "a number".to_string(),
            })
        } else if bare.starts_with("Option<") || bare.starts_with("Vec<") || bare.contains("::") {
            Some("a value of another type".to_string())
        } else {
            None
        };
        if !out.is_empty() {
            out.push(' ');
        }
        // `struct Meta` / `enum Kind`: a map / one of the allowed values.
        if matches!(word, "struct" | "enum") && words.peek().is_some() {
            let next = words.next().unwrap_or_default();
            let next_bare = next.trim_end_matches([',', ';', ':', ')']);
            out.push_str(if word == "struct" {
                "a map"
            } else {
                "one of the allowed values"
            });
            out.push_str(&next[next_bare.len()..]);
            previous = "";
            continue;
        }
        match replaced {
            Some(r) => {
                out.push_str(&r);
                out.push_str(tail);
            }
            None => out.push_str(word),
        }
        previous = word;
    }
    out
}

/// Keeps the first ` at line N, column M` (or serde_json's ` at line N column M`) and drops any
/// later one.
fn first_location_only(s: &str) -> String {
    const AT: &str = " at line ";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut seen = false;
    while let Some(i) = rest.find(AT) {
        let len = location_len(&rest[i + AT.len()..]);
        if len == 0 {
            out.push_str(&rest[..i + AT.len()]);
            rest = &rest[i + AT.len()..];
            continue;
        }
        let end = i + AT.len() + len;
        if seen {
            out.push_str(&rest[..i]);
        } else {
            out.push_str(&rest[..end]);
            seen = true;
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The length of `N, column M` or `N column M` at the start of `s`; 0 if it is not there.
fn location_len(s: &str) -> usize {
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    let line = digits(s);
    if line == 0 {
        return 0;
    }
    let mut rest = &s[line..];
    let comma = usize::from(rest.starts_with(','));
    rest = &rest[comma..];
    let Some(after) = rest.strip_prefix(" column ") else {
        return line;
    };
    let column = digits(after);
    if column == 0 {
        return line;
    }
    line + comma + " column ".len() + column
}

#[cfg(test)]
mod tests {
    use super::plain_words;

    #[test]
    fn parser_messages_in_the_files_words() {
        for (from, to) in [
            (
                "duplicate mapping key: name, set DuplicateKeyPolicy in Options if acceptable at line 5, column 3",
                "duplicate mapping key: name at line 5, column 3",
            ),
            (
                "cannot deserialize null into string; use Option<String> at line 7, column 10",
                "null where a string is expected at line 7, column 10",
            ),
            (
                r#"invalid type: string "three", expected i64 at line 1 column 138"#,
                r#"invalid type: string "three", expected an integer at line 1 column 138"#,
            ),
            (
                "invalid i64 at line 7, column 13",
                "invalid integer at line 7, column 13",
            ),
            (
                "invalid i32 at line 8, column 13",
                "invalid 32-bit integer at line 8, column 13",
            ),
            (
                "invalid value: integer `3000000000`, expected i32 at line 1 column 138",
                "invalid value: integer `3000000000`, expected a 32-bit integer at line 1 column 138",
            ),
            (
                "item 1: invalid i64 at line 10, column 17 at line 4, column 3",
                "item 1: invalid integer at line 10, column 17",
            ),
            (
                "invalid type: string \"x\", expected struct Meta at line 3, column 11",
                "invalid type: string \"x\", expected a map at line 3, column 11",
            ),
            (
                "tabs disallowed within this context",
                "tabs disallowed within this context",
            ),
        ] {
            assert_eq!(plain_words(from), to, "{from}");
        }
    }
}
