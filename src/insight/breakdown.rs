//! Breakdowns: where an insight comes up most, by a document column
//! (`product`, `channel`, `country`, ...).
//!
//! A CX team reads "the delivery fee comes up in 14% of calls" and asks next
//! *where*: which product, channel or market it is concentrated in. Each
//! document's value in the column is read from its metadata (a CSV column, a
//! JSON field, a transcript header line); for each theme and each value held
//! by at least [`MIN_VALUE`] documents, a one-sided Fisher exact test
//! (hypergeometric tail) asks whether the value is more common among the
//! theme's documents than among all documents that carry the column. The
//! p-values are Holm-corrected over every theme and value tested in the
//! column, and a value is named only where the corrected p is below
//! [`ALPHA`] and the theme's share is at least [`MIN_LIFT`] times the
//! corpus's: a theme that merely follows the corpus's mix names nothing.
//!
//! A column may hold a list (a ticket's `"tags": ["billing", "refund"]`): a
//! document then holds each of its values, and each value is tested as any
//! other (the document holds it or not).
//!
//! Only documents with analysed segments count, as in every `document_share`.

use super::stats::{holm, hypergeometric_upper, ln_factorials, sig4};
use crate::segment::Segment;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The columns broken down by default: the first of these that the
/// documents carry with at least two values of [`MIN_VALUE`] documents each
/// (matched with case, spaces and punctuation ignored).
pub const BY_COLUMNS: &[&str] = &[
    "product",
    "channel",
    "category",
    "plan",
    "tier",
    "platform",
    "brand",
    "store",
    "region",
    "country",
    "territory",
    "market",
    "tags",
];

/// A value is tested only when at least this many documents hold it.
pub const MIN_VALUE: usize = 5;
/// A theme is tested only when at least this many of its documents hold a
/// value in the column.
pub const MIN_THEME: usize = 5;
/// Family-wise error rate of the corrected tests.
pub const ALPHA: f64 = 0.05;
/// A value is named only when the theme's share of it is at least this
/// many times the corpus's.
pub const MIN_LIFT: f64 = 1.5;
/// At most this many values are named per theme and column.
pub const MAX_NAMED: usize = 3;
/// `corpus.by[].values` lists at most this many values (the most frequent);
/// the rest are counted together.
pub const MAX_LISTED: usize = 30;

/// One column's values per document, read from the segments' metadata.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// The column as the input spells it.
    pub column: String,
    /// Document id -> its values, sorted and distinct: one for a cell, each
    /// of a list's (trimmed text; numbers and booleans as written).
    pub values: BTreeMap<String, Vec<String>>,
}

/// A cell's value as text: strings trimmed, numbers and booleans as JSON
/// writes them; None for empty cells, lists and objects.
fn as_text(v: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    let t = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!t.is_empty()).then_some(t)
}

/// A cell's values: the cell's own, or each of a list's (a tag object's
/// `name` or `tag`, as help desks list them: `{"id": 7, "name": "billing"}`),
/// sorted and distinct; empty for an empty cell or an object.
fn as_texts(v: &serde_json::Value) -> Vec<String> {
    distinct(match v {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|x| {
                as_text(x).or_else(|| {
                    ["name", "tag"]
                        .iter()
                        .find_map(|k| x.get(k).and_then(as_text))
                })
            })
            .collect(),
        _ => as_text(v).into_iter().collect(),
    })
}

/// `values` sorted, each once.
fn distinct(mut values: Vec<String>) -> Vec<String> {
    values.sort();
    values.dedup();
    values
}

/// A `tags` cell of a CSV export as its tags, sorted and distinct: split at
/// commas, semicolons or bars where it has any (Freshdesk: `billing,
/// refund`), else at spaces (Zendesk, whose tags hold none: `billing
/// refund_request`).
fn split_tags(cell: &str) -> Vec<String> {
    let seps: &[char] = &[',', ';', '|'];
    let parts: Vec<&str> = if cell.contains(seps) {
        cell.split(seps).collect()
    } else {
        cell.split_whitespace().collect()
    };
    distinct(
        parts
            .into_iter()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// How many documents hold each value.
fn value_counts<'a>(held: impl IntoIterator<Item = &'a Vec<String>>) -> BTreeMap<&'a str, usize> {
    let mut n: BTreeMap<&str, usize> = BTreeMap::new();
    for v in held.into_iter().flatten() {
        *n.entry(v).or_default() += 1;
    }
    n
}

/// Whether most of the values documents hold are held by no other document:
/// an id, a name or free text, not a grouping.
fn mostly_unique(n: &BTreeMap<&str, usize>) -> bool {
    let single = n.values().filter(|&&c| c == 1).count();
    2 * single > n.values().sum::<usize>()
}

/// Read each document's value in `column` (its first segment that holds
/// one), matched as the outcome column is: exactly, else with case, spaces
/// and punctuation ignored.
pub fn groups_from_segments(segments: &[Segment], column: &str) -> Groups {
    let key = crate::util::field_key(column);
    let mut spelling: Option<&str> = None;
    let mut values = BTreeMap::new();
    for s in segments {
        if values.contains_key(&*s.doc) {
            continue;
        }
        let Some((name, v)) = super::meta_value(s, column, &key) else {
            continue;
        };
        let t = match v.as_str() {
            Some(cell) if crate::util::field_key(name) == "tags" => split_tags(cell),
            _ => as_texts(v),
        };
        if !t.is_empty() {
            spelling.get_or_insert(name);
            values.insert(s.doc.to_string(), t);
        }
    }
    Groups {
        column: spelling.unwrap_or(column).to_string(),
        values,
    }
}

impl Groups {
    /// How many values [`MIN_VALUE`] documents or more hold.
    fn testable_values(&self) -> usize {
        value_counts(self.values.values())
            .values()
            .filter(|&&c| c >= MIN_VALUE)
            .count()
    }

    /// Whether most documents hold a value no other document holds: an id,
    /// a name or free text, not a grouping.
    pub fn mostly_unique(&self) -> bool {
        mostly_unique(&value_counts(self.values.values()))
    }
}

/// The configured columns (`Some([])` or `Some([""])`: none), else the first
/// of [`BY_COLUMNS`] the documents carry with at least two values of
/// [`MIN_VALUE`] documents.
pub fn resolve_groups(segments: &[Segment], columns: Option<&[String]>) -> Vec<Groups> {
    match columns {
        Some(cols) => cols
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| groups_from_segments(segments, c.trim()))
            .collect(),
        None => {
            // the columns the corpus has, each name keyed once
            let keys: BTreeSet<&str> = segments
                .iter()
                .flat_map(super::meta_columns)
                .map(String::as_str)
                .collect();
            let present: BTreeSet<String> =
                keys.iter().map(|k| crate::util::field_key(k)).collect();
            BY_COLUMNS
                .iter()
                .filter(|c| present.contains(&crate::util::field_key(c)))
                .map(|c| groups_from_segments(segments, c))
                .find(|g| g.testable_values() >= 2 && !g.mostly_unique())
                .into_iter()
                .collect()
        }
    }
}

/// One value of a column and how many documents hold it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ValueCount {
    /// The value, as the cell holds it (trimmed), or one of a list's.
    pub value: String,
    /// Documents with analysed segments holding it.
    pub documents: usize,
}

/// `corpus.by[]` in `insights.json`: a column the insights are broken down
/// by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BreakdownSummary {
    /// The column as the input spells it.
    pub column: String,
    /// Documents with analysed segments and a value in the column (a
    /// document with a list of values counts once here, and once under
    /// each of its values).
    pub documents: usize,
    /// The most frequent values (at most [`MAX_LISTED`]), most documents
    /// first, then by value.
    pub values: Vec<ValueCount>,
    /// The values beyond those listed, and their documents.
    #[serde(default)]
    pub other_values: usize,
    /// (see `other_values`)
    #[serde(default)]
    pub other_documents: usize,
}

/// `insight.by[]`: a value over-represented in the theme's documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Standout {
    /// The breakdown column.
    pub column: String,
    /// The value that stands out.
    pub value: String,
    /// The theme's documents holding the value ...
    pub documents: usize,
    /// ... of its documents holding any value in the column.
    pub of: usize,
    /// `documents / of` ...
    pub share: f64,
    /// ... against the value's share of all documents with the column.
    pub corpus_share: f64,
    /// `share / corpus_share`.
    pub lift: f64,
    /// One-sided Fisher exact p, Holm-corrected over every theme and value
    /// tested in the column.
    pub p: f64,
}

/// A column's counts over the documents with analysed segments, built once
/// per run.
#[derive(Debug, Clone)]
pub struct Table {
    column: String,
    /// Document -> its values, as indexes into `values`.
    doc_value: BTreeMap<String, Vec<usize>>,
    /// Every value and its documents, most documents first.
    values: Vec<ValueCount>,
    ln_fact: Vec<f64>,
}

impl Table {
    /// The counts of `groups` over `docs` (the documents with analysed
    /// segments); None when fewer than two values hold [`MIN_VALUE`]
    /// documents there, or when the column is mostly unique values.
    pub fn new<'a>(groups: &Groups, docs: impl IntoIterator<Item = &'a str>) -> Option<Table> {
        let held: Vec<(&str, &Vec<String>)> = docs
            .into_iter()
            .filter_map(|d| Some((d, groups.values.get(d)?)))
            .collect();
        let count = value_counts(held.iter().map(|(_, v)| *v));
        if mostly_unique(&count) || count.values().filter(|&&c| c >= MIN_VALUE).count() < 2 {
            return None;
        }
        let mut values: Vec<ValueCount> = count
            .iter()
            .map(|(v, &n)| ValueCount {
                value: v.to_string(),
                documents: n,
            })
            .collect();
        values.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.value.cmp(&b.value)));
        let index: BTreeMap<&str, usize> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (v.value.as_str(), i))
            .collect();
        let ln_fact = ln_factorials(held.len());
        let doc_value = held
            .into_iter()
            .map(|(d, v)| (d.to_string(), v.iter().map(|v| index[v.as_str()]).collect()))
            .collect();
        Some(Table {
            column: groups.column.clone(),
            ln_fact,
            doc_value,
            values,
        })
    }

    /// Documents with a value.
    fn total(&self) -> usize {
        self.doc_value.len()
    }

    pub fn summary(&self) -> BreakdownSummary {
        let listed = self.values.len().min(MAX_LISTED);
        BreakdownSummary {
            column: self.column.clone(),
            documents: self.total(),
            values: self.values[..listed].to_vec(),
            other_values: self.values.len() - listed,
            other_documents: self.values[listed..].iter().map(|v| v.documents).sum(),
        }
    }

    /// Every value tested for a theme with these documents, with its
    /// uncorrected p (see [`correct`]); empty when fewer than [`MIN_THEME`]
    /// of them hold a value. Values held by fewer than [`MIN_VALUE`]
    /// documents, or by all of them, are not tested.
    pub fn test<'a>(&self, docs: impl IntoIterator<Item = &'a str>) -> Vec<Standout> {
        let mut hits = vec![0usize; self.values.len()];
        let mut of = 0;
        for d in docs {
            if let Some(vs) = self.doc_value.get(d) {
                for &v in vs {
                    hits[v] += 1;
                }
                of += 1;
            }
        }
        let n = self.total();
        if of < MIN_THEME {
            return Vec::new();
        }
        self.values
            .iter()
            .zip(hits)
            .filter(|(v, _)| v.documents >= MIN_VALUE && v.documents < n)
            .map(|(v, a)| {
                let share = a as f64 / of as f64;
                let corpus_share = v.documents as f64 / n as f64;
                Standout {
                    column: self.column.clone(),
                    value: v.value.clone(),
                    documents: a,
                    of,
                    share,
                    corpus_share,
                    lift: share / corpus_share,
                    // at or below the corpus's share the tail is about a half
                    // or more: not worth its sum, and never named
                    p: if share > corpus_share {
                        hypergeometric_upper(a, of, v.documents, n, &self.ln_fact)
                    } else {
                        1.0
                    },
                }
            })
            .collect()
    }
}

/// Correct the p-values of every value tested in a column over all themes
/// (Holm), then keep per theme the values that stand out: corrected p below
/// [`ALPHA`] and lift at least [`MIN_LIFT`], at most [`MAX_NAMED`] per
/// column, strongest evidence first. `themes`: each theme's tested values
/// (as [`Table::test`] gives them, several columns mixed).
pub fn correct(themes: &mut [&mut Vec<Standout>]) {
    let columns: BTreeSet<String> = themes
        .iter()
        .flat_map(|t| t.iter().map(|s| s.column.clone()))
        .collect();
    for col in &columns {
        let mut p: Vec<f64> = themes
            .iter()
            .flat_map(|t| t.iter().filter(|s| &s.column == col).map(|s| s.p))
            .collect();
        holm(&mut p);
        let mut p = p.into_iter();
        for t in themes.iter_mut() {
            for s in t.iter_mut().filter(|s| &s.column == col) {
                s.p = p.next().unwrap_or(1.0);
            }
        }
    }
    let cols: Vec<&String> = columns.iter().collect();
    for t in themes.iter_mut() {
        t.retain(|s| s.p < ALPHA && s.lift >= MIN_LIFT);
        t.sort_by(|a, b| {
            let col = |s: &Standout| cols.iter().position(|c| **c == s.column);
            col(a)
                .cmp(&col(b))
                .then(a.p.total_cmp(&b.p))
                .then(b.lift.total_cmp(&a.lift))
                .then(a.value.cmp(&b.value))
        });
        let mut per: BTreeMap<String, usize> = BTreeMap::new();
        t.retain(|s| {
            let n = per.entry(s.column.clone()).or_default();
            *n += 1;
            *n <= MAX_NAMED
        });
        for s in t.iter_mut() {
            s.share = super::round6(s.share);
            s.corpus_share = super::round6(s.corpus_share);
            s.lift = super::round6(s.lift);
            s.p = sig4(s.p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seg(doc: &str, meta: serde_json::Value) -> Segment {
        Segment {
            id: format!("s-{doc}"),
            doc: doc.into(),
            source: "r.csv".into(),
            line: Some(2),
            record: None,
            span: [0, 1],
            speaker: None,
            role: None,
            start_ms: None,
            end_ms: None,
            question: None,
            text: "x".into(),
            noise: None,
            meta: match meta {
                serde_json::Value::Object(m) => m.into_iter().collect(),
                _ => Default::default(),
            },
        }
    }

    /// 100 documents: 60 `web`, 30 `app`, 10 `phone`.
    fn channels() -> Groups {
        let values = (0..100)
            .map(|i| {
                let v = match i {
                    0..60 => "web",
                    60..90 => "app",
                    _ => "phone",
                };
                (format!("d{i:03}"), vec![v.to_string()])
            })
            .collect();
        Groups {
            column: "Channel".into(),
            values,
        }
    }

    fn docs(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(|i| format!("d{i:03}")).collect()
    }

    #[test]
    fn a_theme_concentrated_in_one_value_names_it_and_one_that_follows_the_mix_names_none() {
        let g = channels();
        let all = docs(0..100);
        let t = Table::new(&g, all.iter().map(String::as_str)).unwrap();
        assert_eq!(t.summary().values[0].value, "web");
        assert_eq!(t.summary().documents, 100);
        // 12 of the 30 app documents and 2 web ones: app is 86% of it, 30% of all
        let concentrated: Vec<String> = docs(60..72).into_iter().chain(docs(0..2)).collect();
        // 6 web, 3 app, 1 phone: the corpus's mix
        let mixed: Vec<String> = docs(10..16)
            .into_iter()
            .chain(docs(70..73))
            .chain(docs(95..96))
            .collect();
        let mut a = t.test(concentrated.iter().map(String::as_str));
        let mut b = t.test(mixed.iter().map(String::as_str));
        assert_eq!(a.len(), 3, "every value of 5+ documents is tested");
        correct(&mut [&mut a, &mut b]);
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].value, "app");
        assert_eq!((a[0].documents, a[0].of), (12, 14));
        assert!((a[0].lift - (12.0 / 14.0) / 0.3).abs() < 1e-5);
        assert!(a[0].p < 0.001, "{a:?}");
        assert!(b.is_empty(), "{b:?}");
    }

    #[test]
    fn small_themes_rare_values_and_id_columns_are_not_tested() {
        let g = channels();
        let all = docs(0..100);
        let t = Table::new(&g, all.iter().map(String::as_str)).unwrap();
        assert!(t.test(docs(60..64).iter().map(String::as_str)).is_empty());
        // one value of 4 documents beside the rest: only the large ones are tested
        let mut g2 = channels();
        for i in 96..100 {
            g2.values.insert(format!("d{i:03}"), vec!["fax".into()]);
        }
        let t2 = Table::new(&g2, all.iter().map(String::as_str)).unwrap();
        let tested = t2.test(docs(90..100).iter().map(String::as_str));
        assert!(tested.iter().all(|s| s.value != "fax"), "{tested:?}");
        let ids = Groups {
            column: "complaint_id".into(),
            values: all.iter().map(|d| (d.clone(), vec![d.clone()])).collect(),
        };
        assert!(ids.mostly_unique());
        assert!(Table::new(&ids, all.iter().map(String::as_str)).is_none());
    }

    #[test]
    fn a_list_column_counts_each_of_a_documents_values() {
        // a ticket's tags: each document holds each of its values
        let tags = |i: usize| match i {
            0..10 => json!(["refund", "billing", "refund"]),
            10..20 => json!([{"id": 1, "name": "billing"}]),
            20..30 => json!(["login"]),
            30..35 => json!(["login", " refund "]),
            _ => json!(["login", 7]),
        };
        let segs: Vec<Segment> = (0..40)
            .map(|i| seg(&format!("d{i:03}"), json!({ "Tags": tags(i) })))
            .collect();
        let g = resolve_groups(&segs, None);
        assert_eq!(g.len(), 1, "`tags` is a default column");
        assert_eq!(g[0].column, "Tags");
        assert_eq!(g[0].values["d000"], ["billing", "refund"]);
        assert_eq!(g[0].values["d010"], ["billing"]);
        assert_eq!(g[0].values["d039"], ["7", "login"]);
        let all = docs(0..40);
        let t = Table::new(&g[0], all.iter().map(String::as_str)).unwrap();
        let s = t.summary();
        assert_eq!(s.documents, 40, "documents, not document-value pairs");
        let listed: Vec<(&str, usize)> = s
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.documents))
            .collect();
        assert_eq!(
            listed,
            [("billing", 20), ("login", 20), ("refund", 15), ("7", 5)]
        );
        // the first ten tickets hold both `billing` and `refund`
        let mut tested = t.test(docs(0..10).iter().map(String::as_str));
        assert!(tested.iter().all(|x| x.of == 10), "{tested:?}");
        correct(&mut [&mut tested]);
        let named: Vec<(&str, usize)> = tested
            .iter()
            .map(|x| (x.value.as_str(), x.documents))
            .collect();
        assert_eq!(named, [("refund", 10), ("billing", 10)]);
        assert!((tested[0].corpus_share - 0.375).abs() < 1e-9);
        assert!((tested[1].lift - 2.0).abs() < 1e-9);
        // a record that nests its fields (a Zendesk ticket's `ticket`): found
        // one level down, by default and by name; a top-level field first
        let nested: Vec<Segment> = (0..40)
            .map(|i| {
                let meta = json!({ "ticket": { "id": i, "tags": tags(i) } });
                seg(&format!("d{i:03}"), meta)
            })
            .collect();
        let g = resolve_groups(&nested, None);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].column, "tags");
        assert_eq!(g[0].values["d000"], ["billing", "refund"]);
        // a CSV export's tags cell: Freshdesk's commas, Zendesk's spaces
        let cells = [
            " billing, refund ",
            "refund_request  billing",
            "vip",
            "a;b|a",
            " ",
        ];
        let split: Vec<Vec<String>> = cells.iter().map(|c| split_tags(c)).collect();
        assert_eq!(
            split,
            [
                vec!["billing", "refund"],
                vec!["billing", "refund_request"],
                vec!["vip"],
                vec!["a", "b"],
                vec![],
            ]
        );
        let csv: Vec<Segment> = (0..10)
            .map(|i| {
                seg(
                    &format!("d{i}"),
                    json!({ "Tags": "billing refund", "Channel": "a b" }),
                )
            })
            .collect();
        let g = resolve_groups(&csv, Some(&["tags".to_string(), "channel".to_string()]));
        assert_eq!(g[0].values["d0"], ["billing", "refund"]);
        assert_eq!(g[1].values["d0"], ["a b"], "only a tags column is split");
        let named = resolve_groups(&nested, Some(&["Tags".to_string()]));
        assert_eq!(named[0].values.len(), 40);
        let mut both = nested.clone();
        both[0].meta.insert("tags".into(), json!("top"));
        assert_eq!(resolve_groups(&both, None)[0].values["d000"], ["top"]);
    }

    #[test]
    fn the_default_column_is_the_first_usual_one_with_two_real_groups() {
        let segs: Vec<Segment> = (0..20)
            .map(|i| {
                seg(
                    &format!("d{i}"),
                    json!({"Product": if i < 10 { " Mortgage " } else { "Credit card" },
                           "complaint_id": i, "Country": "US"}),
                )
            })
            .collect();
        let g = resolve_groups(&segs, None);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].column, "Product");
        assert_eq!(g[0].values["d0"], ["Mortgage"]);
        // named: read as named, even a column the default would skip
        let named = resolve_groups(&segs, Some(&["country".to_string()]));
        assert_eq!(named[0].column, "Country");
        assert!(resolve_groups(&segs, Some(&[String::new()])).is_empty());
        // one value everywhere: nothing to break down
        let one: Vec<Segment> = (0..20)
            .map(|i| seg(&format!("d{i}"), json!({"country": "US"})))
            .collect();
        assert!(resolve_groups(&one, None).is_empty());
    }
}
