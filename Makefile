# lambench front door. `make test` and `make bench` do all set-up on a fresh Debian machine.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DLAMBENCH_WERROR=ON
endif

.PHONY: all deps build test test-asan bench fuzz format format-check lint clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: deps format-check build lint
	ctest --test-dir $(BUILD) --output-on-failure -j 1 $(CTEST_FLAGS)

# The whole suite once under ASan+UBSan (LAMBENCH_SANITIZE) in build-asan/; slow, so not in CI.
# LSan is on; suppressions (each justified) live in tests/sanitizers/lsan.supp.
ASAN_BUILD ?= build-asan
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLAMBENCH_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp:print_suppressions=0 \
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j 1 $(CTEST_FLAGS)

bench: deps build
	scripts/bench

# libFuzzer targets (fuzz/), built with clang-15 into build-fuzz/, each run FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz

# One style (.clang-format): `make format` rewrites, `make format-check` fails on any difference.
FORMAT_FILES = git ls-files '*.cpp' '*.hpp' '*.h'
format:
	$(FORMAT_FILES) | xargs clang-format -i

format-check: deps
	$(FORMAT_FILES) | xargs clang-format --dry-run -Werror

# Static analysis (.clang-tidy, clang-tidy-15) of src/ and apps/, JOBS files at a time; any finding
# fails. Needs only the configured build directory (compile_commands.json), not a build.
lint: deps $(BUILD)/CMakeCache.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null
	JOBS=$(JOBS) scripts/lint $(BUILD)

clean:
	rm -rf $(BUILD)
