#!/usr/bin/env bash
# The whole test suite: a warnings-as-errors build and its tests; the same
# tests under AddressSanitizer and UndefinedBehaviorSanitizer; the threaded
# tests under ThreadSanitizer; and 20 seconds of fuzzing per fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
started=$SECONDS
phase() { echo "== test.sh: $1 at $((SECONDS - started)) s"; }

phase "release build"
# Every build here is a unity build (CMake joins each target's sources into a
# few files): the headers are parsed once per batch instead of once per file,
# which halves the build, and most of this script's time is builds. Line
# tables only (-g1): stack traces keep file and line, and the build takes a
# quarter less time than with full debug information.
unity=-DCMAKE_UNITY_BUILD=ON
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DNAS_SYNC_WERROR=ON "$unity"
cmake --build build -j "$jobs"
phase "release tests"
ctest --test-dir build --output-on-failure -j "$jobs"

phase "ASan+UBSan build"
# The sanitizer builds at -O1 (as the sanitizers' own documentation advises):
# their tests run about twice as fast as at -O0, with the same checks.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DNAS_SYNC_WERROR=ON "$unity" \
  -DNAS_SYNC_SANITIZE=address,undefined -DNAS_SYNC_PROPERTY_SEEDS=40 -DNAS_SYNC_PROPERTY_NATS_SEEDS=10 \
  -DNAS_SYNC_PROPERTY_PRISMA_SEEDS=25
cmake --build build-asan -j "$jobs"
phase "ASan+UBSan tests"
# Every suite but the property runs over smb and nats: their engine code is
# the property runs' on fs, and their transport code is exercised under the
# sanitizers by the conformance, transport and engine suites over smb and nats.
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E '^property_tests_(smb|snapshot_nats|journal_nats)$'

# The tests where threads meet (the background loop and the application
# writing while syncs run) under ThreadSanitizer.
phase "TSan build"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DNAS_SYNC_WERROR=ON "$unity" \
  -DNAS_SYNC_SANITIZE=thread
cmake --build build-tsan -j "$jobs" --target nas-sync engine_tests sync_cli_tests
phase "TSan tests"
TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure -j "$jobs" -R '^(engine_tests|sync_cli_tests)$'

# Fuzz the pipeline loader and the reading of peers' objects, 20 seconds each.
phase "fuzzing"
scripts/fuzz.sh 20
phase "done"
