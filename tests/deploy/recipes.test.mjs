// The deploy-side scripts, driven with stand-in `docker`, `terraform`, `make` and `aws` on PATH
// (nothing leaves the machine): the ELF architecture check, the container recipe's
// --platform and its refusal of a zip for the wrong machine, and the release script's
// steps and argument passing (publish, deploy, promote, rollback, destroy). The same
// script runs for real against moto in tests/terraform/executed.py.
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

/** A copy of the release script with an environments/ tree, stand-in terraform, make and aws. */
function releaseTree({ backend = true } = {}) {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(ROOT, 'scripts/release.sh'), path.join(dir, 'scripts/release.sh'));
  fs.chmodSync(path.join(dir, 'scripts/release.sh'), 0o755);
  for (const e of ['dev', 'prod', 'account']) {
    fs.mkdirSync(path.join(dir, 'environments', e), { recursive: true });
    fs.writeFileSync(path.join(dir, 'environments', e, 'main.tf'), '# stand-in\n');
  }
  if (backend) for (const e of ['dev', 'prod']) fs.writeFileSync(path.join(dir, 'environments', e, 'backend.hcl'), 'bucket = "b"\n');
  fs.mkdirSync(path.join(dir, 'build'));
  fs.writeFileSync(path.join(dir, 'build/lambda.zip'), 'x86 zip');
  fs.writeFileSync(path.join(dir, 'build/lambda-arm64.zip'), 'arm zip');
  const log = path.join(dir, 'calls.log');
  const bin = path.join(dir, 'bin');
  standIn(bin, 'terraform', log);
  standIn(bin, 'make', log);
  // the account, and no object yet under any key
  standIn(bin, 'aws', log, 'case "$1 $2" in "sts get-caller-identity") echo 123456789012 ;; "s3api head-object") exit 254 ;; esac');
  return { dir, log, env: { PATH: `${bin}:${process.env.PATH}`, ARCH: '', AWS_REGION: 'eu-west-1', ARTIFACT: '', VERSION: '' } };
}
const sha = (text) => execFileSync('sha256sum', { input: text, encoding: 'utf8' }).split(' ')[0];
const release = (t, args, env = {}) => run(path.join(t.dir, 'scripts/release.sh'), args, { ...t.env, ...env });
// the terraform init/apply/destroy calls (outputs read for the alias shift left out)
const tfSteps = (t) => calls(t.log).filter((x) => String(x.argv[0]).startsWith('-chdir=') && x.argv[1] !== 'output');
const recorded = (t, e) => JSON.parse(fs.readFileSync(path.join(t.dir, 'environments', e, 'release.auto.tfvars.json'), 'utf8'));

test('make publish: build, upload once as <prefix>/lambda-<arch>/<sha256>.zip, record it for the environment', () => {
  const t = releaseTree();
  let r = release(t, ['publish', 'dev'], { PACKAGE: 'make' });
  assert.equal(r.status, 0, r.stderr);
  const key = `tasks-api/lambda-x86_64/${sha('x86 zip')}.zip`;
  const c = calls(t.log);
  assert.deepEqual(c[0].argv, ['-C', t.dir, '--no-print-directory', 'package', 'ARCH=x86_64']);
  const put = c.find((x) => x.argv[1] === 'put-object');
  assert.deepEqual(put.argv.slice(0, 8), ['s3api', 'put-object', '--bucket', 'tasks-api-artifacts-123456789012-eu-west-1', '--key', key, '--body', `${t.dir}/build/lambda.zip`]);
  assert.deepEqual(recorded(t, 'dev'), { artifact_sha256: sha('x86 zip'), architecture: 'x86_64' });
  // a new build (arm64 here) keeps the one before as the rollback target
  fs.writeFileSync(t.log, '');
  r = release(t, ['publish', 'dev'], { PACKAGE: 'none', ARCH: 'arm64' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(recorded(t, 'dev'), { artifact_sha256: sha('arm zip'), architecture: 'arm64',
    previous_artifact_sha256: sha('x86 zip'), previous_architecture: 'x86_64' });
  assert.ok(!calls(t.log).some((x) => x.argv[0] === 'package' || x.argv.includes('package')), 'PACKAGE=none builds nothing');
  // publishing the same bytes again records nothing new and keeps the previous one
  fs.writeFileSync(path.join(t.dir, 'bin/aws'), '#!/bin/sh\ncase "$1 $2" in "sts get-caller-identity") echo 123456789012 ;; esac\n', { mode: 0o755 });
  r = release(t, ['publish', 'dev'], { PACKAGE: 'none', ARCH: 'arm64' });
  assert.match(r.stdout, /already published/);
  assert.equal(recorded(t, 'dev').previous_artifact_sha256, sha('x86 zip'));
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('make promote: prod records exactly the artifact dev records, nothing is built or uploaded', () => {
  const t = releaseTree();
  assert.equal(release(t, ['publish', 'dev'], { PACKAGE: 'none' }).status, 0);
  fs.writeFileSync(t.log, '');
  const r = release(t, ['promote', 'dev', 'prod']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(recorded(t, 'prod'), { artifact_sha256: sha('x86 zip'), architecture: 'x86_64' });
  assert.deepEqual(calls(t.log), []);
  assert.equal(release(t, ['promote', 'prod', 'nowhere']).status, 2);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('make rollback: back to the previous artifact (or ARTIFACT=), then apply; never a build', () => {
  const t = releaseTree();
  release(t, ['publish', 'prod'], { PACKAGE: 'none' });
  release(t, ['publish', 'prod'], { PACKAGE: 'none', ARCH: 'arm64' });
  fs.rmSync(path.join(t.dir, 'build'), { recursive: true }); // a fresh clone has none
  fs.writeFileSync(t.log, '');
  let r = release(t, ['rollback', 'prod', '-auto-approve']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(recorded(t, 'prod'), { artifact_sha256: sha('x86 zip'), architecture: 'x86_64',
    previous_artifact_sha256: sha('arm zip'), previous_architecture: 'arm64' });
  assert.deepEqual(tfSteps(t).map((x) => x.argv.slice(1)), [['init', '-input=false', '-backend-config=backend.hcl'], ['apply', '-auto-approve']]);
  r = release(t, ['rollback', 'prod'], { ARTIFACT: 'not-a-hash' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /ARTIFACT must be a SHA-256/);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('make deploy applies what the environment records, with the arguments unchanged; without a record it says to publish', () => {
  const t = releaseTree();
  let r = release(t, ['deploy', 'dev']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /records no artifact\. Publish one first: make publish ENV=dev/);
  assert.deepEqual(calls(t.log), []);
  release(t, ['publish', 'dev'], { PACKAGE: 'none' });
  fs.writeFileSync(t.log, '');
  const args = ['-var', 'region=eu-west-1', '-var', 'cors_allowed_origins=["https://app.example.com", "x y"]', '-auto-approve'];
  r = release(t, ['deploy', 'dev', ...args]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(tfSteps(t).map((x) => x.argv), [
    [`-chdir=${t.dir}/environments/dev`, 'init', '-input=false', '-backend-config=backend.hcl'],
    [`-chdir=${t.dir}/environments/dev`, 'apply', ...args],
  ]);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('after the apply, live moves to the new version through CodeDeploy, and a stopped shift fails the deploy', () => {
  const t = releaseTree();
  release(t, ['publish', 'prod'], { PACKAGE: 'none' });
  const bin = path.join(t.dir, 'bin');
  standIn(bin, 'terraform', t.log, 'case "$2 $4" in "output function_name") echo tasks-api-prod ;; "output latest_version") echo 7 ;; esac');
  const aws = (status) => standIn(bin, 'aws', t.log, `case "$1 $2" in "lambda get-alias") echo 6 ;; "deploy create-deployment") echo d-123 ;; "deploy get-deployment") echo ${status} ;; esac`);
  aws('Succeeded');
  let r = release(t, ['deploy', 'prod', '-auto-approve']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /live moves from version 6 to 7 through CodeDeploy deployment d-123[\s\S]*live serves version 7/);
  const create = calls(t.log).find((x) => x.argv[1] === 'create-deployment').argv;
  const revision = JSON.parse(create[create.indexOf('--revision') + 1]);
  assert.deepEqual(JSON.parse(revision.appSpecContent.content).Resources[0].live.Properties,
    { Name: 'tasks-api-prod', Alias: 'live', CurrentVersion: '6', TargetVersion: '7' });
  assert.deepEqual(create.slice(2, 6), ['--application-name', 'tasks-api-prod', '--deployment-group-name', 'tasks-api-prod']);
  aws('Stopped');
  r = release(t, ['deploy', 'prod', '-auto-approve']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /deployment d-123 Stopped; live is back on version 6/);
  // a named version: straight through CodeDeploy, no apply
  aws('Succeeded');
  fs.writeFileSync(t.log, '');
  r = release(t, ['rollback', 'prod'], { VERSION: '5' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!calls(t.log).some((x) => x.argv.includes('apply')));
  assert.match(r.stdout, /from version 6 to 5/);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('make destroy: no build and no artifact needed; the account root needs no backend.hcl', () => {
  const t = releaseTree();
  fs.rmSync(path.join(t.dir, 'build'), { recursive: true });
  assert.equal(release(t, ['destroy', 'dev', '-var', 'region=us-east-2']).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)), [['init', '-input=false', '-backend-config=backend.hcl'],
    ['destroy', '-var', `artifact_sha256=${'0'.repeat(64)}`, '-var', 'region=us-east-2']]);
  fs.writeFileSync(t.log, '');
  assert.equal(release(t, ['deploy', 'account', '-var', 'region=eu-west-1']).status, 0);
  assert.deepEqual(calls(t.log).map((x) => x.argv.slice(1)), [['init', '-input=false'], ['apply', '-var', 'region=eu-west-1']]);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('without backend.hcl the script says what to do and runs nothing; a local-state override is accepted; bad arguments are refused', () => {
  const t = releaseTree({ backend: false });
  release(t, ['publish', 'dev'], { PACKAGE: 'none' });
  fs.writeFileSync(t.log, '');
  const r = release(t, ['deploy', 'dev']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /backend\.hcl is missing.*\n.*state_bucket_name.*\n.*local-state_override\.tf/);
  assert.deepEqual(calls(t.log), []);
  fs.writeFileSync(path.join(t.dir, 'environments/dev/local-state_override.tf'), 'terraform {\n  backend "local" {}\n}\n');
  assert.equal(release(t, ['deploy', 'dev']).status, 0);
  assert.deepEqual(tfSteps(t).map((x) => x.argv.slice(1)), [['init', '-input=false'], ['apply']]);
  for (const bad of [['deploy', 'staging'], ['deploy', '../x'], ['ship', 'dev'], ['deploy'], ['promote', 'dev']]) {
    assert.equal(release(t, bad).status, 2, bad.join(' '));
  }
  assert.equal(release(t, ['publish', 'dev'], { PACKAGE: 'docker' }).status, 2);
  assert.equal(release(t, ['publish', 'dev'], { ARCH: 'riscv64' }).status, 2);
  fs.rmSync(t.dir, { recursive: true, force: true });
});

test('the dev environment ships a local-state override example that Terraform would pick up', () => {
  const text = fs.readFileSync(path.join(ROOT, 'environments/dev/local-state_override.tf.example'), 'utf8');
  assert.match(text, /backend "local" \{\}/);
  assert.match(fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8'), /^\*_override\.tf$/m);
});
