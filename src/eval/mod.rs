//! Eval: measure a facet classifier on labelled data, label by label, and
//! compare it with a baseline. Used by `whyline eval` as a CI gate.
//!
//! Why: researchers re-score a corpus with a better model and need to see
//! per label whether it is better; teams need CI to fail when a change makes
//! labels worse. The report is plain data (`--json` prints it as is).

pub mod data;
pub mod junit;
pub mod metrics;

use crate::classify::{FacetClassifier, FacetPrediction, LabelMode};
use crate::error::{Error, Result};
use data::LabelledSet;
use metrics::LabelScore;
use serde::Serialize;

/// Bins of the expected calibration error.
pub const ECE_BINS: usize = 15;

/// One model's figures on one labelled set.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    pub model: String,
    pub mode: LabelMode,
    pub macro_f1: f64,
    pub micro_f1: f64,
    /// Single-label tasks only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Multi-label: fraction of rows whose predicted set equals the gold set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_match: Option<f64>,
    /// Expected calibration error (15 bins). Single-label: confidence of
    /// the predicted label vs correctness. Multi-label: every (row, label)
    /// probability vs whether the label is gold.
    pub calibration_error: f64,
    /// Macro-F1 after mapping labels to their groups (Ekman groups for emotion).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grouped_macro_f1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grouped_per_label: Option<Vec<LabelScore>>,
    pub per_label: Vec<LabelScore>,
    /// Single-label: the most frequent confusions (gold, predicted, count), largest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_confusions: Option<Vec<Confusion>>,
    /// Single-label: full matrix `[gold][predicted]` in `labels` order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<usize>>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Confusion {
    pub gold: String,
    pub predicted: String,
    pub count: usize,
}

/// Per-label change from the baseline to the model.
#[derive(Debug, Clone, Serialize)]
pub struct LabelDelta {
    pub label: String,
    pub f1: f64,
    pub baseline_f1: f64,
    pub delta: f64,
}

/// Score `clf` on `set`, given the embeddings of `set`'s texts.
pub fn score(
    clf: &dyn FacetClassifier,
    set: &LabelledSet,
    embeddings: &[Vec<f32>],
) -> Result<Scores> {
    score_with_groups(clf, set, embeddings, None)
}

/// As [`score`], with an optional group per label of `clf` for grouped macro-F1.
pub fn score_with_groups(
    clf: &dyn FacetClassifier,
    set: &LabelledSet,
    embeddings: &[Vec<f32>],
    groups: Option<&[String]>,
) -> Result<Scores> {
    let preds = clf.predict(embeddings, &crate::util::strs(&set.encoder_texts()))?;
    score_predictions(clf, set, &preds, groups)
}

/// As [`score_with_groups`], from predictions already made (one per example
/// of `set`, in order), so a caller can keep them (`eval --predictions`).
pub fn score_predictions(
    clf: &dyn FacetClassifier,
    set: &LabelledSet,
    preds: &[FacetPrediction],
    groups: Option<&[String]>,
) -> Result<Scores> {
    check_aligned(set, preds)?;
    let labels = clf.labels().to_vec();
    let l = labels.len();
    let gold = set.label_indices(&labels)?;
    let index: std::collections::HashMap<&str, usize> = labels
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let pred: Vec<Vec<usize>> = preds
        .iter()
        .map(|p| {
            p.labels
                .iter()
                .filter_map(|x| index.get(x.as_str()).copied())
                .collect()
        })
        .collect();
    let mode = clf.mode();
    let (mut conf, mut hit) = (Vec::new(), Vec::new());
    match mode {
        LabelMode::SingleLabel => {
            for ((p, g), fp) in pred.iter().zip(&gold).zip(preds) {
                if let Some(&top) = p.first() {
                    conf.push(fp.scores.get(top).copied().unwrap_or(0.0));
                    hit.push(g.contains(&top));
                }
            }
        }
        LabelMode::MultiLabel => {
            for (g, fp) in gold.iter().zip(preds) {
                for (j, &s) in fp.scores.iter().enumerate() {
                    conf.push(s);
                    hit.push(g.contains(&j));
                }
            }
        }
    }
    let (accuracy, confusion, top_confusions, exact_match) = match mode {
        LabelMode::SingleLabel => {
            let g1: Vec<usize> = gold
                .iter()
                .map(|g| g.first().copied().unwrap_or(0))
                .collect();
            let p1: Vec<usize> = pred
                .iter()
                .map(|p| p.first().copied().unwrap_or(0))
                .collect();
            let m = metrics::confusion(&g1, &p1, l);
            let mut top: Vec<Confusion> = Vec::new();
            for (gi, row) in m.iter().enumerate() {
                for (pi, &c) in row.iter().enumerate() {
                    if gi != pi && c > 0 {
                        top.push(Confusion {
                            gold: labels[gi].clone(),
                            predicted: labels[pi].clone(),
                            count: c,
                        });
                    }
                }
            }
            top.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then(a.gold.cmp(&b.gold))
                    .then(a.predicted.cmp(&b.predicted))
            });
            top.truncate(20);
            (Some(metrics::accuracy(&g1, &p1)), Some(m), Some(top), None)
        }
        LabelMode::MultiLabel => {
            let em = gold
                .iter()
                .zip(&pred)
                .filter(|(g, p)| {
                    let mut a = (*g).clone();
                    let mut b = (*p).clone();
                    a.sort_unstable();
                    b.sort_unstable();
                    a == b
                })
                .count() as f64
                / gold.len().max(1) as f64;
            (None, None, None, Some(em))
        }
    };
    let (grouped_macro_f1, grouped_per_label) = match groups {
        Some(gr) if gr.len() == l => {
            let names: Vec<String> = {
                let s: std::collections::BTreeSet<&String> = gr.iter().collect();
                s.into_iter().cloned().collect()
            };
            let gof: Vec<usize> = gr
                .iter()
                .map(|g| names.iter().position(|n| n == g).unwrap_or(0))
                .collect();
            let gg = metrics::to_groups(&gold, &gof);
            let gp = metrics::to_groups(&pred, &gof);
            (
                Some(metrics::macro_f1(&gg, &gp, names.len())),
                Some(metrics::per_label(&gg, &gp, &names)),
            )
        }
        _ => (None, None),
    };
    Ok(Scores {
        model: clf.fingerprint(),
        mode,
        macro_f1: metrics::macro_f1(&gold, &pred, l),
        micro_f1: metrics::micro_f1(&gold, &pred, l),
        accuracy,
        exact_match,
        calibration_error: metrics::expected_calibration_error(&conf, &hit, ECE_BINS),
        grouped_macro_f1,
        grouped_per_label,
        per_label: metrics::per_label(&gold, &pred, &labels),
        top_confusions,
        confusion,
    })
}

/// Per-label F1 change, for labels both models know.
pub fn deltas(model: &Scores, baseline: &Scores) -> Vec<LabelDelta> {
    model
        .per_label
        .iter()
        .filter_map(|m| {
            baseline
                .per_label
                .iter()
                .find(|b| b.label == m.label)
                .map(|b| LabelDelta {
                    label: m.label.clone(),
                    f1: m.f1,
                    baseline_f1: b.f1,
                    delta: m.f1 - b.f1,
                })
        })
        .collect()
}

/// One quality gate and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// `macro_f1` or `f1[LABEL]`.
    pub name: String,
    pub min: f64,
    /// None when the label is unknown to the model (counts as failed).
    pub value: Option<f64>,
    pub passed: bool,
}

/// Check `--min-macro-f1` and `--min-label-f1 LABEL=X` gates.
pub fn check_gates(s: &Scores, min_macro: Option<f64>, min_label: &[(String, f64)]) -> Vec<Gate> {
    let mut out = Vec::new();
    if let Some(m) = min_macro {
        out.push(Gate {
            name: "macro_f1".into(),
            min: m,
            value: Some(s.macro_f1),
            passed: s.macro_f1 >= m,
        });
    }
    for (label, m) in min_label {
        let v = s.per_label.iter().find(|p| &p.label == label).map(|p| p.f1);
        out.push(Gate {
            name: format!("f1[{label}]"),
            min: *m,
            value: v,
            passed: v.is_some_and(|v| v >= *m),
        });
    }
    out
}

fn check_aligned(set: &LabelledSet, preds: &[FacetPrediction]) -> Result<()> {
    if preds.len() == set.examples.len() {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{}: {} predictions for {} examples",
            set.path,
            preds.len(),
            set.examples.len()
        )))
    }
}

/// One model's verdict on one example, in a `--predictions` row.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Predicted labels, highest score first.
    pub predicted: Vec<String>,
    /// Gold labels the model did not predict.
    pub missed: Vec<String>,
    /// Predicted labels that are not gold.
    pub extra: Vec<String>,
    /// The predicted set equals the gold set.
    pub correct: bool,
    /// Score per label (an object in the classifier's label order).
    pub scores: LabelScores,
}

/// Scores keyed by label, serialised as one JSON object in label order.
#[derive(Debug, Clone)]
pub struct LabelScores(pub Vec<(String, f32)>);

impl Serialize for LabelScores {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(l, v)| (l, v)))
    }
}

/// One line of `eval --predictions`: an example, its gold labels and the
/// model's (and the baseline's) verdict, for error analysis label by label.
#[derive(Debug, Clone, Serialize)]
pub struct PredictionRow {
    /// 1-based record number in the data file.
    pub record: u64,
    /// The record's `id`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub text: String,
    pub gold: Vec<String>,
    #[serde(flatten)]
    pub model: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Verdict>,
}

fn verdict(labels: &[String], gold: &[String], p: &FacetPrediction) -> Verdict {
    let missed: Vec<String> = gold
        .iter()
        .filter(|g| !p.labels.contains(g))
        .cloned()
        .collect();
    let extra: Vec<String> = p
        .labels
        .iter()
        .filter(|l| !gold.contains(l))
        .cloned()
        .collect();
    Verdict {
        predicted: p.labels.clone(),
        correct: missed.is_empty() && extra.is_empty(),
        missed,
        extra,
        scores: LabelScores(
            labels
                .iter()
                .cloned()
                .zip(p.scores.iter().copied())
                .collect(),
        ),
    }
}

/// The `--predictions` rows: every example with the model's verdict and, when
/// given, the baseline's (`baseline` = its labels and predictions).
pub fn prediction_rows(
    set: &LabelledSet,
    labels: &[String],
    preds: &[FacetPrediction],
    baseline: Option<(&[String], &[FacetPrediction])>,
) -> Result<Vec<PredictionRow>> {
    check_aligned(set, preds)?;
    if let Some((_, b)) = baseline {
        check_aligned(set, b)?;
    }
    Ok(set
        .examples
        .iter()
        .enumerate()
        .map(|(i, e)| PredictionRow {
            record: e.record,
            id: (e.key != e.text).then(|| e.key.clone()),
            text: e.text.clone(),
            gold: e.labels.clone(),
            model: verdict(labels, &e.labels, &preds[i]),
            baseline: baseline.map(|(bl, bp)| verdict(bl, &e.labels, &bp[i])),
        })
        .collect())
}

/// Rows as JSON Lines.
pub fn prediction_jsonl(rows: &[PredictionRow]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in rows {
        serde_json::to_writer(&mut out, r).map_err(|e| Error::Other(e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use data::Example;

    fn set() -> LabelledSet {
        let ex = |key: &str, text: &str, labels: &[&str], record| Example {
            key: key.into(),
            text: text.into(),
            labels: labels.iter().map(|s| s.to_string()).collect(),
            record,
            group: None,
        };
        LabelledSet {
            path: "t.jsonl".into(),
            multi_label: true,
            examples: vec![
                ex("a1", "late refund", &["anger", "sadness"], 1),
                ex("fine, thanks", "fine, thanks", &["neutral"], 2),
            ],
        }
    }

    fn pred(labels: &[&str], scores: &[f32]) -> FacetPrediction {
        FacetPrediction {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            scores: scores.to_vec(),
        }
    }

    #[test]
    fn prediction_rows_name_missed_and_extra_labels_and_keep_scores_in_label_order() {
        let labels: Vec<String> = ["sadness", "anger", "neutral"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let preds = vec![
            pred(&["anger", "neutral"], &[0.1, 0.9, 0.6]),
            pred(&["neutral"], &[0.0, 0.1, 0.8]),
        ];
        let base = vec![
            pred(&[], &[0.2, 0.3, 0.1]),
            pred(&["anger"], &[0.0, 0.7, 0.2]),
        ];
        let rows = prediction_rows(&set(), &labels, &preds, Some((&labels, &base))).unwrap();
        assert_eq!(rows[0].id.as_deref(), Some("a1"));
        assert_eq!(rows[1].id, None, "a record without an id has none");
        assert_eq!(rows[0].model.missed, ["sadness"]);
        assert_eq!(rows[0].model.extra, ["neutral"]);
        assert!(!rows[0].model.correct && rows[1].model.correct);
        let b = rows[1].baseline.as_ref().unwrap();
        assert_eq!(
            (b.missed.as_slice(), b.extra.as_slice()),
            (&["neutral".to_string()][..], &["anger".to_string()][..])
        );
        let line = String::from_utf8(prediction_jsonl(&rows[..1]).unwrap()).unwrap();
        assert!(
            line.contains(r#""scores":{"sadness":0.1,"anger":0.9,"neutral":0.6}"#),
            "{line}"
        );
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        // predictions that do not line up with the examples are an error naming the file
        let err = prediction_rows(&set(), &labels, &preds[..1], None).unwrap_err();
        assert!(err.to_string().contains("t.jsonl"), "{err}");
    }
}
