// The interactive documentation, in a real browser: Debian's headless Chromium driven by
// playwright-core, against the real local server serving build/docs at /docs. The page
// loads offline with no console errors, shows the contract's five operations, and a
// request sent from the page ("Try it out", "Execute") creates a task.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, stop, tempDir, request } from '../hardening/lib.mjs';

const BIN = process.env.TASKS_API_BIN || 'build/tasks-api';
const DOCS = process.env.TASKS_DOCS_DIR || 'build/docs';
const BROWSER = process.env.CHROMIUM || '/usr/bin/chromium';
const missing = !fs.existsSync(BROWSER) ? `needs Chromium at ${BROWSER} (Debian's chromium package; make test installs it)`
  : !fs.existsSync(path.join(DOCS, 'index.html')) ? `needs the documentation site in ${DOCS} (make docs)` : false;

let server, browser;

before(async () => {
  if (missing) return;
  server = await startServer(BIN, ['--db', path.join(tempDir('docs-'), 't.db'), '--docs', DOCS, '--no-access-log']);
  browser = await chromium.launch({ executablePath: BROWSER, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  if (browser) await browser.close();
  if (server) assert.equal((await stop(server)).code, 0);
});

async function openDocs() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [], offsite = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) offsite.push(r.url()); });
  page.on('response', (r) => { if (r.status() >= 400 && !r.url().includes('/tasks')) problems.push(`HTTP ${r.status()} for ${r.url()}`); });
  const res = await page.goto(`${server.url}/docs`, { waitUntil: 'networkidle' });
  assert.equal(res.status(), 200);
  await page.waitForSelector('.opblock', { timeout: 15000 });
  return { context, page, problems, offsite };
}

test('the page loads offline with no console errors and shows the five operations', { skip: missing }, async () => {
  const { context, page, problems, offsite } = await openDocs();
  const ops = await page.$$eval('.opblock', (els) => els.map((e) => [
    e.querySelector('.opblock-summary-method')?.textContent.trim(),
    e.querySelector('.opblock-summary-path')?.getAttribute('data-path') || e.querySelector('.opblock-summary-path')?.textContent.trim(),
  ]));
  assert.deepEqual(ops.map(([m, p]) => `${m} ${p.replace(/\u200b/g, '')}`).sort(),
    ['DELETE /tasks/{id}', 'GET /tasks', 'GET /tasks/{id}', 'PATCH /tasks/{id}', 'POST /tasks']);
  assert.match(await page.title(), /tasks-api/);
  assert.deepEqual(problems, []);
  assert.deepEqual(offsite, [], 'nothing is fetched from anywhere but this server');
  await context.close();
});

test('a request sent from the page creates a task', { skip: missing }, async () => {
  const { context, page, problems } = await openDocs();
  const title = `made in the browser ${Date.now()}`;
  const op = page.locator('#operations-default-createTask');
  await op.locator('.opblock-summary').click();
  await op.locator('button.try-out__btn').click();
  await op.locator('textarea.body-param__text').fill(JSON.stringify({ title, status: 'in_progress' }));
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ timeout: 15000 });
  assert.equal((await status.textContent()).trim(), '201');
  const list = await request(`${server.url}/tasks?limit=100`);
  const made = list.json.items.find((t) => t.title === title);
  assert.ok(made, 'the task the page created is in the list');
  assert.equal(made.status, 'in_progress');
  assert.deepEqual(problems, []);
  await context.close();
});
