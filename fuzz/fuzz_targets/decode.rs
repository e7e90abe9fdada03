#![no_main]
//! Fuzz the decoder (BOM, UTF-16, line endings, invalid bytes, NUL).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = whyline::ingest::decode::decode("fuzz.bin", data) {
        assert!(d.replaced.iter().all(|&o| d.text.is_char_boundary(o)));
        assert!(!d.text.contains('\r'));
    }
});
