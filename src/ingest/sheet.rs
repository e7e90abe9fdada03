//! Spreadsheets: Excel (`.xlsx`, `.xlsm`, `.xlsb`, `.xls`) and OpenDocument
//! (`.ods`) workbooks, as survey tools, review platforms and CRMs export
//! them. Read with calamine (the workbook formats are zip archives of XML, or
//! binary records, with shared strings, styles and date systems; a crate that
//! reads all of them is worth more than a partial reader of one).
//!
//! The first sheet that holds a cell is read as a table exactly as a CSV
//! would be ([`super::table`]: header row, text, speaker and conversation
//! columns, title rows above the header, `meta` from the other columns).
//! Numbers stay numbers (`4.0` is `4`), dates become ISO dates
//! (`2026-11-02`, or `2026-11-02T09:40:00`), error cells are empty. `line`
//! is the sheet's row number, so `reviews.xlsx:17` is row 17 in Excel;
//! `span` points into the sheet as CSV text. Other sheets with data are
//! named in a warning.

use super::{Parsed, Problem};
use crate::Location;
use calamine::{Data, Reader};

/// The sheet as CSV text, the sheet row each CSV line starts (CSV line
/// `i + 1` is row `rows[i]`), and what the reader has to say.
struct AsCsv {
    csv: String,
    rows: Vec<u64>,
    problems: Vec<Problem>,
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                dt.as_f64().to_string()
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
            }
        }
    }
}

fn to_csv(path: &str, bytes: &[u8]) -> Result<AsCsv, String> {
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
            format!("not a workbook whyline can read (xlsx, xlsm, xlsb, xls, ods): {e}")
        })?;
    let mut problems = Vec::new();
    let mut chosen: Option<(String, calamine::Range<Data>)> = None;
    let mut others = Vec::new();
    for name in book.sheet_names() {
        let range = match book.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem::warn(
                    Location::file(path),
                    format!("sheet `{name}` not read: {e}"),
                ));
                continue;
            }
        };
        if range.used_cells().next().is_none() {
            continue;
        }
        if chosen.is_none() {
            chosen = Some((name, range));
        } else {
            others.push(format!("`{name}`"));
        }
    }
    if !others.is_empty() {
        problems.push(Problem::warn(
            Location::file(path),
            format!(
                "{} other sheet(s) with data not read ({}): whyline reads the first sheet \
                 with data; save the others as CSV to read them",
                others.len(),
                others.join(", ")
            ),
        ));
    }
    let Some((_, range)) = chosen else {
        return Ok(AsCsv {
            csv: String::new(),
            rows: Vec::new(),
            problems,
        });
    };
    let first_row = u64::from(range.start().map_or(0, |(r, _)| r)) + 1;
    let mut out: Vec<u8> = Vec::new();
    let mut rows = Vec::new();
    let mut lines = 0usize;
    for (i, row) in range.rows().enumerate() {
        let before = out.len();
        let cells: Vec<String> = row.iter().map(cell_text).collect();
        // trailing empty cells are left out, as a CSV export leaves them; an
        // empty row is an empty line, which the table reader passes over
        let used = cells
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |p| p + 1);
        if used > 0 {
            let mut w = csv::WriterBuilder::new()
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            w.write_record(&cells[..used]).map_err(|e| e.to_string())?;
            out.extend(w.into_inner().map_err(|e| e.to_string())?);
        } else {
            out.push(b'\n');
        }
        // a cell with line breaks makes a row span several CSV lines
        lines += memchr::memchr_iter(b'\n', &out[before..]).count();
        rows.resize(lines, first_row + i as u64);
    }
    let csv = String::from_utf8(out).map_err(|e| e.to_string())?;
    Ok(AsCsv {
        csv,
        rows,
        problems,
    })
}

/// Parse a workbook's first sheet with data as a table.
pub fn parse(path: &str, bytes: &[u8], opts: &super::IngestOptions) -> Result<Parsed, String> {
    let sheet = to_csv(path, bytes)?;
    let mut out = Parsed {
        problems: sheet.problems,
        ..Default::default()
    };
    if sheet.csv.trim().is_empty() {
        out.problems.push(Problem::warn(
            Location::file(path),
            "no cell holds anything (empty workbook)",
        ));
        return Ok(out);
    }
    let mut table = super::table::parse(path, &sheet.csv, b',', opts, super::Taint::NONE);
    // CSV line numbers back to sheet rows
    let row_of = |line: u64| {
        usize::try_from(line)
            .ok()
            .and_then(|l| l.checked_sub(1))
            .and_then(|l| sheet.rows.get(l))
            .copied()
            .unwrap_or(line)
    };
    for turn in table.documents.iter_mut().flat_map(|d| d.turns.iter_mut()) {
        turn.source.line = turn.source.line.map(row_of);
    }
    for p in &mut table.problems {
        p.loc.line = p.loc.line.map(row_of);
    }
    out.documents = table.documents;
    out.problems.extend(table.problems);
    out.blank = table.blank;
    out.questions = table.questions;
    Ok(out)
}
