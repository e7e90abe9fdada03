//! Profiling driver for ingest + segment (the corpus of `benches/ingest.rs`,
//! without criterion), for callgrind/perf and for comparing outputs:
//!
//! `ingest_profile [MB] [ITERATIONS]` builds the corpus in a fixed directory
//! (`$TMPDIR/whyline-ingest-profile`, so document ids are the same from run to
//! run), then runs `read_inputs` + `segment_corpus` ITERATIONS times.
//! `DUMP=file` writes the last run's segments as JSONL. Used for the figures
//! in the README's ingest speed paragraph:
//! `RAYON_NUM_THREADS=1 valgrind --tool=callgrind target/release/examples/ingest_profile 2 2`
//! minus the same with 0 iterations, halved.

use std::path::Path;
use whyline::ingest::{read_inputs, IngestOptions};
use whyline::segment::{segment_corpus, SegmentOptions};

const AGENT: &[&str] = &[
    "Thank you for calling, this is Sam. How can I help you today?",
    "Let me look into that for you.",
    "Could you confirm the details for me, please?",
    "Okay, I have updated that on your account.",
    "Is there anything else I can help you with?",
];

fn build_corpus(dir: &Path, target_bytes: usize) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .from_path(root.join("multidogo/sample.tsv"))
        .expect("multidogo sample");
    let utterances: Vec<String> = rdr
        .records()
        .filter_map(Result::ok)
        .map(|r| r[3].replace('\n', " "))
        .collect();
    let narratives: Vec<String> = std::fs::read_to_string(root.join("cfpb/sample.jsonl"))
        .expect("cfpb sample")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["narrative"].as_str().map(|s| s.replace('\n', " ")))
        .collect();
    let mut total = 0;
    let mut n = 0;
    while total < target_bytes {
        let mut s = String::new();
        let mut t = 0u64;
        if n % 2 == 0 {
            for (i, u) in utterances.iter().enumerate() {
                for (who, text) in [("Sam", AGENT[i % AGENT.len()]), ("Kim", u.as_str())] {
                    s += &format!(
                        "[{:02}:{:02}:{:02}] {who}: {text} (ref {n})\n",
                        t / 3600,
                        t / 60 % 60,
                        t % 60
                    );
                    t += 5;
                }
            }
        } else {
            for (i, narrative) in narratives.iter().enumerate() {
                s += &format!("Interviewer: Can you tell me what happened, case {i}-{n}?\n");
                s += &format!("Participant: {narrative}\n\n");
            }
        }
        total += s.len();
        std::fs::write(dir.join(format!("doc{n:04}.txt")), s).expect("write corpus");
        n += 1;
    }
    total
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let iters: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let d = std::env::temp_dir().join("whyline-ingest-profile");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let bytes = build_corpus(&d, mb << 20);
    let paths = vec![d.to_string_lossy().into_owned()];
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..iters {
        let report = read_inputs(&paths, &IngestOptions::default());
        let segs = segment_corpus(&report.documents, &SegmentOptions::default());
        n = segs.len();
        if let Ok(f) = std::env::var("DUMP") {
            let mut out = String::new();
            for seg in &segs {
                out += &serde_json::to_string(seg).unwrap();
                out.push('\n');
            }
            std::fs::write(f, out).unwrap();
        }
    }
    let el = t.elapsed().as_secs_f64();
    eprintln!(
        "{bytes} bytes, {n} segments, {:.1} MiB/s wall",
        (bytes * iters) as f64 / el / 1048576.0
    );
}
