#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and
# runs each for FUZZ_SECONDS (default 60). New inputs go to build-fuzz/fuzz-corpus/<t>;
# crashes to build-fuzz/fuzz-artifacts/<t>/ (add such an input to tests/fuzz/corpus/<t>
# once fixed: the ctest fuzz_regress_<t> then keeps it fixed). Exits 1 on any crash.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_FUZZ:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-"zmq_request http_route config_toml workflow_toml event_codec novel_ingest"}
jobs=${JOBS:-2}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" -DFORKLINE_FUZZ=ON -DFORKLINE_WERROR=OFF >/dev/null || exit 1
cmake --build "$build" -j "$jobs" --target $(printf '%s_fuzzer ' $targets) || exit 1

declare -A dict=([zmq_request]=zmq_request [http_route]=http_route [config_toml]=toml
                 [workflow_toml]=toml [event_codec]="" [novel_ingest]=novel_ingest)
status=0
summary=""
for t in $targets; do
  work="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts")
  [[ -n "${dict[$t]:-}" ]] && args+=(-dict="tests/fuzz/dict/${dict[$t]}.dict")
  echo "== $t: ${seconds}s"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/tests/fuzz/${t}_fuzzer" "${args[@]}" \
    "$work" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1
  rc=$?
  runs=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$build/fuzz-$t.log")
  rate=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$build/fuzz-$t.log")
  corpus=$(ls "$work" | wc -l)
  if [[ $rc -ne 0 ]]; then
    status=1
    grep -E 'ERROR|SUMMARY|FUZZ_CHECK|Test unit written' "$build/fuzz-$t.log" | head -20
    line="$t: CRASH (see $build/fuzz-$t.log)"
  else
    line="$t: ${runs:-?} runs, ${rate:-?} execs/s, ${corpus} new corpus inputs, 0 crashes"
  fi
  echo "$line"
  summary+="$line"$'\n'
done
echo "== summary (${seconds}s each)"
printf '%s' "$summary"
exit $status
