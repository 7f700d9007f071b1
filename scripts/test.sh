#!/usr/bin/env bash
# The whole test suite, as the README and CI run it: starts the services the
# tests need, then formatting, lints and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"

echo "== rust-version (Cargo.toml) against the dependencies" >&2
scripts/msrv.sh
echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy --all-targets (lints: [workspace.lints] in Cargo.toml)" >&2
cargo clippy --workspace --all-targets
echo "== cargo test" >&2
cargo test --workspace
