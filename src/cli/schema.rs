//! `whyline schema`: the JSON Schema of an output file, for a dashboard.

use super::Ctx;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum File {
    /// insights.json (schema `whyline.insights/1`)
    Insights,
    /// changes.json (schema `whyline.changes/1`)
    Changes,
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
    });
    Ok(whyline::exit::OK)
}
