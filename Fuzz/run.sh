#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a set time, one after another.
#
#   Fuzz/run.sh [seconds-per-target] [target ...]      (targets: license-key api-key tool-arguments json-rpc license-token token-json)
#
# Each target fuzzes from its corpus (corpus/<target>/, kept in the repo) and its hand-written
# seeds (seeds/<target>/), then the corpus is merged and minimized (-merge=1) so that it holds only
# inputs that add coverage. Crash artifacts go to artifacts/<target>/ and logs to logs/ (both
# ignored by git). Exits non-zero when any target crashed, leaked, timed out or ran out of memory.
#
# Environment: FUZZ_SCRATCH (build folder, default Fuzz/.build), FUZZ_JOBS (build jobs, default 2).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

seconds="${1:-300}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(license-key api-key tool-arguments json-rpc license-token token-json)

scratch="${FUZZ_SCRATCH:-$here/.build}"
build=(swift build -c release --scratch-path "$scratch" --jobs "${FUZZ_JOBS:-2}" -Xswiftc -sanitize=fuzzer,address)

echo "== building (${build[*]})"
"${build[@]}" || { echo "build failed" >&2; exit 2; }
bin="$("${build[@]}" --show-bin-path)"

executable() {
    case "$1" in
    license-key) echo FuzzLicenseKey ;;
    api-key) echo FuzzAPIKey ;;
    tool-arguments) echo FuzzToolArguments ;;
    json-rpc) echo FuzzJSONRPC ;;
    license-token) echo FuzzLicenseToken ;;
    token-json) echo FuzzTokenJSON ;;
    *) return 1 ;;
    esac
}

max_len() {
    case "$1" in
    license-key | api-key) echo 128 ;; # keys are at most 69 and 51 bytes; leave room for near misses
    tool-arguments | json-rpc) echo 4096 ;;
    license-token) echo 9000 ;; # past the verifier's 8 KiB limit
    token-json) echo 2048 ;;    # a token's segments are at most 8 KiB of base64url; claims are a few hundred bytes
    esac
}

# Swift's own crash backtracer reads process memory in a way ASan reports as a second crash;
# libFuzzer and ASan print the stack already.
export SWIFT_BACKTRACE=enable=no

mkdir -p logs
failed=()
summary=()
for target in "${targets[@]}"; do
    exe="$(executable "$target")" || { echo "unknown target: $target" >&2; exit 2; }
    len="$(max_len "$target")"
    mkdir -p "corpus/$target" "seeds/$target" "artifacts/$target"
    log="logs/$target.log"

    echo "== $target: fuzzing for ${seconds}s (-max_len=$len)"
    "$bin/$exe" -max_total_time="$seconds" -max_len="$len" -dict="dict/$target.dict" \
        -artifact_prefix="artifacts/$target/" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "corpus/$target" "seeds/$target" >"$log" 2>&1
    status=$?

    # Merge the old corpus, the new units and the seeds into a minimal set covering the same
    # features. The merge runs inputs in a child process, so a crashing input does not stop it.
    merged="$(mktemp -d)"
    if "$bin/$exe" -merge=1 -max_len="$len" -timeout=10 -rss_limit_mb=2048 \
        "$merged" "corpus/$target" "seeds/$target" >"logs/$target.merge.log" 2>&1; then
        rm -f "corpus/$target"/*
        cp "$merged"/* "corpus/$target/" 2>/dev/null || true
    else
        echo "   merge failed (see logs/$target.merge.log); corpus left as it was"
        status=${status:-1}
        [ "$status" -eq 0 ] && status=1
    fi
    rm -rf "$merged"

    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    rss="$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)"
    cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)"
    files="$(find "corpus/$target" -type f | wc -l)"
    bytes="$(find "corpus/$target" -type f -exec cat {} + | wc -c)"
    # A target whose executable never handed control to libFuzzer (no @main calling
    # runLibFuzzer) exits at once with no statistics: that is a failure, not a clean run.
    if [ "$status" -eq 0 ] && [ -z "$runs" ]; then
        echo "   $target printed no libFuzzer statistics: it did not fuzz (is its @main calling runLibFuzzer?)"
        status=1
    fi
    line="$target: ${seconds}s, ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-cov: ?}, peak rss ${rss:-?} MB, corpus $files files / $bytes bytes"
    if [ "$status" -ne 0 ]; then
        line="$line — FAILED (exit $status; see $log and artifacts/$target/)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant violated|Fatal error|artifact_prefix|Test unit written)' "$log" | head -5 | sed 's/^/   /'
        failed+=("$target")
    fi
    echo "   $line"
    summary+=("$line")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]}"
    exit 1
fi
