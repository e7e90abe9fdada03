//! The `whyline` command line: parses flags, calls the library, maps the
//! result to an exit code. No pipeline logic lives here.

mod cli;

#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    eval: a quality threshold (--min-macro-f1, --min-label-f1) was missed
  2    error: the command could not complete (bad usage, model, I/O)
  3    completed, but some input files or records were skipped (see stderr)
  130  interrupted";

#[derive(Parser)]
#[command(
    name = "whyline",
    version,
    about = "Turn what customers say into ranked answers to why they behave as they do",
    long_about = "whyline reads interview transcripts, product reviews and complaint-call \
transcripts, finds the emotions, motives and topics behind them with local transformer \
models, and clusters them into a short ranked list of \"why\" insights backed by quotes \
that trace back to file, speaker and timestamp.",
    after_help = EXIT_CODES
)]
struct Cli {
    /// Worker threads for every parallel stage (default: all cores).
    #[arg(long, global = true, env = "WHYLINE_THREADS")]
    threads: Option<usize>,
    /// No progress bars; only errors and the final summary.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Arithmetic of the sentence encoder: f32 (default) or int8 (8-bit
    /// products, cosine >= 0.995 to f32; about 2x f32's speed on CPUs with
    /// AVX-512 VNNI, not faster on AVX2-only CPUs; its own cache entries; see
    /// README, "Precision").
    #[arg(long, global = true, env = "WHYLINE_PRECISION", value_enum)]
    precision: Option<whyline::model::Precision>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read files and print their segments as JSON Lines (one object per segment).
    Ingest(cli::ingest::Args),
    /// Embed texts with the sentence encoder (one text per line or a JSONL field).
    Embed(cli::embed::Args),
    /// Manage local models: pull, list, verify, path.
    Models(cli::models::Args),
    /// Inspect or prune the embedding cache.
    Cache(cli::cache::Args),
    /// Train a classifier head on labelled data.
    Fit(Box<cli::fit::Args>),
    /// Evaluate a facet classifier on labelled data (CI gate).
    Eval(cli::eval::Args),
    /// The main job: ingest -> segment -> embed -> facets -> themes -> ranked insights -> reports.
    Run(cli::run::Args),
    /// What changed between two runs' output folders (new, grown, shrunk and gone themes;
    /// facet labels, label by label).
    Diff(cli::diff::Args),
    /// Print the JSON Schema of an output file (insights.json, changes.json, a line of
    /// segments.jsonl), for a dashboard.
    Schema(cli::schema::Args),
}

fn main() {
    let cli = Cli::parse();
    // Ctrl-C, or a scheduler's SIGTERM/SIGHUP: remove this run's staging
    // folder and lock (the previous results stay as they were), exit 130.
    let _ = ctrlc::set_handler(|| {
        whyline::pipeline::output::clean_up_after_interrupt();
        eprintln!("\nwhyline: interrupted");
        std::process::exit(whyline::exit::INTERRUPTED);
    });
    let ctx = cli::Ctx {
        threads: cli.threads,
        quiet: cli.quiet,
        precision: cli.precision,
    };
    if let Err(e) = ctx.init_threads() {
        eprintln!("whyline: {e}");
        std::process::exit(whyline::exit::ERROR);
    }
    let res = match cli.command {
        Command::Ingest(a) => cli::ingest::run(&ctx, a),
        Command::Embed(a) => cli::embed::run(&ctx, a),
        Command::Models(a) => cli::models::run(&ctx, a),
        Command::Cache(a) => cli::cache::run(&ctx, a),
        Command::Fit(a) => cli::fit::run(&ctx, *a),
        Command::Eval(a) => cli::eval::run(&ctx, a),
        Command::Run(a) => cli::run::run(&ctx, a),
        Command::Diff(a) => cli::diff::run(&ctx, a),
        Command::Schema(a) => cli::schema::run(&ctx, a),
    };
    match res {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("whyline: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
