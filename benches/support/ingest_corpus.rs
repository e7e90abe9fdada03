//! The ingest speed corpus, shared by `benches/ingest.rs` and
//! `examples/ingest_profile.rs` (included with `#[path]`): the MultiDoGO sample
//! calls rendered as timed transcripts with agent turns interleaved, and CFPB
//! narratives rendered as interviews, repeated with a varying number so
//! documents differ.

use std::path::Path;

const AGENT: &[&str] = &[
    "Thank you for calling, this is Sam. How can I help you today?",
    "Let me look into that for you.",
    "Could you confirm the details for me, please?",
    "Okay, I have updated that on your account.",
    "Is there anything else I can help you with?",
];

pub fn build_corpus(dir: &Path, target_bytes: usize) -> usize {
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
