//! `whyline embed`: texts in, vectors out, in input order. Its flags and
//! output formats are a contract for scripts (and the throughput benchmark).

use super::Ctx;
use std::sync::Arc;
use whyline::embed::{self, CachedEmbedder, Embedder, EmbeddingCache};

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// One `{"text","embedding"}` object per line.
    Jsonl,
    /// A float32 matrix (rows = input order), NumPy `.npy`.
    Npy,
}

#[derive(clap::Args)]
pub struct Args {
    /// Input: one text per line, or JSON Lines with --text-field (`-` = stdin; gzip-compressed
    /// input is read as the file it holds).
    #[arg(long)]
    input: String,
    /// Take the text from this string field of each JSON Lines record.
    #[arg(long)]
    text_field: Option<String>,
    /// Output file (written atomically).
    #[arg(long)]
    out: std::path::PathBuf,
    /// Output format (default: npy if --out ends in .npy, else jsonl).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Do not read or write the embedding cache.
    #[arg(long)]
    no_cache: bool,
    /// Model directory or id (default: all-MiniLM-L6-v2, fetched on first use).
    #[arg(long)]
    model: Option<String>,
    /// Texts per forward pass.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// After each embedding, also write the L2-normalised mean-pooled hidden
    /// states after these encoder layers (comma-separated; 0 = the embedding
    /// layer): the features a head fitted with `fit --layers` reads.
    #[arg(long, value_delimiter = ',')]
    layers: Vec<usize>,
}

pub fn run(ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let t0 = std::time::Instant::now();
    let texts = embed::read_texts(&args.input, args.text_field.as_deref())?;
    let mut opts = ctx.load_options();
    opts.batch_size = args.batch_size;
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (rows, dim, note) = if args.no_cache {
        let encoder = whyline::model::load_encoder(args.model.as_deref(), &opts)?;
        let t_load = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let rows = encoder.embed_layers(&refs, &args.layers, usize::MAX, &mut |_| {})?;
        let secs = t1.elapsed().as_secs_f64();
        let note = format!(
            ", load {t_load:.2}s, embed {secs:.2}s, {:.1} texts/s",
            refs.len() as f64 / secs.max(1e-9)
        );
        (rows, encoder.dim() * (1 + args.layers.len()), note)
    } else {
        // weights load only if some text is not cached yet
        let encoder = whyline::model::open_encoder_lazy(args.model.as_deref(), &opts)?;
        let dim = encoder.dim() * (1 + args.layers.len());
        let cached = CachedEmbedder::new(Arc::new(encoder), EmbeddingCache::open_default()?);
        let rows = cached.embed_layers(&refs, &args.layers, usize::MAX, &mut |_| {})?;
        let (hits, misses) = cached.counts();
        (rows, dim, format!(", {hits} from cache, {misses} embedded"))
    };
    let format = args.format.unwrap_or(
        if args
            .out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
        {
            Format::Npy
        } else {
            Format::Jsonl
        },
    );
    let bytes = match format {
        Format::Npy => embed::npy_bytes(&rows, dim)?,
        Format::Jsonl => embed::jsonl_bytes(&texts, &rows)?,
    };
    whyline::util::write_atomic(&args.out, &bytes)?;
    if !ctx.quiet {
        eprintln!(
            "whyline embed: {} texts -> {} ({dim}-d{note}) in {:.2}s",
            texts.len(),
            args.out.display(),
            t0.elapsed().as_secs_f64(),
        );
    }
    Ok(whyline::exit::OK)
}
