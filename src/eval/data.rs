//! Labelled data in whyline's generic format: JSON Lines with
//! `{"text", "labels": [...]}` (multi-label) or `{"text", "label"}`
//! (single-label), or CSV/TSV with a text column and a label column.
//! Also the deterministic splits used by `fit` and `eval`.

use crate::error::{Error, Location, Result};
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
}

impl LabelledSet {
    /// Read a labelled file; the format follows the extension (`.csv`, `.tsv`, else JSONL).
    pub fn read(path: &Path, cols: &ColumnSpec) -> Result<Self> {
        let p = path.display().to_string();
        let lower = p.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".tsv") {
            let delim = if lower.ends_with(".tsv") { b'\t' } else { b',' };
            read_delimited(path, &p, delim, cols)
        } else {
            read_jsonl(path, &p)
        }
    }

    /// Sorted, deduplicated label names found in the data.
    pub fn label_names(&self) -> Vec<String> {
        let set: std::collections::BTreeSet<&String> =
            self.examples.iter().flat_map(|e| &e.labels).collect();
        set.into_iter().cloned().collect()
    }

    pub fn texts(&self) -> Vec<&str> {
        self.examples.iter().map(|e| e.text.as_str()).collect()
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
pub fn in_tuning_split(e: &Example, percent: u64) -> bool {
    split_hash(&e.key, 1) % 100 < percent
}

/// The cross-fitting fold (`0..k`) of an example, by hash (another seed than
/// the held-back fifth and the tuning split).
pub fn fold_of(e: &Example, k: u64) -> usize {
    (split_hash(&e.key, 2) % k.max(1)) as usize
}

fn read_jsonl(path: &Path, p: &str) -> Result<LabelledSet> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut examples = Vec::new();
    let mut multi = false;
    for (i, line) in text.lines().enumerate() {
        let rec = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let loc = || Location::line(p, rec);
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| Error::input(loc(), e.to_string()))?;
        let text = v
            .get("text")
            .and_then(|t| t.as_str())
            .ok_or_else(|| Error::input(loc(), "missing string field \"text\""))?
            .to_string();
        let labels = match (v.get("labels"), v.get("label")) {
            (Some(serde_json::Value::Array(a)), _) => {
                multi = true;
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| Error::input(loc(), "\"labels\" must hold strings"))
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            (_, Some(serde_json::Value::String(s))) => vec![s.clone()],
            (_, Some(serde_json::Value::Number(n))) => vec![n.to_string()],
            _ => {
                return Err(Error::input(
                    loc(),
                    "missing \"labels\" (list) or \"label\" (string)",
                ))
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
        examples.push(Example {
            key,
            text,
            labels,
            record: rec,
        });
    }
    if examples.is_empty() {
        return Err(Error::input(Location::file(p), "no labelled records"));
    }
    Ok(LabelledSet {
        path: p.to_string(),
        multi_label: multi,
        examples,
    })
}

fn read_delimited(path: &Path, p: &str, delim: u8, cols: &ColumnSpec) -> Result<LabelledSet> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(false)
        .from_path(path)
        .map_err(|e| Error::input(Location::file(p), e.to_string()))?;
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
    let mut examples = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        let rec = i as u64 + 1;
        let row = row.map_err(|e| Error::input(Location::record(p, rec), e.to_string()))?;
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
        if labels.iter().any(String::is_empty) {
            return Err(Error::input(Location::record(p, rec), "empty label"));
        }
        let key = idi
            .and_then(|j| row.get(j))
            .map(str::to_string)
            .unwrap_or_else(|| text.clone());
        examples.push(Example {
            key,
            text,
            labels,
            record: rec,
        });
    }
    if examples.is_empty() {
        return Err(Error::input(Location::file(p), "no labelled records"));
    }
    Ok(LabelledSet {
        path: p.to_string(),
        multi_label: cols.label_sep.is_some(),
        examples,
    })
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
            })
            .collect();
        let k = ex.iter().filter(|e| in_holdout_fifth(e)).count();
        assert!((300..500).contains(&k), "{k}");
        let t = ex.iter().filter(|e| in_tuning_split(e, 10)).count();
        assert!((120..280).contains(&t), "{t}");
    }
}
