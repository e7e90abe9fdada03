//! `whyline diff BEFORE NOW`: what changed between two output folders.

use super::Ctx;
use std::path::PathBuf;
use whyline::insight::changes::{self, RunView};

#[derive(clap::Args)]
pub struct Args {
    /// Output folder of the earlier run.
    pub before: PathBuf,
    /// Output folder of the later run.
    pub now: PathBuf,
    /// Print changes.json (every theme) instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Items per list in the summary.
    #[arg(long, default_value_t = whyline::report::CHANGES_TOP)]
    pub top: usize,
}

fn read(dir: &std::path::Path) -> whyline::Result<RunView> {
    RunView::read(dir)?.ok_or_else(|| {
        whyline::Error::Config(format!(
            "{}: no insights.json and segments.jsonl (not an output folder of `whyline run`)",
            dir.display()
        ))
    })
}

pub fn run(_ctx: &Ctx, args: Args) -> whyline::Result<i32> {
    let c = changes::compare(&read(&args.before)?, &read(&args.now)?);
    if args.json {
        super::out(&changes::to_json(&c));
    } else {
        super::out(&whyline::report::changes_text(&c, args.top, false));
    }
    Ok(whyline::exit::OK)
}
