//! `whyline fit`: train a facet head (or calibrate a zero-shot taxonomy) on
//! labelled data and write the head, its label list and a model card.

use super::Ctx;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use whyline::classify::fit::{self, CardInfo, FitOptions};
use whyline::classify::{self, zero_shot, HeadKind, Taxonomy};
use whyline::embed::Embedder;
use whyline::eval::data::{self, ColumnSpec, LabelledSet};
use whyline::util::strs;
use whyline::{Error, Result};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Kind {
    Linear,
    Mlp,
    ZeroShot,
}

/// Options shared by `fit` and `eval` for reading data and embedding it.
#[derive(clap::Args, Debug, Clone)]
pub struct DataArgs {
    /// Name of the text column (CSV/TSV) or field (JSONL); default `text`.
    #[arg(long)]
    pub text_column: Option<String>,
    /// Name of the label column (CSV/TSV) or field (JSONL: a list of labels
    /// or one string); default `label` or `labels`.
    #[arg(long)]
    pub label_column: Option<String>,
    /// CSV/TSV: separator of several labels in one cell (makes the task multi-label).
    #[arg(long)]
    pub label_sep: Option<String>,
    /// Encoder: a model id or directory (default: the shipped default encoder).
    #[arg(long)]
    pub encoder: Option<String>,
    /// Do not read or write the embedding cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Use only the held-back fifth of the data (eval) or leave it out (fit):
    /// a deterministic split by a hash of each record's id.
    #[arg(long)]
    pub holdout_fifth: bool,
}

impl DataArgs {
    pub fn columns(&self) -> ColumnSpec {
        ColumnSpec {
            text: self.text_column.clone(),
            label: self.label_column.clone(),
            label_sep: self.label_sep.clone(),
            group: None,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Facet name: emotion, motivation, topic or your own.
    #[arg(long)]
    task: String,
    /// Labelled training data (JSONL `{"text","labels"|"label"}`, CSV or TSV).
    #[arg(long)]
    train: PathBuf,
    /// Labelled data for early stopping and thresholds. Without it, a
    /// deterministic --tune-percent of --train is held out for that.
    #[arg(long)]
    dev: Option<PathBuf>,
    /// Output directory (head.safetensors, head.json, labels.json, README.md).
    #[arg(long)]
    out: PathBuf,
    /// Classifier kind.
    #[arg(long, value_enum, default_value = "mlp")]
    kind: Kind,
    /// Taxonomy (label order, groups; descriptions for --kind zero-shot).
    /// Default: the built-in one of --task when it covers the data's labels.
    #[arg(long)]
    taxonomy: Option<PathBuf>,
    /// Percent of --train held out for tuning when --dev is not given.
    /// 0 = no tuning split: train on all of --train for --epochs epochs
    /// (multi-label thresholds stay at 0.5).
    #[arg(long, default_value_t = 10)]
    tune_percent: u64,
    /// Train on only K examples per label (few-shot; single-label data).
    /// No tuning split is carved: training runs --epochs epochs.
    #[arg(long)]
    per_label: Option<usize>,
    /// Use only the first N rows of --train (after --holdout-fifth).
    #[arg(long)]
    limit: Option<usize>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Hidden units (--kind mlp).
    #[arg(long, default_value_t = 512)]
    hidden: usize,
    /// Maximum epochs.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Early stopping: epochs without improvement on the tuning set.
    #[arg(long, default_value_t = 5)]
    patience: usize,
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    #[arg(long, default_value_t = 1e-4)]
    weight_decay: f64,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.2)]
    dropout: f32,
    /// Exponent of inverse-frequency class weights (0 = none, 1 = balanced).
    #[arg(long, default_value_t = 0.5)]
    class_weight_power: f32,
    /// Label smoothing for single-label tasks: the gold class gets 1 - X of the
    /// target and X is spread over all classes (0 = none; ignored for multi-label).
    #[arg(long, default_value_t = 0.1)]
    label_smoothing: f32,
    /// Decay the learning rate from --lr to 0 along a cosine over --epochs.
    #[arg(long)]
    cosine_lr: bool,
    /// Train K heads with seeds SEED..SEED+K and ship their logit average as
    /// one head (an MLP K times as wide); thresholds are tuned on the merge.
    #[arg(long, default_value_t = 1)]
    ensemble: usize,
    /// Cross-fitting: split --train into K folds by a hash of each record;
    /// train one head per fold on the other K-1 folds (early stopping on the
    /// fold it did not see, --ensemble seeds each) and ship their logit
    /// average as one head. Thresholds are tuned on every example's
    /// out-of-fold prediction. Replaces --tune-percent; not with --dev or
    /// --per-label.
    #[arg(long, value_parser = clap::value_parser!(u64).range(2..=20))]
    folds: Option<u64>,
    /// Grouped cross-validation: records with the same value of this JSONL
    /// field (or CSV/TSV column) stay together, in one --folds fold and on
    /// one side of the --tune-percent split; e.g. the interview, customer or
    /// debated topic a text comes from. Without it, related texts on both
    /// sides flatter the out-of-fold figure and the thresholds and epochs
    /// tuned on it. Every --train record must have the field.
    #[arg(long, value_name = "NAME")]
    group_field: Option<String>,
    /// Also feed the head the L2-normalised mean-pooled hidden states after
    /// these encoder layers (comma-separated; 0 = the embedding layer), after
    /// the sentence embedding: e.g. `--layers 5,4` on MiniLM-L6 gives the
    /// head 3 × 384 inputs. Computed in the same encoder pass and cached;
    /// `run` and `eval` compute them for any head that asks.
    #[arg(long, value_delimiter = ',')]
    layers: Vec<usize>,
    /// Fine-tune a copy of the encoder's last layer together with the head
    /// (stored with the head, f16): the head reads that layer's pooled
    /// output instead of the shared embedding. Slower to fit (one layer's
    /// backward pass per batch) and `run` then runs the encoder once more for
    /// this facet; needs a tuning set (--dev, --tune-percent above 0) or
    /// --folds.
    #[arg(long)]
    tune_top: bool,
    /// --tune-top: learning rate of the layer (the head uses --lr).
    #[arg(long, default_value_t = 1e-4)]
    layer_lr: f64,
    /// --tune-top: weight decay of the layer.
    #[arg(long, default_value_t = 0.01)]
    layer_weight_decay: f64,
    /// --tune-top: dropout inside the layer while training (on the attention
    /// probabilities and both dense outputs, as BERT trains).
    #[arg(long, default_value_t = 0.1)]
    layer_dropout: f32,
    /// With --folds: write every training example's out-of-fold prediction
    /// (scores from the fold model that never saw it, labels by the fitted
    /// head's thresholds) as JSON Lines in the format of `eval --predictions`: what
    /// the thresholds and the out-of-fold figure were computed from. For
    /// finding mislabelled or ambiguous training examples and for studying
    /// decision rules without touching the dev set.
    #[arg(long, value_name = "FILE", requires = "folds")]
    oof: Option<PathBuf>,
    /// Data source, for the model card.
    #[arg(long, default_value = "not stated")]
    data_source: String,
    /// Licence of the training data, for the model card.
    #[arg(long, default_value = "not stated (pass --licence)")]
    licence: String,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    data: DataArgs,
}

/// The encoder behind the shared embedding cache (unless `no_cache`): a
/// re-run over the same texts does not load the model at all.
pub fn open_embedder(ctx: &Ctx, spec: Option<&str>, no_cache: bool) -> Result<Arc<dyn Embedder>> {
    let opts = ctx.load_options();
    let enc: Arc<dyn Embedder> = Arc::new(whyline::model::open_encoder_lazy(spec, &opts)?);
    if no_cache {
        return Ok(enc);
    }
    let cache = whyline::embed::EmbeddingCache::open_default()?;
    Ok(Arc::new(whyline::embed::CachedEmbedder::new(enc, cache)))
}

/// Embed with a progress bar on stderr.
pub fn embed_with_progress(
    ctx: &Ctx,
    embedder: &dyn Embedder,
    what: &str,
    texts: &[&str],
    layers: &[usize],
) -> Result<Vec<Vec<f32>>> {
    let bar = if ctx.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(texts.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(format!("embedding {what}"));
        b
    };
    let out = embedder.embed_layers(texts, layers, 1024, &mut |d| bar.set_position(d as u64))?;
    bar.finish_and_clear();
    Ok(out)
}

/// Adds `--group-field` to a head's training record, only when given, so
/// heads fitted without it keep their bytes.
fn note_group(record: &mut serde_json::Value, group_field: &Option<String>) {
    if let Some(g) = group_field {
        record["group_field"] = serde_json::json!(g);
    }
}

/// A labelled file, and how many of its records were skipped.
fn read(path: &Path, a: &DataArgs) -> Result<(LabelledSet, usize)> {
    super::read_labelled(path, &a.columns())
}

pub fn run(ctx: &Ctx, a: Args) -> Result<i32> {
    let t0 = Instant::now();
    let mut cols = a.data.columns();
    cols.group = a.group_field.clone();
    let (mut train, mut skipped) = super::read_labelled(&a.train, &cols)?;
    if a.data.holdout_fifth {
        train = train.filtered(|e| !data::in_holdout_fifth(e));
    }
    if let Some(n) = a.limit {
        train.examples.truncate(n);
    }
    if a.group_field.is_some()
        && a.folds.is_none()
        && (a.dev.is_some() || a.per_label.is_some() || a.tune_percent == 0)
    {
        return Err(Error::Config(
            "--group-field groups the --folds folds and the --tune-percent split; with --dev, --per-label or --tune-percent 0 there is nothing to group".into(),
        ));
    }
    let grouped = match &a.group_field {
        Some(f) => format!(", grouped by `{f}`"),
        None => String::new(),
    };
    if a.folds.is_some() && (a.dev.is_some() || a.per_label.is_some()) {
        return Err(Error::Config(
            "--folds tunes on out-of-fold predictions of --train: drop --dev and --per-label"
                .into(),
        ));
    }
    let (train, tune, tune_desc) = match (&a.dev, a.per_label) {
        _ if let Some(k) = a.folds => {
            let desc = format!(
                "out-of-fold predictions on all of `{}` ({k} folds by hash{grouped}; each fold's head stopped early on its own fold)",
                a.train.display()
            );
            (train, None, desc)
        }
        (_, Some(k)) => {
            if k == 0 {
                return Err(Error::Config("--per-label must be at least 1".into()));
            }
            (
                train.per_label_sample(k, a.seed),
                None,
                "none (fixed epochs)".to_string(),
            )
        }
        (Some(d), None) => {
            let (dev, n) = read(d, &a.data)?;
            skipped += n;
            let desc = format!("`{}`", d.display());
            (train, Some(dev), desc)
        }
        (None, None) if a.tune_percent == 0 => (train, None, "none (fixed epochs)".to_string()),
        (None, None) => {
            let p = a.tune_percent.min(50);
            let tune = train.filtered(|e| data::in_tuning_split(e, p));
            let rest = train.filtered(|e| !data::in_tuning_split(e, p));
            let desc = format!(
                "a deterministic {p}% split of `{}`{grouped}",
                a.train.display()
            );
            (rest, Some(tune), desc)
        }
    };
    let taxonomy = match &a.taxonomy {
        Some(p) => Some(Taxonomy::load(p)?),
        None => Taxonomy::builtin(&a.task).ok(),
    };
    let kind = match a.kind {
        Kind::Linear => HeadKind::Linear,
        Kind::Mlp => HeadKind::Mlp,
        Kind::ZeroShot => HeadKind::ZeroShot,
    };
    let embedder = open_embedder(ctx, a.data.encoder.as_deref(), a.data.no_cache)?;
    if kind == HeadKind::ZeroShot && !a.layers.is_empty() {
        return Err(Error::Config(
            "--layers is for trained heads (--kind mlp or linear); zero-shot compares embeddings"
                .into(),
        ));
    }
    if a.tune_top {
        if tune.is_none() && a.folds.is_none() {
            return Err(Error::Config(
                "--tune-top stops early and tunes thresholds on a tuning set: give --dev, --tune-percent above 0 or --folds, not --per-label".into(),
            ));
        }
        return run_tune_top(ctx, &a, kind, train, tune, tune_desc, taxonomy, t0)
            .map(|code| with_skipped(code, skipped));
    }
    let train_x = embed_with_progress(
        ctx,
        embedder.as_ref(),
        "train",
        &strs(&train.encoder_texts()),
        &a.layers,
    )?;
    let tune_x = match &tune {
        Some(t) => Some(embed_with_progress(
            ctx,
            embedder.as_ref(),
            "tuning set",
            &strs(&t.encoder_texts()),
            &a.layers,
        )?),
        None => None,
    };
    let t_embed = t0.elapsed().as_secs_f64();
    let opts = FitOptions {
        ensemble: a.ensemble,
        layers: a.layers.clone(),
        ..fit_options(&a, kind, taxonomy.clone())
    };
    let protos = if kind == HeadKind::ZeroShot {
        let mode = if train.multi_label {
            classify::LabelMode::MultiLabel
        } else {
            classify::LabelMode::SingleLabel
        };
        let (labels, _) = fit::label_order(&train, taxonomy.as_ref());
        let tax = match &taxonomy {
            Some(t) if t.label_names() == labels => t.clone(),
            _ => Taxonomy::from_label_names(&a.task, mode, &labels),
        };
        Some(zero_shot::prototypes(embedder.as_ref(), &tax)?)
    } else {
        None
    };
    let mut record = serde_json::json!({
        "train": file_name(&a.train),
        "dev": a.dev.as_deref().map(file_name),
        "holdout_fifth": a.data.holdout_fifth,
        "per_label": a.per_label,
        "limit": a.limit,
        "tune_percent": if a.dev.is_none() && a.per_label.is_none() && a.folds.is_none() { Some(a.tune_percent) } else { None },
        "folds": a.folds,
    });
    note_group(&mut record, &a.group_field);
    let quiet = ctx.quiet;
    let mut progress = |epoch: usize, loss: f64, v: Option<f64>| {
        if !quiet {
            match v {
                Some(v) => eprintln!("epoch {epoch:>3}  loss {loss:.4}  tune {v:.4}"),
                None => eprintln!("epoch {epoch:>3}  loss {loss:.4}"),
            }
        }
    };
    let (head, summary) = match a.folds {
        Some(k) => {
            let fold: Vec<usize> = train.examples.iter().map(|e| data::fold_of(e, k)).collect();
            let cf = fit::fit_crossfit(
                embedder.space(),
                &train,
                &train_x,
                &fold,
                k as usize,
                &opts,
                record,
                &mut progress,
            )?;
            write_oof(&a, &train, &cf)?;
            (cf.head, cf.summary)
        }
        None => fit::fit(
            embedder.space(),
            &train,
            &train_x,
            tune.as_ref().zip(tune_x.as_deref()),
            &opts,
            protos.as_deref(),
            record,
            &mut progress,
        )?,
    };
    let mut figures = Vec::new();
    if a.folds.is_some() {
        // Each example scored by the fold head that never saw it.
        figures.push((
            format!("out_of_fold_{}", summary.tune_metric),
            summary.tune_value,
        ));
    }
    if let (Some(t), Some(tx)) = (&tune, &tune_x) {
        let groups = head.meta.groups.clone();
        let s = whyline::eval::score_with_groups(&head, t, tx, groups.as_deref())?;
        figures.push(("macro_f1".to_string(), s.macro_f1));
        figures.push(("micro_f1".to_string(), s.micro_f1));
        if let Some(acc) = s.accuracy {
            figures.push(("accuracy".to_string(), acc));
        }
        if let Some(g) = s.grouped_macro_f1 {
            figures.push(("grouped_macro_f1".to_string(), g));
        }
        figures.push(("calibration_error".to_string(), s.calibration_error));
    }
    finish(&a, &head, &summary, tune_desc, figures, t0, t_embed)
        .map(|code| with_skipped(code, skipped))
}

/// Exit code 3 for a run that completed without some records of its data.
fn with_skipped(code: i32, skipped: usize) -> i32 {
    if code == whyline::exit::OK && skipped > 0 {
        whyline::exit::SKIPPED_INPUTS
    } else {
        code
    }
}

/// `--oof FILE`: the cross-fit's out-of-fold predictions, one JSON line per
/// training record (`eval --predictions`' format), written atomically.
fn write_oof(a: &Args, train: &LabelledSet, cf: &fit::CrossFit) -> Result<()> {
    let Some(path) = &a.oof else {
        return Ok(());
    };
    let preds = cf.head.predictions_from(&cf.out_of_fold);
    let rows = whyline::eval::prediction_rows(train, &cf.head.meta.labels, &preds, None)?;
    whyline::util::write_atomic(path, &whyline::eval::prediction_jsonl(&rows)?)
}

/// Save the head and its model card; report.
#[allow(clippy::too_many_arguments)]
fn finish(
    a: &Args,
    head: &whyline::classify::TrainedHead,
    summary: &fit::FitSummary,
    tune_desc: String,
    figures: Vec<(String, f64)>,
    t0: Instant,
    t_embed: f64,
) -> Result<i32> {
    head.save(&a.out)?;
    let seconds = t0.elapsed().as_secs_f64();
    let card = fit::model_card(
        head,
        summary,
        &CardInfo {
            train_path: a.train.display().to_string(),
            tune_desc,
            data_source: a.data_source.clone(),
            licence: a.licence.clone(),
            command: std::env::args()
                .map(|s| if s.contains(' ') { format!("'{s}'") } else { s })
                .collect::<Vec<_>>()
                .join(" "),
            date: fit::today_utc(),
            seconds,
            tune_figures: figures.clone(),
        },
    );
    whyline::util::write_atomic(&a.out.join("README.md"), card.as_bytes())?;
    if a.json {
        let out = serde_json::json!({
            "out": a.out.display().to_string(),
            "fingerprint": whyline::classify::FacetClassifier::fingerprint(head),
            "summary": summary,
            "tune": figures.iter().map(|(k, v)| (k.clone(), serde_json::json!(v))).collect::<serde_json::Map<String, serde_json::Value>>(),
            "seconds": seconds,
            "embed_seconds": t_embed,
        });
        println!("{out}");
    } else {
        eprintln!(
            "wrote {} ({} epochs, best {}; {} {:.4}; {:.0} s, embeddings {:.0} s)",
            a.out.display(),
            summary.epochs_run,
            summary.best_epoch,
            summary.tune_metric,
            summary.tune_value,
            seconds,
            t_embed
        );
    }
    Ok(whyline::exit::OK)
}

/// `fit --tune-top`: the hidden states entering the encoder's last layer,
/// then the layer and the head trained together.
#[allow(clippy::too_many_arguments)]
fn run_tune_top(
    ctx: &Ctx,
    a: &Args,
    kind: HeadKind,
    train: LabelledSet,
    tune: Option<LabelledSet>,
    tune_desc: String,
    taxonomy: Option<Taxonomy>,
    t0: Instant,
) -> Result<i32> {
    let opts = ctx.load_options();
    let enc = whyline::model::load_encoder(a.data.encoder.as_deref(), &opts)?;
    let states = |what: &str, set: &LabelledSet| -> Result<Vec<Vec<f32>>> {
        if !ctx.quiet {
            eprintln!("hidden states of the {what} ({} texts)", set.examples.len());
        }
        enc.top_states(&strs(&set.encoder_texts()))
    };
    let train_states = states("training set", &train)?;
    let tune_states = match &tune {
        Some(t) => states("tuning set", t)?,
        None => Vec::new(),
    };
    let t_embed = t0.elapsed().as_secs_f64();
    let init = enc.top_layer()?;
    let fit_opts = fit_options(a, kind, taxonomy);
    let mut record = serde_json::json!({
        "train": file_name(&a.train),
        "dev": a.dev.as_deref().map(file_name),
        "holdout_fifth": a.data.holdout_fifth,
        "limit": a.limit,
        "tune_percent": if a.dev.is_none() && a.folds.is_none() { Some(a.tune_percent) } else { None },
        "folds": a.folds,
    });
    note_group(&mut record, &a.group_field);
    let quiet = ctx.quiet;
    let t_fit = Instant::now();
    let mut progress = |epoch: usize, loss: f64, v: Option<f64>| {
        if !quiet {
            eprintln!(
                "epoch {epoch:>3}  loss {loss:.4}  tune {:.4}  ({:.0} s)",
                v.unwrap_or(f64::NAN),
                t_fit.elapsed().as_secs_f64()
            );
        }
    };
    let top = fit::TopInput {
        train_states: &train_states,
        tune_states: &tune_states,
        init: &init,
        layer_lr: a.layer_lr,
        layer_weight_decay: a.layer_weight_decay,
        layer_dropout: a.layer_dropout,
        encoder_spec: a.data.encoder.clone(),
        precision: opts.precision,
    };
    let space = whyline::embed::Embedder::space(&enc);
    let mut figures = Vec::new();
    let (head, summary) = match (&tune, a.folds) {
        (_, Some(k)) => {
            let fold: Vec<usize> = train.examples.iter().map(|e| data::fold_of(e, k)).collect();
            let cf = fit::fit_top_crossfit(
                space,
                &train,
                &top,
                &fold,
                k as usize,
                &fit_opts,
                record,
                &mut progress,
            )?;
            write_oof(a, &train, &cf)?;
            let fit::CrossFit { head, summary, .. } = cf;
            figures.push((
                format!("out_of_fold_{}", summary.tune_metric),
                summary.tune_value,
            ));
            (head, summary)
        }
        (Some(tune), None) => {
            let (head, summary) =
                fit::fit_top(space, &train, tune, &top, &fit_opts, record, &mut progress)?;
            // `predict` of a tuned head reads the texts, not the shared embeddings
            let none = vec![Vec::new(); tune.examples.len()];
            let s =
                whyline::eval::score_with_groups(&head, tune, &none, head.meta.groups.as_deref())?;
            figures.push(("macro_f1".to_string(), s.macro_f1));
            figures.push(("micro_f1".to_string(), s.micro_f1));
            if let Some(acc) = s.accuracy {
                figures.push(("accuracy".to_string(), acc));
            }
            figures.push(("calibration_error".to_string(), s.calibration_error));
            (head, summary)
        }
        (None, None) => {
            return Err(Error::Config(
                "--tune-top needs a tuning set or --folds".into(),
            ))
        }
    };
    finish(a, &head, &summary, tune_desc, figures, t0, t_embed)
}

/// The training settings given on the command line.
fn fit_options(a: &Args, kind: HeadKind, taxonomy: Option<Taxonomy>) -> FitOptions {
    FitOptions {
        hidden: a.hidden,
        lr: a.lr,
        weight_decay: a.weight_decay,
        batch_size: a.batch_size,
        max_epochs: a.epochs,
        patience: a.patience.max(1),
        dropout: a.dropout,
        seed: a.seed,
        class_weight_power: a.class_weight_power,
        label_smoothing: a.label_smoothing,
        cosine_lr: a.cosine_lr,
        taxonomy,
        ..FitOptions::new(&a.task, kind)
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
