//! `whyline schema`: the JSON Schema of an output file, for a dashboard.

use super::Ctx;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum File {
    /// insights.json (schema `whyline.insights/1`)
    Insights,
    /// changes.json (schema `whyline.changes/1`)
    Changes,
    /// a line of segments.jsonl (and, without `facets` and `theme`, of `whyline ingest`)
    Segment,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which output file's schema to print.
    #[arg(value_enum)]
    pub file: File,
}

pub fn run(_ctx: &Ctx, a: Args) -> whyline::Result<i32> {
    super::out(&match a.file {
        File::Insights => whyline::insight::json_schema(),
        File::Changes => whyline::insight::changes::json_schema(),
        File::Segment => whyline::pipeline::segment_schema(),
    });
    Ok(whyline::exit::OK)
}
