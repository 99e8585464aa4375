# Forkline — the two set-up commands are `make run` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFORKLINE_WERROR=$(or $(FORKLINE_WERROR),OFF)
CONFIG ?= config/forkline.toml
# ccache: share hits between checkouts in different folders (a fresh clone in CI).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps configure build run test bench bench-compare clean

deps:
	@bash scripts/deps
	@bash scripts/npm-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/daemon/forklined --config $(CONFIG)

# Tests labelled known_failing (listed, with the reason, in tests/*/CMakeLists.txt) are
# left out and named at the end, never counted as passing.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE known_failing
	@cd $(BUILD) && ctest -N -L known_failing | grep 'Test *#' | sed 's/^/left out (known failing): /' || true

bench: build
	bash bench/run

# Forkline beside Redis, PostgreSQL, db_bench (not part of `make test`); see docs/BENCHMARKS.md.
bench-compare: build
	@bash scripts/bench-deps
	/usr/bin/python3 bench/compare/run.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

# Long tier of the reliability tests (issue 8, docs/RELIABILITY.md): 1000 power losses,
# 100 injected I/O errors of each kind, the exec hardening and parent-death tests, and
# 200 kill -9s of a loaded daemon, and 10 minutes of mixed load with RSS sampled.
TORTURE_ITERATIONS ?= 1000
.PHONY: torture fuzz
torture: configure
	cmake --build $(BUILD) -j $(JOBS) --target power_loss_test io_error_test \
	  exec_executor_test exec_parent_death_test
	FORKLINE_POWER_LOSS_ITERATIONS=$(TORTURE_ITERATIONS) $(BUILD)/tests/reliability/power_loss_test
	FORKLINE_IO_ERROR_ROUNDS=100 $(BUILD)/tests/reliability/io_error_test
	$(BUILD)/tests/reliability/exec_parent_death_test --gtest_repeat=20
	$(BUILD)/tests/executors/exec_executor_test --gtest_filter='ExecHardening*' --gtest_repeat=5
	cmake --build $(BUILD) -j $(JOBS) --target forklined forkline
	FORKLINED=$(BUILD)/daemon/forklined FORKLINE_CLI=$(BUILD)/clients/cli/forkline \
	  /usr/bin/python3 tests/daemon/kill_under_load_test.py 200
	FORKLINED=$(BUILD)/daemon/forklined /usr/bin/python3 tests/daemon/rss_soak.py 600
	FORKLINED=$(BUILD)/daemon/forklined /usr/bin/python3 tests/daemon/postgres_torture_test.py 900

# libFuzzer targets built with clang in build-fuzz, FUZZ_SECONDS (default 60) each,
# FUZZ_JOBS (default 1) at a time, at nice FUZZ_NICE (default 0). The long tier:
# `make fuzz FUZZ_SECONDS=1800 FUZZ_JOBS=2 FUZZ_NICE=19`.
fuzz: deps
	bash tests/fuzz/run.sh

# Install (issue 11, docs/operations.md): binaries, config, systemd unit, web UI, workflow
# files, man pages, the Python module under CMAKE_INSTALL_PREFIX (PREFIX=…, default
# /usr/local; DESTDIR=… stages it). `make deb`: the Debian package in $(BUILD)/packages/.
PREFIX ?=
.PHONY: install-targets install deb
install-targets: configure
	$(if $(PREFIX),cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null)
	cmake --build $(BUILD) -j $(JOBS) --target forklined forkline forkline_install_files
install: install-targets
	cmake --install $(BUILD)
deb: install-targets
	cd $(BUILD) && cpack -G DEB -B packages
	@ls $(BUILD)/packages/*.deb

# Sanitizers (issue 8 §7, docs/RELIABILITY.md "Sanitizers"): every target built with
# ASan+UBSan in build-asan (`make asan`) or TSan in build-tsan (`make tsan`), then the
# ctest suite with halt_on_error; a report from any process fails the run
# (tests/sanitizers/run.sh says which labels are left out and why).
# SAN_ARGS adds ctest arguments, e.g. `make asan SAN_ARGS='-R Engine'`.
SAN_ARGS ?=
.PHONY: asan tsan
asan tsan: deps
	JOBS=$(JOBS) bash tests/sanitizers/run.sh $@ $(SAN_ARGS)

# The ASan+UBSan part of CI (.ci/run): only forklined and the CLI built sanitized, and the
# end-to-end tests that drive them (ctest label `daemon`: ZeroMQ, HTTP, SSE, CLI, restart,
# 30 kill -9s under load, PostgreSQL). The whole `make asan` doubles CI's build time; see
# docs/RELIABILITY.md "Sanitizers" for the figures behind the choice.
.PHONY: asan-ci
asan-ci: deps
	SAN_TARGETS="forklined forkline" JOBS=$(JOBS) bash tests/sanitizers/run.sh asan -L '^daemon$$'
