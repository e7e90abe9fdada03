//! Labelled data in whyline's generic format: JSON Lines with
//! `{"text", "labels": [...]}` (multi-label) or `{"text", "label"}`
//! (single-label), or CSV/TSV with a text column and a label column.
//! Also the deterministic splits used by `fit` and `eval`.

use crate::error::{Error, Location, Result};
use crate::ingest::gzip;
use crate::util::stable_id;
use std::path::Path;

/// One labelled example.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The record's `id` when present, otherwise its text (used for splits).
    pub key: String,
    pub text: String,
    pub labels: Vec<String>,
    /// 1-based record number in the file, for error messages.
    pub record: u64,
    /// The record's group (`fit --group-field`): records of one group stay
    /// together in cross-fitting folds and the tuning split.
    pub group: Option<String>,
}

impl Example {
    /// What `fit`'s folds and tuning split hash: the group when there is one,
    /// else the key.
    pub fn split_key(&self) -> &str {
        self.group.as_deref().unwrap_or(&self.key)
    }
}

/// A labelled file.
#[derive(Debug, Clone)]
pub struct LabelledSet {
    pub path: String,
    /// true when any record uses `labels` (a list) instead of `label`.
    pub multi_label: bool,
    pub examples: Vec<Example>,
}

/// How to read CSV/TSV files.
#[derive(Debug, Clone, Default)]
pub struct ColumnSpec {
    /// Text column name (default `text`).
    pub text: Option<String>,
    /// Label column name (default `label`, or `labels`).
    pub label: Option<String>,
    /// Separator splitting several labels in one cell (multi-label CSV), e.g. `;`.
    pub label_sep: Option<String>,
    /// JSONL field or CSV/TSV column naming each record's group (grouped
    /// cross-validation); a record without it is skipped.
    pub group: Option<String>,
}

/// A record left out of a labelled file, and why (`a.jsonl:3: not JSON`).
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub loc: Location,
    pub why: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.loc, self.why)
    }
}

impl LabelledSet {
    /// Read a labelled file; the format follows the extension (`.csv`, `.tsv`,
    /// else JSONL). Strict: a bad record is an error naming it (see
    /// [`LabelledSet::read_skipping`]).
    pub fn read(path: &Path, cols: &ColumnSpec) -> Result<Self> {
        let (set, skipped) = Self::read_skipping(path, cols)?;
        match skipped.into_iter().next() {
            Some(s) => Err(Error::input(s.loc, s.why)),
            None => Ok(set),
        }
    }

    /// Read a labelled file, leaving out the records that cannot be read (not
    /// JSON, no text, no label, ...), each returned with where and why, so
    /// that one bad line does not stop an evaluation or a training run. An
    /// error when the file itself cannot be read (missing, no header, no
    /// text column) or no record can.
    pub fn read_skipping(path: &Path, cols: &ColumnSpec) -> Result<(Self, Vec<Skipped>)> {
        let p = path.display().to_string();
        let bytes = read_bytes(path, &p)?;
        let lower = gzip::inner_name(&p).to_ascii_lowercase();
        let (set, skipped) = if lower.ends_with(".tsv") {
            read_delimited(&bytes, &p, b'\t', cols)?
        } else if lower.ends_with(".csv") {
            // `;` from a European Excel, as `whyline run` reads it
            let head = &bytes[..bytes.len().min(64 << 10)];
            let delim = crate::ingest::table::csv_delimiter(&String::from_utf8_lossy(head));
            read_delimited(&bytes, &p, delim, cols)?
        } else {
            read_jsonl(&bytes, &p, cols)?
        };
        if set.examples.is_empty() {
            let why = match skipped.first() {
                Some(s) => format!(
                    "no labelled records ({} skipped; the first: {s})",
                    skipped.len()
                ),
                None => "no labelled records".to_string(),
            };
            return Err(Error::input(Location::file(&p), why));
        }
        Ok((set, skipped))
    }

    /// Sorted, deduplicated label names found in the data.
    pub fn label_names(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&String> =
            self.examples.iter().flat_map(|e| &e.labels).collect();
        set.into_iter().cloned().collect()
    }

    /// The examples' texts as the encoder and the classifiers read them
    /// ([`crate::util::encoder_text`]: without redaction masks), the same
    /// way `whyline run` gives them its segments.
    pub fn encoder_texts(&self) -> Vec<std::borrow::Cow<'_, str>> {
        self.examples
            .iter()
            .map(|e| crate::util::encoder_text(&e.text))
            .collect()
    }

    /// Keep only the examples for which `keep` holds.
    pub fn filtered(&self, keep: impl Fn(&Example) -> bool) -> Self {
        LabelledSet {
            path: self.path.clone(),
            multi_label: self.multi_label,
            examples: self.examples.iter().filter(|e| keep(e)).cloned().collect(),
        }
    }

    /// Label-index sets against `labels`; a label not in `labels` is an error
    /// naming the file and record.
    pub fn label_indices(&self, labels: &[String]) -> Result<Vec<Vec<usize>>> {
        let index: std::collections::HashMap<&str, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        self.examples
            .iter()
            .map(|e| {
                e.labels
                    .iter()
                    .map(|l| {
                        index.get(l.as_str()).copied().ok_or_else(|| {
                            Error::input(
                                Location::record(&self.path, e.record),
                                format!("label {l:?} is not one of the model's labels"),
                            )
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The first `k` examples of each label (single-label data), in split-hash
    /// order: a deterministic few-shot sample.
    pub fn per_label_sample(&self, k: usize, seed: u64) -> Self {
        let mut order: Vec<&Example> = self.examples.iter().collect();
        order.sort_by_key(|e| (split_hash(&e.key, seed), e.record));
        let mut taken: std::collections::HashMap<&str, usize> = Default::default();
        let mut keep = std::collections::HashSet::new();
        for e in order {
            let first = e.labels.first().map(String::as_str).unwrap_or("");
            let n = taken.entry(first).or_insert(0);
            if *n < k {
                *n += 1;
                keep.insert(e.record);
            }
        }
        self.filtered(|e| keep.contains(&e.record))
    }
}

/// Deterministic hash of an example key for splits (independent of file order).
pub fn split_hash(key: &str, seed: u64) -> u64 {
    let h = stable_id(&["split", &seed.to_string(), key]);
    u64::from_str_radix(&h, 16).unwrap_or(0)
}

/// Whether an example falls in the held-back fifth (bucket 0 of 5, seed 0).
pub fn in_holdout_fifth(e: &Example) -> bool {
    split_hash(&e.key, 0).is_multiple_of(5)
}

/// Whether an example falls in the tuning split carved from train when no dev
/// file is given (`percent` of the rows, by hash; disjoint from the fifth's
/// bucket arithmetic because it uses another seed).
/// Records of one group (`Example::group`) fall on the same side.
pub fn in_tuning_split(e: &Example, percent: u64) -> bool {
    split_hash(e.split_key(), 1) % 100 < percent
}

/// The cross-fitting fold (`0..k`) of an example, by hash (another seed than
/// the held-back fifth and the tuning split). Records of one group share a
/// fold.
pub fn fold_of(e: &Example, k: u64) -> usize {
    (split_hash(e.split_key(), 2) % k.max(1)) as usize
}

/// A labelled file's bytes; a gzip file's content (`banking77.jsonl.gz`), as
/// `whyline run` reads one.
fn read_bytes(path: &Path, p: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    gzip::content(bytes).map_err(|msg| Error::input(Location::file(p), msg))
}

fn read_jsonl(bytes: &[u8], p: &str, cols: &ColumnSpec) -> Result<(LabelledSet, Vec<Skipped>)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::input(
            Location::file(p),
            format!("not UTF-8 ({e}): save it as UTF-8"),
        )
    })?;
    // a byte-order mark, as Windows tools write one
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut examples = Vec::new();
    let mut skipped = Vec::new();
    let mut multi = false;
    for (i, line) in text.lines().enumerate() {
        let rec = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        match jsonl_example(line, rec, cols) {
            Ok((e, many)) => {
                multi |= many;
                examples.push(e);
            }
            Err(why) => skipped.push(Skipped {
                loc: Location::line(p, rec),
                why,
            }),
        }
    }
    let set = LabelledSet {
        path: p.to_string(),
        multi_label: multi,
        examples,
    };
    Ok((set, skipped))
}

/// One JSON Lines record as an example, and whether its labels came as a
/// list; or why it cannot be read.
fn jsonl_example(
    line: &str,
    rec: u64,
    cols: &ColumnSpec,
) -> std::result::Result<(Example, bool), String> {
    let text_field = cols.text.as_deref().unwrap_or("text");
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON (column {}): {e}", e.column()))?;
    let text = v
        .get(text_field)
        .and_then(|t| t.as_str())
        .ok_or_else(|| format!("missing string field {text_field:?}"))?
        .to_string();
    let (many, one) = match cols.label.as_deref() {
        // A named field: a list makes the record multi-label, a string single-label.
        Some(f) => match v.get(f) {
            Some(x @ serde_json::Value::Array(_)) => (Some(x), None),
            x => (None, x),
        },
        None => (v.get("labels"), v.get("label")),
    };
    let (labels, multi) = match (many, one) {
        (Some(serde_json::Value::Array(a)), _) => {
            // label ids (GoEmotions' own files hold numbers) name labels as
            // a single "label" number already does
            let labels = a
                .iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    serde_json::Value::Number(n) => Ok(n.to_string()),
                    _ => Err("\"labels\" must hold strings or numbers".to_string()),
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            (labels, true)
        }
        (_, Some(serde_json::Value::String(s))) => (vec![s.clone()], false),
        (_, Some(serde_json::Value::Number(n))) => (vec![n.to_string()], false),
        _ => {
            return Err(match cols.label.as_deref() {
                Some(f) => format!("missing label field {f:?} (a list or a string)"),
                None => "missing \"labels\" (list) or \"label\" (string)".to_string(),
            })
        }
    };
    let key = v
        .get("id")
        .and_then(|x| {
            x.as_str()
                .map(str::to_string)
                .or_else(|| Some(x.to_string()))
        })
        .filter(|s| s != "null")
        .unwrap_or_else(|| text.clone());
    let group = match cols.group.as_deref() {
        None => None,
        Some(f) => Some(match v.get(f) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(x @ serde_json::Value::Number(_)) => x.to_string(),
            _ => {
                return Err(format!(
                    "missing string or number field {f:?} (--group-field)"
                ))
            }
        }),
    };
    let example = Example {
        key,
        text,
        labels,
        record: rec,
        group,
    };
    Ok((example, multi))
}

fn read_delimited(
    bytes: &[u8],
    p: &str,
    delim: u8,
    cols: &ColumnSpec,
) -> Result<(LabelledSet, Vec<Skipped>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(false)
        .from_reader(bytes);
    let headers = rdr
        .headers()
        .map_err(|e| Error::input(Location::line(p, 1), e.to_string()))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let tcol = cols.text.as_deref().unwrap_or("text");
    let ti = find(tcol).ok_or_else(|| {
        Error::input(
            Location::line(p, 1),
            format!("no column {tcol:?} (--text-column)"),
        )
    })?;
    let li = match cols.label.as_deref() {
        Some(l) => find(l),
        None => find("label").or_else(|| find("labels")),
    }
    .ok_or_else(|| Error::input(Location::line(p, 1), "no label column (--label-column)"))?;
    let idi = find("id");
    let gi = match cols.group.as_deref() {
        None => None,
        Some(g) => Some(find(g).ok_or_else(|| {
            Error::input(
                Location::line(p, 1),
                format!("no column {g:?} (--group-field)"),
            )
        })?),
    };
    let mut examples = Vec::new();
    let mut skipped = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        let rec = i as u64 + 1;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                skipped.push(Skipped {
                    loc: Location::record(p, rec),
                    why: e.to_string(),
                });
                continue;
            }
        };
        let text = row.get(ti).unwrap_or("").to_string();
        let cell = row.get(li).unwrap_or("");
        let labels: Vec<String> = match &cols.label_sep {
            Some(sep) => cell
                .split(sep.as_str())
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => vec![cell.trim().to_string()],
        };
        let skip = |why: &str| Skipped {
            loc: Location::record(p, rec),
            why: why.to_string(),
        };
        if labels.iter().any(String::is_empty) {
            skipped.push(skip("empty label"));
            continue;
        }
        let key = idi
            .and_then(|j| row.get(j))
            .map(str::to_string)
            .unwrap_or_else(|| text.clone());
        let group = match gi.map(|j| row.get(j).unwrap_or("").trim()) {
            Some("") => {
                skipped.push(skip("empty group cell (--group-field)"));
                continue;
            }
            g => g.map(str::to_string),
        };
        examples.push(Example {
            key,
            text,
            labels,
            record: rec,
            group,
        });
    }
    let set = LabelledSet {
        path: p.to_string(),
        multi_label: cols.label_sep.is_some(),
        examples,
    };
    Ok((set, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jsonl_both_shapes_and_reports_bad_record() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"x\",\"text\":\"hi\",\"labels\":[\"joy\",\"love\"]}\n\n{\"text\":\"yo\",\"label\":\"b\"}\n",
        )
        .unwrap();
        let s = LabelledSet::read(&p, &ColumnSpec::default()).unwrap();
        assert!(s.multi_label);
        assert_eq!(s.examples[0].labels, vec!["joy", "love"]);
        assert_eq!(s.examples[1].key, "yo");
        assert_eq!(s.examples[1].record, 3);
        std::fs::write(
            &p,
            "{\"text\":\"hi\",\"labels\":[\"a\"]}\n{\"text\":\"no label\"}\n",
        )
        .unwrap();
        let e = LabelledSet::read(&p, &ColumnSpec::default()).unwrap_err();
        assert!(e.to_string().contains("a.jsonl:2"), "{e}");
    }

    #[test]
    fn a_gzip_labelled_set_reads_as_the_file_it_holds() {
        use crate::ingest::gzip::gz;
        let dir = tempfile::tempdir().unwrap();
        let jsonl = "\u{feff}{\"text\":\"card lost\",\"label\":\"lost_card\"}\n{\"text\":\"fee?\",\"label\":\"fee\"}\n";
        let csv = "text;label\ncard lost;lost_card\nfee?;fee\n";
        for (name, data) in [("b.jsonl.gz", jsonl), ("b.csv.gz", csv), ("b.jsonl", jsonl)] {
            let p = dir.path().join(name);
            let bytes = if name.ends_with(".gz") {
                gz(data.as_bytes())
            } else {
                data.as_bytes().to_vec()
            };
            std::fs::write(&p, bytes).unwrap();
            let s = LabelledSet::read(&p, &ColumnSpec::default()).unwrap();
            let got: Vec<(&str, &str, u64)> = s
                .examples
                .iter()
                .map(|e| (e.text.as_str(), e.labels[0].as_str(), e.record))
                .collect();
            assert_eq!(
                got,
                [("card lost", "lost_card", 1), ("fee?", "fee", 2)],
                "{name}"
            );
        }
        let cut = gz(jsonl.repeat(50).as_bytes());
        let p = dir.path().join("cut.jsonl.gz");
        std::fs::write(&p, &cut[..cut.len() / 2]).unwrap();
        let e = LabelledSet::read(&p, &ColumnSpec::default()).unwrap_err();
        assert!(
            e.to_string().contains("cut.jsonl.gz: gzip file cut short"),
            "{e}"
        );
    }

    #[test]
    fn bad_records_are_skipped_with_where_and_why() {
        // was: the first bad record an error, so `eval` and `fit` read nothing
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        std::fs::write(
            &p,
            "{\"text\":\"a\",\"label\":\"x\"}\nnot json\n{\"text\":\"b\"}\n{\"text\":\"c\",\"label\":\"y\"}\n",
        )
        .unwrap();
        let (set, skipped) = LabelledSet::read_skipping(&p, &ColumnSpec::default()).unwrap();
        let texts: Vec<&str> = set.examples.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["a", "c"]);
        assert_eq!(set.examples[1].record, 4);
        let got: Vec<(Option<u64>, &str)> = skipped
            .iter()
            .map(|s| (s.loc.line, s.why.split(' ').next().unwrap_or("")))
            .collect();
        assert_eq!(got, [(Some(2), "not"), (Some(3), "missing")]);
        assert!(skipped[0].to_string().contains("s.jsonl:2: not JSON"));
        // the strict reader still stops at the first
        let e = LabelledSet::read(&p, &ColumnSpec::default()).unwrap_err();
        assert!(e.to_string().contains("s.jsonl:2"), "{e}");
        // CSV: a row with too many fields and an empty label
        let c = dir.path().join("s.csv");
        std::fs::write(&c, "text,label\nok,x\n\"a,b\",c,d\nnone,\nfine,y\n").unwrap();
        let (set, skipped) = LabelledSet::read_skipping(&c, &ColumnSpec::default()).unwrap();
        assert_eq!(set.examples.len(), 2);
        let records: Vec<Option<u64>> = skipped.iter().map(|s| s.loc.record).collect();
        assert_eq!(records, [Some(2), Some(3)]);
        // nothing readable: an error saying how many were skipped
        std::fs::write(&p, "nope\n{}\n").unwrap();
        let e = LabelledSet::read_skipping(&p, &ColumnSpec::default()).unwrap_err();
        assert!(
            e.to_string().contains("no labelled records (2 skipped"),
            "{e}"
        );
    }

    #[test]
    fn label_ids_in_a_list_are_read_as_a_single_label_id_is() {
        // was: `"labels" must hold strings` for [27], while "label": 27 was read
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("l.jsonl");
        std::fs::write(
            &f,
            "{\"text\":\"a\",\"labels\":[0, 27]}\n{\"text\":\"b\",\"labels\":[\"x\"]}\n",
        )
        .unwrap();
        let set = LabelledSet::read(&f, &ColumnSpec::default()).unwrap();
        assert_eq!(set.examples[0].labels, ["0", "27"]);
        std::fs::write(&f, "{\"text\":\"a\",\"labels\":[null]}\n").unwrap();
        let e = LabelledSet::read(&f, &ColumnSpec::default()).unwrap_err();
        assert!(e.to_string().contains("l.jsonl:1"), "{e}");
    }

    #[test]
    fn a_semicolon_separated_labelled_csv_is_read() {
        // was: `no column "text"`, the header `text;label` read as one column
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("l.csv");
        std::fs::write(
            &f,
            "text;label\nThe fee, again;billing\nThe app crashed;bug\n",
        )
        .unwrap();
        let set = LabelledSet::read(&f, &ColumnSpec::default()).unwrap();
        let got: Vec<(&str, &str)> = set
            .examples
            .iter()
            .map(|e| (e.text.as_str(), e.labels[0].as_str()))
            .collect();
        assert_eq!(
            got,
            [("The fee, again", "billing"), ("The app crashed", "bug")]
        );
    }

    #[test]
    fn reads_csv_with_columns_and_separator() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(
            &p,
            "utterance,intent\n\"hello, there\",greet;small_talk\nbye,farewell\n",
        )
        .unwrap();
        let cols = ColumnSpec {
            text: Some("utterance".into()),
            label: Some("intent".into()),
            label_sep: Some(";".into()),
            group: None,
        };
        let s = LabelledSet::read(&p, &cols).unwrap();
        assert_eq!(s.examples[0].text, "hello, there");
        assert_eq!(s.examples[0].labels, vec!["greet", "small_talk"]);
        assert_eq!(s.label_names(), vec!["farewell", "greet", "small_talk"]);
        let e = s.label_indices(&["greet".to_string()]).unwrap_err();
        assert!(e.to_string().contains("record 1"), "{e}");
    }

    #[test]
    fn holdout_fifth_is_about_a_fifth_and_order_independent() {
        let n = 2000;
        let ex: Vec<Example> = (0..n)
            .map(|i| Example {
                key: format!("k{i}"),
                text: String::new(),
                labels: vec![],
                record: i + 1,
                group: None,
            })
            .collect();
        let k = ex.iter().filter(|e| in_holdout_fifth(e)).count();
        assert!((300..500).contains(&k), "{k}");
        let t = ex.iter().filter(|e| in_tuning_split(e, 10)).count();
        assert!((120..280).contains(&t), "{t}");
    }

    #[test]
    fn group_field_keeps_a_group_in_one_fold_and_one_side_of_the_tuning_split() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.jsonl");
        let mut body = String::new();
        for i in 0..300 {
            body.push_str(&format!(
                "{{\"id\":\"r{i}\",\"text\":\"t{i}\",\"labels\":[\"a\"],\"topic\":\"topic {}\"}}\n",
                i % 12
            ));
        }
        std::fs::write(&p, &body).unwrap();
        let cols = ColumnSpec {
            group: Some("topic".into()),
            ..ColumnSpec::default()
        };
        let s = LabelledSet::read(&p, &cols).unwrap();
        let mut fold_of_group = std::collections::BTreeMap::new();
        let mut side_of_group = std::collections::BTreeMap::new();
        for e in &s.examples {
            let g = e.group.clone().unwrap();
            assert_eq!(
                *fold_of_group.entry(g.clone()).or_insert(fold_of(e, 5)),
                fold_of(e, 5)
            );
            let side = in_tuning_split(e, 30);
            assert_eq!(*side_of_group.entry(g).or_insert(side), side);
        }
        assert_eq!(fold_of_group.len(), 12);
        // Several folds are used, not one: the group is hashed, not ignored.
        let used: std::collections::BTreeSet<_> = fold_of_group.values().collect();
        assert!(used.len() >= 3, "{used:?}");
        // Without the field, the records of one group scatter over the folds.
        let plain = LabelledSet::read(&p, &ColumnSpec::default()).unwrap();
        let topic0: std::collections::BTreeSet<_> = plain
            .examples
            .iter()
            .step_by(12)
            .map(|e| fold_of(e, 5))
            .collect();
        assert!(topic0.len() > 1, "{topic0:?}");
        // A record without the field is an error naming its line.
        std::fs::write(&p, format!("{body}{{\"text\":\"x\",\"labels\":[\"a\"]}}\n")).unwrap();
        let e = LabelledSet::read(&p, &cols).unwrap_err();
        assert!(e.to_string().contains("g.jsonl:301"), "{e}");
        assert!(e.to_string().contains("--group-field"), "{e}");
        // CSV: a named column; an empty cell is an error naming its record.
        let c = dir.path().join("g.csv");
        std::fs::write(&c, "text,label,speaker\nhi,a,s1\nyo,b,s1\nok,a,\n").unwrap();
        let e = LabelledSet::read(
            &c,
            &ColumnSpec {
                group: Some("speaker".into()),
                ..ColumnSpec::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("record 3"), "{e}");
        std::fs::write(&c, "text,label,speaker\nhi,a,s1\nyo,b,s1\n").unwrap();
        let s = LabelledSet::read(
            &c,
            &ColumnSpec {
                group: Some("speaker".into()),
                ..ColumnSpec::default()
            },
        )
        .unwrap();
        assert_eq!(fold_of(&s.examples[0], 5), fold_of(&s.examples[1], 5));
        let e = LabelledSet::read(
            &c,
            &ColumnSpec {
                group: Some("who".into()),
                ..ColumnSpec::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"who\""), "{e}");
    }

    #[test]
    fn jsonl_text_and_label_fields_can_be_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n.jsonl");
        std::fs::write(
            &p,
            "{\"premise\":\"a\",\"values\":[\"x\",\"y\"]}\n{\"premise\":\"b\",\"values\":\"z\"}\n",
        )
        .unwrap();
        let cols = ColumnSpec {
            text: Some("premise".into()),
            label: Some("values".into()),
            ..ColumnSpec::default()
        };
        let s = LabelledSet::read(&p, &cols).unwrap();
        assert!(s.multi_label);
        assert_eq!(s.examples[0].labels, vec!["x", "y"]);
        assert_eq!(s.examples[1].text, "b");
        assert_eq!(s.examples[1].labels, vec!["z"]);
        let e = LabelledSet::read(&p, &ColumnSpec::default()).unwrap_err();
        assert!(
            e.to_string().contains("n.jsonl:1") && e.to_string().contains("\"text\""),
            "{e}"
        );
        std::fs::write(&p, "{\"premise\":\"a\",\"labels\":[\"x\"]}\n").unwrap();
        let e = LabelledSet::read(&p, &cols).unwrap_err();
        assert!(e.to_string().contains("\"values\""), "{e}");
    }
}
