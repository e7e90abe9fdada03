//! `whyline run`: flags -> [`whyline::pipeline::run`], progress bars, summary.

use super::Ctx;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::Mutex;
use whyline::config::Config;
use whyline::pipeline::{self, Progress, RunOptions, Silent};

#[derive(clap::Args)]
pub struct Args {
    /// Input files, folders or globs (text, Markdown and Word transcripts and
    /// notes, subtitles, Whisper and speech-to-text services' JSON, CSV/TSV,
    /// Excel/ODS workbooks, JSON Lines and JSON lists of records, e-mails;
    /// gzip files, zip and tar archives of any of them). Default: `inputs` from the config.
    pub paths: Vec<String>,
    /// Output folder (replaced atomically when the run completes).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Configuration file (default: ./whyline.toml when present).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Outcome column (rating, NPS, ...) for impact; "" turns impact off.
    #[arg(long)]
    pub outcome: Option<String>,
    /// Date column (`date`, `created_at`, ...) for each insight's trend over
    /// the corpus's time line; "" turns trends off. Default: the first of the
    /// usual date columns whose values read as dates, else the dates in the
    /// files' paths (`calls/2026-11-02/`).
    #[arg(long, value_name = "COLUMN")]
    pub date: Option<String>,
    /// Column to break the insights down by: which of its values (a product,
    /// a channel, a country) each insight comes up in more than the corpus
    /// does (a JSON list, or a CSV `tags` cell, gives each of its values);
    /// repeatable; "" turns breakdowns off. Default: the first of product,
    /// channel, category, plan, tier, platform, brand, store, region,
    /// country, territory, market, tags with two values or more.
    #[arg(long, value_name = "COLUMN")]
    pub by: Vec<String>,
    /// Run without the facet classifiers (emotion, motivation, topic).
    #[arg(long)]
    pub no_facets: bool,
    /// Earlier results to compare with (an output folder), written to
    /// changes.json and the reports. Default: the output folder's current
    /// results (the last run into it); "" turns the comparison off.
    #[arg(long, value_name = "DIR")]
    pub previous: Option<String>,
    /// A facet's model for this run, as `[facets]` in whyline.toml takes it:
    /// `emotion=DIR`, `motivation=DIR` or `topic=FILE.toml` (a head or
    /// checkpoint directory, or a taxonomy file); repeatable. With --previous,
    /// the report says label by label what the new model changed.
    #[arg(long, value_name = "FACET=MODEL")]
    pub facet_model: Vec<String>,
    /// Sentence encoder for this run: a model id or a local model folder, as
    /// `[model] encoder` takes it (default: all-MiniLM-L6-v2). The shipped
    /// emotion and motivation heads read only the default encoder's vectors:
    /// give heads trained on this one with --facet-model, or they are skipped.
    #[arg(long, value_name = "DIR|ID")]
    pub encoder: Option<String>,
}

/// indicatif bars, one per stage, with counts and ETA where known.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress for Bars {
    fn begin(&self, stage: &str, total: u64) {
        let pb = if total > 0 {
            let pb = ProgressBar::new(total);
            pb.set_style(
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {pos}/{len} ({eta} left)")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            pb
        } else {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{prefix:>12} {spinner} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        };
        pb.set_prefix(stage.to_string());
        if let Ok(mut b) = self.bar.lock() {
            *b = Some(pb);
        }
    }
    fn advance(&self, done: u64) {
        if let Ok(b) = self.bar.lock() {
            if let Some(pb) = b.as_ref() {
                pb.set_position(done);
            }
        }
    }
    fn end(&self) {
        if let Ok(mut b) = self.bar.lock() {
            if let Some(pb) = b.take() {
                pb.finish_with_message("done");
            }
        }
    }
}

pub fn run(ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let (mut config, config_path) = match &args.config {
        Some(p) => (Config::load(p)?, Some(p.display().to_string())),
        None if std::path::Path::new("whyline.toml").is_file() => (
            Config::load(std::path::Path::new("whyline.toml"))?,
            Some("whyline.toml".to_string()),
        ),
        None => (Config::default(), None),
    };
    if let Some(o) = args.outcome {
        config.outcome = Some(o);
    }
    if let Some(d) = args.date {
        config.date = Some(d);
    }
    if !args.by.is_empty() {
        config.by = Some(whyline::config::Fields::Many(args.by));
    }
    if args.no_facets {
        config.facets.enabled = false;
    }
    if let Some(e) = args.encoder {
        config.model.encoder = Some(e);
    }
    for spec in &args.facet_model {
        config.facets.set_model(spec)?;
    }
    if let Some(p) = args.previous {
        config.previous = Some(p);
    }
    if let Some(p) = ctx.precision {
        config.model.precision = p;
    }
    let inputs = if args.paths.is_empty() {
        config.inputs.clone()
    } else {
        args.paths
    };
    let out = match args.out.or_else(|| config.out.clone().map(PathBuf::from)) {
        Some(o) => o,
        None => {
            return Err(whyline::Error::Config(
                "no output folder: give --out DIR (or `out` in whyline.toml)".into(),
            ))
        }
    };
    let opts = RunOptions {
        inputs,
        out: out.clone(),
        config,
        config_path,
    };
    let bars = Bars {
        bar: Mutex::new(None),
    };
    let progress: &dyn Progress = if ctx.quiet { &Silent } else { &bars };
    let summary = pipeline::run(&opts, progress)?;
    for p in &summary.problems {
        eprintln!("whyline: {p}");
    }
    for w in &summary.warnings {
        eprintln!("whyline: warning: {w}");
    }
    let mut text = whyline::report::summary(&summary.insights, opts.config.report.summary_top);
    if let Some(c) = &summary.changes {
        text.push_str("since the previous run: ");
        text.push_str(&whyline::report::changes_text(c, 3, false));
    }
    text.push_str(&format!("reports in {}\n", out.display()));
    super::out(&text);
    Ok(summary.exit_code())
}
