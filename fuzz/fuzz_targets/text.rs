#![no_main]
//! Fuzz the text parser, then segment whatever it read.

use libfuzzer_sys::fuzz_target;
use whyline::ingest::{parse_bytes, Format, IngestOptions};
use whyline::segment::{segment_corpus, SegmentOptions};

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions {
        format: Some(Format::Text),
        ..Default::default()
    };
    if let Ok((parsed, _)) = parse_bytes("fuzz.text", data, &opts) {
        let _ = segment_corpus(&parsed.documents, &SegmentOptions::default());
    }
});
