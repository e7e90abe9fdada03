//! Process exit codes: a contract for scripts and CI (documented in the
//! README and in `whyline --help`).

/// Everything ran and every input was read.
pub const OK: i32 = 0;
/// `whyline eval`: a quality threshold (`--min-macro-f1`, `--min-label-f1`) was missed.
pub const GATE_FAILED: i32 = 1;
/// The command could not complete: bad usage, unreadable model, I/O failure, ...
pub const ERROR: i32 = 2;
/// The command completed, but some input files or records were skipped
/// (each one reported on stderr with its path and line or record).
pub const SKIPPED_INPUTS: i32 = 3;
/// Interrupted (Ctrl-C); nothing half-written is left in place.
pub const INTERRUPTED: i32 = 130;
