//! `whyline run` (to be written).

use super::Ctx;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_ctx: &Ctx, _args: Args) -> whyline::Result<i32> {
    Err(whyline::Error::Other(
        "`whyline run` is not implemented yet".into(),
    ))
}
