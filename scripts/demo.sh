#!/usr/bin/env bash
# Installs the dependencies, builds and installs nas-sync under build/install,
# and runs a demo: two clients with their own SQLite files and one local folder
# acting as the NAS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
cmake --install build --prefix build/install >/dev/null
nas_sync="$PWD/build/install/bin/nas-sync"

demo=$(mktemp -d /tmp/nas-sync-demo.XXXXXX)
mkdir -p "$demo/nas"
for client in front-desk back-office; do
  sqlite3 "$demo/$client.sqlite" \
    "CREATE TABLE customers(id TEXT PRIMARY KEY, name TEXT, phone TEXT, updatedAt TEXT);"
  (cd "$demo" && "$nas_sync" --config "$client.yaml" init --db "$client.sqlite" --share nas --client "$client" >/dev/null)
done
sqlite3 "$demo/front-desk.sqlite" \
  "INSERT INTO customers VALUES('c1', 'Ada', '555-0101', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"
sqlite3 "$demo/back-office.sqlite" \
  "INSERT INTO customers VALUES('c2', 'Grace', '555-0202', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));"

show() {
  for client in front-desk back-office; do
    echo "-- $client:"; sqlite3 -header -column "$demo/$client.sqlite" "SELECT id, name, phone FROM customers ORDER BY id"
  done
}
echo "== before: each client has only its own customer"; show
echo "== sync: front-desk, back-office, front-desk"
for client in front-desk back-office front-desk; do
  (cd "$demo" && "$nas_sync" --config "$client.yaml" sync)
done
echo "== after: both hold the same rows"; show
echo "== back-office changes a phone number, front-desk deletes a customer"
sqlite3 "$demo/back-office.sqlite" \
  "UPDATE customers SET phone='555-9999', updatedAt=strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id='c1';"
sqlite3 "$demo/front-desk.sqlite" "DELETE FROM customers WHERE id='c2';"
for client in back-office front-desk back-office; do
  (cd "$demo" && "$nas_sync" --config "$client.yaml" sync)
done
show
(cd "$demo" && "$nas_sync" --config front-desk.yaml status)
echo "demo folder: $demo (the share is $demo/nas)"
