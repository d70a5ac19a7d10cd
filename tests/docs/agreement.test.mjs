// One truth, said in several places: the error codes (core/problem.c, the OpenAPI enum,
// docs/errors.md, the Terraform gateway responses) and the headers a browser script may
// read (the function, the gateway, the contract and docs/api.md) are the same lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const sorted = (xs) => [...new Set(xs)].sort();

test('every error code is defined, in the contract and documented', () => {
  const defined = [...read('src/core/problem.c').matchAll(/^[ \t]*\{"([a-z0-9_]+)", "[^"]+"\},$/gm)].map((m) => m[1]);
  const enumText = /code:\s*\n\s*type: string\s*\n\s*enum: \[([^\]]*)\]/.exec(read('docs/openapi.yaml'))[1];
  const contract = enumText.split(',').map((c) => c.trim());
  const documented = [...read('docs/errors.md').matchAll(/^## ([a-z0-9_]+)$/gm)].map((m) => m[1]);
  const used = [...read('modules/api-gateway/main.tf').matchAll(/\bcode = "([a-z][a-z0-9_]*)"/g)].map((m) => m[1]);
  assert.ok(defined.length >= 25, `found ${defined.length} codes in problem.c`);
  assert.deepEqual(sorted(contract), sorted(defined), 'docs/openapi.yaml vs src/core/problem.c');
  assert.deepEqual(sorted(documented), sorted(defined), 'docs/errors.md vs src/core/problem.c');
  for (const c of used) assert.ok(defined.includes(c), `the gateway answers ${c}, which problem.c does not define`);
  // every code the C code can produce is defined
  const produced = new Set();
  for (const dir of ['src/core', 'src/router', 'src/server', 'src/lambda']) {
    for (const f of fs.readdirSync(path.join(ROOT, dir)).filter((x) => x.endsWith('.c'))) {
      for (const m of read(`${dir}/${f}`).matchAll(/(?:tapi_problem_set\([^,]+,\s*\d+,\s*|tapi_response_error\([^,]+,\s*\d+,\s*|send_error\([^,]+,[^,]+,\s*\d+,\s*|reject_code = )"([a-z0-9_]+)"/g)) produced.add(m[1]);
    }
  }
  assert.ok(produced.size >= 15, `found ${produced.size} produced codes`);
  for (const c of produced) assert.ok(defined.includes(c), `the code produces ${c}, which problem.c does not define`);
});

test('one list of exposed headers: the function, the gateway, the contract, the docs', () => {
  const define = /#define TAPI_CORS_EXPOSE_HEADERS((?:\s*\\?\s*"[^"]*")+)/.exec(read('src/lambda/apigw_event.h'))[1];
  const fn = [...define.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join('').split(', ');
  const gateway = /cors_expose_headers = "([^"]+)"/.exec(read('modules/api-gateway/main.tf'))[1].split(', ');
  const listed = (text) => {
    const m = /Access-Control-Expose-Headers`? lists ([^.]+)\./.exec(text.replace(/\s+/g, ' ')) || /responses expose ([^(]+)\(/.exec(text.replace(/\s+/g, ' '));
    return [...m[1].matchAll(/`([A-Za-z-]+)`/g)].map((x) => x[1]);
  };
  assert.deepEqual(gateway, fn);
  assert.deepEqual(sorted(listed(read('docs/openapi.yaml'))), sorted(fn), 'docs/openapi.yaml');
  assert.deepEqual(sorted(listed(read('docs/api.md'))), sorted(fn), 'docs/api.md');
});
