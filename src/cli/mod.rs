//! One file per subcommand: flag definitions and the call into the library.

pub mod cache;
pub mod diff;
pub mod embed;
pub mod eval;
pub mod fit;
pub mod ingest;
pub mod models;
pub mod run;
pub mod schema;

/// Write `s` to standard output. A closed pipe (`whyline run ... | head`)
/// ends the output quietly, where `print!` would panic; the command's result
/// (files written, exit code) stays as it was.
pub fn out(s: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("whyline: warning: <stdout>: {e}");
        }
    }
}

/// Read a labelled file for `fit` or `eval`, leaving out the records that
/// cannot be read: each is named on stderr (the first 20; then how many
/// more), and their number returned, so that the command can end with exit
/// code 3.
pub fn read_labelled(
    path: &std::path::Path,
    cols: &whyline::eval::data::ColumnSpec,
) -> whyline::Result<(whyline::eval::data::LabelledSet, usize)> {
    const SHOWN: usize = 20;
    let (set, skipped) = whyline::eval::data::LabelledSet::read_skipping(path, cols)?;
    for s in skipped.iter().take(SHOWN) {
        eprintln!("whyline: skipped: {s}");
    }
    if skipped.len() > SHOWN {
        eprintln!(
            "whyline: skipped: {} more records of {}",
            skipped.len() - SHOWN,
            path.display()
        );
    }
    if !skipped.is_empty() {
        eprintln!(
            "whyline: {}: {} records read, {} skipped",
            path.display(),
            set.examples.len(),
            skipped.len()
        );
    }
    Ok((set, skipped.len()))
}

/// Global options shared by every subcommand.
pub struct Ctx {
    pub threads: Option<usize>,
    pub quiet: bool,
    /// `--precision`, when given (else the config's, else f32).
    pub precision: Option<whyline::model::Precision>,
}

impl Ctx {
    /// The single process-wide thread setting: sizes rayon's global pool,
    /// which every parallel stage (and tokenizers' batch encoding) uses.
    pub fn init_threads(&self) -> whyline::Result<()> {
        if let Some(n) = self.threads {
            if n == 0 {
                return Err(whyline::Error::Config(
                    "--threads must be at least 1".into(),
                ));
            }
            // candle sizes its matmul work split from RAYON_NUM_THREADS; set it
            // before any thread exists so the one setting governs both.
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .map_err(|e| whyline::Error::Config(format!("thread pool: {e}")))?;
        }
        Ok(())
    }
}

impl Ctx {
    /// Model loading options from the global flags.
    pub fn load_options(&self) -> whyline::model::LoadOptions {
        whyline::model::LoadOptions {
            quiet: self.quiet,
            precision: self.precision.unwrap_or_default(),
            ..Default::default()
        }
    }
}
