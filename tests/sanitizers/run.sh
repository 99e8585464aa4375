#!/usr/bin/env bash
# `make asan` / `make tsan`: configures build-asan (ASan + UBSan) or build-tsan (TSan)
# with -DFORKLINE_SANITIZE, builds every target and runs the ctest suite with the
# sanitizer options below. Every sanitized process (test binaries, and the forklined and
# forkline processes the Python/Node tests start from the same build) writes its reports
# to <build>/sanitizer-reports/; the run fails when a test fails or any report was written,
# so a report from a daemon whose exit code no test looks at still fails the run.
#
#   tests/sanitizers/run.sh asan|tsan [extra ctest arguments, e.g. -R Engine or -L fast]
#
# Environment: BUILD_SAN (build folder), JOBS (default 2), FORKLINE_WERROR (ON/OFF),
# SAN_EXCLUDE_LABELS (a ctest -LE regex, default per sanitizer below), SAN_TARGETS (build
# only these targets instead of all; pair it with ctest arguments that pick their tests).
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
kind=${1:-}
shift || true
case "$kind" in
  asan) sanitize=address,undefined ;;
  tsan) sanitize=thread ;;
  *) echo "usage: $0 asan|tsan [ctest arguments]" >&2; exit 2 ;;
esac
build=${BUILD_SAN:-build-$kind}
jobs=${JOBS:-2}
supp="$root/tests/sanitizers"
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

# Tests left out, by ctest label (each reason is in docs/RELIABILITY.md, "Sanitizers"):
#  * web: Chromium + Playwright drive the UI; the browser's own timeouts (30 s per
#    action) are not meant for a daemon running 2-15x slower, and the test is about the UI.
exclude=${SAN_EXCLUDE_LABELS-^web$}
# Tests left out by name, under TSan only: TSan's vfork interceptor runs fork() instead, so
# what the exec child writes into the memory a real vfork shares with the daemon (which
# setup step failed, and its errno) never reaches the parent. These three check exactly
# that message; they run in `make test` and `make asan`.
exclude_names=""
if [ "$kind" = tsan ]; then
  exclude_names='^(ExecExecutorTest\.MissingProgramFailsToSpawn|ExecHardeningTest\.ScriptWithoutShebangIsNotRunThroughAShell|ExecHardeningTest\.BadWorkdirSaysWhichStepFailed)$'
fi

# halt_on_error: the first report ends the process (and fails its test).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:detect_odr_violation=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp:print_suppressions=0"

# -O1 -g1 (line tables) instead of RelWithDebInfo's -O2 -g: reports keep file:line for
# every frame and a cold build takes about half the CPU time (measured on
# clients/lib/command_client.cc with ASan+UBSan: 15.7 s at -O2 -g, 8.2 s at -O1 -g1).
start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DFORKLINE_WERROR="${FORKLINE_WERROR:-OFF}" -DFORKLINE_SANITIZE="$sanitize" >/dev/null || exit 1
# The build runs the test binaries to list their tests (gtest_discover_tests): sanitized,
# with the options above, so a report there fails the build.
cmake --build "$build" -j "$jobs" ${SAN_TARGETS:+--target $SAN_TARGETS} || exit 1
built=$(date +%s)

reports="$root/$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
for v in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS; do
  export "$v=${!v}:log_path=$reports/$kind"
done

(cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 900 ${exclude:+-LE "$exclude"} \
  ${exclude_names:+-E "$exclude_names"} "$@")
rc=$?
done_at=$(date +%s)

shopt -s nullglob
found=("$reports"/*)
if ((${#found[@]})); then
  echo "== ${#found[@]} sanitizer report file(s) in $reports:"
  for f in "${found[@]}"; do
    echo "-- $f"
    grep -m1 -E 'ERROR: |WARNING: ThreadSanitizer|runtime error' "$f"
    grep -m1 -E '^SUMMARY' "$f"
  done
  rc=1
fi
echo "== $kind: build $((built - start)) s, tests $((done_at - built)) s, excluded labels: ${exclude:-none}, excluded tests: ${exclude_names:-none}, exit $rc"
exit $rc
