//! One error type for the whole library.
//!
//! Why: every failure a user sees must say *where* it happened (file, line or
//! record, tensor) so that a nightly job's log is actionable without a
//! debugger. Variants carry that location; the CLI maps them to exit codes
//! (see [`Error::exit_code`]).

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where in an input something happened.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub path: String,
    /// 1-based line number, when the input is line-oriented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 1-based record number (CSV row, JSONL line, JSON segment), when record-oriented.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl Location {
    pub fn file(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            record: None,
        }
    }
    pub fn line(path: impl Into<String>, line: u64) -> Self {
        Self {
            path: path.into(),
            line: Some(line),
            record: None,
        }
    }
    pub fn record(path: impl Into<String>, record: u64) -> Self {
        Self {
            path: path.into(),
            line: None,
            record: Some(record),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(r) = self.record {
            write!(f, " (record {r})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input file or record could not be read or parsed.
    #[error("{loc}: {msg}")]
    Input { loc: Location, msg: String },

    /// A model file is missing, corrupt or inconsistent.
    #[error("model file {}: {msg}", path.display())]
    Model { path: PathBuf, msg: String },

    /// A tensor operation failed (wrong shape, dtype, ...).
    #[error("tensor {name}: {msg}")]
    Tensor { name: String, msg: String },

    /// Invalid configuration or command-line usage.
    #[error("config: {0}")]
    Config(String),

    /// Another process holds a lock we need.
    #[error("{}: locked by another whyline process ({msg})", path.display())]
    Locked { path: PathBuf, msg: String },

    /// Plain I/O on a known path.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A network fetch (model download) failed.
    #[error("fetch {what}: {msg}")]
    Fetch { what: String, msg: String },

    /// Anything else, with context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn input(loc: Location, msg: impl Into<String>) -> Self {
        Error::Input {
            loc,
            msg: msg.into(),
        }
    }
    pub fn model(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            msg: msg.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Documented process exit code for a run that stopped on this error.
    /// See [`crate::exit`] for the whole table.
    pub fn exit_code(&self) -> i32 {
        crate::exit::ERROR
    }
}
