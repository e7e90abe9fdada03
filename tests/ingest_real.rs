//! Real conversations in every format: MultiDoGO customer turns (with
//! synthetic agent turns interleaved) rendered as text, WebVTT, SRT, Whisper
//! JSON, CSV, TSV and JSONL transcripts, then ingested and segmented. Measures
//! character coverage of customer text, speaker attribution and timestamps;
//! and CFPB complaint narratives as JSONL and CSV review exports.
//!
//! Uses the committed samples under tests/fixtures; when `../shared/data`
//! sits beside the crate, the full MultiDoGO airline dev split and the whole
//! CFPB development file are checked too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use whyline::ingest::{read_inputs, IngestOptions, Role};
use whyline::segment::{estimate_tokens, segment_corpus, Segment, SegmentOptions};

const AGENT_LINES: &[&str] = &[
    "Thank you for calling, this is Sam. How can I help you today?",
    "Let me look into that for you.",
    "Could you confirm the details for me, please?",
    "Okay, I have updated that on your account.",
    "Is there anything else I can help you with?",
];

#[derive(Clone)]
struct T {
    customer: bool,
    text: String,
    start: u64,
    end: u64,
}

fn conversations(path: &Path) -> Vec<Vec<T>> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .from_path(path)
        .unwrap();
    let mut convs: BTreeMap<String, Vec<(f64, String)>> = BTreeMap::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let n: f64 = r[1].parse().unwrap();
        convs
            .entry(r[0].to_string())
            .or_default()
            .push((n, r[3].to_string()));
    }
    convs
        .into_values()
        .map(|mut turns| {
            turns.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            let mut out = Vec::new();
            let mut t = 0u64;
            let mut push = |customer: bool, text: String, out: &mut Vec<T>| {
                let dur = 1000 + 40 * text.chars().count() as u64;
                out.push(T {
                    customer,
                    text,
                    start: t,
                    end: t + dur,
                });
                t += dur + 500;
            };
            for (i, (_, text)) in turns.into_iter().enumerate() {
                let text = text.trim().to_string();
                if text.is_empty() {
                    continue;
                }
                push(
                    false,
                    AGENT_LINES[i % AGENT_LINES.len()].to_string(),
                    &mut out,
                );
                push(true, text, &mut out);
            }
            out
        })
        .filter(|c: &Vec<T>| !c.is_empty())
        .collect()
}

fn hms(ms: u64, sep: char) -> String {
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Expected turn at a line or record: (speaker, customer, text, lo, hi).
type Expect = BTreeMap<u64, (String, bool, String, Option<u64>, Option<u64>)>;

/// Render one conversation; returns the file text and the expected turn per
/// line/record (keyed by where the turn starts).
fn render(fmt: &str, conv: &[T]) -> (String, Expect) {
    let name = |c: bool| if c { "Kim" } else { "Sam" };
    let mut s = String::new();
    let mut exp = Expect::new();
    let line_no = |s: &str| s.matches('\n').count() as u64 + 1;
    let no_blank = |t: &str| {
        t.lines()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let next_start = |i: usize| conv.get(i + 1).map(|n| n.start);
    match fmt {
        "whisper" => {
            let segs: Vec<serde_json::Value> = conv
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    exp.insert(
                        i as u64 + 1,
                        (
                            format!("SPEAKER_0{}", u8::from(t.customer)),
                            t.customer,
                            t.text.clone(),
                            Some(t.start),
                            Some(t.end),
                        ),
                    );
                    serde_json::json!({"id": i, "start": t.start as f64 / 1000.0, "end": t.end as f64 / 1000.0,
                        "text": format!(" {}", t.text), "speaker": format!("SPEAKER_0{}", u8::from(t.customer))})
                })
                .collect();
            s = serde_json::to_string_pretty(
                &serde_json::json!({"segments": segs, "language": "en"}),
            )
            .unwrap();
        }
        "csv" | "tsv" => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(if fmt == "csv" { b',' } else { b'\t' })
                .from_writer(vec![]);
            w.write_record(["conversation_id", "turn", "speaker", "text"])
                .unwrap();
            for (i, t) in conv.iter().enumerate() {
                w.write_record(["c1", &i.to_string(), name(t.customer), &t.text])
                    .unwrap();
                exp.insert(
                    i as u64 + 1,
                    (
                        name(t.customer).into(),
                        t.customer,
                        t.text.clone(),
                        None,
                        None,
                    ),
                );
            }
            s = String::from_utf8(w.into_inner().unwrap()).unwrap();
        }
        "jsonl" => {
            for (i, t) in conv.iter().enumerate() {
                s += &serde_json::json!({"conversation_id": "c1", "turn": i, "speaker": name(t.customer), "text": t.text}).to_string();
                s.push('\n');
                exp.insert(
                    i as u64 + 1,
                    (
                        name(t.customer).into(),
                        t.customer,
                        t.text.clone(),
                        None,
                        None,
                    ),
                );
            }
        }
        "vtt" | "srt" => {
            if fmt == "vtt" {
                s += "WEBVTT\n\n";
            }
            for (i, t) in conv.iter().enumerate() {
                let body = no_blank(&t.text);
                if fmt == "vtt" {
                    s += &format!(
                        "{}\n{} --> {} align:start\n",
                        i + 1,
                        hms(t.start, '.'),
                        hms(t.end, '.')
                    );
                    let esc = body
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;");
                    exp.insert(
                        line_no(&s),
                        (
                            name(t.customer).into(),
                            t.customer,
                            body.clone(),
                            Some(t.start),
                            Some(t.end),
                        ),
                    );
                    s += &format!("<v {}>{}</v>\n\n", name(t.customer), esc);
                } else {
                    s += &format!("{}\n{} --> {}\n", i + 1, hms(t.start, ','), hms(t.end, ','));
                    exp.insert(
                        line_no(&s),
                        (
                            name(t.customer).to_uppercase(),
                            t.customer,
                            body.clone(),
                            Some(t.start),
                            Some(t.end),
                        ),
                    );
                    s += &format!("{}: {}\n\n", name(t.customer).to_uppercase(), body);
                }
            }
        }
        _ => {
            for (i, t) in conv.iter().enumerate() {
                let n = name(t.customer);
                let (lo, hi) = if fmt == "text" {
                    (None, None)
                } else {
                    (Some(t.start), next_start(i))
                };
                match fmt {
                    "text" => {
                        exp.insert(line_no(&s), (n.into(), t.customer, t.text.clone(), lo, hi));
                        s += &format!("{n}: {}\n", t.text);
                    }
                    "text_ts" => {
                        exp.insert(line_no(&s), (n.into(), t.customer, t.text.clone(), lo, hi));
                        s += &format!("[{}] {n}: {}\n", &hms(t.start, '.')[..8], t.text);
                    }
                    "text_paren" => {
                        exp.insert(line_no(&s), (n.into(), t.customer, t.text.clone(), lo, hi));
                        s += &format!("{n} ({}): {}\n", &hms(t.start, '.')[..8], t.text);
                    }
                    _ => {
                        s += &format!("{n}  {}:{:02}\n", t.start / 60_000, t.start / 1000 % 60);
                        exp.insert(line_no(&s), (n.into(), t.customer, t.text.clone(), lo, hi));
                        s += &format!("{}\n\n", t.text);
                    }
                }
            }
            // Text timestamps are whole seconds: widen the window to them.
            for v in exp.values_mut() {
                v.3 = v.3.map(|x| x / 1000 * 1000);
                v.4 = v.4.map(|x| x / 1000 * 1000);
            }
        }
    }
    (s, exp)
}

const FORMATS: &[(&str, &str)] = &[
    ("text", "txt"),
    ("text_ts", "txt"),
    ("text_paren", "txt"),
    ("text_header", "txt"),
    ("vtt", "vtt"),
    ("srt", "srt"),
    ("whisper", "json"),
    ("csv", "csv"),
    ("tsv", "tsv"),
    ("jsonl", "jsonl"),
];

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

struct Figures {
    customer_chars: usize,
    covered_chars: usize,
    segments: usize,
    right_speaker: usize,
    right_role: usize,
    timed: usize,
    inside_cue: usize,
}

fn measure(convs: &[Vec<T>], fmt: &str, ext: &str) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let mut expects: BTreeMap<String, Expect> = BTreeMap::new();
    for (i, c) in convs.iter().enumerate() {
        let (text, exp) = render(fmt, c);
        let p: PathBuf = dir.path().join(format!("conv{i:04}.{ext}"));
        std::fs::write(&p, text).unwrap();
        let ps = p.to_string_lossy().into_owned();
        expects.insert(ps.clone(), exp);
        paths.push(ps);
    }
    let report = read_inputs(&paths, &IngestOptions::default());
    assert!(
        report.problems.is_empty(),
        "{fmt}: {:?}",
        &report.problems[..report.problems.len().min(5)]
    );
    let segs = segment_corpus(&report.documents, &SegmentOptions::default());
    let mut f = Figures {
        customer_chars: 0,
        covered_chars: 0,
        segments: segs.len(),
        right_speaker: 0,
        right_role: 0,
        timed: 0,
        inside_cue: 0,
    };
    let mut by_source: BTreeMap<&str, Vec<&Segment>> = BTreeMap::new();
    for s in &segs {
        by_source.entry(&*s.source).or_default().push(s);
        let exp = &expects[&*s.source];
        let key = s
            .line
            .filter(|_| !matches!(fmt, "csv" | "tsv" | "jsonl"))
            .or(s.record)
            .unwrap();
        let (_, (speaker, customer, text, lo, hi)) = exp.range(..=key).next_back().unwrap();
        if s.speaker.as_deref() == Some(speaker.as_str()) && squash(text).contains(&squash(&s.text))
        {
            f.right_speaker += 1;
        }
        if (s.role == Some(Role::Customer)) == *customer {
            f.right_role += 1;
        }
        if let Some(st) = s.start_ms {
            f.timed += 1;
            let ok_lo = lo.is_none_or(|lo| st >= lo);
            let ok_hi = match (hi, s.end_ms) {
                (Some(h), Some(e)) => e <= *h && st <= e,
                (Some(h), None) => st <= *h,
                _ => true,
            };
            if ok_lo && ok_hi {
                f.inside_cue += 1;
            }
        }
    }
    for (src, exp) in &expects {
        let segs = by_source.get(src.as_str()).cloned().unwrap_or_default();
        let cust: String = segs
            .iter()
            .filter(|s| s.role == Some(Role::Customer))
            .map(|s| squash(&s.text))
            .collect();
        for (_, customer, text, _, _) in exp.values() {
            if *customer {
                let t = squash(text);
                f.customer_chars += t.chars().count();
                if cust.contains(&t) {
                    f.covered_chars += t.chars().count();
                }
            }
        }
    }
    f
}

fn check_all(convs: &[Vec<T>], label: &str) {
    for (fmt, ext) in FORMATS {
        let f = measure(convs, fmt, ext);
        let coverage = f.covered_chars as f64 / f.customer_chars as f64;
        let speaker = f.right_speaker as f64 / f.segments as f64;
        let role = f.right_role as f64 / f.segments as f64;
        eprintln!(
            "{label} {fmt:12} convs {} segments {:5} coverage {:.4} right speaker {:.4} right role {:.4} timed {:5} inside cue {:5}",
            convs.len(),
            f.segments,
            coverage,
            speaker,
            role,
            f.timed,
            f.inside_cue
        );
        assert!(coverage >= 0.995, "{fmt}: coverage {coverage}");
        assert!(speaker >= 0.99, "{fmt}: right speaker {speaker}");
        assert!(role >= 0.99, "{fmt}: right role {role}");
        assert_eq!(f.timed, f.inside_cue, "{fmt}: timestamps outside their cue");
        if !matches!(*fmt, "text" | "csv" | "tsv" | "jsonl") {
            assert!(f.timed == f.segments, "{fmt}: untimed segments");
        }
    }
}

#[test]
fn multidogo_sample_in_every_format() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multidogo/sample.tsv");
    let convs = conversations(&p);
    assert!(convs.len() >= 35, "{} conversations", convs.len());
    check_all(&convs, "sample");
}

#[test]
fn multidogo_airline_dev_in_every_format_when_shared_data_is_present() {
    let p = shared("data/multidogo/airline/dev.tsv");
    if !p.exists() {
        eprintln!("skipped: {} not present", p.display());
        return;
    }
    let convs = conversations(&p);
    assert!(convs.len() > 100);
    check_all(&convs, "airline-dev");
}

/// `../shared` beside the crate (as in CI), or `$WHYLINE_SHARED_DIR`.
fn shared(rel: &str) -> PathBuf {
    match std::env::var_os("WHYLINE_SHARED_DIR") {
        Some(d) => PathBuf::from(d).join(rel),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared")
            .join(rel),
    }
}

fn cfpb_check(jsonl: &Path, expect_docs: Option<usize>) {
    let text = std::fs::read_to_string(jsonl).unwrap();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    if let Some(n) = expect_docs {
        assert_eq!(rows.len(), n);
    }
    // The same records as a CSV export (all columns, quoted multi-line narratives).
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("complaints.csv");
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    let cols: Vec<String> = rows[0].keys().cloned().collect();
    w.write_record(&cols).unwrap();
    for r in &rows {
        let rec: Vec<String> = cols
            .iter()
            .map(|c| match &r[c] {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            })
            .collect();
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let opts = IngestOptions {
        text_fields: vec!["narrative".into()],
        ..Default::default()
    };
    let mut texts_by_format = Vec::new();
    for path in [
        jsonl.to_string_lossy().into_owned(),
        csv_path.to_string_lossy().into_owned(),
    ] {
        let report = read_inputs(std::slice::from_ref(&path), &opts);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.documents.len(), rows.len());
        let segs = segment_corpus(&report.documents, &SegmentOptions::default());
        let mut total = 0usize;
        let mut covered = 0usize;
        for (d, r) in report.documents.iter().zip(&rows) {
            assert_eq!(
                d.meta["complaint_id"], r["complaint_id"],
                "complaint_id stays a number"
            );
            assert_eq!(d.meta["product"], r["product"]);
            let mine: String = segs
                .iter()
                .filter(|s| *s.doc == *d.id)
                .map(|s| squash(&s.text))
                .collect();
            // as shown: CFPB narratives hold HTML paragraph marks (`<P/>`)
            let n = squash(&whyline::ingest::markup::html_to_text(
                r["narrative"].as_str().unwrap(),
            ));
            total += n.chars().count();
            if mine == n {
                covered += n.chars().count();
            }
        }
        assert!(segs
            .iter()
            .all(|s| s.record.is_some() && estimate_tokens(&s.text) <= 254));
        assert!(segs.iter().all(|s| s.role == Some(Role::Customer)));
        let coverage = covered as f64 / total as f64;
        eprintln!(
            "cfpb {} docs {} segments {} coverage {:.4}",
            path.rsplit('.').next().unwrap(),
            report.documents.len(),
            segs.len(),
            coverage
        );
        assert!(coverage >= 0.995);
        texts_by_format.push(segs.into_iter().map(|s| s.text).collect::<Vec<_>>());
    }
    assert_eq!(
        texts_by_format[0], texts_by_format[1],
        "CSV and JSONL exports give the same segments"
    );
}

#[test]
fn cfpb_sample_as_jsonl_and_csv() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cfpb/sample.jsonl");
    cfpb_check(&p, Some(40));
}

#[test]
fn cfpb_full_development_file_when_shared_data_is_present() {
    let p = shared("data/cfpb_complaints/complaints.jsonl");
    if !p.exists() {
        eprintln!("skipped: {} not present", p.display());
        return;
    }
    cfpb_check(&p, Some(1226));
}
