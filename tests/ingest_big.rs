//! A 50 MB file of one line must not blow up memory or time: generated at
//! test time (never committed), ingested and segmented in-process. Its own
//! test binary so the peak-memory reading (VmHWM) is this test's alone.

use std::time::Instant;
use whyline::ingest::{read_inputs, IngestOptions};
use whyline::segment::{estimate_tokens, segment_corpus, SegmentOptions};

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[test]
fn fifty_megabyte_single_line_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-line.txt");
    let unit = "Customer: the app froze again and again when I tried to pay my bill ";
    let mut text = String::with_capacity(50 << 20);
    while text.len() < 50 << 20 {
        text.push_str(unit);
    }
    std::fs::write(&path, &text).unwrap();
    let words = text.split_whitespace().count();
    drop(text);
    let before = peak_rss_kib();
    let t = Instant::now();
    let p = path.to_string_lossy().into_owned();
    let report = read_inputs(std::slice::from_ref(&p), &IngestOptions::default());
    let segs = segment_corpus(&report.documents, &SegmentOptions::default());
    let secs = t.elapsed().as_secs_f64();
    let after = peak_rss_kib();
    assert!(report.problems.is_empty());
    assert_eq!(report.documents.len(), 1);
    assert!(segs.len() > 1000, "{} segments", segs.len());
    assert!(segs.iter().all(|s| estimate_tokens(&s.text) <= 254));
    // Every word is kept: the `Customer:` prefix is the speaker, the rest is text.
    let kept: usize = segs.iter().map(|s| s.text.split_whitespace().count()).sum();
    assert_eq!(kept, words - 1);
    eprintln!(
        "50 MB single line: {} segments in {secs:.1}s (dev profile, whyline at opt-level 1), peak RSS {:?} -> {:?} KiB",
        segs.len(),
        before,
        after
    );
    assert!(secs < 120.0, "took {secs}s");
    if let (Some(_), Some(a)) = (before, after) {
        assert!(a < 2 << 20, "peak RSS {a} KiB (> 2 GiB) for a 50 MB input");
    }
}
