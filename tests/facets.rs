//! Facets with the real encoder: `whyline eval` gates, `fit` determinism, and
//! the shipped heads' labels and predictions on obvious texts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use whyline::classify::{self, FacetClassifier, FacetsConfig, Taxonomy, TrainedHead};
use whyline::embed::Embedder;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    root()
        .join("tests/fixtures/facets")
        .join(name)
        .display()
        .to_string()
}

fn whyline() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_whyline"));
    c.current_dir(root()).arg("--quiet");
    c
}

/// The command exited with `code`; stderr is shown when it did not.
fn assert_exit(o: &std::process::Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn encoder() -> whyline::model::SentenceEncoder {
    whyline::model::load_encoder(None, &whyline::model::LoadOptions::default())
        .expect("default encoder")
}

#[test]
fn eval_min_macro_f1_gate_passes_and_fails_with_the_real_model() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let predictions = dir.path().join("predictions.jsonl");
    // a threshold below the measured macro-F1 passes (exit 0) ...
    let out = whyline()
        .args([
            "eval",
            "--task",
            "emotion",
            "--data",
            &fixture("goemotions-dev-200.jsonl"),
        ])
        .args(["--min-macro-f1", "0.05", "--json", "--junit"])
        .arg(&junit)
        .arg("--predictions")
        .arg(&predictions)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let macro_f1 = v["macro_f1"].as_f64().unwrap();
    assert!(macro_f1 > 0.05 && macro_f1 < 1.0, "{macro_f1}");
    assert!(v["micro_f1"].as_f64().is_some());
    assert_eq!(v["per_label"].as_array().unwrap().len(), 28);
    assert!(
        v["grouped_macro_f1"].as_f64().is_some(),
        "Ekman-grouped macro-F1"
    );
    assert_eq!(v["passed"], true);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failures=\"0\""), "{xml}");
    // --predictions: one row per example, consistent with the figures.
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&predictions)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), v["rows"].as_u64().unwrap() as usize);
    assert_eq!(rows[0]["record"], 1);
    let correct = rows.iter().filter(|r| r["correct"] == true).count();
    let exact = v["exact_match"].as_f64().unwrap();
    assert!((correct as f64 / rows.len() as f64 - exact).abs() < 1e-9);
    for p in v["per_label"].as_array().unwrap() {
        let label = p["label"].as_str().unwrap();
        let has =
            |r: &serde_json::Value, k: &str| r[k].as_array().unwrap().iter().any(|x| x == label);
        let predicted = rows.iter().filter(|r| has(r, "predicted")).count();
        let gold = rows.iter().filter(|r| has(r, "gold")).count();
        let missed = rows.iter().filter(|r| has(r, "missed")).count();
        assert_eq!(
            predicted as u64,
            p["predicted"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(gold as u64, p["support"].as_u64().unwrap(), "{label}");
        let recall = p["recall"].as_f64().unwrap();
        if gold > 0 {
            assert!(((gold - missed) as f64 / gold as f64 - recall).abs() < 1e-9);
        }
        assert!(rows.iter().all(|r| r["scores"][label].is_f64()), "{label}");
    }

    // ... one above it fails with exit 1, and so does an unreachable label gate.
    let out = whyline()
        .args([
            "eval",
            "--task",
            "emotion",
            "--data",
            &fixture("goemotions-dev-200.jsonl"),
        ])
        .args(["--min-macro-f1", &format!("{:.4}", macro_f1 + 0.01)])
        .args(["--min-label-f1", "gratitude=0.0", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gate macro_f1") && text.contains("FAILED"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
}

#[test]
fn eval_skips_bad_records_naming_them_and_exits_3() {
    // was: the first bad line stopped the whole evaluation (exit 2), so a
    // labelled set with one broken line gave no figures at all
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"text\":\"I love it, thank you so much!\",\"labels\":[\"gratitude\"]}\n\
         {\"text\": 3}\n\
         {\"text\":\"This is so annoying\",\"labels\":[\"annoyance\"]}\n\
         {\"text\":\"What?\",\"labels\":[\"no_such_emotion\"]}\n",
    )
    .unwrap();
    let out = whyline()
        .args(["eval", "--task", "emotion", "--json", "--data"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_exit(&out, 3);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2: missing string field"), "{err}");
    assert!(
        err.contains("(record 4): label \"no_such_emotion\" is not one of the model's labels"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["rows"].as_u64(), v["skipped"].as_u64()),
        (Some(2), Some(2))
    );
    // a missed gate still says so first (exit 1)
    let out = whyline()
        .args([
            "eval",
            "--task",
            "emotion",
            "--min-macro-f1",
            "0.999",
            "--data",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    // no record readable, or a bad flag: an error (exit 2) naming the file
    let none = dir.path().join("none.jsonl");
    std::fs::write(&none, "{\"text\": 3}\nnot json\n").unwrap();
    let out = whyline()
        .args(["eval", "--task", "emotion", "--data"])
        .arg(&none)
        .output()
        .unwrap();
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none.jsonl: no labelled records (2 skipped"),
        "{err}"
    );
    let out = whyline()
        .args([
            "eval",
            "--task",
            "emotion",
            "--min-label-f1",
            "joy",
            "--data",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn fit_twice_with_one_seed_gives_byte_identical_heads() {
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path, kind: &str, data: &str, extra: &[&str]| {
        let o = whyline()
            .args([
                "fit",
                "--task",
                "t",
                "--train",
                &fixture(data),
                "--kind",
                kind,
            ])
            // --no-cache: both runs embed the texts themselves. Through the shared
            // cache, another test process may have embedded the same texts in a
            // different batch, which moves the last bits (≤ 2e-7) of an embedding
            // and with them the trained head.
            .args([
                "--epochs",
                "4",
                "--hidden",
                "32",
                "--seed",
                "7",
                "--no-cache",
            ])
            .args(extra)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert_exit(&o, 0);
    };
    // Cross-fitting on 200 GoEmotions rows: three emotions have one example,
    // so they are missing from a fold's training part and must keep their
    // place in the label order.
    for (name, kind, data, extra) in [
        ("mlp", "mlp", "goemotions-dev-200.jsonl", &[][..]),
        ("linear", "linear", "banking77-200.jsonl", &[][..]),
        (
            "folds",
            "mlp",
            "goemotions-dev-200.jsonl",
            &["--folds", "3"][..],
        ),
    ] {
        let (a, b) = (
            dir.path().join(format!("{name}-a")),
            dir.path().join(format!("{name}-b")),
        );
        run(&a, kind, data, extra);
        run(&b, kind, data, extra);
        for f in ["head.safetensors", "head.json", "labels.json"] {
            let x = std::fs::read(a.join(f)).unwrap();
            assert!(!x.is_empty());
            assert_eq!(
                x,
                std::fs::read(b.join(f)).unwrap(),
                "{name} {f} differs between runs"
            );
        }
        assert!(std::fs::read_to_string(a.join("README.md"))
            .unwrap()
            .contains("encoder fingerprint"));
        if name == "folds" {
            let head: serde_json::Value =
                serde_json::from_slice(&std::fs::read(a.join("head.json")).unwrap()).unwrap();
            assert_eq!(head["training"]["folds"], 3, "{head}");
            // Every emotion of the data keeps a place, even one missing from a fold.
            let distinct: std::collections::BTreeSet<String> =
                std::fs::read_to_string(fixture(data))
                    .unwrap()
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                    .flat_map(|v| {
                        v["labels"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|l| l.as_str().map(str::to_string))
                            .collect::<Vec<_>>()
                    })
                    .collect();
            assert_eq!(head["labels"].as_array().unwrap().len(), distinct.len());
        }
    }
}

/// `fit --folds K --oof FILE` on the real encoder: one row per training
/// record, in `eval --predictions`' format, holding every label's score from
/// the fold head that never saw the record; the out-of-fold macro-F1 that
/// `fit --json` reports is reproduced from the file's own gold and predicted
/// labels. `--oof` without `--folds` is refused (exit 2).
#[test]
fn fit_oof_writes_each_training_record_out_of_fold_and_reproduces_the_figure() {
    let dir = tempfile::tempdir().unwrap();
    let (model, oof) = (dir.path().join("m"), dir.path().join("oof.jsonl"));
    let o = whyline()
        .args(["fit", "--task", "t", "--train"])
        .arg(fixture("goemotions-dev-200.jsonl"))
        .args([
            "--kind", "mlp", "--folds", "3", "--epochs", "4", "--hidden", "32",
        ])
        .args(["--seed", "7", "--json", "--out"])
        .arg(&model)
        .arg("--oof")
        .arg(&oof)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let figure = summary["tune"]["out_of_fold_macro_f1"].as_f64().unwrap();
    let head: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("head.json")).unwrap()).unwrap();
    let labels: Vec<String> = head["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let records = std::fs::read_to_string(fixture("goemotions-dev-200.jsonl"))
        .unwrap()
        .lines()
        .count();
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&oof)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), records);
    let mut counts = vec![(0usize, 0usize, 0usize); labels.len()];
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["record"], i as u64 + 1, "{r}");
        let scores = r["scores"].as_object().unwrap();
        let order: Vec<&String> = scores.keys().collect();
        assert_eq!(
            order,
            labels.iter().collect::<Vec<_>>(),
            "scores in label order"
        );
        assert!(scores
            .values()
            .all(|v| (0.0..=1.0).contains(&v.as_f64().unwrap())));
        let set = |k: &str| -> Vec<String> {
            r[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        let (gold, pred) = (set("gold"), set("predicted"));
        assert!(!pred.is_empty(), "min_one: {r}");
        for (j, l) in labels.iter().enumerate() {
            match (gold.contains(l), pred.contains(l)) {
                (true, true) => counts[j].0 += 1,
                (false, true) => counts[j].1 += 1,
                (true, false) => counts[j].2 += 1,
                (false, false) => {}
            }
        }
    }
    let macro_f1 = counts
        .iter()
        .map(|&(tp, fp, fn_)| {
            let d = 2 * tp + fp + fn_;
            if d == 0 {
                0.0
            } else {
                2.0 * tp as f64 / d as f64
            }
        })
        .sum::<f64>()
        / labels.len() as f64;
    assert!(
        (macro_f1 - figure).abs() < 1e-9,
        "file {macro_f1} vs fit {figure}"
    );

    let o = whyline()
        .args(["fit", "--task", "t", "--train"])
        .arg(fixture("goemotions-dev-200.jsonl"))
        .arg("--out")
        .arg(dir.path().join("n"))
        .arg("--oof")
        .arg(dir.path().join("n.jsonl"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `fit --tune-top` on the real encoder: before training, the copied last
/// layer run on the hidden states entering it reproduces the encoder's own
/// sentence embeddings (so the tuned path starts exactly where the frozen
/// one is); two fits with one seed write byte-identical heads; the head
/// stores its layer in f16 and `eval` scores it from the texts.
/// `fit --group-field`: records of one group never sit on both sides of a
/// fold (tested in `eval::data`); here, on the real encoder, that the CLI
/// reads named JSONL fields, records the grouping in the head and its card,
/// and refuses what it cannot group or read, naming the line.
#[test]
fn fit_group_field_groups_folds_reads_named_fields_and_names_bad_records() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("grouped.jsonl");
    let mut body = String::new();
    for (i, l) in std::fs::read_to_string(fixture("goemotions-dev-200.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
    {
        let r: serde_json::Value = serde_json::from_str(l).unwrap();
        body.push_str(
            &serde_json::json!({
                "utterance": r["text"],
                "emotions": r["labels"],
                "interview": format!("interview {}", i % 9),
            })
            .to_string(),
        );
        body.push('\n');
    }
    std::fs::write(&data, &body).unwrap();
    let fit = |extra: &[&str], out: &str| {
        whyline()
            .args(["fit", "--task", "t", "--train"])
            .arg(&data)
            .args(["--text-column", "utterance", "--label-column", "emotions"])
            .args(["--kind", "linear", "--epochs", "3", "--seed", "7", "--json"])
            .args(extra)
            .arg("--out")
            .arg(dir.path().join(out))
            .output()
            .unwrap()
    };
    let o = fit(&["--folds", "3", "--group-field", "interview"], "g");
    assert_exit(&o, 0);
    let head: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("g/head.json")).unwrap()).unwrap();
    assert_eq!(head["training"]["record"]["group_field"], "interview");
    assert_eq!(head["mode"], "multi_label");
    let card = std::fs::read_to_string(dir.path().join("g/README.md")).unwrap();
    assert!(card.contains("grouped by `interview`"), "{card}");
    // Ungrouped, the record carries no group_field (heads fitted without it keep their bytes).
    let o = fit(&["--folds", "3"], "u");
    assert_exit(&o, 0);
    let head: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("u/head.json")).unwrap()).unwrap();
    assert!(
        head["training"]["record"].get("group_field").is_none(),
        "{head}"
    );
    // Nothing to group with --dev: a usage error.
    let o = fit(
        &[
            "--group-field",
            "interview",
            "--dev",
            data.to_str().unwrap(),
        ],
        "d",
    );
    assert_exit(&o, 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--group-field"));
    // A record without the field: left out, named by file and line, the
    // head trained on the rest, exit 3.
    std::fs::write(
        &data,
        format!("{body}{{\"utterance\":\"hi\",\"emotions\":[\"joy\"]}}\n"),
    )
    .unwrap();
    let o = fit(&["--folds", "3", "--group-field", "interview"], "b");
    assert_exit(&o, 3);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("grouped.jsonl:201: missing string or number field \"interview\""),
        "{err}"
    );
    assert!(dir.path().join("b/head.json").exists());
}

#[test]
fn tune_top_starts_at_the_encoder_is_deterministic_and_evaluates() {
    let enc = encoder();
    let texts: Vec<String> = std::fs::read_to_string(fixture("goemotions-dev-200.jsonl"))
        .unwrap()
        .lines()
        .take(40)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let states = enc.top_states(&refs).unwrap();
    let init = enc.top_layer().unwrap();
    assert_eq!(init.layer, enc.num_layers() - 1);
    let via_top = whyline::model::tune::top_embed(&init, &states).unwrap();
    let direct = enc.embed(&refs).unwrap();
    let worst = via_top
        .iter()
        .zip(&direct)
        .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
        .fold(0f32, f32::max);
    assert!(
        worst < 1e-5,
        "untrained top layer differs from the encoder by {worst}"
    );

    let dir = tempfile::tempdir().unwrap();
    let fit = |out: &Path| {
        let o = whyline()
            .args([
                "fit",
                "--task",
                "t",
                "--train",
                &fixture("goemotions-dev-200.jsonl"),
            ])
            .args([
                "--tune-top",
                "--epochs",
                "2",
                "--hidden",
                "32",
                "--batch-size",
                "16",
            ])
            .args(["--tune-percent", "20", "--seed", "7", "--out"])
            .arg(out)
            .output()
            .unwrap();
        assert_exit(&o, 0);
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    fit(&a);
    fit(&b);
    for f in ["head.safetensors", "head.json", "labels.json"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs"
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.join("head.json")).unwrap()).unwrap();
    assert_eq!(meta["top"]["layer"], 5, "{meta}");
    let head = TrainedHead::load(&a).unwrap();
    let top = head.top.as_ref().expect("a tuned layer");
    assert_ne!(top.layer.tensors, init.tensors, "the layer was trained");
    // the layer is stored in f16: about half of its 1.8 M f32 weights' bytes
    let bytes = std::fs::metadata(a.join("head.safetensors")).unwrap().len();
    assert!(bytes < 4_000_000, "{bytes} bytes");
    let out = whyline()
        .args([
            "eval",
            "--task",
            "t",
            "--data",
            &fixture("goemotions-dev-200.jsonl"),
            "--json",
            "--model",
        ])
        .arg(&a)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f1 = v["macro_f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&f1), "{v}");
    // the same text scores the same alone and among others
    let alone = head.predict(&[Vec::new()], &refs[3..4]).unwrap();
    let among = head.predict(&vec![Vec::new(); 10], &refs[..10]).unwrap();
    assert_eq!(alone[0], among[3]);

    // cross-fitted: thresholds out of fold, then one refitted layer
    let cf = dir.path().join("cf");
    let o = whyline()
        .args([
            "fit",
            "--task",
            "t",
            "--train",
            &fixture("goemotions-dev-200.jsonl"),
        ])
        .args([
            "--tune-top",
            "--folds",
            "2",
            "--epochs",
            "2",
            "--hidden",
            "32",
        ])
        .args(["--batch-size", "16", "--seed", "7", "--out"])
        .arg(&cf)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cf.join("head.json")).unwrap()).unwrap();
    assert_eq!(meta["training"]["folds"], 2, "{meta}");
    assert!(
        meta["training"]["refit_epochs"].as_u64().unwrap() >= 1,
        "{meta}"
    );
    assert!(TrainedHead::load(&cf).unwrap().top.is_some());
    // --tune-top without a tuning set is refused with exit 2
    let o = whyline()
        .args([
            "fit",
            "--task",
            "t",
            "--train",
            &fixture("goemotions-dev-200.jsonl"),
        ])
        .args(["--tune-top", "--tune-percent", "0", "--out"])
        .arg(dir.path().join("refused"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tune-top"));
}

fn top_labels(
    clf: &dyn FacetClassifier,
    enc: &dyn Embedder,
    texts: &[&str],
    k: usize,
) -> Vec<Vec<String>> {
    let x = enc
        .embed_layers(texts, clf.layers(), 1000, &mut |_| {})
        .unwrap();
    clf.predict(&x, texts)
        .unwrap()
        .into_iter()
        .map(|p| {
            let mut idx: Vec<usize> = (0..p.scores.len()).collect();
            idx.sort_by(|&a, &b| p.scores[b].total_cmp(&p.scores[a]));
            idx.into_iter()
                .take(k)
                .map(|i| clf.labels()[i].clone())
                .collect()
        })
        .collect()
}

#[test]
fn shipped_heads_have_their_labels_and_predict_obvious_texts() {
    let enc = encoder();
    let emotion = TrainedHead::load(&root().join("models/emotion")).unwrap();
    assert_eq!(
        emotion.labels(),
        Taxonomy::builtin("emotion").unwrap().label_names()
    );
    assert_eq!(
        emotion.meta.encoder,
        enc.fingerprint(),
        "head trained on the default encoder"
    );
    // the emotion head reads layer features after the embedding (fit --layers)
    assert!(!emotion.meta.layers.is_empty());
    assert_eq!(
        emotion.meta.dim,
        enc.dim() * (1 + emotion.meta.layers.len())
    );
    let got = top_labels(
        &emotion,
        &enc,
        &[
            "Thank you so much for your help, I really appreciate it!",
            "I am so angry, this is outrageous!",
        ],
        2,
    );
    assert!(got[0].contains(&"gratitude".to_string()), "{got:?}");
    assert!(
        got[1].iter().any(|l| l == "anger" || l == "annoyance"),
        "{got:?}"
    );

    let motivation = TrainedHead::load(&root().join("models/motivation")).unwrap();
    assert_eq!(
        motivation.labels(),
        Taxonomy::builtin("motivation").unwrap().label_names()
    );
    let got = top_labels(
        &motivation,
        &enc,
        &[
            "We must protect the environment and stop polluting the oceans.",
            "Everyone deserves equal rights and fair treatment.",
        ],
        3,
    );
    assert!(
        got[0].contains(&"Universalism: nature".to_string()),
        "{got:?}"
    );
    assert!(
        got[1].contains(&"Universalism: concern".to_string()),
        "{got:?}"
    );

    let topic = TrainedHead::load(&root().join("models/topic-banking77")).unwrap();
    assert_eq!(topic.labels().len(), 77);
    let got = top_labels(
        &topic,
        &enc,
        &[
            "My new card still hasn't arrived, it's been two weeks.",
            "I forgot my PIN and now it is blocked.",
        ],
        1,
    );
    assert_eq!(got[0], vec!["card_arrival".to_string()], "{got:?}");
    assert_eq!(got[1], vec!["pin_blocked".to_string()], "{got:?}");
}

#[test]
fn load_facets_defaults_run_all_three_facets_on_shared_embeddings() {
    let enc = encoder();
    let facets = classify::load_facets(&enc, &FacetsConfig::default()).unwrap();
    let names: Vec<&str> = facets.iter().map(|f| f.facet()).collect();
    assert_eq!(names, ["emotion", "motivation", "topic"]);
    let texts = ["I was charged twice for my order and nobody answers the phone."];
    // one encoder pass with every layer any head reads
    let layers = classify::layers_needed(facets.iter().map(|f| f.as_ref()));
    let x = enc
        .embed_layers(&texts, &layers, 1000, &mut |_| {})
        .unwrap();
    let out = classify::predict_all(&facets, &x, enc.dim(), &layers, &texts).unwrap();
    for (f, preds) in facets.iter().zip(&out) {
        assert_eq!(preds.len(), 1);
        assert_eq!(preds[0].scores.len(), f.labels().len());
        assert!(!preds[0].labels.is_empty(), "{}", f.facet());
    }
    assert_eq!(
        out[2][0].labels,
        vec!["price_and_billing".to_string()],
        "{:?}",
        out[2][0]
    );
}

#[test]
fn checkpoint_directory_is_a_facet_classifier() {
    let dir = common::reference_dir().join("tiny-seqcls");
    let enc = encoder();
    for (name, multi) in [("bert-single", false), ("bert-multi", true)] {
        let p = dir.join(name).display().to_string();
        let clf = classify::load_classifier(&enc, "topic", Some(&p)).unwrap();
        assert_eq!(
            clf.mode() == classify::LabelMode::MultiLabel,
            multi,
            "{name}"
        );
        assert!(clf.fingerprint().starts_with("checkpoint:"));
        let texts = ["the delivery was late", "great service"];
        let preds = clf.predict(&[], &texts).unwrap();
        assert_eq!(preds.len(), 2);
        for p in &preds {
            assert_eq!(p.scores.len(), clf.labels().len());
            if !multi {
                let s: f32 = p.scores.iter().sum();
                assert!((s - 1.0).abs() < 1e-4, "{s}");
                assert_eq!(p.labels.len(), 1);
            }
        }
    }
}

/// Segments from the first `n` texts of the GoEmotions fixture.
fn fixture_segments(n: usize) -> Vec<whyline::segment::Segment> {
    let src: std::sync::Arc<str> = std::sync::Arc::from("goemotions-dev-200.jsonl");
    std::fs::read_to_string(fixture("goemotions-dev-200.jsonl"))
        .unwrap()
        .lines()
        .take(n)
        .enumerate()
        .map(|(i, line)| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            whyline::segment::Segment {
                id: format!("seg-{i:04}"),
                doc: std::sync::Arc::from(format!("doc-{i}").as_str()),
                source: src.clone(),
                line: Some(i as u64 + 1),
                record: None,
                span: [0, 1],
                speaker: None,
                role: None,
                start_ms: None,
                end_ms: None,
                question: None,
                text: v["text"].as_str().unwrap().to_string(),
                noise: None,
                meta: Default::default(),
            }
        })
        .collect()
}

#[test]
fn facet_predictions_from_the_cache_equal_computed_ones_with_the_real_heads() {
    use whyline::classify::FacetCache;
    use whyline::pipeline::{analyse, analyse_cached, segments_jsonl, Silent};
    let enc = encoder();
    let facets = classify::load_facets(&enc, &FacetsConfig::default()).unwrap();
    let cfg = whyline::config::Config::default();
    let dir = tempfile::tempdir().unwrap();
    let cache = FacetCache::new(whyline::embed::EmbeddingCache::open(dir.path()).unwrap());
    let cached = |n: usize| {
        analyse_cached(
            fixture_segments(n),
            &enc,
            &facets,
            Some(&cache),
            &cfg,
            &Silent,
        )
        .unwrap()
    };
    let plain = analyse(fixture_segments(200), &enc, &facets, &cfg, &Silent).unwrap();
    // half the texts cached, then all: the rest classified among cached ones
    cached(100);
    let mixed = cached(200);
    let warm = cached(200);
    let stats = whyline::embed::EmbeddingCache::open(dir.path())
        .unwrap()
        .stats()
        .unwrap();
    let stored: Vec<u64> = stats
        .models
        .iter()
        .filter(|m| m.fingerprint.starts_with("facets-"))
        .map(|m| m.entries)
        .collect();
    let distinct = plain
        .analysed
        .iter()
        .map(|&i| plain.segments[i].text.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len() as u64;
    assert_eq!(stored, vec![distinct; 3], "one record per facet and text");
    for a in [&mixed, &warm] {
        for (p, q) in plain.facets.iter().zip(&a.facets) {
            assert_eq!(p.predictions, q.predictions, "{}", p.facet);
        }
        assert_eq!(segments_jsonl(&plain), segments_jsonl(a));
        assert_eq!(
            whyline::report::insights_json(&plain.insights),
            whyline::report::insights_json(&a.insights)
        );
    }
}
