//! Ingest: turn files (transcripts, subtitles, Whisper JSON, CSV/TSV review
//! exports, JSON Lines) into [`Document`]s made of [`Turn`]s, each turn
//! carrying where it came from.
//!
//! Why: every insight whyline reports must trace back to its exact source
//! (file, line or record, speaker, timestamp). Parsing never panics on input:
//! a bad file or record becomes a positioned [`crate::Error`] and the run goes on.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who a speaker is in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Agent,
    Interviewer,
    Other,
}

/// Where a turn came from in its source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    /// Source path as given on the command line (relative paths stay relative), `-` for stdin.
    pub path: String,
    /// 1-based line of the turn's first character, for line-oriented formats.
    pub line: Option<u64>,
    /// 1-based record number (CSV row, JSONL line, Whisper segment), for record formats.
    pub record: Option<u64>,
    /// Byte span `[start, end)` of the turn's text in the decoded source text.
    pub span: [usize; 2],
}

/// One speaker turn (or one review / survey answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub speaker: Option<String>,
    pub role: Option<Role>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub text: String,
    pub source: SourceRef,
}

/// One conversation, transcript, review or survey answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Stable, content-derived id (see [`crate::util::stable_id`]).
    pub id: String,
    /// Source path as given.
    pub source: String,
    pub turns: Vec<Turn>,
    /// Metadata columns (id, date, rating, ...), kept verbatim.
    pub meta: BTreeMap<String, serde_json::Value>,
}
