//! `whyline eval`: score a facet classifier on labelled data, optionally
//! next to a baseline, and gate CI on thresholds (exit 1 when one is missed;
//! 3 when they held but records of the data were skipped, each named).

use super::fit::{embed_with_progress, open_embedder, DataArgs};
use super::Ctx;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use whyline::classify::{self, FacetClassifier, LabelMode, Taxonomy};
use whyline::embed::Embedder;
use whyline::eval::data::{self, LabelledSet};
use whyline::eval::{self as ev, Gate, LabelDelta, Scores};
use whyline::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Facet name: emotion, motivation, topic or your own.
    #[arg(long)]
    task: String,
    /// Labelled data (JSONL `{"text","labels"|"label"}`, CSV or TSV). A record
    /// that cannot be read, or whose label the model does not know, is named
    /// on stderr and left out; the run then ends with exit code 3 (1 when a
    /// gate was missed).
    #[arg(long)]
    data: PathBuf,
    /// The classifier: a head directory, a checkpoint directory, a taxonomy
    /// file (zero-shot), or `zero-shot` (zero-shot by the data's label names).
    /// Default: the shipped head of emotion/motivation, the built-in topic taxonomy.
    #[arg(long)]
    model: Option<String>,
    /// A second classifier to compare against (same forms as --model).
    #[arg(long)]
    baseline: Option<String>,
    /// Exit 1 when macro-F1 is below X.
    #[arg(long, value_name = "X")]
    min_macro_f1: Option<f64>,
    /// Exit 1 when LABEL's F1 is below X (repeatable).
    #[arg(long, value_name = "LABEL=X")]
    min_label_f1: Vec<String>,
    /// Print one JSON object on stdout (macro_f1, micro_f1, per_label, accuracy, ...).
    #[arg(long)]
    json: bool,
    /// Write the gates as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write every example's gold labels, predicted labels (missed, extra) and
    /// per-label scores as JSON Lines to FILE (with --baseline, its verdict too).
    #[arg(long, value_name = "FILE")]
    predictions: Option<PathBuf>,
    #[command(flatten)]
    opts: DataArgs,
}

/// The `--json` object.
#[derive(Serialize)]
struct Output {
    task: String,
    data: String,
    rows: usize,
    /// Records of the data file left out (each named on stderr).
    skipped: usize,
    #[serde(flatten)]
    scores: Scores,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Scores>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deltas: Option<Vec<LabelDelta>>,
    gates: Vec<Gate>,
    passed: bool,
}

fn parse_label_gates(v: &[String]) -> Result<Vec<(String, f64)>> {
    v.iter()
        .map(|s| {
            let (l, x) = s
                .rsplit_once('=')
                .ok_or_else(|| Error::Config(format!("--min-label-f1 {s:?}: expected LABEL=X")))?;
            let x: f64 = x.trim().parse().map_err(|_| {
                Error::Config(format!("--min-label-f1 {s:?}: {x:?} is not a number"))
            })?;
            Ok((l.to_string(), x))
        })
        .collect()
}

fn load(
    embedder: &dyn Embedder,
    task: &str,
    spec: Option<&str>,
    set: &LabelledSet,
) -> Result<Box<dyn FacetClassifier>> {
    if spec == Some("zero-shot") {
        let mode = if set.multi_label {
            LabelMode::MultiLabel
        } else {
            LabelMode::SingleLabel
        };
        let tax = Taxonomy::from_label_names(task, mode, &set.label_names());
        let protos = classify::zero_shot::prototypes(embedder, &tax)?;
        return Ok(Box::new(classify::zero_shot::zero_shot_head(
            &protos,
            &tax,
            embedder.fingerprint(),
            tax.temperature,
            classify::zero_shot::DEFAULT_BIAS,
            None,
            serde_json::Value::Null,
        )?));
    }
    classify::load_classifier(embedder, task, spec)
}

/// `set` without the records whose gold labels are not all among every
/// classifier's labels (each named on stderr, the first 20), and how many
/// were left out; the error naming the first when none is left.
fn known_labels_only<'m>(
    set: LabelledSet,
    classifiers: impl Iterator<Item = &'m dyn FacetClassifier>,
) -> Result<(LabelledSet, usize)> {
    let classifiers: Vec<&dyn FacetClassifier> = classifiers.collect();
    fn first_unknown<'e>(
        e: &'e data::Example,
        classifiers: &[&dyn FacetClassifier],
    ) -> Option<&'e String> {
        e.labels
            .iter()
            .find(|l| classifiers.iter().any(|c| !c.labels().contains(l)))
    }
    let unknown = |e: &data::Example| first_unknown(e, &classifiers).is_some();
    if !set.examples.iter().any(unknown) {
        return Ok((set, 0));
    }
    if set.examples.iter().all(unknown) {
        // every record: the error that names the first
        for c in &classifiers {
            set.label_indices(c.labels())?;
        }
    }
    let mut left_out = 0usize;
    for e in set.examples.iter() {
        if let Some(l) = first_unknown(e, &classifiers) {
            left_out += 1;
            if left_out <= 20 {
                eprintln!(
                    "whyline: skipped: {}: label {l:?} is not one of the model's labels",
                    whyline::Location::record(&set.path, e.record)
                );
            }
        }
    }
    if left_out > 20 {
        eprintln!(
            "whyline: skipped: {} more records of {} with labels the model does not know",
            left_out - 20,
            set.path
        );
    }
    let kept = set.filtered(|e| !unknown(e));
    Ok((kept, left_out))
}

/// Groups for grouped macro-F1: from the built-in taxonomy of the task when it
/// covers the classifier's labels.
fn groups_for(task: &str, clf: &dyn FacetClassifier) -> Option<Vec<String>> {
    let tax = Taxonomy::builtin(task).ok()?;
    clf.labels()
        .iter()
        .map(|l| tax.labels.iter().find(|t| &t.name == l)?.group.clone())
        .collect()
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let t0 = Instant::now();
    let label_gates = parse_label_gates(&a.min_label_f1)?;
    let (mut set, skipped) = super::read_labelled(&a.data, &a.opts.columns())?;
    if a.opts.holdout_fifth {
        set = set.filtered(data::in_holdout_fifth);
    }
    let embedder = open_embedder(ctx, a.opts.encoder.as_deref(), a.opts.no_cache)?;
    let model = load(embedder.as_ref(), &a.task, a.model.as_deref(), &set)?;
    let baseline = match &a.baseline {
        Some(b) => Some(load(embedder.as_ref(), &a.task, Some(b), &set)?),
        None => None,
    };
    // a record whose gold label a model does not know is left out, named
    // (all of them: the data is not this model's, an error)
    let (set, unknown) = known_labels_only(
        set,
        std::iter::once(model.as_ref()).chain(baseline.as_deref()),
    )?;
    let skipped = skipped + unknown;
    // One encoder pass for both models, with every layer either reads.
    let layers = classify::layers_needed(
        std::iter::once(model.as_ref()).chain(baseline.as_ref().map(|b| b.as_ref())),
    );
    let texts = set.encoder_texts();
    let texts = whyline::util::strs(&texts);
    let x = embed_with_progress(ctx, embedder.as_ref(), "data", &texts, &layers)?;
    let t_embed = t0.elapsed().as_secs_f64();
    let dim = embedder.dim();
    let g = groups_for(&a.task, model.as_ref());
    let mx = classify::select_layers(&x, dim, &layers, model.layers())?;
    let preds = model.predict(&mx, &texts)?;
    let scores = ev::score_predictions(model.as_ref(), &set, &preds, g.as_deref())?;
    let (base, base_preds) = match &baseline {
        Some(b) => {
            let g = groups_for(&a.task, b.as_ref());
            let bx = classify::select_layers(&x, dim, &layers, b.layers())?;
            let bp = b.predict(&bx, &texts)?;
            let s = ev::score_predictions(b.as_ref(), &set, &bp, g.as_deref())?;
            (Some(s), Some(bp))
        }
        None => (None, None),
    };
    if let Some(p) = &a.predictions {
        let rows = ev::prediction_rows(
            &set,
            model.labels(),
            &preds,
            baseline
                .as_ref()
                .zip(base_preds.as_deref())
                .map(|(b, bp)| (b.labels(), bp)),
        )?;
        whyline::util::write_atomic(p, &ev::prediction_jsonl(&rows)?)?;
    }
    let gates = ev::check_gates(&scores, a.min_macro_f1, &label_gates);
    let passed = gates.iter().all(|g| g.passed);
    if let Some(p) = &a.junit {
        let xml = whyline::eval::junit::to_junit(&a.task, &gates, scores.macro_f1);
        whyline::util::write_atomic(p, xml.as_bytes())?;
    }
    let deltas = base.as_ref().map(|b| ev::deltas(&scores, b));
    let out = Output {
        task: a.task.clone(),
        data: a.data.display().to_string(),
        rows: set.examples.len(),
        skipped,
        scores,
        baseline: base,
        deltas,
        gates,
        passed,
    };
    if a.json {
        let s = serde_json::to_string(&out).map_err(|e| Error::Other(e.to_string()))?;
        super::out(&format!("{s}\n"));
    } else {
        super::out(&human(&out));
    }
    if !ctx.quiet {
        eprintln!(
            "eval: {} rows in {:.1} s (embedding {:.1} s)",
            out.rows,
            t0.elapsed().as_secs_f64(),
            t_embed
        );
    }
    Ok(if !passed {
        whyline::exit::GATE_FAILED
    } else if skipped > 0 {
        whyline::exit::SKIPPED_INPUTS
    } else {
        whyline::exit::OK
    })
}

fn human(o: &Output) -> String {
    let s = &o.scores;
    let skipped = match o.skipped {
        0 => String::new(),
        n => format!(" ({n} skipped)"),
    };
    let mut t = format!(
        "task {}  data {}  rows {}{skipped}\nmodel {}\n",
        o.task, o.data, o.rows, s.model
    );
    let line = |name: &str, v: f64, b: Option<f64>| match b {
        Some(b) => format!("  {name:<18} {v:.4}   baseline {b:.4}   ({:+.4})\n", v - b),
        None => format!("  {name:<18} {v:.4}\n"),
    };
    let b = o.baseline.as_ref();
    t += &line("macro-F1", s.macro_f1, b.map(|b| b.macro_f1));
    t += &line("micro-F1", s.micro_f1, b.map(|b| b.micro_f1));
    if let Some(acc) = s.accuracy {
        t += &line("accuracy", acc, b.and_then(|b| b.accuracy));
    }
    if let Some(em) = s.exact_match {
        t += &line("exact match", em, b.and_then(|b| b.exact_match));
    }
    if let Some(gm) = s.grouped_macro_f1 {
        t += &line("grouped macro-F1", gm, b.and_then(|b| b.grouped_macro_f1));
    }
    t += &line(
        "calibration error",
        s.calibration_error,
        b.map(|b| b.calibration_error),
    );
    t += &format!(
        "\n  {:<28} {:>6} {:>6} {:>6} {:>7}{}\n",
        "label",
        "P",
        "R",
        "F1",
        "support",
        if b.is_some() {
            "  base F1   change"
        } else {
            ""
        }
    );
    for (i, p) in s.per_label.iter().enumerate() {
        t += &format!(
            "  {:<28} {:>6.3} {:>6.3} {:>6.3} {:>7}",
            p.label, p.precision, p.recall, p.f1, p.support
        );
        if let Some(d) = o.deltas.as_ref().and_then(|d| d.get(i)) {
            t += &format!("  {:>7.3}  {:>+7.3}", d.baseline_f1, d.delta);
        }
        t += "\n";
    }
    if let Some(c) = &s.top_confusions {
        if !c.is_empty() {
            t += "\n  most frequent confusions (gold -> predicted: count)\n";
            for x in c.iter().take(10) {
                t += &format!("  {} -> {}: {}\n", x.gold, x.predicted, x.count);
            }
        }
    }
    for g in &o.gates {
        t += &format!(
            "  gate {} >= {}: {} ({})\n",
            g.name,
            g.min,
            if g.passed { "passed" } else { "FAILED" },
            g.value
                .map(|v| format!("{v:.4}"))
                .unwrap_or_else(|| "label unknown".into())
        );
    }
    t
}
