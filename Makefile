# The README's two commands: `make demo` and `make test`. Everything else wraps CMake.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CLANG_BUILD ?= build-clang
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CONFORMANCE_DIR ?= ../shared/onnx-conformance/node
# The conformance gate in `make test` reads its cases here (the environment's BOG_CONFORMANCE_DIR wins).
CONFORMANCE_CASES = $(abspath $(or $(BOG_CONFORMANCE_DIR),$(CONFORMANCE_DIR)))
CMAKE_FLAGS ?=

.PHONY: all deps ort-deps configure build build-bog test asan-test conformance demo format clean fuzz clang-check

all: build

deps:
	@bash scripts/deps.sh

# ONNX Runtime reference (onnxruntime-node, CPU). --ignore-scripts: its install script fetches GPU
# binaries and fails offline; the CPU library ships inside the package. Optional: without npm
# the ORT rows and tests say they were skipped.
ort-deps:
	@if [ -d bench/ort/node_modules/onnxruntime-node ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  (cd bench/ort && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
	    || echo "ort-deps: npm ci failed; ONNX Runtime reference unavailable"; \
	else echo "ort-deps: npm not found; ONNX Runtime reference unavailable"; fi
	@if [ -d tests/openai/node_modules/openai ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
	  (cd tests/openai && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
	    || echo "ort-deps: npm ci failed in tests/openai; the openai client test is skipped"; \
	else echo "ort-deps: npm not found; the openai client test is skipped"; fi

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Only the executable (no test binaries): what `make demo` needs, in about half the time.
build-bog: configure
	cmake --build $(BUILD) -j $(JOBS) --target bog

test: deps ort-deps
	@$(MAKE) --no-print-directory build
	@[ -d "$(CONFORMANCE_CASES)" ] || echo "test: no ONNX node cases at $(CONFORMANCE_CASES); the conformance gate (ctest conformance_*) is skipped. Set BOG_CONFORMANCE_DIR to run it."
	cd $(BUILD) && BOG_CONFORMANCE_DIR="$(CONFORMANCE_CASES)" ctest --output-on-failure

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOG_SANITIZE=ON $(CMAKE_FLAGS)

asan-test: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure

conformance: deps
	@$(MAKE) --no-print-directory build
	@if [ -d $(CONFORMANCE_DIR) ]; then \
	  $(BUILD)/bog conformance $(CONFORMANCE_DIR) --expected tests/conformance/expected_pass.txt; \
	else echo "conformance: $(CONFORMANCE_DIR) not found; skipped"; fi

# libFuzzer on the loader, session creation and one run (clang, ASan+UBSan, its own build folder;
# the fuzz target never touches a GPU, so the CUDA provider is left out).
$(FUZZ_BUILD)/build.ninja:
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOG_FUZZ=ON \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
	  -DBOG_NATIVE=OFF -DBOG_CUDA=OFF -DBOG_CONFORMANCE_DIR=$(CONFORMANCE_CASES) $(CMAKE_FLAGS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target bog_fuzz_load_run bog_fuzz_seed_corpus
	bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# Every C++ file of the tree through clang (Debian 12: clang 14) with -Wall -Wextra -Werror, without
# linking (the fuzz build compiles the runtime with clang for real): the house rule is gcc and clang.
clang-check: deps
	bash scripts/clang_check.sh $(CLANG_BUILD) $(JOBS)

demo: deps ort-deps
	@$(MAKE) --no-print-directory build-bog
	bash scripts/demo.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.cu')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(CLANG_BUILD)
