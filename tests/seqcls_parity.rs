//! Parity of the sequence-classification heads with transformers on the four
//! tiny reference checkpoints (BERT single/multi-label, DistilBERT, RoBERTa
//! with its position-id offset), alone and in one padded batch.

use whyline::model::SeqClassifier;

fn tiny(name: &str) -> std::path::PathBuf {
    std::env::var_os("WHYLINE_REFERENCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference")
        })
        .join("tiny-seqcls")
        .join(name)
}

struct Case {
    text: String,
    ids: Vec<u32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
}

fn cases(dir: &std::path::Path) -> Vec<Case> {
    std::fs::read_to_string(dir.join("expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let f = |k: &str| -> Vec<f32> {
                v[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() as f32)
                    .collect()
            };
            Case {
                text: v["text"].as_str().unwrap().into(),
                ids: v["input_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect(),
                logits: f("logits"),
                probs: f("probs"),
            }
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn check(name: &str, labels: usize, multi: bool) {
    let dir = tiny(name);
    let clf = SeqClassifier::load_with(&dir, Some(64)).unwrap();
    assert_eq!(clf.labels().len(), labels, "{name}");
    assert_eq!(clf.multi_label(), multi, "{name}");
    let cases = cases(&dir);
    let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        clf.input_ids(&texts).unwrap(),
        cases.iter().map(|c| c.ids.clone()).collect::<Vec<_>>()
    );
    let batched = clf.logits_batched(&texts, 64).unwrap();
    let probs = clf.predict_proba(&texts).unwrap();
    let mut worst = 0f32;
    for (i, c) in cases.iter().enumerate() {
        let alone = clf.logits_batched(&[c.text.as_str()], 1).unwrap();
        let d_alone = max_diff(&alone[0], &c.logits);
        let d_batch = max_diff(&batched[i], &c.logits);
        assert!(d_alone <= 1e-4, "{name} text {i} alone: {d_alone}");
        assert!(
            d_batch <= 1e-4,
            "{name} text {i} in a padded batch: {d_batch}"
        );
        assert!(
            max_diff(&probs[i], &c.probs) <= 1e-4,
            "{name} text {i} probs"
        );
        worst = worst.max(d_alone).max(d_batch);
    }
    eprintln!(
        "{name}: max |logit diff| {worst:.3e} over {} texts",
        cases.len()
    );
}

#[test]
fn bert_single_label_matches_transformers() {
    check("bert-single", 3, false);
}

#[test]
fn bert_multi_label_matches_transformers() {
    check("bert-multi", 5, true);
}

#[test]
fn distilbert_matches_transformers() {
    check("distilbert-single", 3, false);
}

#[test]
fn roberta_position_offset_matches_transformers() {
    check("roberta-multi", 5, true);
}
