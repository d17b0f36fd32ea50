#!/usr/bin/env bash
# Installs this build, builds examples/custom-resolver against the install
# with find_package(nas-sync), and syncs two clients through the plugin:
# the complete row must win on both although the half-filled one is newer.
set -euo pipefail
build_dir=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/custom-resolver" -B "$work/plugin" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugin" >/dev/null
export NAS_SYNC_PLUGIN_PATH="$work/plugin"
nas_sync="$work/prefix/bin/nas-sync"
# Read whole first: grep -q stops reading at the first match, and a writer cut off there fails the pipe.
listed=$("$nas_sync" plugins --json)
grep -q '"name": "prefer-complete"' <<<"$listed" || { echo "plugin not listed"; exit 1; }

mkdir "$work/nas"
for c in A B; do
  sqlite3 "$work/$c.sqlite" "CREATE TABLE contacts(id TEXT PRIMARY KEY, name TEXT, phone TEXT, email TEXT, updatedAt TEXT);"
  cat > "$work/$c.yaml" <<YAML
version: 1
client_id: $c
database: $c.sqlite
transport: {plugin: fs, path: nas}
resolvers:
  - plugin: prefer-complete
  - plugin: lww
YAML
done
sqlite3 "$work/A.sqlite" "INSERT INTO contacts VALUES('c1','Ada','555-0101','ada@x','2026-01-01T00:00:00Z');"
sqlite3 "$work/B.sqlite" "INSERT INTO contacts VALUES('c1','Ada',NULL,NULL,'2026-02-01T00:00:00Z');"
for c in A B A B; do "$nas_sync" --config "$work/$c.yaml" sync >/dev/null; done
for c in A B; do
  phone=$(sqlite3 "$work/$c.sqlite" "SELECT phone FROM contacts WHERE id='c1'")
  [ "$phone" = "555-0101" ] || { echo "client $c has phone '$phone', expected the complete row"; exit 1; }
done
echo "out-of-tree resolver: 1 passed, 0 failed"
