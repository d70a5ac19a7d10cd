// The command line as a user meets it: help on every command exits 0 on stdout, whatever
// else is on the line; a mistake exits 2 with a pointer to the help on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';
const run = (...args) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, TASKS_STORE: 'sqlite' } });

test('help: --help and -h after any command print the usage and exit 0', () => {
  for (const args of [['--help'], ['-h'], ['help'], ['serve', '--help'], ['serve', '-h'], ['serve', '--port', 'x', '--help'],
    ['create-table', '--help'], ['migrate', '--help']]) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: tasks-api serve/, args.join(' '));
    assert.equal(r.stderr, '');
  }
});

test('mistakes exit 2 and say where the help is', () => {
  for (const args of [[], ['serve', '--port', 'x'], ['serve', '--bogus', '1'], ['frobnicate']]) {
    const r = run(...args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /tasks-api --help|Usage:/, args.join(' '));
  }
});

test('--version prints the version', () => {
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^tasks-api \S+\n$/);
});
