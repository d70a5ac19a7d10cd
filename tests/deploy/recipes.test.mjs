// The deploy-side scripts, driven with stand-in `docker`, `terraform` and `make` on PATH
// (nothing leaves the machine): the ELF architecture check, the container recipe's
// --platform and its refusal of a zip for the wrong machine, and the deploy wrapper's
// steps and argument passing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ZIP = process.env.LAMBDA_ZIP || path.join(ROOT, 'build/lambda.zip');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tapi-deploy-'));

/** A fake command that appends its cwd and argv (one JSON line per call) to log. */
function standIn(bin, name, log, body = '') {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, name),
    `#!/bin/sh\nnode -e 'require("fs").appendFileSync(process.argv[1], JSON.stringify({cwd: process.cwd(), argv: process.argv.slice(2)}) + "\\n")' "${log}" "$@"\n${body}\n`,
    { mode: 0o755 });
}
const calls = (log) => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });

test('check-elf-arch accepts the bootstrap for its own machine and refuses the other one', () => {
  const dir = tmp();
  const bootstrap = path.join(dir, 'bootstrap');
  fs.writeFileSync(bootstrap, execFileSync('unzip', ['-p', ZIP, 'bootstrap'], { maxBuffer: 64 << 20 }));
  assert.equal(run('scripts/check-elf-arch.sh', [bootstrap, 'x86_64']).status, 0);
  const wrong = run('scripts/check-elf-arch.sh', [bootstrap, 'arm64']);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /built for x86_64, but arm64 was asked for/);
  const arm = Buffer.from(fs.readFileSync(bootstrap));
  arm.writeUInt16LE(183, 18); // the same header claiming AArch64
  fs.writeFileSync(bootstrap, arm);
  assert.equal(run('scripts/check-elf-arch.sh', [bootstrap, 'arm64']).status, 0);
  assert.match(run('scripts/check-elf-arch.sh', [path.join(ROOT, 'README.md'), 'x86_64']).stderr, /not a 64-bit ELF/);
  assert.equal(run('scripts/check-elf-arch.sh', [bootstrap, 'sparc']).status, 2);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the container recipe runs debian:12 for the asked-for platform and keeps the zip it checked', () => {
  for (const [arch, platform, zip] of [['x86_64', 'linux/amd64', 'lambda.zip'], ['arm64', 'linux/arm64', 'lambda-arm64.zip']]) {
    const dir = tmp();
    const out = path.join(dir, 'out');
    const log = path.join(dir, 'docker.log');
    // the stand-in engine "builds" by copying a zip whose bootstrap claims the right machine
    const good = path.join(dir, 'good.zip');
    const b = Buffer.from(execFileSync('unzip', ['-p', ZIP, 'bootstrap'], { maxBuffer: 64 << 20 }));
    b.writeUInt16LE(arch === 'arm64' ? 183 : 62, 18);
    fs.mkdirSync(path.join(dir, 'stage'));
    fs.writeFileSync(path.join(dir, 'stage/bootstrap'), b, { mode: 0o755 });
    execFileSync('zip', ['-q', '-j', good, path.join(dir, 'stage/bootstrap')]);
    standIn(path.join(dir, 'bin'), 'docker', log, `cp "${good}" "${out}/${zip}"`);
    const r = run('scripts/package-in-container.sh', [arch], { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, PACKAGE_OUT: out, CONTAINER_ENGINE: '' });
    assert.equal(r.status, 0, r.stderr);
    const [call] = calls(log);
    assert.deepEqual(call.argv.slice(0, 4), ['run', '--rm', '--platform', platform]);
    assert.ok(call.argv.includes(`${ROOT}:/src:ro`), call.argv.join(' '));
    assert.ok(call.argv.includes(`${out}:/out`));
    assert.ok(call.argv.includes('docker.io/library/debian:12'));
    assert.deepEqual(call.argv.slice(-3), ['/src/scripts/package-recipe.sh', '/src', '/out']);
    assert.ok(fs.existsSync(path.join(out, zip)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a container build that yields the wrong machine fails and leaves no zip behind', () => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  standIn(path.join(dir, 'bin'), 'podman', path.join(dir, 'podman.log'), `cp "${ZIP}" "${out}/lambda-arm64.zip"`);
  const r = run('scripts/package-in-container.sh', ['arm64'], { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, PACKAGE_OUT: out, CONTAINER_ENGINE: 'podman' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /built for x86_64, but arm64 was asked for/);
  assert.ok(!fs.existsSync(path.join(out, 'lambda-arm64.zip')));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A copy of the deploy wrapper with an environments/ tree, stand-in terraform and make. */
function deployTree({ backend = true } = {}) {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts/deploy.sh'), path.join(dir, 'scripts/deploy.sh'));
  fs.chmodSync(path.join(dir, 'scripts/deploy.sh'), 0o755);
  for (const e of ['dev', 'account']) {
    fs.mkdirSync(path.join(dir, 'environments', e), { recursive: true });
    fs.writeFileSync(path.join(dir, 'environments', e, 'main.tf'), '# stand-in\n');
  }
  if (backend) fs.writeFileSync(path.join(dir, 'environments/dev/backend.hcl'), 'bucket = "b"\n');
  const log = path.join(dir, 'calls.log');
  standIn(path.join(dir, 'bin'), 'terraform', log);
  standIn(path.join(dir, 'bin'), 'make', log);
  return { dir, log, env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, ARCH: '' } };
}

test('make deploy: package, init with backend.hcl, then apply with the arguments unchanged', () => {
  const t = deployTree();
  const args = ['-var', 'region=eu-west-1', '-var', 'cors_allowed_origins=["https://app.example.com", "x y"]', '-auto-approve'];
  const r = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev', ...args], { ...t.env, PACKAGE: 'make' });
  assert.equal(r.status, 0, r.stderr);
  const c = calls(t.log);
  assert.deepEqual(c.map((x) => x.argv), [
    ['-C', t.dir, '--no-print-directory', 'package'],
    [`-chdir=${t.dir}/environments/dev`, 'init', '-input=false', '-backend-config=backend.hcl'],
    [`-chdir=${t.dir}/environments/dev`, 'apply', ...args],
  ]);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('the zip built is the architecture deployed: ARCH (also passed to terraform), else the tfvars, else the host', () => {
  const t = deployTree();
  const dev = `-chdir=${t.dir}/environments/dev`;
  let r = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev', '-auto-approve'], { ...t.env, PACKAGE: 'make', ARCH: 'arm64' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(calls(t.log).map((x) => x.argv), [
    ['-C', t.dir, '--no-print-directory', 'package', 'ARCH=arm64'],
    [dev, 'init', '-input=false', '-backend-config=backend.hcl'],
    [dev, 'apply', '-var', 'architecture=arm64', '-auto-approve'],
  ]);
  // no ARCH: the architecture the environment's tfvars choose (the last one set wins)
  fs.writeFileSync(t.log, '');
  fs.writeFileSync(path.join(t.dir, 'environments/dev/terraform.tfvars'),
    '# architecture = "x86_64"\narchitecture = "x86_64"\n  architecture   =   "arm64"   # Graviton\n');
  r = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'make', ARCH: '' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(calls(t.log).map((x) => x.argv), [
    ['-C', t.dir, '--no-print-directory', 'package', 'ARCH=arm64'],
    [dev, 'init', '-input=false', '-backend-config=backend.hcl'],
    [dev, 'apply'],
  ]);
  // neither: the host's default zip
  fs.writeFileSync(t.log, '');
  fs.rmSync(path.join(t.dir, 'environments/dev/terraform.tfvars'));
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'make', ARCH: '' }).status, 0);
  assert.deepEqual(calls(t.log)[0].argv, ['-C', t.dir, '--no-print-directory', 'package']);
  // a wrong ARCH runs nothing
  fs.writeFileSync(t.log, '');
  r = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'make', ARCH: 'riscv64' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /ARCH must be x86_64 or arm64/);
  assert.deepEqual(calls(t.log), []);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('make destroy: init then destroy, no package; the account root needs neither package nor backend.hcl', () => {
  const t = deployTree();
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['destroy', 'dev', '-var', 'region=us-east-2'], t.env).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)), [['init', '-input=false', '-backend-config=backend.hcl'], ['destroy', '-var', 'region=us-east-2']]);
  fs.writeFileSync(t.log, '');
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'account', '-var', 'region=eu-west-1'], t.env).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)), [['init', '-input=false'], ['apply', '-var', 'region=eu-west-1']]);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('without backend.hcl the wrapper says what to do and runs nothing; a local-state override is accepted', () => {
  const t = deployTree({ backend: false });
  const r = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'make' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /backend\.hcl is missing.*\n.*state_bucket_name.*\n.*local-state_override\.tf/);
  assert.deepEqual(calls(t.log), []);
  fs.writeFileSync(path.join(t.dir, 'environments/dev/local-state_override.tf'), 'terraform {\n  backend "local" {}\n}\n');
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'make' }).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)).slice(1), [['init', '-input=false'], ['apply']]);
  for (const bad of [['deploy', 'prod'], ['deploy', '../x'], ['ship', 'dev'], ['deploy']]) {
    assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), bad, t.env).status, 2, bad.join(' '));
  }
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('PACKAGE=none deploys the zip already built (hosts without apt-get), and says how to build one', () => {
  const t = deployTree();
  const env = { ...t.env, PACKAGE: 'none' };
  const missing = run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no Lambda zip in build\/\. Build one first: make package \[ARCH=arm64\], or scripts\/package-in-container\.sh/);
  assert.deepEqual(calls(t.log), []);
  fs.mkdirSync(path.join(t.dir, 'build'));
  fs.writeFileSync(path.join(t.dir, 'build/lambda-arm64.zip'), 'zip');
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], env).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)), [['init', '-input=false', '-backend-config=backend.hcl'], ['apply']]);
  assert.equal(run(path.join(t.dir, 'scripts/deploy.sh'), ['deploy', 'dev'], { ...t.env, PACKAGE: 'docker' }).status, 2);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('the dev environment ships a local-state override example that Terraform would pick up', () => {
  const text = fs.readFileSync(path.join(ROOT, 'environments/dev/local-state_override.tf.example'), 'utf8');
  assert.match(text, /backend "local" \{\}/);
  assert.match(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8'), /^\*_override\.tf$/m);
});
