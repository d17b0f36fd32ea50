// One client of the original npm package `sqlite-nas-sync`, driven by
// nas-sync-bench (`--exchange original --original DIR`):
//
//   node driver.cjs <DIR> <database> <share folder> <client id>
//
// DIR is a folder where `npm install sqlite-nas-sync better-sqlite3` was run. The client is set up
// with the package's documented entry point, setupSync({dbPath, nasPath,
// clientId}), and prints "ready". Then, for each line read:
//   "sync": runs syncNow() and prints one JSON line {"ms", "result", "peak_kb"}:
//           the time syncNow took in this process, its SyncResult, and this
//           process's peak memory so far (VmHWM);
//   "quit": stops the client and exits.
// Any failure is printed to stderr and ends the process with status 2.
// Standard output carries these replies only: what the package itself prints
// there (its setupSync logs "[sqlite-nas-sync] Auto-detected ..." with
// console.log) goes to stderr.
'use strict';

const fs = require('fs');
const path = require('path');
const readline = require('readline');

const reply = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

function fail(message) {
    process.stderr.write(`original client: ${message}\n`);
    process.exit(2);
}

function peakKb() {
    const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return line ? parseInt(line.slice(6), 10) : 0;
}

const [dir, dbPath, nasPath, clientId] = process.argv.slice(2);
if (!clientId) fail('usage: driver.cjs <package folder> <database> <share folder> <client id>');

let original;
try {
    original = require(require.resolve('sqlite-nas-sync', { paths: [path.resolve(dir)] }));
} catch (e) {
    fail(`cannot load sqlite-nas-sync from '${dir}': ${e.message}`);
}
if (typeof original.setupSync !== 'function') fail(`'${dir}': sqlite-nas-sync has no setupSync()`);

let client;
try {
    client = original.setupSync({ dbPath, nasPath, clientId });
} catch (e) {
    fail(`setupSync for '${clientId}' failed: ${e.message}`);
}
reply('ready\n');

const commands = readline.createInterface({ input: process.stdin });
const queue = [];
let busy = false;

async function run(command) {
    if (command === 'quit') {
        if (typeof client.stop === 'function') client.stop();
        process.exit(0);
    }
    if (command !== 'sync') fail(`unknown command '${command}'`);
    const started = process.hrtime.bigint();
    let result;
    try {
        result = await client.syncNow();
    } catch (e) {
        fail(`syncNow for '${clientId}' failed: ${e.message}`);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    reply(JSON.stringify({ ms, result, peak_kb: peakKb() }) + '\n');
}

// One command at a time, in the order given.
commands.on('line', async (line) => {
    queue.push(line.trim());
    if (busy) return;
    busy = true;
    while (queue.length) await run(queue.shift());
    busy = false;
});
commands.on('close', () => {
    if (!busy) process.exit(0);
});
