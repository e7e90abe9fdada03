//! Ingest + segment throughput, in MB of transcript text per second.
//!
//! Corpus (built at bench time from the committed samples, ~8 MB): the
//! MultiDoGO sample calls rendered as timed `[hh:mm:ss] Name: text`
//! transcripts with agent turns interleaved (short turns), and CFPB
//! narratives rendered as interviews (long turns), each repeated with a
//! varying number so documents differ. Measures `read_inputs` (decode,
//! parse, in parallel) plus `segment_corpus` (sentences, windows, roles,
//! noise) on rayon's global pool; JSON output is not included.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
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

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = build_corpus(dir.path(), 8 << 20);
    let paths = vec![dir.path().to_string_lossy().into_owned()];
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("read_inputs+segment_corpus", |b| {
        b.iter(|| {
            let report = read_inputs(&paths, &IngestOptions::default());
            let segs = segment_corpus(&report.documents, &SegmentOptions::default());
            assert!(!segs.is_empty());
            segs.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
