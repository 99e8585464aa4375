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

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: build
	bash bench/run

# Forkline beside Redis, PostgreSQL, db_bench (not part of `make test`); see docs/BENCHMARKS.md.
bench-compare: build
	@bash scripts/bench-deps
	/usr/bin/python3 bench/compare/run.py --build $(BUILD)

clean:
	rm -rf $(BUILD)
