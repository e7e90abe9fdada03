//! Fitting a facet classifier on labelled data: a linear or MLP head on
//! frozen embeddings, or the calibration of a zero-shot taxonomy.
//!
//! Class weighting for rare labels, early stopping on the tuning set, per-label
//! thresholds tuned on the tuning set (multi-label), and a seed that makes the
//! result byte-identical run after run.

use super::head::{probs_in_place, HeadKind, HeadMeta, TrainedHead, FORMAT};
use super::taxonomy::Taxonomy;
use super::{decide, zero_shot, LabelMode};
use crate::error::{Error, Result};
use crate::eval::data::LabelledSet;
use crate::eval::metrics;
use crate::model::train::{head_logits, train_head, DenseHead, Objective, TrainConfig};
use crate::model::tune::{top_embed, tune_top, TopLayer, TuneConfig};
use crate::model::Precision;
use serde::Serialize;

/// Everything `fit` can be told.
#[derive(Debug, Clone)]
pub struct FitOptions {
    pub facet: String,
    pub kind: HeadKind,
    /// Hidden units of the MLP.
    pub hidden: usize,
    pub lr: f64,
    pub weight_decay: f64,
    pub batch_size: usize,
    pub max_epochs: usize,
    /// Stop after this many epochs without improvement on the tuning set.
    pub patience: usize,
    pub dropout: f32,
    pub seed: u64,
    /// Exponent of the inverse-frequency class weights (0 = unweighted, 1 = fully balanced).
    pub class_weight_power: f32,
    /// Cap on a multi-label positive weight.
    pub max_pos_weight: f32,
    /// Label smoothing of single-label targets (ignored for multi-label).
    pub label_smoothing: f32,
    /// Cosine learning-rate decay over `max_epochs`.
    pub cosine_lr: bool,
    /// Members trained with seeds `seed..seed + ensemble` and merged into one
    /// head that averages their logits (1 = a single head).
    pub ensemble: usize,
    /// Label order, groups, and (zero-shot) label descriptions.
    pub taxonomy: Option<Taxonomy>,
    /// Encoder layers whose pooled hidden states follow the embedding in
    /// the training vectors (recorded in `head.json`; see
    /// [`crate::embed::Embedder::embed_layers`]).
    pub layers: Vec<usize>,
}

impl FitOptions {
    pub fn new(facet: &str, kind: HeadKind) -> Self {
        FitOptions {
            facet: facet.to_string(),
            kind,
            hidden: 512,
            lr: 1e-3,
            weight_decay: 1e-4,
            batch_size: 128,
            max_epochs: 40,
            patience: 5,
            dropout: 0.2,
            seed: 42,
            class_weight_power: 0.5,
            max_pos_weight: 30.0,
            label_smoothing: 0.1,
            cosine_lr: false,
            ensemble: 1,
            taxonomy: None,
            layers: Vec::new(),
        }
    }
}

/// What happened during fitting (also written into the model card).
#[derive(Debug, Clone, Serialize)]
pub struct FitSummary {
    /// Epochs run, summed over the ensemble members.
    pub epochs_run: usize,
    /// Best epoch of the first member.
    pub best_epoch: usize,
    /// Best epoch of each ensemble member (one entry without `--ensemble`).
    pub member_best_epochs: Vec<usize>,
    /// Metric used for early stopping / selection on the tuning set
    /// (macro-F1 for multi-label, accuracy for single-label).
    pub tune_metric: String,
    pub tune_value: f64,
    pub train_rows: usize,
    pub tune_rows: usize,
    pub temperature: Option<f32>,
    pub bias: Option<f32>,
}

/// A cross-fitted head (`--folds K`) and what it was tuned on.
#[derive(Debug, Clone)]
pub struct CrossFit {
    pub head: TrainedHead,
    pub summary: FitSummary,
    /// Every training example's probabilities from the fold model that never
    /// saw it, in training order (`head.labels()` per row): what the
    /// thresholds and the out-of-fold figure were computed from
    /// (`fit --oof FILE` writes them with [`TrainedHead::predictions_from`]).
    pub out_of_fold: Vec<f32>,
}

/// Labels in taxonomy order when the taxonomy covers the data, else sorted.
pub fn label_order(
    train: &LabelledSet,
    tax: Option<&Taxonomy>,
) -> (Vec<String>, Option<Vec<String>>) {
    let data = train.label_names();
    if let Some(t) = tax {
        let names = t.label_names();
        if data.iter().all(|l| names.contains(l)) {
            return (names, t.groups());
        }
    }
    (data, None)
}

fn flatten(x: &[Vec<f32>], dim: usize) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(x.len() * dim);
    for (i, r) in x.iter().enumerate() {
        if r.len() != dim {
            return Err(Error::Tensor {
                name: format!("embedding {i}"),
                msg: format!("dim {} != {dim}", r.len()),
            });
        }
        out.extend_from_slice(r);
    }
    Ok(out)
}

fn targets(gold: &[Vec<usize>], l: usize) -> Vec<f32> {
    let mut y = vec![0f32; gold.len() * l];
    for (i, g) in gold.iter().enumerate() {
        for &j in g {
            y[i * l + j] = 1.0;
        }
    }
    y
}

/// Per-label thresholds in steps of 0.01 maximising each label's F1 on
/// `probs` (`n x l`) against `gold`. Labels without positives keep 0.5.
pub fn tune_thresholds(probs: &[f32], gold: &[Vec<usize>], l: usize) -> Vec<f32> {
    const BINS: usize = 100;
    let mut pos = vec![[0usize; BINS + 1]; l];
    let mut neg = vec![[0usize; BINS + 1]; l];
    for (row, g) in probs.chunks(l).zip(gold) {
        for (j, &p) in row.iter().enumerate() {
            let b = ((p * BINS as f32) as usize).min(BINS);
            if g.contains(&j) {
                pos[j][b] += 1;
            } else {
                neg[j][b] += 1;
            }
        }
    }
    (0..l)
        .map(|j| {
            let total_pos: usize = pos[j].iter().sum();
            if total_pos == 0 {
                return 0.5;
            }
            let (mut tp, mut fp) = (0usize, 0usize);
            let mut best = (-1.0f64, 0.5f32);
            // walk thresholds from high to low, accumulating bins >= k
            for k in (1..=BINS).rev() {
                tp += pos[j][k];
                fp += neg[j][k];
                if k >= BINS {
                    continue;
                }
                let f1 = metrics::Counts {
                    tp,
                    fp,
                    fn_: total_pos - tp,
                }
                .f1();
                if f1 > best.0 {
                    best = (f1, k as f32 / BINS as f32);
                }
            }
            best.1
        })
        .collect()
}

fn decide_all(probs: &[f32], l: usize, mode: LabelMode, thr: &[f32]) -> Vec<Vec<usize>> {
    probs
        .chunks(l)
        .map(|r| decide(mode, r, thr, true))
        .collect()
}

/// Selection metric on the tuning set: macro-F1 (multi-label) or accuracy.
fn selection(mode: LabelMode, pred: &[Vec<usize>], gold: &[Vec<usize>], l: usize) -> f64 {
    match mode {
        LabelMode::MultiLabel => metrics::macro_f1(gold, pred, l),
        LabelMode::SingleLabel => {
            let g: Vec<usize> = gold
                .iter()
                .map(|g| g.first().copied().unwrap_or(usize::MAX))
                .collect();
            let p: Vec<usize> = pred.iter().map(|p| p[0]).collect();
            metrics::accuracy(&g, &p)
        }
    }
}

/// Name of [`selection`]'s metric.
fn selection_name(mode: LabelMode) -> &'static str {
    match mode {
        LabelMode::MultiLabel => "macro_f1",
        LabelMode::SingleLabel => "accuracy",
    }
}

/// The training objective with `opts`' class weighting (inverse label
/// frequency to the power `class_weight_power`).
fn objective_for(mode: LabelMode, gold: &[Vec<usize>], l: usize, opts: &FitOptions) -> Objective {
    let mut count = vec![0usize; l];
    for g in gold {
        for &j in g {
            count[j] += 1;
        }
    }
    let n = gold.len();
    let pw = opts.class_weight_power;
    match mode {
        LabelMode::MultiLabel => Objective::MultiLabel {
            pos_weight: count
                .iter()
                .map(|&c| {
                    let c = c.max(1) as f32;
                    ((n as f32 - c) / c)
                        .powf(pw)
                        .clamp(1.0, opts.max_pos_weight)
                })
                .collect(),
        },
        LabelMode::SingleLabel => Objective::SingleLabel {
            class_weight: count
                .iter()
                .map(|&c| (n as f32 / (l as f32 * c.max(1) as f32)).powf(pw))
                .collect(),
        },
    }
}

/// Thresholds tuned on probabilities `p` of a tuning set (multi-label; none
/// for single-label) and the selection metric they reach on it.
fn tuned_selection(p: &[f32], gold: &[Vec<usize>], l: usize, mode: LabelMode) -> (Vec<f32>, f64) {
    let thr = if mode == LabelMode::MultiLabel {
        tune_thresholds(p, gold, l)
    } else {
        Vec::new()
    };
    let v = selection(mode, &decide_all(p, l, mode, &thr), gold, l);
    (thr, v)
}

/// `head.json` of a head fitted with `opts`.
fn head_meta(
    opts: &FitOptions,
    encoder: &str,
    (mode, labels, groups): (LabelMode, &[String], &Option<Vec<String>>),
    (kind, dim, hidden): (HeadKind, usize, usize),
    thresholds: Vec<f32>,
    summary: &FitSummary,
    training_record: &serde_json::Value,
) -> HeadMeta {
    HeadMeta {
        format: FORMAT.into(),
        facet: opts.facet.clone(),
        kind,
        mode,
        labels: labels.to_vec(),
        thresholds,
        min_one: true,
        groups: groups.clone(),
        encoder: encoder.to_string(),
        layers: opts.layers.clone(),
        dim,
        hidden,
        top: None,
        training: serde_json::json!({
            "record": training_record.clone(),
            "seed": opts.seed,
            "kind": kind.as_str(),
            "hidden": hidden,
            "lr": opts.lr,
            "weight_decay": opts.weight_decay,
            "batch_size": opts.batch_size,
            "max_epochs": opts.max_epochs,
            "patience": opts.patience,
            "dropout": opts.dropout,
            "class_weight_power": opts.class_weight_power,
            "label_smoothing": opts.label_smoothing,
            "cosine_lr": opts.cosine_lr,
            "ensemble": opts.ensemble,
            "summary": summary,
        }),
    }
}

/// Fit a classifier. `train_x[i]` embeds `train.examples[i]`; `tune` (with
/// its embeddings) drives early stopping and thresholds; without it, the head
/// trains for `max_epochs` and multi-label thresholds stay at 0.5.
/// `encoder` is the embedder fingerprint recorded in the head.
/// `progress(epoch, loss, tune_value)` is called after each epoch.
#[allow(clippy::too_many_arguments)]
pub fn fit(
    encoder: &str,
    train: &LabelledSet,
    train_x: &[Vec<f32>],
    tune: Option<(&LabelledSet, &[Vec<f32>])>,
    opts: &FitOptions,
    protos: Option<&[Vec<f32>]>,
    training_record: serde_json::Value,
    progress: &mut dyn FnMut(usize, f64, Option<f64>),
) -> Result<(TrainedHead, FitSummary)> {
    let dim = train_x.first().map(Vec::len).unwrap_or(0);
    if train_x.len() != train.examples.len() || dim == 0 {
        return Err(Error::Config(format!(
            "{} embeddings for {} training examples",
            train_x.len(),
            train.examples.len()
        )));
    }
    let mode = if train.multi_label {
        LabelMode::MultiLabel
    } else {
        LabelMode::SingleLabel
    };
    let (labels, groups) = label_order(train, opts.taxonomy.as_ref());
    let l = labels.len();
    let gold = train.label_indices(&labels)?;
    let x = flatten(train_x, dim)?;
    let y = targets(&gold, l);
    let tune_data = match tune {
        Some((set, emb)) => {
            if emb.len() != set.examples.len() {
                return Err(Error::Config(
                    "tuning embeddings do not match the tuning set".into(),
                ));
            }
            Some((set.label_indices(&labels)?, flatten(emb, dim)?))
        }
        None => None,
    };
    let tune_metric = selection_name(mode);
    let meta = |kind: HeadKind, hidden: usize, thresholds: Vec<f32>, summary: &FitSummary| {
        head_meta(
            opts,
            encoder,
            (mode, &labels, &groups),
            (kind, dim, hidden),
            thresholds,
            summary,
            &training_record,
        )
    };

    if opts.kind == HeadKind::ZeroShot {
        let protos = protos
            .ok_or_else(|| Error::Config("zero-shot fitting needs label prototypes".into()))?;
        let tax = match &opts.taxonomy {
            Some(t) if t.label_names() == labels => t.clone(),
            _ => Taxonomy::from_label_names(&opts.facet, mode, &labels),
        };
        let tax = Taxonomy { mode, ..tax };
        let cos = zero_shot::cosines(&x, dim, protos);
        let (t, b) = zero_shot::fit_calibration(&cos, &y, l, mode);
        let head =
            zero_shot::zero_shot_head(protos, &tax, encoder, t, b, None, serde_json::Value::Null)?;
        let mut summary = FitSummary {
            epochs_run: 0,
            best_epoch: 0,
            member_best_epochs: Vec::new(),
            tune_metric: tune_metric.into(),
            tune_value: f64::NAN,
            train_rows: train.examples.len(),
            tune_rows: 0,
            temperature: Some(t),
            bias: Some(b),
        };
        let mut thresholds = head.meta.thresholds.clone();
        if let Some((tg, tx)) = &tune_data {
            let mut p = head_logits(&head.weights, tx)?;
            probs_in_place(&mut p, l, mode);
            if mode == LabelMode::MultiLabel {
                thresholds = tune_thresholds(&p, tg, l);
            }
            summary.tune_value = selection(mode, &decide_all(&p, l, mode, &thresholds), tg, l);
            summary.tune_rows = tg.len();
        }
        let m = meta(HeadKind::ZeroShot, 0, thresholds, &summary);
        return Ok((TrainedHead::new(m, head.weights)?, summary));
    }

    let objective = objective_for(mode, &gold, l, opts);
    let n = gold.len();
    let hidden = if opts.kind == HeadKind::Mlp {
        opts.hidden.max(1)
    } else {
        0
    };
    let cfg = TrainConfig {
        hidden,
        lr: opts.lr,
        weight_decay: opts.weight_decay,
        batch_size: opts.batch_size,
        max_epochs: opts.max_epochs,
        dropout: opts.dropout,
        seed: opts.seed,
        label_smoothing: if mode == LabelMode::SingleLabel {
            opts.label_smoothing
        } else {
            0.0
        },
        cosine_lr: opts.cosine_lr,
    };
    let default_thr = if mode == LabelMode::MultiLabel {
        vec![0.5; l]
    } else {
        Vec::new()
    };
    // One member per seed (seed, seed + 1, ...), each with its own early
    // stopping; the members are merged into one head that averages their
    // logits (see `merge_heads`), and the thresholds are tuned on the merge.
    let members = opts.ensemble.max(1);
    let mut heads = Vec::with_capacity(members);
    let mut epochs_run = 0;
    let mut best_epochs = Vec::with_capacity(members);
    let mut value = f64::NAN;
    let mut thresholds = default_thr.clone();
    for k in 0..members {
        let cfg = TrainConfig {
            seed: opts.seed.wrapping_add(k as u64),
            ..cfg.clone()
        };
        let mut best: Option<(f64, usize, DenseHead, Vec<f32>)> = None;
        let mut member_epochs = 0;
        let last = train_head(
            &x,
            dim,
            &y,
            l,
            &objective,
            &cfg,
            &mut |epoch, head, loss| {
                member_epochs = epoch;
                let Some((tg, tx)) = &tune_data else {
                    progress(epoch, loss, None);
                    return Ok(true);
                };
                let mut p = head_logits(head, tx)?;
                probs_in_place(&mut p, l, mode);
                let (thr, v) = tuned_selection(&p, tg, l, mode);
                progress(epoch, loss, Some(v));
                if best.as_ref().is_none_or(|b| v > b.0) {
                    best = Some((v, epoch, head.clone(), thr));
                }
                Ok(best.as_ref().is_some_and(|b| epoch < b.1 + opts.patience))
            },
        )?;
        epochs_run += member_epochs;
        match best {
            Some((v, e, h, thr)) => {
                best_epochs.push(e);
                heads.push(h);
                value = v;
                thresholds = thr;
            }
            None => {
                best_epochs.push(member_epochs);
                heads.push(last);
            }
        }
    }
    let weights = if heads.len() == 1 {
        heads.pop().expect("one member")
    } else {
        let merged = merge_heads(&heads)?;
        if let Some((tg, tx)) = &tune_data {
            let mut p = head_logits(&merged, tx)?;
            probs_in_place(&mut p, l, mode);
            if mode == LabelMode::MultiLabel {
                thresholds = tune_thresholds(&p, tg, l);
            }
            value = selection(mode, &decide_all(&p, l, mode, &thresholds), tg, l);
        }
        merged
    };
    let best_epoch = best_epochs[0];
    let summary = FitSummary {
        epochs_run,
        best_epoch,
        member_best_epochs: best_epochs,
        tune_metric: tune_metric.into(),
        tune_value: value,
        train_rows: n,
        tune_rows: tune_data.as_ref().map(|t| t.0.len()).unwrap_or(0),
        temperature: None,
        bias: None,
    };
    let m = meta(opts.kind, weights.hidden, thresholds, &summary);
    Ok((TrainedHead::new(m, weights)?, summary))
}

/// What [`fit_top`] needs besides the data: each text's hidden states
/// entering the encoder's last layer, that layer's weights, and how to find
/// the encoder again at inference.
pub struct TopInput<'a> {
    pub train_states: &'a [Vec<f32>],
    pub tune_states: &'a [Vec<f32>],
    pub init: &'a TopLayer,
    /// Learning rate and weight decay of the layer (the head has `opts`').
    pub layer_lr: f64,
    pub layer_weight_decay: f64,
    /// Dropout inside the layer while training.
    pub layer_dropout: f32,
    /// The encoder as named to `fit` (`None`: the default).
    pub encoder_spec: Option<String>,
    pub precision: Precision,
}

/// Fit a head together with a fine-tuned copy of the encoder's last layer
/// (`fit --tune-top`): early stopping and thresholds on `tune` as in
/// [`fit`], the layer evaluated as stored (f16). The head is an MLP
/// (`opts.hidden` units) or linear (`opts.kind`).
pub fn fit_top(
    encoder: &str,
    train: &LabelledSet,
    tune: &LabelledSet,
    top: &TopInput,
    opts: &FitOptions,
    training_record: serde_json::Value,
    progress: &mut dyn FnMut(usize, f64, Option<f64>),
) -> Result<(TrainedHead, FitSummary)> {
    let plan = TopPlan::new(train, opts)?;
    let tune_gold = tune.label_indices(&plan.labels)?;
    if top.train_states.len() != train.examples.len()
        || top.tune_states.len() != tune.examples.len()
    {
        return Err(Error::Config(
            "hidden states do not match the examples".into(),
        ));
    }
    let run = plan.run(
        top.train_states,
        &plan.gold,
        Some((top.tune_states, &tune_gold)),
        top,
        opts,
        opts.seed,
        None,
        progress,
    )?;
    let summary = FitSummary {
        epochs_run: run.epochs_run,
        best_epoch: run.best_epoch,
        member_best_epochs: vec![run.best_epoch],
        tune_metric: selection_name(plan.mode).into(),
        tune_value: run.value,
        train_rows: plan.gold.len(),
        tune_rows: tune_gold.len(),
        temperature: None,
        bias: None,
    };
    let head = plan.finish(
        encoder,
        top,
        opts,
        (run.layer, run.head, run.thresholds),
        &summary,
        &training_record,
        &[],
    )?;
    Ok((head, summary))
}

/// `fit --tune-top --folds K`: a layer and head per fold (early stopping on
/// the fold it did not see), multi-label thresholds tuned on every
/// example's out-of-fold prediction, then one layer and head refitted on all
/// of `train` for the median best epoch: the shipped head is one layer, not
/// `K`, and its thresholds come from all the data instead of a split.
#[allow(clippy::too_many_arguments)]
pub fn fit_top_crossfit(
    encoder: &str,
    train: &LabelledSet,
    top: &TopInput,
    fold: &[usize],
    k: usize,
    opts: &FitOptions,
    training_record: serde_json::Value,
    progress: &mut dyn FnMut(usize, f64, Option<f64>),
) -> Result<CrossFit> {
    let plan = TopPlan::new(train, opts)?;
    let n = train.examples.len();
    if k < 2 || fold.len() != n || top.train_states.len() != n {
        return Err(Error::Config(format!(
            "cross-fitting needs at least 2 folds and one fold and one set of hidden states per example ({k} folds, {} fold indices, {} states, {n} examples)",
            fold.len(),
            top.train_states.len()
        )));
    }
    let l = plan.labels.len();
    let mut oof = vec![0f32; n * l];
    let mut best_epochs = Vec::with_capacity(k);
    let mut epochs_run = 0;
    for f in 0..k {
        let (fit_idx, held_idx): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| fold[i] != f);
        if fit_idx.is_empty() || held_idx.is_empty() {
            return Err(Error::Config(format!(
                "fold {} of {k} is empty or holds every example: use fewer folds",
                f + 1
            )));
        }
        let pick = |idx: &[usize]| -> (Vec<Vec<f32>>, Vec<Vec<usize>>) {
            (
                idx.iter().map(|&i| top.train_states[i].clone()).collect(),
                idx.iter().map(|&i| plan.gold[i].clone()).collect(),
            )
        };
        let (fx, fg) = pick(&fit_idx);
        let (hx, hg) = pick(&held_idx);
        let run = plan.run(
            &fx,
            &fg,
            Some((&hx, &hg)),
            top,
            opts,
            opts.seed.wrapping_add(1000 * f as u64),
            None,
            progress,
        )?;
        for (j, &i) in held_idx.iter().enumerate() {
            oof[i * l..(i + 1) * l].copy_from_slice(&run.probs[j * l..(j + 1) * l]);
        }
        epochs_run += run.epochs_run;
        best_epochs.push(run.best_epoch);
    }
    let thresholds = if plan.mode == LabelMode::MultiLabel {
        tune_thresholds(&oof, &plan.gold, l)
    } else {
        Vec::new()
    };
    let value = selection(
        plan.mode,
        &decide_all(&oof, l, plan.mode, &thresholds),
        &plan.gold,
        l,
    );
    let mut sorted = best_epochs.clone();
    sorted.sort_unstable();
    let refit_epochs = sorted[sorted.len() / 2].max(1);
    let run = plan.run(
        top.train_states,
        &plan.gold,
        None,
        top,
        opts,
        opts.seed,
        Some(refit_epochs),
        progress,
    )?;
    epochs_run += run.epochs_run;
    let summary = FitSummary {
        epochs_run,
        best_epoch: refit_epochs,
        member_best_epochs: best_epochs,
        tune_metric: selection_name(plan.mode).into(),
        tune_value: value,
        train_rows: n,
        tune_rows: n,
        temperature: None,
        bias: None,
    };
    let extra = [
        ("folds", serde_json::json!(k)),
        ("refit_epochs", serde_json::json!(refit_epochs)),
    ];
    let head = plan.finish(
        encoder,
        top,
        opts,
        (run.layer, run.head, thresholds),
        &summary,
        &training_record,
        &extra,
    )?;
    Ok(CrossFit {
        head,
        summary,
        out_of_fold: oof,
    })
}

/// A tuning set's hidden states and gold label indices.
type TuneRows<'a> = (&'a [Vec<f32>], &'a [Vec<usize>]);

/// One `--tune-top` training run's outcome.
struct TopRun {
    layer: TopLayer,
    head: DenseHead,
    thresholds: Vec<f32>,
    /// Selection metric on the tuning part at the best epoch (NaN without one).
    value: f64,
    best_epoch: usize,
    epochs_run: usize,
    /// Probabilities on the tuning part at the best epoch (row-major).
    probs: Vec<f32>,
}

/// Labels, targets and objective shared by the runs of one `--tune-top` fit.
struct TopPlan {
    mode: LabelMode,
    labels: Vec<String>,
    groups: Option<Vec<String>>,
    gold: Vec<Vec<usize>>,
    objective: Objective,
    hidden: usize,
}

impl TopPlan {
    fn new(train: &LabelledSet, opts: &FitOptions) -> Result<Self> {
        if opts.kind == HeadKind::ZeroShot || !opts.layers.is_empty() || opts.ensemble > 1 {
            return Err(Error::Config(
                "--tune-top trains one linear or MLP head on the tuned layer: not with --kind zero-shot, --layers or --ensemble".into(),
            ));
        }
        let mode = if train.multi_label {
            LabelMode::MultiLabel
        } else {
            LabelMode::SingleLabel
        };
        let (labels, groups) = label_order(train, opts.taxonomy.as_ref());
        let gold = train.label_indices(&labels)?;
        let objective = objective_for(mode, &gold, labels.len(), opts);
        let hidden = if opts.kind == HeadKind::Mlp {
            opts.hidden.max(1)
        } else {
            0
        };
        Ok(TopPlan {
            mode,
            labels,
            groups,
            gold,
            objective,
            hidden,
        })
    }

    /// Train on `states`/`gold`; with `tune`, keep the best epoch by the
    /// selection metric (patience `opts.patience`); without, stop after
    /// `epochs` (the cosine schedule still spans `opts.max_epochs`).
    #[allow(clippy::too_many_arguments)]
    fn run(
        &self,
        states: &[Vec<f32>],
        gold: &[Vec<usize>],
        tune: Option<TuneRows>,
        top: &TopInput,
        opts: &FitOptions,
        seed: u64,
        epochs: Option<usize>,
        progress: &mut dyn FnMut(usize, f64, Option<f64>),
    ) -> Result<TopRun> {
        let (mode, l) = (self.mode, self.labels.len());
        let cfg = TuneConfig {
            head: TrainConfig {
                hidden: self.hidden,
                lr: opts.lr,
                weight_decay: opts.weight_decay,
                batch_size: opts.batch_size,
                max_epochs: opts.max_epochs,
                dropout: opts.dropout,
                seed,
                label_smoothing: if mode == LabelMode::SingleLabel {
                    opts.label_smoothing
                } else {
                    0.0
                },
                cosine_lr: opts.cosine_lr,
            },
            layer_lr: top.layer_lr,
            layer_weight_decay: top.layer_weight_decay,
            layer_dropout: top.layer_dropout,
        };
        let y = targets(gold, l);
        let mut best: Option<TopRun> = None;
        let mut epochs_run = 0;
        let last = tune_top(
            states,
            top.init,
            &y,
            l,
            &self.objective,
            &cfg,
            &mut |epoch, layer, head, loss| {
                epochs_run = epoch;
                let Some((tx, tg)) = tune else {
                    progress(epoch, loss, None);
                    return Ok(epoch < epochs.unwrap_or(usize::MAX));
                };
                let mut stored = layer.clone();
                stored.round_to_f16()?;
                let x = flatten(&top_embed(&stored, tx)?, top.init.hidden)?;
                let mut p = head_logits(head, &x)?;
                probs_in_place(&mut p, l, mode);
                let (thr, v) = tuned_selection(&p, tg, l, mode);
                progress(epoch, loss, Some(v));
                if best.as_ref().is_none_or(|b| v > b.value) {
                    best = Some(TopRun {
                        layer: stored,
                        head: head.clone(),
                        thresholds: thr,
                        value: v,
                        best_epoch: epoch,
                        epochs_run: 0,
                        probs: p,
                    });
                }
                Ok(best
                    .as_ref()
                    .is_some_and(|b| epoch < b.best_epoch + opts.patience))
            },
        )?;
        let mut run = best.unwrap_or_else(|| TopRun {
            layer: last.0,
            head: last.1,
            thresholds: if mode == LabelMode::MultiLabel {
                vec![0.5; l]
            } else {
                Vec::new()
            },
            value: f64::NAN,
            best_epoch: epochs_run,
            epochs_run,
            probs: Vec::new(),
        });
        run.epochs_run = epochs_run;
        Ok(run)
    }

    /// The head with its layer, `head.json` recording the layer's settings
    /// (and `extra` entries in its training record).
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        encoder: &str,
        top: &TopInput,
        opts: &FitOptions,
        (layer, weights, thresholds): (TopLayer, DenseHead, Vec<f32>),
        summary: &FitSummary,
        training_record: &serde_json::Value,
        extra: &[(&str, serde_json::Value)],
    ) -> Result<TrainedHead> {
        let mut meta = head_meta(
            opts,
            encoder,
            (self.mode, &self.labels, &self.groups),
            (opts.kind, top.init.hidden, self.hidden),
            thresholds,
            summary,
            training_record,
        );
        if let Some(t) = meta.training.as_object_mut() {
            t.insert(
                "tune_top".into(),
                serde_json::json!({"layer": layer.layer, "layer_lr": top.layer_lr, "layer_weight_decay": top.layer_weight_decay, "layer_dropout": top.layer_dropout}),
            );
            for (k, v) in extra {
                t.insert((*k).into(), v.clone());
            }
        }
        TrainedHead::new(meta, weights)?.with_top(layer, top.encoder_spec.clone(), top.precision)
    }
}

/// Cross-fitting (`fit --folds K`): `fold[i] < k` assigns each training
/// example to one of `k` folds. One head is fitted per fold on the other
/// folds (early stopping on its own fold, `opts.ensemble` seeds each), and
/// the `k` heads are merged into one that averages their logits. Every
/// example is then predicted once by the head that never saw it, so the
/// multi-label thresholds are tuned on out-of-fold predictions for the whole
/// training set instead of a 10% split: rare labels get thresholds from all
/// their examples, and every example still trains `k - 1` members.
#[allow(clippy::too_many_arguments)]
pub fn fit_crossfit(
    encoder: &str,
    train: &LabelledSet,
    train_x: &[Vec<f32>],
    fold: &[usize],
    k: usize,
    opts: &FitOptions,
    training_record: serde_json::Value,
    progress: &mut dyn FnMut(usize, f64, Option<f64>),
) -> Result<CrossFit> {
    if k < 2 || fold.len() != train.examples.len() || train_x.len() != fold.len() {
        return Err(Error::Config(format!(
            "cross-fitting needs at least 2 folds and one fold per example ({} folds, {} fold indices, {} embeddings, {} examples)",
            k,
            fold.len(),
            train_x.len(),
            train.examples.len()
        )));
    }
    if opts.kind == HeadKind::ZeroShot {
        return Err(Error::Config(
            "--folds applies to trained heads (linear, mlp), not zero-shot".into(),
        ));
    }
    let subset = |keep: &dyn Fn(usize) -> bool| {
        let idx: Vec<usize> = (0..fold.len()).filter(|&i| keep(i)).collect();
        let set = LabelledSet {
            path: train.path.clone(),
            multi_label: train.multi_label,
            examples: idx.iter().map(|&i| train.examples[i].clone()).collect(),
        };
        let x: Vec<Vec<f32>> = idx.iter().map(|&i| train_x[i].clone()).collect();
        (idx, set, x)
    };
    // One label order for every fold, from the whole training set: a rare
    // label missing from one fold's training part keeps its place.
    let mode = if train.multi_label {
        LabelMode::MultiLabel
    } else {
        LabelMode::SingleLabel
    };
    let (labels, _) = label_order(train, opts.taxonomy.as_ref());
    let l = labels.len();
    let taxonomy = match &opts.taxonomy {
        Some(t) if t.label_names() == labels => t.clone(),
        _ => Taxonomy::from_label_names(&opts.facet, mode, &labels),
    };
    let mut heads: Vec<TrainedHead> = Vec::with_capacity(k);
    let mut oof: Vec<(usize, Vec<f32>)> = Vec::with_capacity(fold.len());
    let mut epochs_run = 0;
    let mut best_epochs = Vec::new();
    for f in 0..k {
        let (_, fit_set, fit_x) = subset(&|i| fold[i] != f);
        let (held_idx, held_set, held_x) = subset(&|i| fold[i] == f);
        if held_set.examples.is_empty() || fit_set.examples.is_empty() {
            return Err(Error::Config(format!(
                "fold {} of {k} is empty or holds every example: use fewer folds",
                f + 1
            )));
        }
        let member_opts = FitOptions {
            seed: opts.seed.wrapping_add(1000 * f as u64),
            taxonomy: Some(taxonomy.clone()),
            ..opts.clone()
        };
        let (head, summary) = fit(
            encoder,
            &fit_set,
            &fit_x,
            Some((&held_set, &held_x)),
            &member_opts,
            None,
            training_record.clone(),
            progress,
        )?;
        let mut p = head_logits(&head.weights, &flatten(&held_x, head.meta.dim)?)?;
        probs_in_place(&mut p, l, mode);
        oof.extend(held_idx.into_iter().zip(p.chunks(l).map(<[f32]>::to_vec)));
        epochs_run += summary.epochs_run;
        best_epochs.extend(summary.member_best_epochs);
        heads.push(head);
    }
    let first = heads.first().expect("k >= 2 heads").meta.clone();
    // Out-of-fold probabilities in training order.
    oof.sort_by_key(|(i, _)| *i);
    let probs: Vec<f32> = oof.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let gold = train.label_indices(&labels)?;
    let weights: Vec<DenseHead> = heads.iter().map(|h| h.weights.clone()).collect();
    let merged = merge_heads(&weights)?;
    let thresholds = if mode == LabelMode::MultiLabel {
        tune_thresholds(&probs, &gold, l)
    } else {
        Vec::new()
    };
    let value = selection(mode, &decide_all(&probs, l, mode, &thresholds), &gold, l);
    let summary = FitSummary {
        epochs_run,
        best_epoch: best_epochs.first().copied().unwrap_or(0),
        member_best_epochs: best_epochs,
        tune_metric: selection_name(mode).into(),
        tune_value: value,
        train_rows: train.examples.len(),
        tune_rows: train.examples.len(),
        temperature: None,
        bias: None,
    };
    let mut training = first.training.clone();
    if let Some(obj) = training.as_object_mut() {
        obj.insert("folds".into(), serde_json::json!(k));
        obj.insert("summary".into(), serde_json::json!(summary));
    }
    let meta = HeadMeta {
        thresholds,
        hidden: merged.hidden,
        training,
        ..first
    };
    Ok(CrossFit {
        head: TrainedHead::new(meta, merged)?,
        summary,
        out_of_fold: probs,
    })
}

/// Merge same-shaped heads into one whose logits are the mean of theirs: an
/// MLP ensemble is one wider MLP (hidden units side by side, output weights
/// scaled by 1/K), a linear ensemble the mean of the weights. The merged head
/// is an ordinary head: nothing downstream knows it was an ensemble.
pub fn merge_heads(heads: &[DenseHead]) -> Result<DenseHead> {
    let first = heads
        .first()
        .ok_or_else(|| Error::Config("no heads to merge".into()))?;
    let (dim, hidden, l) = (first.dim, first.hidden, first.n_labels);
    if heads
        .iter()
        .any(|h| h.dim != dim || h.hidden != hidden || h.n_labels != l)
    {
        return Err(Error::Config("ensemble members differ in shape".into()));
    }
    let k = heads.len() as f32;
    let mean = |get: &dyn Fn(&DenseHead) -> &Vec<f32>| -> Vec<f32> {
        let mut out = vec![0f32; get(first).len()];
        for h in heads {
            for (o, v) in out.iter_mut().zip(get(h)) {
                *o += v / k;
            }
        }
        out
    };
    let b2 = mean(&|h| &h.b2);
    if hidden == 0 {
        return Ok(DenseHead {
            dim,
            hidden: 0,
            n_labels: l,
            w1: Vec::new(),
            b1: Vec::new(),
            w2: mean(&|h| &h.w2),
            b2,
        });
    }
    let w1 = heads.iter().flat_map(|h| h.w1.iter().copied()).collect();
    let b1 = heads.iter().flat_map(|h| h.b1.iter().copied()).collect();
    let mut w2 = Vec::with_capacity(l * hidden * heads.len());
    for j in 0..l {
        for h in heads {
            w2.extend(h.w2[j * hidden..(j + 1) * hidden].iter().map(|v| v / k));
        }
    }
    let merged = DenseHead {
        dim,
        hidden: hidden * heads.len(),
        n_labels: l,
        w1,
        b1,
        w2,
        b2,
    };
    merged.check()?;
    Ok(merged)
}

/// What a model card says beyond the head itself.
#[derive(Debug, Clone, Default)]
pub struct CardInfo {
    pub train_path: String,
    pub tune_desc: String,
    pub data_source: String,
    pub licence: String,
    pub command: String,
    pub date: String,
    pub seconds: f64,
    /// Figures on the tuning set: (name, value).
    pub tune_figures: Vec<(String, f64)>,
}

/// The model card (markdown) written next to a head.
pub fn model_card(head: &TrainedHead, summary: &FitSummary, info: &CardInfo) -> String {
    let m = &head.meta;
    let mut s = format!("# whyline facet head: {}\n\n", m.facet);
    s += &format!(
        "- kind: {} ({}), {} labels, input dim {}{}\n",
        m.kind.as_str(),
        match m.mode {
            LabelMode::MultiLabel => "multi-label, per-label thresholds",
            LabelMode::SingleLabel => "single-label, softmax",
        },
        m.labels.len(),
        m.dim,
        if m.hidden > 0 {
            format!(", hidden {}", m.hidden)
        } else {
            String::new()
        }
    );
    s += &format!("- fingerprint: `{}`\n", head_fingerprint(head));
    s += &format!("- encoder fingerprint: `{}`\n", m.encoder);
    if !m.layers.is_empty() {
        let l: Vec<String> = m.layers.iter().map(|l| l.to_string()).collect();
        s += &format!(
            "- input: the sentence embedding followed by the L2-normalised mean-pooled hidden \
             states after encoder layers {} (`--layers {}`)\n",
            l.join(", "),
            l.join(",")
        );
    }
    s += &format!("- trained: {} (whyline {})\n", info.date, crate::version());
    s += &format!(
        "- training data: `{}` ({} rows)\n",
        info.train_path, summary.train_rows
    );
    s += &format!("- data source: {}\n", info.data_source);
    s += &format!("- licence of the training data: **{}**\n", info.licence);
    s += &format!(
        "- tuning set (early stopping{}): {} ({} rows)\n",
        if m.mode == LabelMode::MultiLabel {
            " and thresholds"
        } else {
            ""
        },
        info.tune_desc,
        summary.tune_rows
    );
    s += &format!(
        "- epochs run: {}, best epoch: {}, fit time {:.0} s\n",
        summary.epochs_run, summary.best_epoch, info.seconds
    );
    if let (Some(t), Some(b)) = (summary.temperature, summary.bias) {
        s += &format!("- fitted temperature {t}, bias {b}\n");
    }
    s += "\n## Figures on the tuning set\n\n";
    s += "These are measured on the set used for early stopping (and thresholds), so they are\n";
    s += "optimistic; see the README's facet table for figures on data the head never saw.\n\n";
    s += "| metric | value |\n| --- | --- |\n";
    for (k, v) in &info.tune_figures {
        s += &format!("| {k} | {v:.4} |\n");
    }
    s += "\n## Reproduce\n\n```sh\n";
    s += &info.command;
    s += "\n```\n\nThe same command with the same seed writes byte-identical `head.safetensors`,\n";
    s +=
        "`head.json` and `labels.json` on the same kind of CPU (see the README's `whyline fit`).\n";
    s
}

fn head_fingerprint(h: &TrainedHead) -> String {
    use super::FacetClassifier;
    h.fingerprint()
}

/// Today's date (UTC) as YYYY-MM-DD, without a date crate.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::FacetClassifier;
    use crate::eval::data::Example;

    /// Deterministic fake embeddings: label-dependent centre + hash noise.
    fn set(n: usize, multi: bool) -> (LabelledSet, Vec<Vec<f32>>) {
        let mut rng = crate::model::train::seeded(5);
        let mut ex = Vec::new();
        let mut x = Vec::new();
        for i in 0..n {
            let a = i % 3;
            let mut labels = vec![["a", "b", "c"][a].to_string()];
            if multi && i % 5 == 0 {
                labels.push("d".into());
            }
            let mut v: Vec<f32> = (0..8).map(|_| (rng.next_f32() - 0.5) * 0.4).collect();
            v[a] += 1.0;
            if labels.len() > 1 {
                v[5] += 1.0;
            }
            ex.push(Example {
                key: format!("k{i}"),
                text: format!("t{i}"),
                labels,
                record: i as u64 + 1,
                group: None,
            });
            x.push(v);
        }
        (
            LabelledSet {
                path: "mem".into(),
                multi_label: multi,
                examples: ex,
            },
            x,
        )
    }

    #[test]
    fn fit_multi_label_tunes_thresholds_and_round_trips_bytes() {
        let (train, tx) = set(300, true);
        let (dev, dx) = set(90, true);
        let mut opts = FitOptions::new("t", HeadKind::Mlp);
        opts.hidden = 16;
        opts.max_epochs = 15;
        opts.lr = 1e-2;
        let run = || {
            fit(
                "enc",
                &train,
                &tx,
                Some((&dev, &dx)),
                &opts,
                None,
                serde_json::Value::Null,
                &mut |_, _, _| {},
            )
            .unwrap()
        };
        let (h, s) = run();
        assert_eq!(h.meta.labels, vec!["a", "b", "c", "d"]);
        assert_eq!(h.meta.thresholds.len(), 4);
        assert!(s.tune_value > 0.9, "{s:?}");
        let (h2, _) = run();
        assert_eq!(h.to_bytes().unwrap(), h2.to_bytes().unwrap());
        let dir = tempfile::tempdir().unwrap();
        h.save(dir.path()).unwrap();
        let back = TrainedHead::load(dir.path()).unwrap();
        assert_eq!(back.to_bytes().unwrap(), h.to_bytes().unwrap());
        assert_eq!(back.fingerprint(), h.fingerprint());
        let p = back.predict(&dx[..3], &["x", "y", "z"]).unwrap();
        assert_eq!(p[0].labels[0], "a");
        assert_eq!(p[1].labels, vec!["b"]);
    }

    #[test]
    fn merged_ensemble_head_averages_member_logits() {
        let mut rng = crate::model::train::seeded(9);
        let mut r = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.next_f32() - 0.5).collect() };
        for hidden in [0usize, 4] {
            let inner = if hidden == 0 { 6 } else { hidden };
            let heads: Vec<DenseHead> = (0..3)
                .map(|_| DenseHead {
                    dim: 6,
                    hidden,
                    n_labels: 3,
                    w1: r(hidden * 6),
                    b1: r(hidden),
                    w2: r(3 * inner),
                    b2: r(3),
                })
                .collect();
            let merged = merge_heads(&heads).unwrap();
            assert_eq!(merged.hidden, hidden * 3);
            let x = r(2 * 6);
            let got = head_logits(&merged, &x).unwrap();
            let mut want = vec![0f32; 6];
            for h in &heads {
                for (w, v) in want.iter_mut().zip(head_logits(h, &x).unwrap()) {
                    *w += v / 3.0;
                }
            }
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "hidden {hidden}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn crossfit_tunes_thresholds_out_of_fold_and_is_deterministic() {
        let (train, tx) = set(300, true);
        let fold: Vec<usize> = train
            .examples
            .iter()
            .map(|e| crate::eval::data::fold_of(e, 4))
            .collect();
        // Every fold holds some examples.
        assert!((0..4).all(|f| fold.contains(&f)), "{fold:?}");
        let mut opts = FitOptions::new("t", HeadKind::Mlp);
        opts.hidden = 16;
        opts.max_epochs = 15;
        opts.lr = 1e-2;
        let run = || {
            fit_crossfit(
                "enc",
                &train,
                &tx,
                &fold,
                4,
                &opts,
                serde_json::Value::Null,
                &mut |_, _, _| {},
            )
            .unwrap()
        };
        let CrossFit {
            head: h,
            summary: s,
            out_of_fold,
        } = run();
        // One out-of-fold row per example; the figure is scored from them.
        assert_eq!(out_of_fold.len(), 300 * 4);
        let oof_gold = train.label_indices(&h.meta.labels).unwrap();
        let oof_pred: Vec<Vec<usize>> = h
            .predictions_from(&out_of_fold)
            .iter()
            .map(|p| {
                p.labels
                    .iter()
                    .map(|x| h.meta.labels.iter().position(|y| y == x).unwrap())
                    .collect()
            })
            .collect();
        assert!((metrics::macro_f1(&oof_gold, &oof_pred, 4) - s.tune_value).abs() < 1e-9);
        // Four fold heads merged side by side; thresholds for every label,
        // tuned on one out-of-fold prediction per training example.
        assert_eq!(h.meta.hidden, 64);
        assert_eq!(s.member_best_epochs.len(), 4);
        assert_eq!(h.meta.thresholds.len(), 4);
        assert_eq!(s.tune_rows, 300);
        assert!(s.tune_value > 0.9, "{s:?}");
        assert_eq!(h.meta.training["folds"], 4);
        assert_eq!(h.to_bytes().unwrap(), run().head.to_bytes().unwrap());
        // The merged head separates the training data.
        let x = flatten(&tx, 8).unwrap();
        let mut p = head_logits(&h.weights, &x).unwrap();
        probs_in_place(&mut p, 4, LabelMode::MultiLabel);
        let gold = train.label_indices(&h.meta.labels).unwrap();
        let pred = decide_all(&p, 4, LabelMode::MultiLabel, &h.meta.thresholds);
        assert!(metrics::macro_f1(&gold, &pred, 4) > 0.9);
        // Fewer than two folds is refused.
        let one = fit_crossfit(
            "enc",
            &train,
            &tx,
            &vec![0; 300],
            1,
            &opts,
            serde_json::Value::Null,
            &mut |_, _, _| {},
        );
        assert!(one.is_err());
    }

    #[test]
    fn ensemble_fit_is_deterministic_and_learns() {
        let (train, tx) = set(300, false);
        let (dev, dx) = set(90, false);
        let mut opts = FitOptions::new("t", HeadKind::Mlp);
        opts.hidden = 8;
        opts.max_epochs = 10;
        opts.lr = 1e-2;
        opts.ensemble = 3;
        opts.cosine_lr = true;
        let run = || {
            fit(
                "enc",
                &train,
                &tx,
                Some((&dev, &dx)),
                &opts,
                None,
                serde_json::Value::Null,
                &mut |_, _, _| {},
            )
            .unwrap()
        };
        let (h, s) = run();
        assert_eq!(h.meta.hidden, 24);
        assert_eq!(s.member_best_epochs.len(), 3);
        assert!(s.tune_value > 0.9, "{s:?}");
        assert_eq!(h.to_bytes().unwrap(), run().0.to_bytes().unwrap());
    }

    #[test]
    fn fit_single_label_and_zero_shot_calibration() {
        let (train, tx) = set(300, false);
        let mut opts = FitOptions::new("t", HeadKind::Linear);
        opts.lr = 2e-2;
        let (h, s) = fit(
            "enc",
            &train,
            &tx,
            Some((&train, &tx)),
            &opts,
            None,
            serde_json::Value::Null,
            &mut |_, _, _| {},
        )
        .unwrap();
        assert_eq!(h.meta.mode, LabelMode::SingleLabel);
        assert!(s.tune_value > 0.95, "{s:?}");
        // zero-shot: prototypes on the label axes
        let protos: Vec<Vec<f32>> = (0..3)
            .map(|i| (0..8).map(|d| if d == i { 1.0 } else { 0.0 }).collect())
            .collect();
        let zopts = FitOptions::new("t", HeadKind::ZeroShot);
        let (z, zs) = fit(
            "enc",
            &train,
            &tx,
            Some((&train, &tx)),
            &zopts,
            Some(&protos),
            serde_json::Value::Null,
            &mut |_, _, _| {},
        )
        .unwrap();
        assert_eq!(z.meta.kind, HeadKind::ZeroShot);
        assert!(zs.temperature.is_some() && zs.tune_value > 0.95, "{zs:?}");
    }

    #[test]
    fn model_card_names_licence_encoder_and_command() {
        let (train, tx) = set(60, false);
        let mut opts = FitOptions::new("t", HeadKind::Linear);
        opts.max_epochs = 2;
        let (h, s) = fit(
            "enc-fp",
            &train,
            &tx,
            None,
            &opts,
            None,
            serde_json::Value::Null,
            &mut |_, _, _| {},
        )
        .unwrap();
        let card = model_card(
            &h,
            &s,
            &CardInfo {
                licence: "CC BY-SA 4.0".into(),
                command: "whyline fit --task t".into(),
                date: today_utc(),
                ..Default::default()
            },
        );
        assert!(
            card.contains("CC BY-SA 4.0")
                && card.contains("enc-fp")
                && card.contains("whyline fit --task t")
        );
        assert_eq!(today_utc().len(), 10);
    }
}
