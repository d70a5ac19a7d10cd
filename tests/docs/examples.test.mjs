// The shell examples of the README and the docs, run: each block marked
// <!-- example: local-server --> runs against a real local server (its 127.0.0.1:8080
// becomes the test server's address), each <!-- example: local-auth --> block starts its
// own (on a free port instead of 8080). The statuses the server logs must be, in order,
// those the block's "# → NNN" comments promise, so an example cannot rot unnoticed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, startServer, stop, tempDir } from '../hardening/lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';

function examples() {
  const found = [];
  const files = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/<!-- example: ([a-z-]+) -->\n```sh\n([\s\S]*?)```/g)) {
      found.push({ file, kind: m[1], script: m[2], expected: [...m[2].matchAll(/# → (\d{3})/g)].map((e) => Number(e[1])) });
    }
  }
  return found;
}

function runBash(script, env) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env: { ...process.env, ...env }, detached: true });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, 60000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try { process.kill(-child.pid, 'SIGTERM'); } catch {} // whatever it left running
      resolve({ code, out, err });
    });
  });
}

const statusesIn = (log) => log.split('\n').filter((l) => l.includes('"msg":"request"')).map((l) => JSON.parse(l).status);

const all = examples();

test('the documentation has tested examples of both kinds', () => {
  assert.ok(all.some((e) => e.file === 'README.md' && e.kind === 'local-server'), 'the README walkthrough');
  assert.ok(all.some((e) => e.kind === 'local-auth'), 'the authentication example');
  for (const e of all) assert.ok(e.expected.length > 0, `${e.file}: an example promises no status`);
});

for (const ex of all) {
  test(`${ex.file}: the ${ex.kind} example runs and answers as it says`, async () => {
    if (ex.kind === 'local-server') {
      const dir = tempDir('example-');
      const server = await startServer(BIN, ['--db', path.join(dir, 't.db')]);
      const host = new URL(server.url).host;
      const script = ex.script.replaceAll('127.0.0.1:8080', host).replaceAll('localhost:8080', host);
      const r = await runBash(script);
      assert.equal(r.code, 0, `the example failed:\n${r.err}\n${r.out}`);
      await stop(server);
      assert.deepEqual(statusesIn(fs.readFileSync(server.log, 'utf8')), ex.expected, r.out);
    } else if (ex.kind === 'local-auth') {
      const port = await freePort();
      const r = await runBash(ex.script.replaceAll('8080', String(port)));
      assert.equal(r.code, 0, `the example failed:\n${r.err}\n${r.out}`);
      assert.deepEqual(statusesIn(r.err), ex.expected, r.err);
    } else {
      assert.fail(`unknown example kind ${ex.kind}`);
    }
  });
}
