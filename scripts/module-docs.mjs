// Writes the Inputs and Outputs tables of every module README (modules/*/README.md) from
// its variables.tf and outputs.tf, in terraform-docs' markdown-table layout, between the
// markers terraform-docs uses, so the tables can never disagree with the code.
// Usage: node scripts/module-docs.mjs [--check]   (--check: change nothing, exit 1 and
// name every README whose tables are out of date)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const hcl2json = require('@cdktf/hcl2json');

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BEGIN = '<!-- BEGIN_TF_DOCS -->';
const END = '<!-- END_TF_DOCS -->';

// hcl2json gives expressions as "${...}"; a type or default is shown as Terraform writes it.
const unwrap = (v) => (typeof v === 'string' && /^\$\{[\s\S]*\}$/.test(v) ? v.slice(2, -1) : v);
const oneLine = (s) => String(s).replace(/\s+/g, ' ').trim();
const cell = (s) => oneLine(s).replace(/\|/g, '\\|');
const anchor = (kind, name) => `<a name="${kind}_${name}"></a> [${name}](#${kind}\\_${name.replace(/_/g, '\\_')})`;

function literal(value) {
  const v = unwrap(value);
  if (typeof v === 'string' && v !== value) return oneLine(v); // an expression
  return oneLine(JSON.stringify(v));
}

async function parse(dir, file) {
  const f = path.join(dir, file);
  if (!fs.existsSync(f)) return {};
  const json = await hcl2json.parse(f, fs.readFileSync(f, 'utf8'));
  return json;
}

export async function tables(dir) {
  const vars = (await parse(dir, 'variables.tf')).variable || {};
  const outs = (await parse(dir, 'outputs.tf')).output || {};
  const lines = [BEGIN, '## Inputs', ''];
  const names = Object.keys(vars).sort();
  if (!names.length) lines.push('No inputs.');
  else {
    lines.push('| Name | Description | Type | Default | Required |', '|------|-------------|------|---------|:--------:|');
    for (const name of names) {
      const v = vars[name][0];
      const required = !('default' in v);
      lines.push(`| ${anchor('input', name)} | ${cell(v.description || '')} | \`${cell(unwrap(v.type) || 'any')}\` | ${required ? 'n/a' : `\`${cell(literal(v.default))}\``} | ${required ? 'yes' : 'no'} |`);
    }
  }
  lines.push('', '## Outputs', '');
  const outNames = Object.keys(outs).sort();
  if (!outNames.length) lines.push('No outputs.');
  else {
    lines.push('| Name | Description |', '|------|-------------|');
    for (const name of outNames) lines.push(`| ${anchor('output', name)} | ${cell(outs[name][0].description || '')} |`);
  }
  lines.push(END);
  return lines.join('\n');
}

// The README with its tables replaced (or added at the end when it has no markers yet).
export async function render(dir) {
  const file = path.join(dir, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const block = await tables(dir);
  const start = text.indexOf(BEGIN), end = text.indexOf(END);
  if (start >= 0 && end > start) return text.slice(0, start) + block + text.slice(end + END.length);
  return `${text.trimEnd()}\n\n${block}\n`;
}

async function main() {
  const check = process.argv.includes('--check');
  const stale = [];
  const base = path.join(ROOT, 'modules');
  for (const m of fs.readdirSync(base).sort()) {
    const dir = path.join(base, m);
    if (!fs.existsSync(path.join(dir, 'README.md'))) { stale.push(`modules/${m}: no README.md`); continue; }
    const next = await render(dir);
    if (next === fs.readFileSync(path.join(dir, 'README.md'), 'utf8')) continue;
    if (check) stale.push(`modules/${m}/README.md: the Inputs/Outputs tables are out of date (run make module-docs)`);
    else fs.writeFileSync(path.join(dir, 'README.md'), next);
  }
  for (const s of stale) console.error(`module-docs: ${s}`);
  if (stale.length) process.exit(1);
  console.log(`module-docs: ${check ? 'every module README\'s tables match its variables and outputs' : 'tables written'}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
