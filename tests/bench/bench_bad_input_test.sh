#!/usr/bin/env bash
# nas-sync-bench refuses a bad --exchange/--original/--transport/--clients with a message that says
# what is wrong, exit status 2, and nothing written to its scratch folder.
set -uo pipefail
bench=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect_refusal() {  # <what the message must say> <arguments...>
  local expected=$1; shift
  local out status
  out=$("$bench" --rows 100 --changes 0 --rounds 1 --first-contacts 1 --work "$work/scratch" "$@" 2>&1)
  status=$?
  [[ $status -eq 2 ]] || { echo "exit status $status, expected 2, for: $*"; echo "$out"; exit 1; }
  [[ $out == *"$expected"* ]] || { echo "message lacks '$expected' for: $*"; echo "$out"; exit 1; }
  [[ ! -e $work/scratch ]] || { echo "the scratch folder was written for: $*"; exit 1; }
}

expect_refusal "no sqlite-nas-sync package there ($work/none/node_modules/sqlite-nas-sync/package.json is missing)" \
  --exchange original --original "$work/none"
expect_refusal "--exchange original and --original DIR go together" --exchange original
expect_refusal "--exchange original and --original DIR go together" --exchange journal --original "$work"
expect_refusal "--exchange 'jounral': not snapshot, journal or original" --exchange snapshot,jounral
expect_refusal "--transport 'ftp': not fs, smb or nats" --transport fs,ftp
expect_refusal "--clients '5,x': fleet sizes of at least 2, comma-separated" --clients 5,x
expect_refusal "--clients '1': fleet sizes of at least 2, comma-separated" --clients 1
echo "ok"
