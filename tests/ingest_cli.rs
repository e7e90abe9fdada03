//! `whyline ingest` through the binary: the JSONL contract, exit codes,
//! standard input, directories and globs, and byte-identical output whatever
//! the thread count or the order paths are given in.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn whyline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whyline"))
        .args(args)
        .output()
        .unwrap()
}

/// `whyline ingest -` with `input` on its standard input.
fn ingest_stdin(input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_whyline"))
        .args(["ingest", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn jsonl_has_the_contract_fields_in_order() {
    let out = whyline(&["ingest", &format!("{FIX}/ingest/call.vtt")]);
    assert_eq!(out.status.code(), Some(0));
    let first = String::from_utf8(out.stdout).unwrap();
    let line = first.lines().next().unwrap();
    let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
    let keys: Vec<&str> = v.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id", "doc", "source", "line", "record", "span", "speaker", "role", "start_ms",
            "end_ms", "text", "noise", "meta"
        ]
    );
    assert_eq!(v["noise"], "role:agent");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 document, 4 segments (2 analysed)"), "{err}");
}

#[test]
fn skipped_records_exit_3_and_are_reported_with_position() {
    let out = whyline(&["ingest", &format!("{FIX}/ingest/reviews.csv")]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("reviews.csv:4 (record 2): malformed row"),
        "{err}"
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
}

#[test]
fn missing_file_is_skipped_not_fatal() {
    let out = whyline(&[
        "ingest",
        &format!("{FIX}/ingest/interview.txt"),
        "/nonexistent/x.txt",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 8);
}

#[test]
fn bad_format_flag_is_a_usage_error() {
    let out = whyline(&["ingest", "--format", "pdf", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn standard_input_with_sniffed_format() {
    let out = ingest_stdin(
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Kim>The invoice total is wrong.\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["source"], "-");
    assert_eq!(v["speaker"], "Kim");
    assert_eq!(v["start_ms"], 1000);
}

#[test]
fn directory_and_glob_inputs() {
    let dir = format!("{FIX}/ingest");
    let out = whyline(&["ingest", &dir]);
    let by_dir = out.stdout;
    let err = String::from_utf8(out.stderr).unwrap();
    // every fixture is read but the folder's README
    let fixtures = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "README.md")
        .count();
    assert!(fixtures >= 28, "{fixtures}");
    assert!(err.contains(&format!("{fixtures} files")), "{err}");
    let glob = format!("{FIX}/ingest/*.vtt");
    let out = whyline(&["ingest", &glob]);
    let s = String::from_utf8(out.stdout).unwrap();
    assert_eq!(s.lines().count(), 7);
    assert!(!by_dir.is_empty());
}

#[test]
fn files_of_unknown_extension_are_named_not_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("call.txt"), "The fee was too high.\n").unwrap();
    std::fs::write(dir.path().join("notes.odt"), "PK\u{3}\u{4}").unwrap();
    std::fs::write(dir.path().join("scan.pdf"), "%PDF-1.7").unwrap();
    // the folder's own documentation is no customer's text
    std::fs::write(dir.path().join("README.md"), "# Calls of week 48\n").unwrap();
    let out = whyline(&["ingest", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("1 file,"), "{err}");
    assert!(
        err.contains(
            "not read (unknown extension, or a README or LICENSE of the folder): 3 files: "
        ) && err.contains("README.md, ")
            && err.contains("notes.odt, ")
            && err.contains("scan.pdf"),
        "{err}"
    );
    // named on the command line, a README is read
    let readme = dir.path().join("README.md");
    let out = whyline(&["ingest", readme.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        0,
        "a heading only"
    );
    assert!(String::from_utf8(out.stderr).unwrap().contains("1 file,"));
}

/// `whyline ingest PATH`: its exit code, segments and stderr.
fn ingest_rows(p: &std::path::Path) -> (Option<i32>, Vec<serde_json::Value>, String) {
    let out = whyline(&["ingest", p.to_str().unwrap()]);
    let rows = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code(),
        rows,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A nightly export compressed with gzip is read as the file it holds, found
/// in a folder by the extension before `.gz`; one cut short is skipped with
/// its name and why, and the rest of the folder is still read.
#[test]
fn gzip_exports_are_read_as_the_file_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id,text,rating\n\
a1,\"The fee was too high, so I closed the account.\",2\n\
a2,Support never called me back about the refund.,1\n";
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("reviews.csv"), csv).unwrap();
    let packed = dir.path().join("packed");
    std::fs::create_dir(&packed).unwrap();
    std::fs::write(packed.join("reviews.csv.gz"), gz(csv.as_bytes())).unwrap();
    let jsonl = "{\"text\": \"The app logs me out every time I switch screens.\"}\n".repeat(40);
    let whole = gz(jsonl.as_bytes());
    std::fs::write(packed.join("chats.jsonl.gz"), &whole[..whole.len() / 2]).unwrap();
    std::fs::write(packed.join("calls.7z"), "7z\u{bc}\u{af}").unwrap();

    let (code, want, _) = ingest_rows(&plain);
    assert_eq!(code, Some(0));
    let (code, got, err) = ingest_rows(&packed);
    assert_eq!(code, Some(3), "the cut-short file is skipped: {err}");
    assert!(
        err.contains("chats.jsonl.gz:1: gzip file cut short"),
        "{err}"
    );
    assert!(
        err.contains("not read (") && err.contains("calls.7z"),
        "{err}"
    );
    assert_eq!(got.len(), 2, "{got:?}");
    for (g, w) in got.iter().zip(&want) {
        for k in ["text", "line", "record", "span", "meta", "noise"] {
            assert_eq!(g[k], w[k], "{k}");
        }
        assert!(g["source"]
            .as_str()
            .unwrap()
            .ends_with("packed/reviews.csv.gz"));
    }
    // with no name to tell (`zcat`-less standard input), the content says
    // gzip, then CSV
    let out = ingest_stdin(&gz(csv.as_bytes()));
    assert_eq!(out.status.code(), Some(0));
    let piped: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(piped.len(), 2);
    for (g, w) in piped.iter().zip(&want) {
        assert_eq!(
            (&g["text"], &g["record"], &g["meta"]),
            (&w["text"], &w["record"], &w["meta"])
        );
    }
}

/// A zip or tar archive is read as the folder it holds, without unpacking it: the
/// same segments, each naming the archive and the file inside it; an archive
/// that cannot be opened is skipped with its reason.
#[test]
fn a_zip_or_tar_archive_is_read_as_the_folder_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let call = "Agent: Thanks for calling, how can I help?\n\
Kim: My card was charged twice for the same order.\n\
Kim: I want the second charge refunded, because I never got a second parcel.\n";
    let csv = "id,text\nr1,The app logs me out every time I switch screens.\nr2,Delivery took three weeks.\n";
    let files: [(&str, Vec<u8>); 4] = [
        ("calls/kim.txt", call.as_bytes().to_vec()),
        ("reviews.csv.gz", gz(csv.as_bytes())),
        ("README.md", b"# Export of week 48\n".to_vec()),
        ("scan.pdf", b"%PDF-1.7".to_vec()),
    ];
    let folder = dir.path().join("export");
    std::fs::create_dir_all(folder.join("calls")).unwrap();
    for (name, data) in &files {
        std::fs::write(folder.join(name), data).unwrap();
    }
    let zip_path = dir.path().join("export.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    w.add_directory("export/calls/", opts).unwrap();
    for (name, data) in &files {
        w.start_file(format!("export/{name}"), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.start_file("__MACOSX/export/._reviews.csv.gz", opts)
        .unwrap();
    w.write_all(b"\0\x05\x16\x07").unwrap();
    w.finish().unwrap();

    // the same folder as a gzipped tar, as `tar czf export.tgz export` writes it
    let tgz_path = dir.path().join("export.tgz");
    let mut t = tar::Builder::new(flate2::write::GzEncoder::new(
        std::fs::File::create(&tgz_path).unwrap(),
        flate2::Compression::default(),
    ));
    t.append_dir_all("export", &folder).unwrap();
    t.into_inner().unwrap().finish().unwrap();

    let (code, want, _) = ingest_rows(&folder);
    assert_eq!(code, Some(0));
    for archive in [&zip_path, &tgz_path] {
        let (code, got, err) = ingest_rows(archive);
        assert_eq!(code, Some(0), "{err}");
        let name = archive.to_str().unwrap();
        assert!(
            err.contains(&format!("{name}/export/README.md"))
                && err.contains(&format!("{name}/export/scan.pdf")),
            "the entries not read are named: {err}"
        );
        assert_eq!(got.len(), want.len());
        assert_eq!(got.len(), 5, "3 turns and 2 reviews");
        for (g, w) in got.iter().zip(&want) {
            for k in [
                "text", "line", "record", "span", "speaker", "role", "noise", "meta",
            ] {
                assert_eq!(g[k], w[k], "{k}");
            }
            let inner = w["source"]
                .as_str()
                .unwrap()
                .strip_prefix(folder.to_str().unwrap())
                .unwrap();
            assert_eq!(g["source"], format!("{name}/export{inner}"));
        }
    }

    let broken = dir.path().join("broken.zip");
    std::fs::write(&broken, "PK\u{3}\u{4}").unwrap();
    let (code, rows, err) = ingest_rows(&broken);
    assert_eq!((code, rows.len()), (Some(3), 0), "{err}");
    assert!(
        err.contains("broken.zip: not a readable zip archive"),
        "{err}"
    );
}

/// A file saved twice (`export (1).csv`) is read once, with a warning naming
/// both, whatever order the paths come in; files too small to tell a copy
/// from two people saying the same thing are both read.
#[test]
fn a_copy_of_a_file_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,text\n");
    for i in 0..8 {
        csv += &format!("r{i},The delivery of order {i} was late and nobody told me why.\n");
    }
    std::fs::write(dir.path().join("export.csv"), &csv).unwrap();
    std::fs::write(dir.path().join("export (1).csv"), &csv).unwrap();
    std::fs::write(dir.path().join("a.txt"), "Great app, love it.\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "Great app, love it.\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let out = whyline(&["ingest", d]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "warning: {d}/export (1).csv: the same bytes as {d}/export.csv, which is read instead"
        )),
        "{err}"
    );
    assert!(
        err.contains("10 documents"),
        "8 rows and 2 small files: {err}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("export (1).csv"),
        "the copy gave no segment"
    );
    // listed the other way round, the same file is read
    let again = whyline(&[
        "ingest",
        &format!("{d}/export.csv"),
        &format!("{d}/b.txt"),
        &format!("{d}/export (1).csv"),
        &format!("{d}/a.txt"),
    ]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), stdout);
}

#[test]
fn word_transcripts_are_read_and_a_broken_one_is_skipped_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let xml = "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>\
<w:p><w:r><w:t>Agent: How can I help?</w:t></w:r></w:p>\
<w:p><w:r><w:t xml:space=\"preserve\">Customer: </w:t></w:r><w:r><w:t>My card was declined twice because the bank froze it.</w:t></w:r></w:p>\
</w:body></w:document>";
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(xml.as_bytes()).unwrap();
    zip.finish().unwrap();
    std::fs::write(dir.path().join("call.docx"), buf.into_inner()).unwrap();
    std::fs::write(dir.path().join("broken.docx"), "not a zip").unwrap();
    let out = whyline(&["ingest", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "one file skipped");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("broken.docx:1: not a .docx file"), "{err}");
    let segs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let said: Vec<(&str, &str)> = segs
        .iter()
        .map(|s| (s["speaker"].as_str().unwrap(), s["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        said,
        [
            ("Agent", "How can I help?"),
            (
                "Customer",
                "My card was declined twice because the bank froze it."
            )
        ]
    );
    assert_eq!(segs[1]["line"], 2, "the paragraph's number");
}

#[test]
fn output_is_byte_identical_whatever_path_order_and_thread_count() {
    let files = [
        format!("{FIX}/ingest/interview.txt"),
        format!("{FIX}/ingest/call.vtt"),
        format!("{FIX}/ingest/reviews.csv"),
        format!("{FIX}/ingest/whisperx.json"),
        format!("{FIX}/ingest/otter.txt"),
        format!("{FIX}/multidogo/sample.tsv"),
        format!("{FIX}/cfpb/sample.jsonl"),
    ];
    let run = |threads: &str, paths: &[String]| {
        let mut args = vec!["--threads", threads, "ingest"];
        args.extend(paths.iter().map(String::as_str));
        let out = whyline(&args);
        assert_eq!(out.status.code(), Some(3));
        out.stdout
    };
    let base = run("1", &files);
    assert!(base.len() > 10_000);
    let mut rev = files.to_vec();
    rev.reverse();
    assert_eq!(base, run("2", &rev), "reversed paths, 2 threads");
    let mut rot = files.to_vec();
    rot.rotate_left(3);
    assert_eq!(base, run("2", &rot), "rotated paths, 2 threads");
    assert_eq!(base, run("1", &rev), "reversed paths, 1 thread");
}

/// A folder of files whyline does not read (PDFs, recordings) fails the run
/// with each kind named and what to do, not a bare "no documents".
#[test]
fn a_run_with_only_unread_files_says_what_to_do_with_them() {
    let d = tempfile::tempdir().unwrap();
    let inputs = d.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::write(inputs.join("survey.pdf"), "%PDF-1.7").unwrap();
    std::fs::write(inputs.join("call.mp3"), "ID3").unwrap();
    std::fs::write(inputs.join("notes.xyz"), "x").unwrap();
    let o = whyline(&[
        "--quiet",
        "run",
        inputs.to_str().unwrap(),
        "--out",
        d.path().join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "no documents could be read from ",
        "not read: 1 file: ",
        "survey.pdf (documents are read as text, CSV or JSON Lines",
        "call.mp3 (recordings are not transcribed here",
        "not read (unknown extension, or a README or LICENSE of the folder): 1 file: ",
        "notes.xyz",
    ] {
        assert!(err.contains(want), "{want:?} in {err}");
    }
}

#[test]
fn a_run_with_nothing_readable_names_the_input_and_keeps_earlier_results() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("insights.json"), "earlier").unwrap();
    let o = whyline(&[
        "--quiet",
        "run",
        "/nonexistent/x.txt",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no documents could be read from /nonexistent/x.txt")
            && err.contains("no such file"),
        "{err}"
    );
    // an input problem, not a configuration one
    assert!(!err.contains("config:"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("insights.json")).unwrap(),
        "earlier"
    );
}
