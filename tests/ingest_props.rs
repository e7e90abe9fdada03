//! Property tests: any input, in any format, gives `Ok` or a positioned
//! error, never a panic; and whatever is parsed segments without panicking,
//! with spans inside the decoded text and windows under the token budget.

use proptest::prelude::*;
use whyline::ingest::{decode, parse_bytes, Format, IngestOptions};
use whyline::segment::{estimate_tokens, segment_corpus, SegmentOptions};

fn check(bytes: &[u8], format: Option<Format>, path: &str) {
    let opts = IngestOptions {
        format,
        ..Default::default()
    };
    match parse_bytes(path, bytes, &opts) {
        Ok((parsed, _)) => {
            let text_len = decode::decode(path, bytes)
                .map(|d| d.text.len())
                .unwrap_or(0);
            for p in &parsed.problems {
                assert_eq!(p.loc.path, path);
            }
            for d in &parsed.documents {
                for t in &d.turns {
                    assert!(t.source.span[0] <= t.source.span[1]);
                    assert!(
                        t.source.span[1] <= text_len,
                        "{:?} > {text_len}",
                        t.source.span
                    );
                }
            }
            let segs = segment_corpus(&parsed.documents, &SegmentOptions::default());
            for s in &segs {
                assert!(s.span[1] <= text_len);
                assert!(estimate_tokens(&s.text) <= 254);
                if let (Some(a), Some(b)) = (s.start_ms, s.end_ms) {
                    assert!(a <= b);
                }
            }
        }
        Err(whyline::Error::Input { loc, .. }) => {
            assert_eq!(loc.path, path);
            assert!(loc.line.is_some() || loc.record.is_some());
        }
        Err(e) => panic!("unpositioned error: {e}"),
    }
}

/// Bytes biased towards the syntax of every format.
fn transcriptish() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            Just(b"WEBVTT\n".to_vec()),
            Just(b"00:00:01.000 --> 00:00:02,5".to_vec()),
            Just(b" --> ".to_vec()),
            Just(b"<v Ann>".to_vec()),
            Just(b"</v>".to_vec()),
            Just(b"&amp;".to_vec()),
            Just(b"NOTE ".to_vec()),
            Just(b"Agent: ".to_vec()),
            Just(b"[00:01:02] ".to_vec()),
            Just(b"Bob (0:02): ".to_vec()),
            Just(b"Speaker 1  0:03\n".to_vec()),
            Just(b"{\"segments\":[{\"start\":1.5,\"end\":0.5,\"text\":\"".to_vec()),
            Just(b"\"}]}".to_vec()),
            Just(b"{\"text\":\"a\",\"rating\":5}\n".to_vec()),
            Just(b"[{\"review\":\"".to_vec()),
            Just(b"{\"reviews\":[{\"body\":\"".to_vec()),
            Just(b"\",\"stars\":4},".to_vec()),
            Just(b"]".to_vec()),
            Just(b"<br/>".to_vec()),
            Just(b"<p class=\"x\">".to_vec()),
            Just(b"&amp;".to_vec()),
            Just(b"&#x".to_vec()),
            Just(b"<!--".to_vec()),
            Just(b"id,rating,text\n".to_vec()),
            Just(b"\"".to_vec()),
            Just(b",".to_vec()),
            Just(b"\t".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\n\n".to_vec()),
            Just(b". ".to_vec()),
            Just(b"Dr. ".to_vec()),
            Just(b"3.5 ".to_vec()),
            Just("é".as_bytes().to_vec()),
            Just(b"\xff".to_vec()),
            Just(b"\xef\xbb\xbf".to_vec()),
            "[a-zA-Z ?!]{1,12}".prop_map(|s| s.into_bytes()),
            prop::collection::vec(any::<u8>(), 1..4),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

fn formats() -> impl Strategy<Value = Option<Format>> {
    prop_oneof![
        Just(None),
        Just(Some(Format::Text)),
        Just(Some(Format::Markdown)),
        Just(Some(Format::Docx)),
        Just(Some(Format::Vtt)),
        Just(Some(Format::Srt)),
        Just(Some(Format::Whisper)),
        Just(Some(Format::Csv)),
        Just(Some(Format::Tsv)),
        Just(Some(Format::Jsonl)),
        Just(Some(Format::Sheet)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_any_format_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300), format in formats()) {
        check(&bytes, format, "input.bin");
    }

    #[test]
    fn format_shaped_bytes_never_panic(bytes in transcriptish(), format in formats()) {
        check(&bytes, format, "input.txt");
    }

    #[test]
    fn utf16_inputs_never_panic(units in prop::collection::vec(any::<u16>(), 0..100), be in any::<bool>()) {
        let mut bytes = if be { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
        for u in units {
            bytes.extend(if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        check(&bytes, None, "input.vtt");
    }

    #[test]
    fn decode_keeps_valid_utf8_text(s in "\\PC{0,60}") {
        let d = decode::decode("x", s.as_bytes());
        if s.contains('\0') {
            prop_assert!(d.is_err());
        } else {
            let d = d.unwrap();
            prop_assert_eq!(d.text, s.replace("\r\n", "\n").replace('\r', "\n"));
            prop_assert!(d.replaced.is_empty());
        }
    }
}
