# berth's two entry points (see README.md):
#   make run    install missing packages, build, start berthd on ./.berth
#   make test   install missing packages, build, run every test (CTest)
# and `make fuzz` (clang + libFuzzer build in FUZZ_BUILD_DIR; fuzz/README.md).
BUILD_DIR ?= build
JOBS ?= 2
DATA_ROOT ?= $(CURDIR)/.berth/data
EXEC_ROOT ?= $(CURDIR)/.berth/run
CTEST_ARGS ?=
# 1: compile with debug info (-g); the default build has none, for speed.
DEBUG_INFO ?= 0
# make fuzz: a separate clang build with libFuzzer, ASan and UBSan; each
# target runs FUZZ_SECONDS on a copy of its corpus (fuzz/README.md).
FUZZ_SECONDS ?= 60
FUZZ_BUILD_DIR ?= build-fuzz

.PHONY: all deps configure build run test bench fuzz clean

all: build

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DBERTH_DEBUG_INFO=$(if $(filter 1,$(DEBUG_INFO)),ON,OFF) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@mkdir -p $(DATA_ROOT) $(EXEC_ROOT)
	@echo "berthd: data root $(DATA_ROOT)"
	@echo "Use it with:  export DOCKER_HOST=unix://$(EXEC_ROOT)/berth.sock"
	@exec $(BUILD_DIR)/bin/berthd --data-root $(DATA_ROOT) --exec-root $(EXEC_ROOT) \
	    -H unix://$(EXEC_ROOT)/berth.sock --pidfile $(EXEC_ROOT)/berthd.pid

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 -j $(JOBS) $(CTEST_ARGS) </dev/null

bench: build
	@bash scripts/install-deps --bench
	@bash bench/run.sh $(BUILD_DIR)

fuzz:
	@bash scripts/install-deps --fuzz
	@CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DBERTH_DEBUG_INFO=OFF -DBERTH_FUZZ=ON \
	    $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache) >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzz_targets
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh $(FUZZ_BUILD_DIR)

clean:
	@rm -rf $(BUILD_DIR)
