# Thin wrapper over Meson. See README.md.
#   make run    install deps, build (release), start the server
#   make check  install deps, build with ASan+UBSan, run every test
#   make bench  release build, run the benchmarks
#   make fuzz   run every libFuzzer target for FUZZ_SECONDS each

BUILD        ?= build
FUZZ_SECONDS ?= 600
FUZZ_RUNS    ?= 20000
DATA         ?= ./var

.PHONY: all deps run check bench fuzz format clean

all: $(BUILD)/release/build.ninja
	ninja -C $(BUILD)/release

deps:
	@./scripts/deps

$(BUILD)/release/build.ninja:
	meson setup $(BUILD)/release -Dbuildtype=release -Dtests=false

$(BUILD)/check/build.ninja:
	CC=clang meson setup $(BUILD)/check -Dbuildtype=debug -Dfuzzing=true \
	    -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fno-sanitize-recover=all \
	    -Dc_link_args=-fno-sanitize-recover=all

# First run: a data directory with a master key, a self-signed TLS
# certificate and demo extensions 100-105 whose generated secrets are
# printed once. Then the server, in the foreground, on UDP/TCP 5060 and
# TLS 5061.
run: deps $(BUILD)/release/build.ninja
	ninja -C $(BUILD)/release
	@if [ ! -f $(DATA)/keys/master.key ]; then \
	    $(BUILD)/release/src/main/rempart --data $(DATA) init --demo; fi
	$(BUILD)/release/src/main/rempartd --data $(DATA)

check: deps $(BUILD)/check/build.ninja
	ninja -C $(BUILD)/check
	./scripts/check-banned
	./scripts/run-tests $(BUILD)/check $(FUZZ_RUNS)

bench: deps $(BUILD)/release/build.ninja
	ninja -C $(BUILD)/release
	./bench/run $(BUILD)/release

fuzz: deps $(BUILD)/check/build.ninja
	ninja -C $(BUILD)/check
	./scripts/fuzz $(BUILD)/check $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'fuzz/*.c' 'bench/*.c')

clean:
	rm -rf $(BUILD)
