//! Word documents (`.docx`): the transcripts that Otter, Zoom, Teams and
//! most transcription services export, and interview notes written in Word.
//!
//! The body's paragraphs (`word/document.xml`: `w:p`, their `w:t` runs,
//! tabs and line breaks; table cells paragraph by paragraph; deleted text of
//! tracked changes left out) become the lines of a plain text, an empty
//! paragraph a blank line, and that text is read as a plain-text transcript
//! ([`super::text`]): `Name: text` paragraphs, `Name 00:01:02` header
//! paragraphs, or paragraphs without speakers. A turn's `line` is the number
//! of its first paragraph, its span a byte range of that extracted text.

use super::text;
use super::Parsed;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::io::Read;

/// The most bytes of `word/document.xml` read (a larger part is refused,
/// not a memory blow-up from a small compressed file).
const MAX_XML_BYTES: u64 = 256 << 20;

/// Parse a `.docx` file's bytes; `Err` says why it is not a readable Word
/// document.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Parsed, String> {
    // runs split a sentence anywhere, tabs separate words
    Ok(text::with_single_spaces(text::parse(
        path,
        &extract(bytes)?,
    )))
}

/// The text of a `.docx` file's body, one paragraph per line.
pub fn extract(bytes: &[u8]) -> Result<String, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a .docx file (not a zip archive: {e})"))?;
    let part = zip
        .by_name("word/document.xml")
        .map_err(|_| "not a Word document (no word/document.xml)".to_string())?;
    let mut xml = String::new();
    part.take(MAX_XML_BYTES + 1)
        .read_to_string(&mut xml)
        .map_err(|e| format!("word/document.xml unreadable: {e}"))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(format!(
            "word/document.xml is larger than {} MiB",
            MAX_XML_BYTES >> 20
        ));
    }
    paragraphs(&xml)
}

/// The paragraphs of a WordprocessingML body, one per line.
fn paragraphs(xml: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    // inside a `w:t` run text; inside a paragraph
    let (mut in_text, mut in_para) = (false, false);
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "word/document.xml: bad XML at byte {}: {e}",
                reader.buffer_position()
            )
        })?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" => in_para = true,
                "t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" if in_para => out.push('\t'),
                "br" | "cr" if in_para => out.push('\n'),
                // an empty paragraph: a blank line
                "p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "p" => {
                    in_para = false;
                    out.push('\n');
                }
                "t" => in_text = false,
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                if r.is_char_ref() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        out.push(c);
                    }
                } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&r.xml10_content()) {
                    out.push_str(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal `.docx` whose body is `body` (WordprocessingML inside
    /// `w:body`).
    pub(crate) fn docx(body: &str) -> Vec<u8> {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
        );
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        zip.start_file("[Content_Types].xml", opts).unwrap();
        zip.write_all(b"<Types/>").unwrap();
        zip.start_file("word/document.xml", opts).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
        zip.finish().unwrap();
        buf.into_inner()
    }

    fn para(runs: &[&str]) -> String {
        let runs: String = runs
            .iter()
            .map(|r| {
                format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{r}</w:t></w:r>")
            })
            .collect();
        format!("<w:p><w:pPr><w:pStyle w:val=\"Normal\"/></w:pPr>{runs}</w:p>")
    }

    #[test]
    fn paragraphs_become_lines_and_speakers_are_read() {
        let body = [
            para(&["Maya: ", "What happened at checkout?"]),
            "<w:p/>".to_string(),
            para(&["P7: ", "The fee showed up at the end &amp; I left, because I felt tricked."]),
            // tracked deletion: not what was said
            "<w:p><w:del><w:r><w:delText>old words</w:delText></w:r></w:del><w:r><w:t>Maya: Why?</w:t></w:r></w:p>".to_string(),
            "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>P7: a cell&#8217;s text</w:t></w:r></w:p></w:tc></w:tr></w:tbl>".to_string(),
        ]
        .concat();
        let text = extract(&docx(&body)).unwrap();
        assert_eq!(
            text,
            "Maya: What happened at checkout?\n\nP7: The fee showed up at the end & I left, because I felt tricked.\nMaya: Why?\nP7: a cell\u{2019}s text\n"
        );
        let p = parse("call.docx", &docx(&body)).unwrap();
        let turns: Vec<_> = p.documents.iter().flat_map(|d| &d.turns).collect();
        let who: Vec<_> = turns
            .iter()
            .map(|t| t.speaker.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(who, ["Maya", "P7", "Maya", "P7"]);
        assert_eq!(turns[1].source.line, Some(3), "the paragraph's number");
    }

    #[test]
    fn a_file_that_is_no_word_document_says_so() {
        let e = extract(b"PK\x03\x04 not really").unwrap_err();
        assert!(e.contains("not a .docx"), "{e}");
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file("other.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.finish().unwrap();
        let e = extract(&buf.into_inner()).unwrap_err();
        assert!(e.contains("no word/document.xml"), "{e}");
        let e = extract(&docx("<w:p><w:r><w:t>unclosed</w:r></w:p>")).unwrap_err();
        assert!(e.contains("bad XML"), "{e}");
    }
}
