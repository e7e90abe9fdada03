#![no_main]
//! Fuzz the Word (.docx) reader, then segment whatever it read.

use libfuzzer_sys::fuzz_target;
use whyline::ingest::{parse_bytes, Format, IngestOptions};
use whyline::segment::{segment_corpus, SegmentOptions};

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions {
        format: Some(Format::Docx),
        ..Default::default()
    };
    if let Ok((parsed, _)) = parse_bytes("fuzz.docx", data, &opts) {
        let _ = segment_corpus(&parsed.documents, &SegmentOptions::default());
    }
});
