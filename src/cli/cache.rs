//! `whyline cache stats|prune`: the embedding cache (with layer features and facet predictions).

use super::Ctx;
use whyline::embed::EmbeddingCache;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Entries and bytes per model fingerprint (embeddings, layer features, facet predictions).
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compact, then delete least recently written shards until under the bound.
    Prune {
        /// Target size, e.g. 500M, 2G, 1048576 (default: the configured bound).
        #[arg(long, conflicts_with = "all")]
        max_size: Option<String>,
        /// Empty the cache.
        #[arg(long)]
        all: bool,
    },
}

fn parse_size(s: &str) -> whyline::Result<u64> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| whyline::Error::Config(format!("--max-size `{s}`: expected e.g. 500M")))
}

pub fn run(_ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let cache = EmbeddingCache::open_default()?;
    match args.cmd {
        Cmd::Stats { json } => {
            let s = cache.stats()?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&s)
                        .map_err(|e| whyline::Error::Other(e.to_string()))?
                );
            } else {
                println!("cache: {}", s.root);
                for m in &s.models {
                    println!(
                        "  {}\t{} entries\t{} bytes{}",
                        m.fingerprint,
                        m.entries,
                        m.bytes,
                        if m.damaged > 0 {
                            format!("\t{} damaged records (prune compacts them)", m.damaged)
                        } else {
                            String::new()
                        }
                    );
                }
                println!(
                    "total: {} entries, {} bytes (bound {} bytes)",
                    s.entries, s.bytes, s.max_bytes
                );
            }
        }
        Cmd::Prune { max_size, all } => {
            let target = if all {
                0
            } else {
                match max_size {
                    Some(s) => parse_size(&s)?,
                    None => cache.max_bytes(),
                }
            };
            let r = cache.prune(target)?;
            println!(
                "pruned: {} -> {} bytes ({} shard files removed)",
                r.bytes_before, r.bytes_after, r.files_removed
            );
        }
    }
    Ok(whyline::exit::OK)
}
