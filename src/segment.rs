//! Segment: split turns into sentence-level [`Segment`]s and flag noise.
//!
//! Why: the encoder and the clustering work on sentences, and every sentence
//! must keep the provenance of its turn. Noise is flagged with a reason, never
//! silently dropped, so that a reader can always see what was set apart.

use crate::ingest::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Why a segment is not analysed. Serialised as a plain string:
/// `filler`, `greeting`, `closing`, `boilerplate`, `duplicate`, `too_short`,
/// `role:agent`, `role:interviewer`, `role:other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Noise {
    #[serde(rename = "filler")]
    Filler,
    #[serde(rename = "greeting")]
    Greeting,
    #[serde(rename = "closing")]
    Closing,
    #[serde(rename = "boilerplate")]
    Boilerplate,
    #[serde(rename = "duplicate")]
    Duplicate,
    #[serde(rename = "too_short")]
    TooShort,
    #[serde(rename = "role:agent")]
    RoleAgent,
    #[serde(rename = "role:interviewer")]
    RoleInterviewer,
    #[serde(rename = "role:other")]
    RoleOther,
}

impl Noise {
    /// The serialised name (`filler`, `role:agent`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Noise::Filler => "filler",
            Noise::Greeting => "greeting",
            Noise::Closing => "closing",
            Noise::Boilerplate => "boilerplate",
            Noise::Duplicate => "duplicate",
            Noise::TooShort => "too_short",
            Noise::RoleAgent => "role:agent",
            Noise::RoleInterviewer => "role:interviewer",
            Noise::RoleOther => "role:other",
        }
    }
}

/// One sentence-level unit of analysis. The field names are a contract
/// (`whyline ingest` JSONL, `segments.jsonl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Stable, content-derived id: same source content, same id.
    pub id: String,
    /// Document id.
    pub doc: String,
    /// Source path as given.
    pub source: String,
    pub line: Option<u64>,
    pub record: Option<u64>,
    /// Byte span `[start, end)` in the decoded source text.
    pub span: [usize; 2],
    pub speaker: Option<String>,
    pub role: Option<Role>,
    pub start_ms: Option<u64>,
    pub end_ms: Option<u64>,
    pub text: String,
    pub noise: Option<Noise>,
    pub meta: BTreeMap<String, serde_json::Value>,
}

impl Segment {
    /// True when the segment is analysed (not noise, not another role).
    pub fn is_signal(&self) -> bool {
        self.noise.is_none()
    }
}
