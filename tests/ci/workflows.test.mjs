// The GitHub workflows users get: each one valid by GitHub's schema (action-validator from
// npm, pinned in package-lock.json), and each one doing what the deploy docs promise:
// make test on every pull request; fmt, validate and a visible plan for infrastructure
// changes; on main, one build published and deployed to dev, and prod deploying the
// artifact dev ran after approval. AWS access by OIDC roles only, never stored keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = path.join(ROOT, '.github/workflows');
const require = createRequire(import.meta.url);
const VALIDATOR = path.join(path.dirname(require.resolve('@action-validator/cli/package.json')), 'cli.mjs');
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const load = (f) => YAML.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));
const runs = (job) => (job.steps || []).map((s) => s.run || '').join('\n');

test('every workflow is valid by GitHub Actions\' schema (action-validator)', () => {
  assert.deepEqual(files, ['ci.yml', 'release.yml', 'terraform.yml']);
  for (const f of files) {
    const r = spawnSync(process.execPath, [VALIDATOR, path.join(DIR, f)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}:\n${r.stdout}${r.stderr}`);
  }
});

test('the validator refuses a broken workflow (so the check above can fail)', () => {
  const broken = path.join(fs.mkdtempSync('/tmp/tapi-wf-'), 'broken.yml');
  fs.writeFileSync(broken, fs.readFileSync(path.join(DIR, 'ci.yml'), 'utf8').replace('runs-on:', 'runs-onn:'));
  const r = spawnSync(process.execPath, [VALIDATOR, broken], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
});

test('ci: make test on every pull request and push to main, in Debian 12', () => {
  const w = load('ci.yml');
  assert.ok('pull_request' in w.on && w.on.push.branches.includes('main'));
  assert.equal(w.jobs.test.container, 'debian:12');
  assert.match(runs(w.jobs.test), /^make test$/m);
  assert.deepEqual(w.permissions, { contents: 'read' });
});

test('terraform: fmt -check, validate and a plan of dev and prod in the job summary, with the read-only plan role', () => {
  const w = load('terraform.yml');
  assert.ok('pull_request' in w.on);
  assert.match(runs(w.jobs.check), /terraform fmt -check -recursive/);
  assert.match(runs(w.jobs.check), /terraform -chdir="\$d" validate/);
  assert.deepEqual(w.jobs.plan.strategy.matrix.environment, ['dev', 'prod']);
  assert.match(runs(w.jobs.plan), /terraform plan .*-lock=false/);
  assert.match(runs(w.jobs.plan), /GITHUB_STEP_SUMMARY/);
  const creds = w.jobs.plan.steps.find((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials'));
  assert.equal(creds.with['role-to-assume'], '${{ vars.AWS_PLAN_ROLE_ARN }}');
  assert.equal(w.permissions['id-token'], 'write');
});

test('release: main publishes once and deploys dev; prod, after approval, deploys the artifact dev ran', () => {
  const w = load('release.yml');
  assert.deepEqual(w.on.push.branches, ['main']);
  const { dev, prod } = w.jobs;
  assert.equal(dev.environment, 'dev');
  assert.match(runs(dev), /make publish ENV=dev/);
  assert.match(runs(dev), /make deploy ENV=dev/);
  assert.equal(prod.environment, 'prod');
  assert.equal(prod.needs, 'dev');
  assert.match(runs(prod), /make promote FROM=dev TO=prod/);
  assert.match(runs(prod), /make deploy ENV=prod/);
  assert.doesNotMatch(runs(prod), /make (publish|package)|release\.sh publish/, 'prod must not rebuild');
  const handoff = prod.steps.find((s) => String(s.uses).startsWith('actions/download-artifact'));
  assert.equal(handoff.with.name, dev.steps.find((s) => String(s.uses).startsWith('actions/upload-artifact')).with.name);
  assert.equal(w.concurrency['cancel-in-progress'], false);
});

test('AWS access is OIDC only: every credentials step assumes a role, no workflow names stored keys', () => {
  for (const f of files) {
    const text = fs.readFileSync(path.join(DIR, f), 'utf8');
    assert.doesNotMatch(text, /aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\.AWS/i, f);
    for (const job of Object.values(load(f).jobs)) {
      for (const s of job.steps || []) {
        if (String(s.uses).startsWith('aws-actions/configure-aws-credentials')) {
          assert.match(s.with['role-to-assume'], /^\$\{\{ vars\.AWS_(DEPLOY|PLAN)_ROLE_ARN \}\}$/, f);
        }
      }
    }
  }
});
