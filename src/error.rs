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
        Error::Input(one_line(&format!("{what}: {e}")))
    }

    pub fn parse(file: &str, document: Option<usize>, e: impl fmt::Display) -> Error {
        let e = e.to_string();
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
