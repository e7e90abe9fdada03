//! `whyline ingest`: read inputs, segment them, print one JSON object per
//! segment on stdout and a summary on stderr. Exit 3 when inputs were skipped.

use super::Ctx;
use std::collections::BTreeMap;
use std::io::Write;
use whyline::ingest::{Format, IngestOptions, Role};
use whyline::segment::{Analyse, SegmentOptions};
use whyline::util::count;

#[derive(clap::Args)]
#[command(after_help = "\
Formats (detected from the extension, then the content; --format overrides):
  text     .txt       transcripts: `Name: text`, `[00:01:02] Name: text`,
                      `Name (00:01:02): text`, `Name [00:01:02]: text`, `NAME 00:01:02`
                      header lines, Google Meet timestamp lines, WhatsApp chat exports
                      (`12/03/2023, 14:22 - Name: text`), Zoom meeting chats
                      (`10:02:33 From Name to Everyone:`), or no speakers
  markdown .md        notes and transcripts in Markdown (`**Maya:** text`); the markup,
                      headings, front matter and code are left out, then read as text
  docx     .docx      Word documents (Otter, Zoom, Teams transcript exports, notes): the
                      body's paragraphs, one per line, then read as text
  vtt      .vtt       WebVTT (`<v Speaker>` voices, NOTE/STYLE blocks, cue settings;
                      YouTube's rolling automatic captions read once)
  srt      .srt       SRT (`SPEAKER: text`, `[Name]:`, `>> NAME:` inside cues; `- ` lines)
  whisper  .json      openai-whisper / faster-whisper / WhisperX JSON (`segments[]`);
                      speech-to-text services' JSON (AWS Transcribe and Call Analytics,
                      Contact Lens, AssemblyAI, Deepgram, Rev.ai, Google, Speechmatics,
                      ElevenLabs Scribe, Twilio), Gong call transcripts (a document per
                      call), Fireflies and Recall.ai meeting transcripts;
                      a list of records (a review export, a Slack channel's day, survey
                      responses from Qualtrics', SurveyMonkey's or Typeform's API) as jsonl
  csv/tsv  .csv .tsv  header row (title rows above it skipped); `,` `;` tab or `|`;
                      text, speaker, conversation and start/end time columns
                      auto-detected; other columns kept in `meta` (numbers as numbers);
                      a survey's open questions (Qualtrics, SurveyMonkey, Google Forms)
                      each a turn naming its question (`question`)
  sheet    .xlsx .xls .ods  the first sheet with data, read as csv; line = sheet row
  jsonl    .jsonl     one object per line; same fields as CSV; a record's list of
                      chat messages (`messages: [{role, content}]`) is its conversation,
                      as are Intercom and Help Scout conversations and Zendesk and
                      Freshdesk ticket threads (internal notes left out)
  email    .eml .mbox e-mails: subject and the sender's own words (no quoted thread,
                      no signature), one document per message; sender = speaker
Gzip files (`calls.csv.gz`, or any file or standard input starting with gzip's bytes)
are read as the file they hold, its format from the name without `.gz`; a zip or tar
archive (.zip, .tar, .tar.gz, .tgz) as the folder it holds, each entry named
`export.zip/calls/kim.txt`.
Record text holding HTML (`<br>`, `&amp;`) is read as a browser shows it. A file with
no UTF-8 character in it that is not UTF-8 (nor UTF-16 with a BOM) is read as
Windows-1252 (Excel on Windows), with a warning.

Noise reasons (`noise`): filler, greeting, closing, boilerplate, duplicate,
too_short, details, role:agent, role:interviewer, role:other (null = analysed).

Exit codes: 0 ok, 2 error, 3 completed but some files or records were skipped.")]
pub struct Args {
    /// Files, directories (recursive), zip or tar archives, globs, or `-` for standard input.
    #[arg(required = true)]
    paths: Vec<String>,
    /// Input format for every file: text, markdown, docx, vtt, srt, whisper, csv, tsv, jsonl,
    /// sheet, email.
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Write JSON Lines (the default and only output format; accepted for clarity).
    #[arg(long)]
    jsonl: bool,
    /// CSV/TSV column or JSONL field holding the text (default: auto); repeat it for
    /// several (a survey's open questions), each answer one turn of the respondent's document.
    #[arg(long, alias = "text-field")]
    text_column: Vec<String>,
    /// CSV/TSV column or JSONL field holding the speaker (default: auto).
    #[arg(long, alias = "speaker-field")]
    speaker_column: Option<String>,
    /// CSV/TSV column or JSONL field grouping rows into conversations (default: auto).
    #[arg(long, alias = "doc-field")]
    doc_column: Option<String>,
    /// Skip records (CSV/TSV/JSONL) or files holding invalid bytes instead of replacing them.
    #[arg(long)]
    strict: bool,
    /// Which speakers are analysed: customer (others flagged role:*) or all.
    #[arg(long, default_value = "customer", value_parser = parse_analyse)]
    analyse: Analyse,
    /// Analyse only this speaker (repeatable); others are flagged by role.
    #[arg(long = "speaker")]
    speakers: Vec<String>,
    /// Speaker roles, e.g. `--roles "Sam=agent,Kim=customer"` (customer, agent, interviewer, other).
    #[arg(long, value_parser = parse_roles)]
    roles: Option<BTreeMap<String, Role>>,
    /// Encoder token budget per segment (estimated; default 256).
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| {
        format!("unknown format `{s}` (text, markdown, docx, vtt, srt, whisper, csv, tsv, jsonl, sheet, email)")
    })
}

fn parse_analyse(s: &str) -> Result<Analyse, String> {
    match s {
        "customer" | "customers" => Ok(Analyse::Customer),
        "all" => Ok(Analyse::All),
        _ => Err(format!("`{s}`: expected customer or all")),
    }
}

fn parse_roles(s: &str) -> Result<BTreeMap<String, Role>, String> {
    let mut m = BTreeMap::new();
    for pair in s.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, role) = pair
            .rsplit_once('=')
            .ok_or_else(|| format!("`{pair}`: expected NAME=ROLE"))?;
        let role = Role::parse(role)
            .ok_or_else(|| format!("`{role}`: expected customer, agent, interviewer or other"))?;
        m.insert(name.trim().to_string(), role);
    }
    Ok(m)
}

pub fn run(ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let _ = args.jsonl;
    let iopts = IngestOptions {
        format: args.format,
        text_fields: args.text_column,
        speaker_field: args.speaker_column,
        doc_field: args.doc_column,
        strict: args.strict,
    };
    let sopts = SegmentOptions {
        analyse: args.analyse,
        speakers: args.speakers,
        roles: args.roles.unwrap_or_default(),
        max_tokens: args.max_tokens,
        ..SegmentOptions::default()
    };
    let report = whyline::ingest::read_inputs(&args.paths, &iopts);
    for p in &report.problems {
        eprintln!("whyline: {p}");
    }
    let segments = whyline::segment::segment_corpus(&report.documents, &sopts);

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut res = Ok(());
    for s in &segments {
        res = serde_json::to_writer(&mut out, s)
            .map_err(std::io::Error::from)
            .and_then(|_| out.write_all(b"\n"));
        if res.is_err() {
            break;
        }
    }
    if res.is_ok() {
        res = out.flush();
    }
    if let Err(e) = res {
        // A closed pipe (`| head`) is not an error.
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(whyline::exit::OK);
        }
        return Err(whyline::Error::io("<stdout>", e));
    }

    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &segments {
        if let Some(n) = s.noise {
            *by_reason.entry(n.as_str()).or_default() += 1;
        }
    }
    let signal = segments.iter().filter(|s| s.noise.is_none()).count();
    let skipped = report.skipped();
    let _ = ctx.quiet;
    let noise = if by_reason.is_empty() {
        "none".to_string()
    } else {
        by_reason
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    eprintln!(
        "whyline ingest: {}, {}, {} ({} analysed); noise: {}; {} skipped, {}{}",
        count(report.files(), "file"),
        count(report.documents.len(), "document"),
        count(segments.len(), "segment"),
        signal,
        noise,
        skipped,
        count(report.problems.len() - skipped, "warning"),
        [
            (report.blank_records > 0).then(|| {
                format!(
                    ", {} with no text left out",
                    count(report.blank_records as usize, "record")
                )
            }),
            (!report.ignored.is_empty()).then(|| {
                format!(
                    "; not read (unknown extension, or a README or LICENSE of the folder): {}",
                    whyline::ingest::count_and_names(&report.ignored, 3)
                )
            }),
            (report.replaced_bytes > 0).then(|| {
                format!(
                    ", {} invalid byte sequences replaced",
                    report.replaced_bytes
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect::<String>()
    );
    Ok(if skipped > 0 {
        whyline::exit::SKIPPED_INPUTS
    } else {
        whyline::exit::OK
    })
}
