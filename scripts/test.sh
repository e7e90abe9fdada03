#!/usr/bin/env bash
# The test command (README): formatting, lints, the whole test suite.
# Tests that need the real encoder fetch it themselves on first use
# (Hugging Face Hub, then the PyPI mirror), into $WHYLINE_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets -- -D warnings
echo "== fuzz targets compile (fuzz/ is its own workspace; shares target/)"
# Measured: ~1.7 min of CPU on a cold target/ (libFuzzer's C++ included),
# under a second when target/ is warm.
cargo check --manifest-path fuzz/Cargo.toml --target-dir target
echo "== cargo test"
cargo test --all-targets
