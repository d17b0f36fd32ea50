#!/usr/bin/env bash
# nas-sync-bench --transport fs,smb,nats --clients 2,3 runs the matrix through
# each transport (smbd and nats-server started by the bench on loopback) for
# each fleet size, counts the transport calls, and an idle sync there fetches
# nothing and lists at least once.
set -uo pipefail
bench=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

out=$("$bench" --rows 200 --changes 0,10 --rounds 1 --first-contacts 1 --clients 2,3 --exchange snapshot,journal \
  --transport fs,smb,nats --work "$work/scratch" --save "$work/results.json" 2>&1)
status=$?
[[ $status -eq 0 ]] || { echo "exit status $status"; echo "$out"; exit 1; }
fail() { echo "$1"; echo "$out"; exit 1; }
for t in fs smb nats; do
  for e in snapshot journal; do
    for m in 2 3; do
      idle="| two-table | $t | $e | 200 | $m | 0 |"
      changed="| two-table | $t | $e | 200 | $m | 10 |"
      grep -qF -- "$changed" <<<"$out" || fail "no row for $t $e M=$m K=10"
      line=$(grep -F -- "$idle" <<<"$out") || fail "no row for $t $e M=$m K=0"
      # An idle sync: nothing moved, at least one listing, no get, put or remove.
      [[ $line =~ \|\ 0\.0\ KiB\ \|\ [1-9][0-9]*\.[0-9]\ ·\ 0\.0\ \(\+0\.0\)\ ·\ 0\.0\ ·\ 0\.0\ \| ]] ||
        fail "the idle sync over $t ($e, M=$m) moved something or listed nothing: $line"
    done
  done
done
# First contacts: fs and smb (a nats bucket's objects are not files to copy).
for t in fs smb; do
  grep -qE -- "^\| two-table \| $t \| (snapshot|journal) \| 200 \| 200 \|" <<<"$out" || fail "no first contact over $t"
done
grep -q '"transport": "nats"' "$work/results.json" || fail "the saved results lack the nats rows"
grep -q '"calls_per_sync"' "$work/results.json" || fail "the saved results lack the call counts"
echo "ok"
