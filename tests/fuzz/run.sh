#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and
# runs each for FUZZ_SECONDS (default 60), FUZZ_JOBS (default 1) targets at a time.
# New inputs go to build-fuzz/fuzz-corpus/<t>; crashes to build-fuzz/fuzz-artifacts/<t>/
# (add such an input to tests/fuzz/corpus/<t> as regress-* once fixed: the ctest
# fuzz_regress_<t> then keeps it fixed). FUZZ_NICE=19 runs the fuzzers at that nice
# level (a shared machine). Exits 1 on any crash.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_FUZZ:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"zmq_request http_route config_toml workflow_toml event_codec novel_ingest"}
jobs=${JOBS:-2}
fuzz_jobs=${FUZZ_JOBS:-1}
nice_level=${FUZZ_NICE:-0}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

[[ "$fuzz_jobs" =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_JOBS must be a number >= 1, not '$fuzz_jobs'" >&2; exit 2; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_SECONDS must be a number >= 1, not '$seconds'" >&2; exit 2; }

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" -DFORKLINE_FUZZ=ON -DFORKLINE_WERROR=OFF >/dev/null || exit 1
cmake --build "$build" -j "$jobs" --target $(printf '%s_fuzzer ' $targets) || exit 1

declare -A dict=([zmq_request]=zmq_request [http_route]=http_route [config_toml]=toml
                 [workflow_toml]=toml [event_codec]="" [novel_ingest]=novel_ingest)

# Runs one target; its one-line result goes to $build/fuzz-<t>.result.
fuzz_one() {
  local t=$1
  local work="$build/fuzz-corpus/$t" artifacts="$build/fuzz-artifacts/$t/"
  local log="$build/fuzz-$t.log" result="$build/fuzz-$t.result"
  mkdir -p "$work" "$artifacts"
  local before
  before=$(ls "$work" | wc -l)
  local args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts")
  [[ -n "${dict[$t]:-}" ]] && args+=(-dict="tests/fuzz/dict/${dict[$t]}.dict")
  echo "== $t: ${seconds}s (started $(date -u +%H:%M:%S))"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} nice -n "$nice_level" "$build/tests/fuzz/${t}_fuzzer" \
    "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
  local rc=$?
  local runs rate rss after
  runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log")
  rate=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$log")
  rss=$(awk '/^stat::peak_rss_mb:/ {print $2}' "$log")
  after=$(ls "$work" | wc -l)
  if [[ $rc -ne 0 ]]; then
    grep -E 'ERROR|SUMMARY|FUZZ_CHECK|Test unit written' "$log" | head -20
    echo "$t: CRASH (see $log)" >"$result"
  else
    echo "$t: ${runs:-?} runs, ${rate:-?} execs/s, corpus $before -> $after (+$((after - before))), peak RSS ${rss:-?} MB, 0 crashes" >"$result"
  fi
  cat "$result"
  return $rc
}

status=0
running=0
for t in $targets; do
  rm -f "$build/fuzz-$t.result"
  if (( running >= fuzz_jobs )); then
    wait -n || status=1
    running=$((running - 1))
  fi
  fuzz_one "$t" &
  running=$((running + 1))
done
while (( running > 0 )); do
  wait -n || status=1
  running=$((running - 1))
done
echo "== summary (${seconds}s each, $fuzz_jobs at a time, nice $nice_level)"
for t in $targets; do cat "$build/fuzz-$t.result" 2>/dev/null || { echo "$t: no result"; status=1; }; done
exit $status
