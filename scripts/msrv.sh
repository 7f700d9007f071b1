#!/usr/bin/env bash
# Checks that the workspace's `rust-version` (Cargo.toml) is true of what it
# builds on: no locked dependency declares a newer minimum Rust. (Our own
# use of the standard library is held to it by clippy's incompatible_msrv
# lint, which reads the same field.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
def version(v):
    return tuple(int(x) for x in (v.split(".") + ["0", "0"])[:3])
members = set(meta["workspace_members"])
ours = {p["name"]: p.get("rust_version") for p in meta["packages"] if p["id"] in members}
declared = max(version(v) for v in ours.values() if v)
newer = sorted(
    (p["rust_version"], p["name"], p["version"])
    for p in meta["packages"]
    if p["id"] not in members and p.get("rust_version") and version(p["rust_version"]) > declared
)
if any(v is None for v in ours.values()):
    sys.exit("a workspace package declares no rust-version: " + ", ".join(n for n, v in ours.items() if v is None))
if len({v for v in ours.values()}) > 1:
    sys.exit("workspace packages disagree on rust-version: %s" % ours)
if newer:
    for v, name, ver in newer:
        print("%s %s needs Rust %s" % (name, ver, v), file=sys.stderr)
    sys.exit("rust-version in Cargo.toml is %s, but the dependencies above need more: raise it" % ".".join(map(str, declared)))
print("rust-version %s holds for every dependency" % ".".join(map(str, declared)))
'
