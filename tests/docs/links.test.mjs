// Every relative link in the documentation resolves: the file exists and, for a link
// into a Markdown file, the anchor is one of its headings (GitHub's slugs) or named
// anchors. Links inside code blocks are not links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function markdownFiles() {
  const out = ['README.md'];
  for (const dir of ['docs', 'bench']) {
    if (fs.existsSync(path.join(ROOT, dir))) for (const f of fs.readdirSync(path.join(ROOT, dir))) if (f.endsWith('.md')) out.push(`${dir}/${f}`);
  }
  for (const top of ['modules', 'environments']) {
    for (const d of fs.readdirSync(path.join(ROOT, top))) if (fs.existsSync(path.join(ROOT, top, d, 'README.md'))) out.push(`${top}/${d}/README.md`);
  }
  return out;
}

const withoutCode = (text) => text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats
// numbered; plus <a name="..."> and id="..." anchors.
export function anchorsOf(text) {
  const seen = new Map(), anchors = new Set();
  for (const m of text.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1].replace(/<[^>]+>/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim().toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  for (const m of text.matchAll(/<a name="([^"]+)"/g)) anchors.add(m[1]);
  for (const m of text.matchAll(/ id="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

test('every relative link in the documentation resolves, anchors included', () => {
  const broken = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of withoutCode(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1].replace(/\\(.)/g, '$1'); // Markdown escapes (terraform-docs writes #input\_name)
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      checked++;
      const [rel, anchor] = target.split('#');
      const dest = rel ? path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(rel)) : path.join(ROOT, file);
      if (!fs.existsSync(dest)) { broken.push(`${file}: ${target} (no such file)`); continue; }
      if (anchor && dest.endsWith('.md') && !anchorsOf(fs.readFileSync(dest, 'utf8')).has(decodeURIComponent(anchor))) {
        broken.push(`${file}: ${target} (no such anchor in ${path.relative(ROOT, dest)})`);
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} links found: is the parser broken?`);
  assert.deepEqual(broken, []);
});
