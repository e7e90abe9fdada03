//! Ingest: turn files (text, Markdown and Word transcripts and notes,
//! subtitles, Whisper JSON, CSV/TSV review exports, JSON Lines) into
//! [`Document`]s made of [`Turn`]s, each turn carrying where it came from.
//!
//! Why: every insight whyline reports must trace back to its exact source
//! (file, line or record, speaker, timestamp). Parsing never panics on input:
//! a bad file or record becomes a positioned [`Problem`] and the run goes on;
//! the CLI turns skipped inputs into exit code 3.
//!
//! Layout: [`decode`] turns bytes into text (BOM, UTF-16, line endings,
//! invalid bytes, binary files), one file per format parses that text, and
//! [`read_inputs`] resolves paths (files, directories, globs, `-`), parses
//! files in parallel and sorts the result so the output never depends on
//! thread count or on the order paths were given in.
//!
//! Byte spans ([`SourceRef::span`]) index the *decoded* text: UTF-8, BOM
//! removed, line endings normalised to `\n`.

pub mod archive;
pub mod decode;
pub mod docx;
pub mod email;
pub mod gzip;
pub mod jsonl;
pub mod mail;
pub mod markdown;
pub mod markup;
pub mod sheet;
mod slack;
pub mod srt;
mod stt;
pub mod table;
pub mod text;
pub mod timecode;
pub mod vtt;
pub mod whisper;

use crate::error::Location;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

/// Who a speaker is in the conversation.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Agent,
    Interviewer,
    Other,
}

impl Role {
    /// Parse a role name as used by `--roles` (`customer`, `agent`, `interviewer`, `other`).
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "customer" | "client" | "caller" | "user" | "interviewee" | "participant"
            | "respondent" => Some(Role::Customer),
            "agent" | "rep" | "representative" | "support" => Some(Role::Agent),
            "interviewer" | "moderator" | "researcher" | "host" => Some(Role::Interviewer),
            "other" => Some(Role::Other),
            _ => None,
        }
    }
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
    /// The question this turn answers, when its record answers several (a
    /// survey's open questions: the column's header, or Qualtrics' question
    /// text); `None` for everything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
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
    /// Metadata columns (id, date, rating, ...), kept verbatim; numbers stay JSON numbers.
    pub meta: BTreeMap<String, serde_json::Value>,
}

/// Input formats. `--format` names: `text`, `markdown`, `docx`, `vtt`, `srt`, `whisper`, `csv`,
/// `tsv`, `jsonl`, `sheet`, `email`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Markdown,
    Docx,
    Vtt,
    Srt,
    Whisper,
    Csv,
    Tsv,
    Jsonl,
    /// A spreadsheet workbook (xlsx, xlsm, xlsb, xls, ods): its first sheet
    /// with data, as a table.
    Sheet,
    /// An e-mail (`.eml`) or a mailbox of them (`.mbox`).
    Email,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Text,
        Format::Markdown,
        Format::Docx,
        Format::Vtt,
        Format::Srt,
        Format::Whisper,
        Format::Csv,
        Format::Tsv,
        Format::Jsonl,
        Format::Sheet,
        Format::Email,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Docx => "docx",
            Format::Vtt => "vtt",
            Format::Srt => "srt",
            Format::Whisper => "whisper",
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Sheet => "sheet",
            Format::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" | "txt" => Some(Format::Text),
            "markdown" | "md" => Some(Format::Markdown),
            "docx" | "word" => Some(Format::Docx),
            "vtt" | "webvtt" => Some(Format::Vtt),
            "srt" => Some(Format::Srt),
            "whisper" | "json" => Some(Format::Whisper),
            "csv" => Some(Format::Csv),
            "tsv" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "sheet" | "xlsx" | "excel" | "ods" => Some(Format::Sheet),
            "email" | "eml" | "mbox" => Some(Format::Email),
            _ => None,
        }
    }

    /// The format an extension names, if any (`txt`, `text`, `transcript`, `md`, `markdown`,
    /// `docx`, `vtt`, `srt`, `json`, `csv`, `tsv`, `tab`, `jsonl`, `ndjson`, `xlsx`, `xlsm`,
    /// `xlsb`, `xls`, `ods`, `eml`, `mbox`); for a gzip file, the extension before `.gz`
    /// (`calls.csv.gz` is a CSV).
    pub fn from_extension(path: &str) -> Option<Format> {
        let path = gzip::inner_name(path);
        let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" | "text" | "transcript" => Some(Format::Text),
            "md" | "markdown" => Some(Format::Markdown),
            "docx" => Some(Format::Docx),
            "vtt" => Some(Format::Vtt),
            "srt" => Some(Format::Srt),
            "json" => Some(Format::Whisper),
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => Some(Format::Sheet),
            "eml" | "mbox" => Some(Format::Email),
            _ => None,
        }
    }

    /// Sniff the format of decoded text: `WEBVTT` header, an SRT index + timing
    /// line, a JSON object/array (JSONL when the first two non-empty lines are
    /// objects), a tab-separated header, a comma- or semicolon-separated header
    /// with rows as wide below it; plain text otherwise.
    pub fn sniff(text: &str) -> Format {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("");
        let second = lines.next().unwrap_or("");
        if first.starts_with("WEBVTT") {
            return Format::Vtt;
        }
        if first.chars().all(|c| c.is_ascii_digit()) && !first.is_empty() && second.contains("-->")
        {
            return Format::Srt;
        }
        if first.starts_with('{')
            && first.ends_with('}')
            && (second.is_empty() || second.starts_with('{'))
        {
            return Format::Jsonl;
        }
        // a JSON list opens on a value (`[{`, `["`, `[[`, `[]`) or alone on
        // its line; a transcript's line opens on a time or a name in
        // brackets (`[00:00:01] Maya: ...`, `[Music]`)
        let list = first.strip_prefix('[').is_some_and(|rest| {
            rest.trim_start().is_empty() || rest.trim_start().starts_with(['{', '[', '"', ']'])
        });
        if first.starts_with('{') || list {
            return Format::Whisper;
        }
        if first.contains('\t') && second.contains('\t') {
            return Format::Tsv;
        }
        if table::looks_like_csv(text.trim_start()) {
            return Format::Csv;
        }
        Format::Text
    }
}

/// How [`read_inputs`] reads files.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Force one format for every input (`--format`); `None` = detect from
    /// extension, then content.
    pub format: Option<Format>,
    /// CSV/TSV columns or JSONL fields holding the text (`--text-column`,
    /// `--text-field`, repeatable); several (a survey's open questions) give
    /// one turn each, in this order; empty = auto (`text`, `review`, `body`,
    /// `comment`, `narrative`, `utterance`, ... then the column with the
    /// longest values).
    pub text_fields: Vec<String>,
    /// CSV/TSV column or JSONL field holding the speaker (`--speaker-column`);
    /// `None` = auto (`speaker`, `author`, `role`, `participant`), when present.
    pub speaker_field: Option<String>,
    /// Column/field grouping records into one conversation (`--doc-column`);
    /// `None` = auto (`conversation_id`, `conversationId`, `call_id`,
    /// `dialogue_id`, `session_id`, `transcript_id`), when present. Without
    /// one, every record is its own document.
    pub doc_field: Option<String>,
    /// `--strict`: skip the record (CSV/TSV/JSONL) or the file (other formats)
    /// that holds invalid bytes, instead of replacing them with U+FFFD.
    pub strict: bool,
}

/// A problem met while reading: a warning (`skipped: false`, the input was
/// still read) or a skipped file or record (`skipped: true`, exit code 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub loc: Location,
    pub msg: String,
    pub skipped: bool,
}

impl Problem {
    pub fn warn(loc: Location, msg: impl Into<String>) -> Self {
        Problem {
            loc,
            msg: msg.into(),
            skipped: false,
        }
    }
    pub fn skip(loc: Location, msg: impl Into<String>) -> Self {
        Problem {
            loc,
            msg: msg.into(),
            skipped: true,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.skipped { "skipped" } else { "warning" };
        write!(f, "{kind}: {}: {}", self.loc, self.msg)
    }
}

/// What to do with a file whyline does not read, when its extension says it
/// is a recording or a document that holds what customers said: `None` for
/// anything else (source code, images, a README without an extension).
pub fn unread_advice(path: &str) -> Option<&'static str> {
    // `calls.tar.gz`, `scan.pdf.gz`: what the gzip file holds
    let path = gzip::inner_name(path);
    let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "mp3" | "wav" | "m4a" | "ogg" | "opus" | "flac" | "aac" | "wma" | "mp4" | "mov"
        | "webm" | "mkv" | "avi" => Some(
            "recordings are not transcribed here: run Whisper or a speech-to-text service on them and give whyline its JSON",
        ),
        "pdf" | "doc" | "rtf" | "odt" | "pages" | "numbers" | "html" | "htm" | "msg" => {
            Some("documents are read as text, CSV or JSON Lines: export them to one of those")
        }
        "7z" | "rar" | "bz2" | "xz" | "zst" => Some(
            "archives other than zip, tar and gzip are not unpacked: unpack them and give whyline the folder",
        ),
        _ => None,
    }
}

/// The files not read, said as a run warns about them: one line per kind
/// that holds what customers said in a form not read here, with what to do
/// (`not read: 2 files: a.pdf, b.pdf (documents are read as text, ...)`);
/// with `all`, the rest too, in one line (`not read (unknown extension, or
/// a README or LICENSE of the folder): ...`).
pub fn unread_lines(ignored: &[String], all: bool) -> Vec<String> {
    let mut advised: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut rest = Vec::new();
    for path in ignored {
        match unread_advice(path) {
            Some(advice) => advised.entry(advice).or_default().push(path.clone()),
            None => rest.push(path.clone()),
        }
    }
    let mut lines: Vec<String> = advised
        .into_iter()
        .map(|(advice, paths)| format!("not read: {} ({advice})", count_and_names(&paths, 5)))
        .collect();
    if all && !rest.is_empty() {
        lines.push(format!(
            "not read (unknown extension, or a README or LICENSE of the folder): {}",
            count_and_names(&rest, 5)
        ));
    }
    lines
}

/// "3 files: a.docx, b.pdf, c.png" for a list of paths, naming at most
/// `names` of them ("... and 7 more").
pub fn count_and_names(paths: &[String], names: usize) -> String {
    let mut s = format!(
        "{} file{}: {}",
        paths.len(),
        if paths.len() == 1 { "" } else { "s" },
        paths[..paths.len().min(names)].join(", ")
    );
    if paths.len() > names {
        s.push_str(&format!(" and {} more", paths.len() - names));
    }
    s
}

/// What [`read_inputs`] found: documents in a deterministic order (by source
/// path, then position in the file) and every problem, sorted likewise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IngestReport {
    pub documents: Vec<Document>,
    pub problems: Vec<Problem>,
    /// Every file read (after expanding directories and globs), sorted by
    /// path, with the hash of the bytes that were parsed.
    pub inputs: Vec<InputFile>,
    /// Files found in directories but not read, sorted: of an unknown
    /// extension (a forced format reads them) or documenting the folder
    /// (`README.md`, `LICENSE`; see [`is_folder_documentation`]).
    pub ignored: Vec<String>,
    /// Invalid bytes replaced with U+FFFD across all inputs.
    pub replaced_bytes: u64,
    /// Records left out for an empty text, across all inputs (see
    /// [`Parsed::blank`]).
    #[serde(default)]
    pub blank_records: u64,
    /// What the inputs' columns ask (see [`Parsed::questions`]), for the
    /// columns every file that says agrees on.
    #[serde(default)]
    pub questions: BTreeMap<String, String>,
}

/// One file [`read_inputs`] read (`-` for standard input): `run.json` records
/// it, so that a run names the exact bytes it analysed even when a file
/// changes on disk during or after the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    /// Bytes read (0 when the file could not be read).
    pub bytes: u64,
    /// SHA-256 of those bytes, hex; absent when the file could not be read
    /// (the reason is among the problems).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Documents the file gave.
    pub documents: usize,
}

impl IngestReport {
    /// Number of files read.
    pub fn files(&self) -> usize {
        self.inputs.len()
    }

    /// Number of skipped inputs (files or records).
    pub fn skipped(&self) -> usize {
        self.problems.iter().filter(|p| p.skipped).count()
    }
}

/// The result of parsing one decoded file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub problems: Vec<Problem>,
    /// Records whose text is empty (a survey respondent who left the open
    /// questions blank, a rating without a review): left out and counted,
    /// not skipped, since nothing in them is wrong.
    pub blank: u64,
    /// What a column asks, where the file says it beside the column's own
    /// name (Qualtrics' second header row: `Q1` → "How likely are you to
    /// recommend us?").
    pub questions: BTreeMap<String, String>,
}

/// Helper passed to parsers: where the decoder replaced invalid bytes, so that
/// `--strict` can skip the records that hold them.
#[derive(Debug, Clone, Copy)]
pub struct Taint<'a> {
    /// Sorted offsets (in the decoded text) of inserted U+FFFD characters.
    pub offsets: &'a [usize],
    pub strict: bool,
}

impl Taint<'_> {
    /// No replaced bytes: for text that was never decoded from bytes.
    pub const NONE: Taint<'static> = Taint {
        offsets: &[],
        strict: false,
    };

    /// True when `--strict` is on and `[start, end)` holds a replaced byte.
    pub fn hits(&self, start: usize, end: usize) -> bool {
        if !self.strict {
            return false;
        }
        let i = self.offsets.partition_point(|&o| o < start);
        i < self.offsets.len() && self.offsets[i] < end
    }
}

/// Parse the bytes of one input. Never panics; a file that cannot be read at
/// all is returned as `Err` with its position, problems inside it (bad
/// records, bad timestamps, replaced bytes) come back in [`Parsed::problems`].
/// A gzip file is read as the file it holds (see [`gzip`]).
pub fn parse_bytes(path: &str, bytes: &[u8], opts: &IngestOptions) -> crate::Result<(Parsed, u64)> {
    if gzip::is_gzip(bytes) {
        let inner = gzip::gunzip(bytes)
            // the whole file: its first line, as for a binary file
            .map_err(|msg| crate::Error::input(Location::line(path, 1), msg))?;
        return parse_uncompressed(path, &inner, opts);
    }
    parse_uncompressed(path, bytes, opts)
}

fn parse_uncompressed(
    path: &str,
    bytes: &[u8],
    opts: &IngestOptions,
) -> crate::Result<(Parsed, u64)> {
    // a Word document is a zip archive: its text is extracted, not decoded
    if opts.format.or_else(|| Format::from_extension(path)) == Some(Format::Docx) {
        let parsed = docx::parse(path, bytes)
            // the whole file: its first line, as for a binary file
            .map_err(|msg| crate::Error::input(Location::line(path, 1), msg))?;
        return Ok((parsed, 0));
    }
    // an e-mail's parts carry their own transfer encodings and charsets
    if opts.format.or_else(|| Format::from_extension(path)) == Some(Format::Email) {
        let parsed = mail::parse(path, bytes)
            .map_err(|msg| crate::Error::input(Location::line(path, 1), msg))?;
        return Ok((parsed, 0));
    }
    // a workbook is a zip archive or binary records: read, not decoded
    if opts.format.or_else(|| Format::from_extension(path)) == Some(Format::Sheet) {
        let parsed = sheet::parse(path, bytes, opts)
            .map_err(|msg| crate::Error::input(Location::line(path, 1), msg))?;
        return Ok((parsed, 0));
    }
    let decoded = decode::decode(path, bytes)?;
    let format = opts
        .format
        .or_else(|| Format::from_extension(path))
        .unwrap_or_else(|| Format::sniff(&decoded.text));
    let mut out = Parsed::default();
    let replaced = decoded.replaced.len() as u64;
    if decoded.encoding == "windows-1252" {
        let first = decoded.text.find(|c: char| !c.is_ascii()).unwrap_or(0);
        out.problems.push(Problem::warn(
            Location::line(path, decode::line_of(&decoded.text, first)),
            "not UTF-8: read as Windows-1252 (Latin-1), as Excel and older tools write; \
             save it as UTF-8 if its accents look wrong",
        ));
    }
    if replaced > 0 {
        let line = decode::line_of(&decoded.text, decoded.replaced[0]);
        let record_format = matches!(format, Format::Csv | Format::Tsv | Format::Jsonl);
        if opts.strict && !record_format {
            return Err(crate::Error::input(
                Location::line(path, line),
                format!("{replaced} invalid byte sequence(s) (--strict)"),
            ));
        }
        if !opts.strict {
            out.problems.push(Problem::warn(
                Location::line(path, line),
                format!("{replaced} invalid byte sequence(s) replaced with U+FFFD"),
            ));
        }
    }
    let taint = Taint {
        offsets: &decoded.replaced,
        strict: opts.strict,
    };
    let parsed = parse_text(path, &decoded.text, format, opts, taint);
    out.documents = parsed.documents;
    out.problems.extend(parsed.problems);
    out.blank = parsed.blank;
    out.questions = parsed.questions;
    Ok((out, replaced))
}

/// Parse already-decoded text in a known format.
pub fn parse_text(
    path: &str,
    text: &str,
    format: Format,
    opts: &IngestOptions,
    taint: Taint<'_>,
) -> Parsed {
    match format {
        Format::Text => text::parse(path, text),
        Format::Markdown => markdown::parse(path, text),
        // already text (a .docx goes through parse_bytes): read as text
        Format::Docx => text::parse(path, text),
        Format::Vtt => vtt::parse(path, text),
        Format::Srt => srt::parse(path, text),
        Format::Whisper => whisper::parse(path, text, opts, taint),
        Format::Csv => table::parse(path, text, b',', opts, taint),
        Format::Tsv => table::parse(path, text, b'\t', opts, taint),
        Format::Jsonl => jsonl::parse(path, text, opts, taint),
        // already text (a workbook goes through parse_bytes): read as CSV
        Format::Sheet => table::parse(path, text, b',', opts, taint),
        // already text (an e-mail file goes through parse_bytes)
        Format::Email => mail::parse(path, text.as_bytes()).unwrap_or_else(|msg| Parsed {
            problems: vec![Problem::skip(Location::file(path), msg)],
            ..Default::default()
        }),
    }
}

/// One whole-file conversation document: id from path + content.
/// (speaker, role, text) of each turn of `doc`: what the readers' tests of
/// conversations compare.
#[cfg(test)]
pub(crate) fn turn_roles(doc: &Document) -> Vec<(Option<&str>, Option<Role>, &str)> {
    doc.turns
        .iter()
        .map(|t| (t.speaker.as_deref(), t.role, t.text.as_str()))
        .collect()
}

pub(crate) fn file_document(path: &str, text: &str, turns: Vec<Turn>) -> Document {
    Document {
        id: crate::util::stable_id(&[path, &crate::util::sha256_hex(text.as_bytes())]),
        source: path.to_string(),
        turns,
        meta: BTreeMap::new(),
    }
}

/// Add a whole-file document of `turns` to `out`, or, when the file gave no
/// turns, a warning naming it (`empty` says what was missing).
pub(crate) fn push_file_document(
    out: &mut Parsed,
    path: &str,
    text: &str,
    turns: Vec<Turn>,
    empty: &str,
) {
    if turns.is_empty() {
        out.problems
            .push(Problem::warn(Location::file(path), empty));
    } else {
        out.documents.push(file_document(path, text, turns));
    }
}

/// Byte range of `needle` in `hay[from..to]` (clamped to char boundaries), or
/// `[from, to]` when it is not there verbatim (unescaped quotes, entities).
pub(crate) fn locate(hay: &str, from: usize, to: usize, needle: &str) -> [usize; 2] {
    let to = to.min(hay.len());
    let from = from.min(to);
    if needle.is_empty() {
        return [from, from];
    }
    match hay.get(from..to).and_then(|h| h.find(needle)) {
        Some(i) => [from + i, from + i + needle.len()],
        None => [from, to],
    }
}

/// Expand the paths given on the command line into files, in a deterministic
/// order: directories recursively (sorted, only known extensions, hidden
/// entries, folder documentation such as `README.md` and whyline's own output
/// folders skipped), globs
/// (sorted), `-` (standard input) as is. Returns the files, those a
/// directory held but that are not read, and problems for paths that do not
/// exist.
pub fn expand_paths(paths: &[String], forced: bool) -> (Vec<String>, Vec<String>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut ignored = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        if p == "-" {
            files.push(p.clone());
            continue;
        }
        let path = Path::new(p);
        if path.is_dir() {
            walk_dir(path, forced, &mut files, &mut ignored, &mut problems);
        } else if path.is_file() && archive::is_archive(path) {
            archive_entries(p, forced, &mut files, &mut ignored, &mut problems);
        } else if path.exists() {
            files.push(p.clone());
        } else if p.contains(['*', '?', '[']) {
            match glob::glob(p) {
                Ok(paths) => {
                    let mut found: Vec<String> = Vec::new();
                    for entry in paths {
                        match entry {
                            Ok(pb) if pb.is_file() && archive::is_archive(&pb) => {
                                let mut sub = Vec::new();
                                let a = pb.to_string_lossy();
                                archive_entries(&a, forced, &mut sub, &mut ignored, &mut problems);
                                found.extend(sub);
                            }
                            Ok(pb) if pb.is_file() => found.push(pb.to_string_lossy().into_owned()),
                            Ok(pb) if pb.is_dir() && !is_whyline_output(&pb) => {
                                let mut sub = Vec::new();
                                walk_dir(&pb, forced, &mut sub, &mut ignored, &mut problems);
                                found.extend(sub);
                            }
                            Ok(_) => {}
                            Err(e) => problems.push(Problem::skip(
                                Location::file(e.path().to_string_lossy()),
                                e.error().to_string(),
                            )),
                        }
                    }
                    if found.is_empty() {
                        problems.push(Problem::skip(Location::file(p), "glob matched no file"));
                    }
                    found.sort();
                    files.extend(found);
                }
                Err(e) => problems.push(Problem::skip(Location::file(p), format!("bad glob: {e}"))),
            }
        } else {
            problems.push(Problem::skip(
                Location::file(p),
                "no such file or directory",
            ));
        }
    }
    (files, ignored, problems)
}

/// A file that documents the folder it is in rather than holding what
/// customers said (`README.md`, `LICENSE.txt`, `NOTICE`): left out of a
/// directory walk, as files of unknown extension are, and listed with them.
/// Named on the command line (or matched by a glob), it is read.
pub fn is_folder_documentation(file_name: &str) -> bool {
    let stem = file_name
        .split('.')
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "README"
            | "LICENSE"
            | "LICENCE"
            | "NOTICE"
            | "COPYING"
            | "CHANGELOG"
            | "CONTRIBUTING"
            | "AUTHORS"
            | "CITATION"
            | "ATTRIBUTION"
    )
}

/// A folder whyline wrote: results of an earlier run (`insights.json` next to
/// `run.json`), or a staging folder a killed run left (`*.whyline-staging`).
/// Skipped by a directory walk, so that `--out` inside an input folder does
/// not feed one night's results into the next night's run. Named on the
/// command line, it is read.
pub fn is_whyline_output(dir: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".whyline-staging")
        || (dir.join("insights.json").is_file() && dir.join("run.json").is_file())
}

fn walk_dir(
    dir: &Path,
    forced: bool,
    files: &mut Vec<String>,
    ignored: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) {
    walk(dir, forced, files, ignored, problems, &mut Vec::new());
}

/// [`walk_dir`]'s recursion. `above` holds the resolved paths of the folders
/// being walked, so that a symbolic link back to one of them (`up -> ..`) is
/// named in a warning instead of walked again until the system's link limit
/// (which read every file 40 times).
fn walk(
    dir: &Path,
    forced: bool,
    files: &mut Vec<String>,
    ignored: &mut Vec<String>,
    problems: &mut Vec<Problem>,
    above: &mut Vec<std::path::PathBuf>,
) {
    let real = std::fs::canonicalize(dir).ok();
    if let Some(r) = &real {
        if above.contains(r) {
            problems.push(Problem::warn(
                Location::file(dir.to_string_lossy()),
                format!(
                    "a symbolic link back to {}, which is being read: not followed",
                    r.display()
                ),
            ));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(Problem::skip(
                Location::file(dir.to_string_lossy()),
                e.to_string(),
            ));
            return;
        }
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    if let Some(r) = &real {
        above.push(r.clone());
    }
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // hidden entries, and the lock of a run writing into this folder
        if name.starts_with('.') || name.ends_with(".whyline-lock") {
            continue;
        }
        if p.is_dir() {
            if !is_whyline_output(&p) {
                walk(&p, forced, files, ignored, problems, above);
            }
        } else if p.is_file() && archive::is_archive(&p) {
            archive_entries(&p.to_string_lossy(), forced, files, ignored, problems);
        } else if p.is_file() {
            let s = p.to_string_lossy().into_owned();
            if !is_folder_documentation(name) && (forced || Format::from_extension(&s).is_some()) {
                files.push(s);
            } else {
                ignored.push(s);
            }
        }
    }
    if real.is_some() {
        above.pop();
    }
}

/// An archive's entries, chosen as a folder's files are (see [`archive`]):
/// those read to `files`, the others to `ignored`, as `archive.zip/entry`.
fn archive_entries(
    path: &str,
    forced: bool,
    files: &mut Vec<String>,
    ignored: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) {
    match archive::entries(path) {
        Ok(entries) => {
            for (inner, name) in entries {
                let file_name = name.rsplit('/').next().unwrap_or(&name);
                let known = forced || Format::from_extension(&name).is_some();
                if known
                    && !is_folder_documentation(file_name)
                    && !archive::is_archive(Path::new(&name))
                {
                    files.push(inner);
                } else {
                    ignored.push(inner);
                }
            }
        }
        Err(msg) => problems.push(Problem::skip(Location::file(path), msg)),
    }
}

fn read_one(path: &str, opts: &IngestOptions, zips: &archive::Pool) -> (Parsed, u64, InputFile) {
    let read = if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else if let Some((zip, entry)) = (!Path::new(path).exists())
        .then(|| archive::split(path))
        .flatten()
    {
        zips.read_entry(zip, entry).map_err(std::io::Error::other)
    } else {
        std::fs::read(path)
    };
    let bytes = match read {
        Ok(b) => b,
        Err(e) => {
            let parsed = Parsed {
                problems: vec![Problem::skip(Location::file(path), e.to_string())],
                ..Default::default()
            };
            let input = InputFile {
                path: path.to_string(),
                bytes: 0,
                sha256: None,
                documents: 0,
            };
            return (parsed, 0, input);
        }
    };
    let (parsed, replaced) = match parse_bytes(path, &bytes, opts) {
        Ok(r) => r,
        Err(crate::Error::Input { loc, msg }) => (
            Parsed {
                problems: vec![Problem::skip(loc, msg)],
                ..Default::default()
            },
            0,
        ),
        Err(e) => (
            Parsed {
                problems: vec![Problem::skip(Location::file(path), e.to_string())],
                ..Default::default()
            },
            0,
        ),
    };
    let input = InputFile {
        path: path.to_string(),
        bytes: bytes.len() as u64,
        sha256: Some(crate::util::sha256_hex(&bytes)),
        documents: parsed.documents.len(),
    };
    (parsed, replaced, input)
}

/// Keep one spelling of each file named more than once (`calls` and
/// `./calls/a.txt`, or a symbolic link to a file of the corpus): read twice,
/// its documents would count twice. The shortest spelling is kept (then the
/// first in byte order), so the choice does not depend on the order of the
/// paths given; each other one gets a warning. `files` is sorted and stays so.
fn read_once(files: Vec<String>, problems: &mut Vec<Problem>) -> Vec<String> {
    // a path that cannot be resolved is kept: reading it says why it fails
    // an archive's entry is its archive's resolved path joined with its name
    let resolve = |f: &str| match archive::split(f) {
        Some((zip, entry)) if !Path::new(f).exists() => {
            std::fs::canonicalize(zip).ok().map(|z| z.join(entry))
        }
        _ => std::fs::canonicalize(f).ok(),
    };
    let real: Vec<Option<std::path::PathBuf>> = files
        .par_iter()
        .map(|f| (f != "-").then(|| resolve(f)).flatten())
        .collect();
    let mut chosen: std::collections::HashMap<&Path, &str> = std::collections::HashMap::new();
    for (f, r) in files.iter().zip(&real) {
        if let Some(r) = r {
            let best = chosen.entry(r.as_path()).or_insert(f.as_str());
            if (f.len(), f.as_str()) < (best.len(), *best) {
                *best = f.as_str();
            }
        }
    }
    let mut kept = Vec::with_capacity(files.len());
    for (f, r) in files.iter().zip(&real) {
        match r.as_ref().map(|r| chosen[r.as_path()]) {
            Some(other) if other != f => problems.push(Problem::warn(
                Location::file(f.as_str()),
                format!("the same file as {other}, which is read instead (a file named twice is read once)"),
            )),
            _ => kept.push(f.clone()),
        }
    }
    kept
}

/// Files this small may be equal without being copies (two one-line
/// reviews, each its own file, that say the same thing).
const MIN_COPY_BYTES: u64 = 256;

/// The inputs that are byte-for-byte copies of another (a download saved
/// twice, `export (1).csv`; an archive's file beside its unpacked folder), by
/// index, each with the path of the one read instead: of each set of copies,
/// the shortest path (then the first in byte order), as for a file named
/// twice, so the choice does not depend on the order of the paths given.
/// Files under [`MIN_COPY_BYTES`] are never copies.
fn copies_of(results: &[(Parsed, u64, InputFile)]) -> HashMap<usize, String> {
    fn hash(input: &InputFile) -> Option<&str> {
        input
            .sha256
            .as_deref()
            .filter(|_| input.bytes >= MIN_COPY_BYTES)
    }
    let mut kept: HashMap<&str, &str> = HashMap::new();
    for (_, _, input) in results {
        if let Some(h) = hash(input) {
            let best = kept.entry(h).or_insert(input.path.as_str());
            if (input.path.len(), input.path.as_str()) < (best.len(), *best) {
                *best = input.path.as_str();
            }
        }
    }
    let mut copies = HashMap::new();
    for (i, (_, _, input)) in results.iter().enumerate() {
        if let Some(h) = hash(input) {
            if kept[h] != input.path {
                copies.insert(i, kept[h].to_string());
            }
        }
    }
    copies
}

/// Read every input (files, directories, globs, `-` for standard input).
/// Files are parsed in parallel on rayon's global pool; the result is sorted
/// (documents by source path then position, problems by location) so it is
/// identical whatever the thread count or the order of `paths`.
pub fn read_inputs(paths: &[String], opts: &IngestOptions) -> IngestReport {
    let (mut files, mut ignored, mut problems) = expand_paths(paths, opts.format.is_some());
    files.sort();
    files.dedup();
    let files = read_once(files, &mut problems);
    ignored.sort();
    ignored.dedup();
    let zips = archive::Pool::default();
    let results: Vec<(Parsed, u64, InputFile)> =
        files.par_iter().map(|p| read_one(p, opts, &zips)).collect();
    drop(zips);
    let copies = copies_of(&results);
    let mut documents = Vec::new();
    let mut inputs = Vec::with_capacity(results.len());
    let mut replaced_bytes = 0;
    let mut blank_records = 0;
    // a column two surveys ask differently names no one question
    let mut questions: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (i, (parsed, replaced, mut input)) in results.into_iter().enumerate() {
        if let Some(first) = copies.get(&i) {
            problems.push(Problem::warn(
                Location::file(input.path.as_str()),
                format!(
                    "the same bytes as {first}, which is read instead (a copy is read once, so that its documents do not count twice)"
                ),
            ));
            input.documents = 0;
            inputs.push(input);
            continue;
        }
        documents.extend(parsed.documents);
        problems.extend(parsed.problems);
        blank_records += parsed.blank;
        for (column, asked) in parsed.questions {
            questions
                .entry(column)
                .and_modify(|q| {
                    if q.as_deref() != Some(asked.as_str()) {
                        *q = None;
                    }
                })
                .or_insert(Some(asked));
        }
        replaced_bytes += replaced;
        inputs.push(input);
    }
    sort_documents(&mut documents);
    problems.sort_by(|a, b| {
        (&a.loc.path, a.loc.line, a.loc.record, &a.msg).cmp(&(
            &b.loc.path,
            b.loc.line,
            b.loc.record,
            &b.msg,
        ))
    });
    problems.dedup();
    IngestReport {
        documents,
        problems,
        inputs,
        ignored,
        replaced_bytes,
        blank_records,
        questions: questions
            .into_iter()
            .filter_map(|(c, q)| Some((c, q?)))
            .collect(),
    }
}

/// The canonical document order: source path, then the first turn's record,
/// line and span, then id.
pub fn sort_documents(docs: &mut [Document]) {
    docs.sort_by(|a, b| doc_sort_key(a).cmp(&doc_sort_key(b)));
}

/// The key [`sort_documents`] orders by.
pub fn doc_sort_key(d: &Document) -> (&str, u64, u64, usize, &str) {
    let first = d.turns.first().map(|t| &t.source);
    (
        d.source.as_str(),
        first.and_then(|s| s.record).unwrap_or(0),
        first.and_then(|s| s.line).unwrap_or(0),
        first.map(|s| s.span[0]).unwrap_or(0),
        d.id.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gzipped_archive_or_document_gets_the_advice_its_content_needs() {
        // was: no advice for `calls.7z.gz` or `scan.pdf.gz`, their extension
        // being `gz`
        let archives = unread_advice("calls.7z").unwrap();
        assert_eq!(unread_advice("exports/calls.7z.gz"), Some(archives));
        assert_eq!(unread_advice("calls.tar.XZ"), Some(archives));
        assert_eq!(unread_advice("scan.pdf.gz"), unread_advice("scan.pdf"));
        assert!(unread_advice("scan.pdf").is_some());
        // read as folders, not advised against
        assert_eq!(unread_advice("calls.tar.gz"), None);
        assert_eq!(unread_advice("calls.tgz"), None);
        assert_eq!(unread_advice("notes.gz"), None);
        assert_eq!(unread_advice("calls.csv.gz"), None);
    }
}
