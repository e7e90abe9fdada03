//! Every ingest format and every adversarial input, with the exact segments
//! (location, speaker, role, times, noise, text) and problems expected.
//! Fixtures live in tests/fixtures/ingest (see the README there).

use whyline::ingest::{read_inputs, IngestOptions};
use whyline::segment::{segment_corpus, Segment, SegmentOptions};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ingest");

fn row(s: &Segment) -> String {
    let mut loc = String::new();
    if let Some(l) = s.line {
        loc += &format!("L{l}");
    }
    if let Some(r) = s.record {
        loc += &format!("R{r}");
    }
    let t = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    format!(
        "{} {} {} {}-{} {} |{}",
        loc,
        s.speaker.as_deref().unwrap_or("-"),
        s.role
            .map(|r| serde_json::to_value(r)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string())
            .unwrap_or("-".into()),
        t(s.start_ms),
        t(s.end_ms),
        s.noise.map(|n| n.as_str()).unwrap_or("signal"),
        s.text
    )
}

fn check(name: &str, segments: &[&str], problems: &[&str]) {
    let path = format!("{FIX}/{name}");
    let report = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    let segs = segment_corpus(&report.documents, &SegmentOptions::default());
    let got: Vec<String> = segs.iter().map(row).collect();
    assert_eq!(got, segments, "segments of {name}");
    let got: Vec<String> = report
        .problems
        .iter()
        .map(|p| p.to_string().replace(FIX, "FIX"))
        .collect();
    assert_eq!(got, problems, "problems of {name}");
    // Every segment's byte span lies inside the decoded text, and where the
    // turn was copied verbatim it holds the segment text.
    for s in &segs {
        assert!(s.span[0] <= s.span[1], "{s:?}");
        assert_eq!(&*s.source, path.as_str());
    }
}

#[test]
fn fixture_interview_txt() {
    check(
        "interview.txt",
        &[
            "L1 Maya interviewer 1000-2727 role:interviewer |Thanks for joining.",
            "L1 Maya interviewer 2818-6000 role:interviewer |How do you track your budget today?",
            "L2 Leo customer 6000-8903 signal |Honestly, I use a spreadsheet.",
            "L2 Leo customer 9000-15000 signal |It breaks every month when the bank changes its export format.",
            "L3 Maya interviewer 15000-18000 role:interviewer |What happens then?",
            "L4 Leo customer 18000-20000 filler |Um, yeah.",
            "L5 Leo customer 20000- signal |I spend an evening fixing formulas.",
            "L5 Leo customer 20000- signal |That's why I stopped using it in March.",
        ],
        &[
        ],
    );
}

#[test]
fn fixture_otter_txt() {
    check(
        "otter.txt",
        &[
            "L2 Speaker 1 agent 2000-5289 role:agent |Thank you for calling Northwind Bank, this is Sam.",
            "L2 Speaker 1 agent 5355-7000 role:agent |How can I help you today?",
            "L5 Speaker 2 customer 7000-7250 greeting |Hi.",
            "L5 Speaker 2 customer 7333-11666 signal |I was charged a late fee even though I paid on time.",
            "L5 Speaker 2 customer 11750-15000 signal |The payment left my account on the 3rd.",
            "L9 Speaker 1 agent 15000-17400 role:agent |I'm sorry about that.",
            "L9 Speaker 1 agent 17514-19000 role:agent |Let me check.",
            "L12 Speaker 2 customer 19000- filler |Okay.",
        ],
        &[
        ],
    );
}

#[test]
fn fixture_notes_txt() {
    check(
        "notes.txt",
        &[
            "L1 - customer - signal |The onboarding took too long.",
            "L1 - customer - signal |I had to call support twice before my account was verified.",
            "L4 - customer - signal |Note: the mobile app crashed when I uploaded my ID.",
        ],
        &[],
    );
}

#[test]
fn fixture_call_vtt() {
    check(
        "call.vtt",
        &[
            "L11 Agent agent 0-4000 role:agent |Thank you for calling Acme, how can I help?",
            "L15 Customer customer 4500-7660 signal |My internet drops every evening.",
            "L15 Customer customer 7759-12500 signal |It has happened for two weeks & nobody fixed it.",
            "L20 Agent agent 13000-15000 role:agent |Okay.",
        ],
        &[
        ],
    );
}

#[test]
fn fixture_broken_vtt() {
    check(
        "broken.vtt",
        &[
            "L4 Customer customer 1000-3000 signal |The first cue is fine.",
            "L7 Customer customer - signal |This cue has a broken start time.",
            "L10 Customer customer - signal |This one has a broken arrow.",
        ],
        &[
            "warning: FIX/broken.vtt:6: bad cue timing `00:00:0x.000 --> 00:00:07.000`: text kept without times",
            "warning: FIX/broken.vtt:9: bad cue timing `00:00:09.000 -> 00:00:10.000`: text kept without times",
        ],
    );
}

#[test]
fn fixture_call_srt() {
    check(
        "call.srt",
        &[
            "L3 AGENT agent 1000-3000 role:agent |Good morning, you're through to billing.",
            "L7 CALLER customer 3500-6218 signal |I was billed twice for March.",
            "L7 CALLER customer 6312-9500 signal |I want the second charge refunded.",
            "L12 CALLER customer 10000-12000 signal |The duplicate charge is still pending.",
        ],
        &[],
    );
}

#[test]
fn fixture_whisperx_json() {
    check(
        "whisperx.json",
        &[
            "R1 SPEAKER_00 agent 0-2500 role:agent |Hello, you're speaking with Dana.",
            "R2 SPEAKER_01 customer 2800-7661 signal |The delivery arrived late and the box was damaged.",
            "R2 SPEAKER_01 customer 7758-9800 signal |I want a replacement.",
            "R3 SPEAKER_00 agent 10000-11000 role:agent |Mm-hmm.",
        ],
        &[
            "skipped: FIX/whisperx.json (record 4): segment without a `text` string",
        ],
    );
}

#[test]
fn fixture_reviews_csv() {
    check(
        "reviews.csv",
        &[
            "L2R1 - customer - signal |Checkout kept failing, so I gave up.",
            "L2R1 - customer - signal |Support never answered my email.",
            "L5R3 - customer - signal |Fast shipping, great price.",
        ],
        &[
            "skipped: FIX/reviews.csv:4 (record 2): malformed row: 3 fields, header has 4",
            "warning: FIX/reviews.csv:6 (record 4): no text in column `review`: left out",
        ],
    );
}

#[test]
fn fixture_reviews_tsv() {
    check(
        "reviews.tsv",
        &[
            "L2R1 - customer - signal |The app is \"okay\" but slow to load.",
            "L3R2 - customer - signal |Two fields in quotes, one cell.",
        ],
        &[],
    );
}

#[test]
fn fixture_reviews_jsonl() {
    check(
        "reviews.jsonl",
        &[
            "L1R1 - customer - signal |The fee was never explained before I signed up.",
            "L3R3 - customer - signal |Great support team, they solved it in minutes.",
        ],
        &[
            "skipped: FIX/reviews.jsonl:2 (record 2): not JSON (column 2): expected ident at line 1 column 2",
            "skipped: FIX/reviews.jsonl:5 (record 5): no text in field `text`",
        ],
    );
}

#[test]
fn fixture_bom_crlf_txt() {
    check(
        "bom_crlf.txt",
        &[
            "L1 Agent agent - role:agent |Hello, how can I help?",
            "L2 Customer customer - signal |My card was declined at the store.",
            "L4 Customer customer - signal |It happened twice this week.",
        ],
        &[],
    );
}

#[test]
fn fixture_utf16le_txt() {
    check(
        "utf16le.txt",
        &[
            "L1 Agent agent - role:agent |Hello, how can I help?",
            "L2 Customer customer - signal |The refund still has not arrived after three weeks.",
        ],
        &[],
    );
}

#[test]
fn fixture_utf16be_txt() {
    check(
        "utf16be.txt",
        &[
            "L1 Agent agent - role:agent |Hello, how can I help?",
            "L2 Customer customer - signal |The refund still has not arrived after three weeks.",
        ],
        &[],
    );
}

#[test]
fn fixture_invalid_utf8_txt() {
    check(
        "invalid_utf8.txt",
        &[
            "L1 Customer customer - signal |The caf� app charged me twice.",
            "L2 Customer customer - signal |Please fix the �� billing page…",
        ],
        &["warning: FIX/invalid_utf8.txt:1: 3 invalid byte sequence(s) replaced with U+FFFD"],
    );
}

#[test]
fn fixture_empty_txt() {
    check(
        "empty.txt",
        &[],
        &["warning: FIX/empty.txt: no text (empty file)"],
    );
}

#[test]
fn fixture_binary_txt() {
    check(
        "binary.txt",
        &[],
        &["skipped: FIX/binary.txt:321: binary file (NUL byte at offset 8640), skipped"],
    );
}

#[test]
fn verbatim_spans_point_at_the_text() {
    let path = format!("{FIX}/interview.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let report = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    for s in segment_corpus(&report.documents, &SegmentOptions::default()) {
        assert_eq!(&text[s.span[0]..s.span[1]], s.text);
    }
}

#[test]
fn csv_rating_stays_a_number() {
    let path = format!("{FIX}/reviews.csv");
    let report = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    let d = &report.documents[0];
    assert_eq!(d.meta["rating"], serde_json::json!(2));
    assert_eq!(d.meta["date"], serde_json::json!("2024-03-01"));
    assert_eq!(report.documents[1].meta["rating"], serde_json::json!(4.5));
}

#[test]
fn strict_skips_records_with_invalid_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.jsonl");
    std::fs::write(
        &p,
        // the valid "é" makes it UTF-8 with a bad byte, not Windows-1252
        [
            "{\"text\":\"fine récord here\"}\n".as_bytes(),
            b"{\"text\":\"bad \xff byte\"}\n",
        ]
        .concat(),
    )
    .unwrap();
    let path = p.to_string_lossy().into_owned();
    let lax = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    assert_eq!(lax.documents.len(), 2);
    assert_eq!(lax.replaced_bytes, 1);
    let strict = read_inputs(
        std::slice::from_ref(&path),
        &IngestOptions {
            strict: true,
            ..Default::default()
        },
    );
    assert_eq!(strict.documents.len(), 1);
    assert_eq!(strict.skipped(), 1);
    assert_eq!(strict.problems[0].loc.line, Some(2));
}

#[test]
fn roles_flag_and_speaker_override_the_heuristic() {
    let path = format!("{FIX}/otter.txt");
    let report = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    let mut o = SegmentOptions::default();
    o.roles
        .insert("speaker 1".into(), whyline::ingest::Role::Customer);
    o.roles
        .insert("Speaker 2".into(), whyline::ingest::Role::Agent);
    let segs = segment_corpus(&report.documents, &o);
    assert_eq!(segs[1].noise, None);
    assert_eq!(segs[3].noise, Some(whyline::segment::Noise::RoleAgent));
    let o = SegmentOptions {
        speakers: vec!["Speaker 1".into()],
        ..Default::default()
    };
    let segs = segment_corpus(&report.documents, &o);
    assert_eq!(segs[1].noise, None);
    assert_eq!(segs[3].noise, Some(whyline::segment::Noise::RoleOther));
}

#[test]
fn boilerplate_is_flagged_across_documents_and_duplicates_within() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..6 {
        let p = dir.path().join(format!("c{i}.txt"));
        std::fs::write(
            &p,
            format!(
                "Customer: Your call is important to us please hold.\nCustomer: My order {i} never shipped to my house.\nCustomer: My order {i} never shipped to my house!\n"
            ),
        )
        .unwrap();
        paths.push(p.to_string_lossy().into_owned());
    }
    let report = read_inputs(&paths, &IngestOptions::default());
    let segs = segment_corpus(&report.documents, &SegmentOptions::default());
    assert_eq!(segs.len(), 18);
    for chunk in segs.chunks(3) {
        assert_eq!(chunk[0].noise, Some(whyline::segment::Noise::Boilerplate));
        assert_eq!(chunk[1].noise, None);
        assert_eq!(chunk[2].noise, Some(whyline::segment::Noise::Duplicate));
    }
}

#[test]
fn fixture_rev_txt() {
    check(
        "rev.txt",
        &[
            "L2 Speaker 1 agent 5000-9000 role:agent |Thanks for taking the time today.",
            "L5 Speaker 2 customer 9000- filler |Sure.",
            "L5 Speaker 2 customer 9000- signal |The export to Excel never works for me.",
            "L5 Speaker 2 customer 9000- signal |It drops half the rows.",
        ],
        &[],
    );
}

#[test]
fn every_file_read_is_listed_with_the_hash_of_the_bytes_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("a.jsonl");
    let good_bytes = b"{\"text\":\"My card was declined at the store.\"}\n{\"text\":\"The fee was never explained.\"}\n";
    std::fs::write(&good, good_bytes).unwrap();
    // a file whose every record is bad, and an empty one: read, no documents
    std::fs::write(dir.path().join("b.jsonl"), b"{bad json\n").unwrap();
    std::fs::write(dir.path().join("c.txt"), b"").unwrap();
    let missing = dir.path().join("gone.txt").to_string_lossy().into_owned();
    let report = read_inputs(
        &[missing.clone(), dir.path().to_string_lossy().into_owned()],
        &IngestOptions::default(),
    );
    let names: Vec<&str> = report
        .inputs
        .iter()
        .map(|f| f.path.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["a.jsonl", "b.jsonl", "c.txt"],
        "a path that does not exist is not read"
    );
    assert_eq!(report.files(), 3);
    let a = &report.inputs[0];
    assert_eq!(a.bytes, good_bytes.len() as u64);
    assert_eq!(
        a.sha256.as_deref(),
        Some(whyline::util::sha256_hex(good_bytes).as_str())
    );
    assert_eq!(a.documents, 2);
    assert_eq!(
        (report.inputs[1].documents, report.inputs[2].documents),
        (0, 0)
    );
    assert_eq!(
        report.inputs[2].sha256.as_deref(),
        Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        "the empty file's hash"
    );
    assert!(report
        .problems
        .iter()
        .any(|p| p.loc.path == missing && p.skipped));
    assert_eq!(
        report.inputs.iter().map(|f| f.documents).sum::<usize>(),
        report.documents.len()
    );
}

#[test]
fn a_file_named_twice_is_read_once_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_string_lossy().into_owned();
    std::fs::write(
        dir.path().join("a.txt"),
        "Customer: The fee was hidden until the last step.\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.txt"),
        "Customer: Nobody answered my calls for a week.\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("a.txt", dir.path().join("latest.txt")).unwrap();
    let twice = format!("{d}/./a.txt");
    for paths in [[twice.clone(), d.clone()], [d.clone(), twice.clone()]] {
        let report = read_inputs(&paths, &IngestOptions::default());
        let read: Vec<&str> = report.inputs.iter().map(|f| f.path.as_str()).collect();
        // the shortest spelling is kept, whichever came first
        assert_eq!(read, [format!("{d}/a.txt"), format!("{d}/b.txt")]);
        assert_eq!(report.documents.len(), 2);
        let mut others = vec![twice.as_str()];
        #[cfg(unix)]
        others.push("latest.txt");
        for other in others {
            assert!(
                report.problems.iter().any(|p| p.loc.path.ends_with(other)
                    && !p.skipped
                    && p.msg.contains(&format!("the same file as {d}/a.txt"))),
                "{other}: {:?}",
                report.problems
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_in_a_folder_is_not_followed() {
    // regression: `up -> ..` inside the folder read every file once per
    // level until the system's link limit (40 times), all then flagged as
    // boilerplate
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls");
    std::fs::create_dir(&calls).unwrap();
    std::fs::write(
        calls.join("a.txt"),
        "Customer: The fee was hidden until the last step.\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", calls.join("up")).unwrap();
    std::os::unix::fs::symlink(".", calls.join("here")).unwrap();
    let report = read_inputs(
        &[calls.to_string_lossy().into_owned()],
        &IngestOptions::default(),
    );
    assert_eq!(report.files(), 1, "{:?}", report.inputs);
    assert_eq!(report.documents.len(), 1);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.loc.path.ends_with("calls/here") && p.msg.contains("symbolic link back")),
        "{:?}",
        report.problems
    );
    assert!(report.problems.iter().all(|p| !p.skipped));
}

#[test]
fn whyline_output_folders_inside_an_input_folder_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("a.txt"),
        "Customer: The fee was hidden until the last step.\n",
    )
    .unwrap();
    // an earlier run's results, one a killed run left, and a run's lock
    for out in [
        "whyline-out",
        "out-2026-12-01",
        "whyline-out.whyline-staging",
    ] {
        std::fs::create_dir(root.join(out)).unwrap();
        std::fs::write(
            root.join(out).join("segments.jsonl"),
            "{\"text\":\"The fee was hidden until the last step.\"}\n",
        )
        .unwrap();
    }
    for out in ["whyline-out", "out-2026-12-01"] {
        std::fs::write(root.join(out).join("insights.json"), "{}").unwrap();
        std::fs::write(root.join(out).join("run.json"), "{}").unwrap();
    }
    std::fs::write(root.join("whyline-out.whyline-lock"), "42").unwrap();
    // a folder of the user's that merely holds a run.json is read
    std::fs::create_dir(root.join("reviews")).unwrap();
    std::fs::write(root.join("reviews/run.json"), "{\"segments\":[]}").unwrap();
    std::fs::write(
        root.join("reviews/r.jsonl"),
        "{\"text\":\"Great app, but it logs me out.\"}\n",
    )
    .unwrap();
    let root_s = root.to_string_lossy().into_owned();
    let report = read_inputs(std::slice::from_ref(&root_s), &IngestOptions::default());
    let read: Vec<&str> = report
        .inputs
        .iter()
        .map(|f| f.path.strip_prefix(root_s.as_str()).unwrap())
        .collect();
    assert_eq!(read, ["/a.txt", "/reviews/r.jsonl", "/reviews/run.json"]);
    assert!(report.ignored.is_empty(), "{:?}", report.ignored);
    // named on the command line, an earlier run's file is read
    let named = root.join("whyline-out/segments.jsonl");
    let report = read_inputs(
        &[named.to_string_lossy().into_owned()],
        &IngestOptions::default(),
    );
    assert_eq!(report.documents.len(), 1);
}

#[test]
fn fixture_reviews_export_json() {
    // a review scraper's JSON array: was read as Whisper JSON and every
    // element skipped as "segment without a `text` string"
    check(
        "reviews_export.json",
        &[
            "L2R1 - customer - signal |The app logs me out every time I switch to the camera. Very annoying.",
            "L16R3 - customer - signal |Dark mode finally!",
            "L16R3 - customer - signal |Switching from my old bank was worth it.",
        ],
        &["warning: FIX/reviews_export.json:9 (record 2): no text in field `content`: left out"],
    );
}

#[test]
fn fixture_excel_cp1252_csv() {
    // Excel's "CSV" on Windows: was "2 invalid byte sequence(s) replaced"
    // and every accent, dash, curly quote and euro sign lost to U+FFFD
    check(
        "excel_cp1252.csv",
        &[
            "L2R1 - customer - signal |Delivery took three weeks – the café next door had it in two days",
            "L3R2 - customer - signal |The “premium” plan costs €19 a month and adds nothing",
        ],
        &["warning: FIX/excel_cp1252.csv:2: not UTF-8: read as Windows-1252 (Latin-1), as Excel \
           and older tools write; save it as UTF-8 if its accents look wrong"],
    );
}

#[test]
fn fixture_excel_semicolon_csv() {
    // a survey export from a German Excel: title rows, `;` separator,
    // decimal commas. Was: a one-column header and every row malformed
    check(
        "excel_semicolon.csv",
        &[
            "L4R1 - customer - signal |Die Lieferung kam zu spät; zwei Wochen.",
            "L5R2 - customer - signal |Support was friendly, refund fast",
        ],
        &[
            "warning: FIX/excel_semicolon.csv:1: lines 1-2 above the header row (line 3) taken \
           for a title and not read (`Kundenumfrage November 2026`)",
        ],
    );
}

#[test]
fn fixture_survey_xlsx() {
    // a survey export as Excel writes it: a title row, a blank row, a
    // multi-line answer, a date, an empty answer and a second sheet. Was:
    // "not read (unknown extension)"
    check(
        "survey.xlsx",
        &[
            "L4R1 - customer - signal |The price went up twice this year.",
            "L4R1 - customer - signal |Nobody told us why.",
            "L5R2 - customer - signal |Support answered within an hour & fixed it.",
            "L8R4 - customer - signal |The app crashes when I upload photos.",
        ],
        &[
            "warning: FIX/survey.xlsx: 1 other sheet(s) with data not read (`Summary`): whyline \
             reads the first sheet with data; save the others as CSV to read them",
            "warning: FIX/survey.xlsx:1: line 1 above the header row (line 3) taken for a title \
             and not read (`Customer survey, November 2026`)",
            "warning: FIX/survey.xlsx:7 (record 3): no text in column `Comment`: left out",
        ],
    );
    let path = format!("{FIX}/survey.xlsx");
    let report = read_inputs(std::slice::from_ref(&path), &IngestOptions::default());
    let d = &report.documents[0].meta;
    assert_eq!(
        d["Rating"],
        serde_json::json!(2),
        "2.0 in the sheet stays a number"
    );
    assert_eq!(d["Submitted"], "2026-11-02T09:40:00");
    assert_eq!(report.documents[1].meta["Rating"], serde_json::json!(4.5));
    assert_eq!(report.documents[1].meta["Submitted"], "2026-11-03");
}

#[test]
fn a_damaged_workbook_is_an_error_naming_the_file_never_a_panic() {
    let good = std::fs::read(format!("{FIX}/survey.xlsx")).unwrap();
    let opts = IngestOptions::default();
    let mut variants: Vec<Vec<u8>> = [0, 4, 30, 500, good.len() / 2, good.len() - 22]
        .iter()
        .map(|&n| good[..n].to_vec())
        .collect();
    for at in (0..good.len()).step_by(23) {
        let mut v = good.clone();
        v[at] ^= 0x5a;
        variants.push(v);
    }
    let mut refused = 0;
    for v in &variants {
        match whyline::ingest::parse_bytes("bad.xlsx", v, &opts) {
            Err(e) => {
                assert!(e.to_string().starts_with("bad.xlsx:1:"), "{e}");
                refused += 1;
            }
            Ok((p, _)) => {
                for d in &p.documents {
                    assert!(d.turns.iter().all(|t| !t.text.is_empty()));
                }
            }
        }
    }
    assert!(refused >= 6, "the truncated ones at least: {refused}");
}

#[test]
fn fixture_reviews_ods() {
    // an OpenDocument spreadsheet (LibreOffice): read as the xlsx is
    check(
        "reviews.ods",
        &[
            "L2R1 - customer - signal |The checkout failed three times.",
            "L3R2 - customer - signal |Great support, fast refund.",
        ],
        &[],
    );
}

#[test]
fn fixture_reviews_xls() {
    // the binary Excel 97-2003 format, still exported by older CRMs
    check(
        "reviews.xls",
        &[
            "L2R1 - customer - signal |Shipping took a month.",
            "L3R2 - customer - signal |Love the new app.",
        ],
        &[],
    );
}

#[test]
fn fixture_intercom_conversation_json() {
    // the opening message in `source`, the comment parts after it; the
    // assignment and close events have no body, the note is internal
    check(
        "intercom_conversation.json",
        &[
            "L1R1 Jane Doe customer - signal |Hi, my card was declined at checkout because the bank flagged the payment.",
            "L1R1 Sam agent - role:agent |Thanks for contacting us!",
            "L1R1 Sam agent - role:agent |Which card did you use?",
            "L1R1 Jane Doe customer - signal |The new one.",
            "L1R1 Jane Doe customer - signal |I just want to pay without calling the bank every time.",
        ],
        &[],
    );
}

#[test]
fn fixture_zendesk_ticket_json() {
    // the requester's comments are the customer's; the private one is left out
    check(
        "zendesk_ticket.json",
        &[
            "L1R1 20978392 customer - signal |I was charged twice for one order, so I cancelled my subscription.",
            "L1R1 381 agent - role:agent |Sorry about that!",
            "L1R1 381 agent - role:agent |A refund is on its way.",
            "L1R1 20978392 customer - closing |Thanks.",
            "L1R1 20978392 customer - signal |It still feels like a trick when the price changes at the last step.",
        ],
        &[],
    );
}

#[test]
fn fixture_freshdesk_tickets_jsonl() {
    // subject and description first (the requester's), then the thread
    check(
        "freshdesk_tickets.jsonl",
        &[
            "L1R1 5001 customer - signal |Late delivery",
            "L1R1 5001 customer - signal |My parcel is a week late and nobody answers the phone.",
            "L1R1 77 agent - role:agent |Sorry!",
            "L1R1 77 agent - role:agent |We are checking with the courier.",
            "L1R1 5001 customer - signal |Still nothing. I just want to know when it arrives.",
            "L2R2 5002 customer - signal |Wrong size",
            "L2R2 5002 customer - signal |The shoes run small, so I need to return them.",
        ],
        &[],
    );
}

#[test]
fn fixture_helpscout_conversation_json() {
    // threads listed newest first are read oldest first
    check(
        "helpscout_conversation.json",
        &[
            "L1R1 Jane Doe customer - signal |I was charged twice because the checkout froze.",
            "L1R1 Sam Lee agent - role:agent |Sorry!",
            "L1R1 Sam Lee agent - role:agent |The refund is on its way.",
            "L1R1 Jane Doe customer - signal |Still no refund after two weeks.",
        ],
        &[],
    );
}

#[test]
fn fixture_zoom_chat_txt() {
    // by sender; the reaction and the reply's quoted head are not read
    check(
        "zoom_chat.txt",
        &[
            "L2 Maya (Research) interviewer 41000-83000 role:interviewer |What made you stop the order last week?",
            "L4 Jane Doe (she/her) customer 83000-130000 signal |The delivery fee only shows up at the last step, which is why I gave up.",
            "L6 Maya (Research) interviewer 130000-165000 role:interviewer |Can you say more about that?",
            "L12 Jane Doe (she/her) customer 165000- signal |I just want to know the full price before I enter my card.",
        ],
        &[],
    );
}

#[test]
fn what_a_qualtrics_column_asks_reaches_the_ingest_report() {
    // was: read from the export's second header row, then dropped between
    // the parser and the report, so the outcome stayed a bare `Q1`
    let d = tempfile::tempdir().unwrap();
    let id = |i: &str| format!("\"{{\"\"ImportId\"\":\"\"{i}\"\"}}\"");
    let qualtrics = format!(
        "ResponseId,Q1,Q1_NPS_GROUP,Q2\n\
         Response ID,How likely are you to recommend us?,How likely are you to recommend us? - Group,Why?\n\
         {},{},{},{}\n\
         R_1,3,Detractor,The fee doubled and nobody told me why.\n",
        id("_recordId"),
        id("QID1"),
        id("QID1_NPS_GROUP"),
        id("QID2_TEXT")
    );
    let (a, b) = (d.path().join("a.csv"), d.path().join("b.csv"));
    std::fs::write(&a, &qualtrics).unwrap();
    // a second survey that asks its Q2 differently names no one Q2
    std::fs::write(&b, qualtrics.replace("Why?", "What should we improve?")).unwrap();
    let paths = [a.display().to_string(), b.display().to_string()];
    let report = read_inputs(&paths, &IngestOptions::default());
    assert_eq!(
        report.questions.get("Q1").map(String::as_str),
        Some("How likely are you to recommend us?")
    );
    assert!(
        !report.questions.contains_key("Q2"),
        "{:?}",
        report.questions
    );
    assert!(!report.questions.contains_key("ResponseId"));
}

#[test]
fn a_headerless_tsv_keeps_its_first_row() {
    // was: GoEmotions' TSV (comment, label ids, comment id; no header row)
    // lost its first comment, taken for a header whose columns were named
    // after it (`Is this in New Orleans?? ...`, `27`, `edgurhb`)
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/goemotions/dev-head.tsv"
    );
    let raw = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<&str>> = raw.lines().map(|l| l.split('\t').collect()).collect();
    let report = read_inputs(&[path.to_string()], &IngestOptions::default());
    assert_eq!(report.documents.len(), rows.len());
    // every comment, in file order: the first on line 1, record 1
    let first = &report.documents[0].turns[0];
    assert_eq!(first.text, rows[0][0]);
    assert_eq!((first.source.line, first.source.record), (Some(1), Some(1)));
    for (d, row) in report.documents.iter().zip(&rows) {
        let text: Vec<&str> = d.turns.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            text.join(" "),
            row[0].trim_matches('"').replace("\"\"", "\"").trim()
        );
        assert_eq!(d.meta["column 3"], serde_json::json!(row[2]));
    }
    // said once, on line 1: the row read as data, then the column guessed
    let msgs: Vec<(Option<u64>, &str)> = report
        .problems
        .iter()
        .map(|p| (p.loc.line, p.msg.as_str()))
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs.iter().all(|(l, _)| *l == Some(1)), "{msgs:?}");
    assert!(msgs[0].1.starts_with("line 1 reads as data"), "{msgs:?}");
    assert!(msgs[1].1.contains("reading `column 1`"), "{msgs:?}");
}
