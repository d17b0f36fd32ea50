#!/usr/bin/env bash
# Builds the fuzz targets with clang and runs each for a bounded time, with a
# fixed seed so that a CI run can be replayed.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
fixtures="$PWD/tests/fixtures/original"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DNAS_SYNC_FUZZ=ON -DNAS_SYNC_BUILD_TESTS=OFF -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_pipeline fuzz_peer_object fuzz_journal_objects

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/pipeline-corpus" "$work/peer-corpus" "$work/peer-seeds" "$work/journal-corpus"
cp examples/pipelines/*.yaml tests/fixtures/pipelines/bad/*.yaml "$work/pipeline-corpus/"
find "$fixtures" -name 'client-*.sqlite' | head -8 | while read -r f; do cp "$f" "$work/peer-seeds/$(echo "$f" | md5sum | cut -c1-12).sqlite"; done
# Valid databases with odd schemas and a huge row, for the mutations to start from.
meta="CREATE TABLE _sync_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE _changelog(id INTEGER PRIMARY KEY AUTOINCREMENT, tableName TEXT, recordId TEXT, operation TEXT, changedAt TEXT);
      INSERT INTO _changelog(tableName, recordId, operation) VALUES('users', 'u1', 'INSERT');"
sqlite3 "$work/peer-seeds/huge-row.sqlite" "$meta CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT, email TEXT, updatedAt TEXT);
  INSERT INTO users VALUES('u1', printf('%.200000c', 'x'), zeroblob(1000), 1767225600000);"
sqlite3 "$work/peer-seeds/view-and-trigger.sqlite" "$meta CREATE TABLE log(x);
  CREATE VIEW users AS SELECT 'u1' AS id, 'v' AS name, 'e' AS email, '2099-01-01' AS updatedAt;
  CREATE TRIGGER t AFTER INSERT ON log BEGIN DELETE FROM _sync_meta; END;"
sqlite3 "$work/peer-seeds/odd-types.sqlite" "$meta CREATE TABLE users(id INTEGER PRIMARY KEY, name BLOB, email REAL, updatedAt, extra TEXT AS (upper(name)));
  INSERT INTO users(id, name, email, updatedAt) VALUES(1, x'00ff', 1.5, NULL);"

run() {  # target corpus...
  local target=$1; shift
  echo "== $target for ${seconds}s"
  (cd "$work" && TMPDIR="$work" ASAN_OPTIONS=detect_leaks=0 "$OLDPWD/build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" \
     -seed=1 -timeout=10 -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 "$@" 2>&1 | tail -n 12)
}
# Journal names (first line) and read files (the rest): planted and malformed ones.
printf 'journal/A/seg-000000000001.sqlite\nB 3\nC 999999999999\n' > "$work/journal-corpus/segment"
printf 'journal/A/base-999999999999.sqlite\n\n' > "$work/journal-corpus/out-of-range"
printf 'journal/../read-000000000001.txt\nx/y 1\nA -1\nA 12abc\n' > "$work/journal-corpus/hostile"
run fuzz_pipeline "$work/pipeline-corpus"
run fuzz_peer_object "$work/peer-corpus" "$work/peer-seeds"
run fuzz_journal_objects "$work/journal-corpus"
echo "fuzzing: 3 passed, 0 failed"
