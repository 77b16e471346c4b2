#!/usr/bin/env bash
# Builds the DocC documentation of every library product into one archive, and fails on any
# warning (a broken symbol link, an undocumented parameter). Preview it with
#   swift package --disable-sandbox preview-documentation --target TMWS
# or serve .build/plugins/Swift-DocC/outputs/tmws-swift.doccarchive with any static file server.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
targets=(TMWS TMWSStorage TMWSRBAC TMWSLicenseCore TMWSLicenseVerifier TMWSStoragePostgres TMWSStorageConformance TMWSMCPServing TMWSMCPTools TMWSTestSupport)
args=()
for target in "${targets[@]}"; do args+=(--target "$target"); done
swift package generate-documentation --enable-experimental-combined-documentation "${args[@]}" 2>&1 | tee "$log" | grep -v '^\[' || true
# (SwiftPM's note about a file in swift-distributed-tracing, a dependency, is not a DocC warning.)
if grep 'warning:' "$log" | grep -qv 'swift-distributed-tracing'; then
    echo "docs: $(grep 'warning:' "$log" | grep -cv 'swift-distributed-tracing') DocC warnings" >&2
    exit 1
fi
grep -q 'Generated combined documentation archive\|doccarchive' "$log"
