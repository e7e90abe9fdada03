//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared development data (`data/`, `eval/`, `reference/`):
/// `$WHYLINE_SHARED_DIR`, else `../shared` beside the crate (as in CI, where
/// the clone has shared/ beside it), else `../../shared` (a git worktree).
pub fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("WHYLINE_SHARED_DIR") {
        return PathBuf::from(d);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let near = root.join("../shared");
    let far = root.join("../../shared");
    if near.is_dir() {
        near
    } else if far.is_dir() {
        far
    } else {
        panic!(
            "the shared development data (data/, eval/, reference/) is in neither {} nor {}: \
             clone whyline beside it or set WHYLINE_SHARED_DIR",
            near.display(),
            far.display()
        )
    }
}

/// `reference/` of the shared data, or `$WHYLINE_REFERENCE_DIR`.
pub fn reference_dir() -> PathBuf {
    std::env::var_os("WHYLINE_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| shared_dir().join("reference"))
}
