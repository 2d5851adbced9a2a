// Drive the demo page of `python -m txsockjs demo` in two tabs of headless Chromium: what one
// types appears in both. Saves screenshots under the artifacts directory.
//
// Config on stdin: {chromium, demoUrl, artifacts, messages: [fromTabOne, fromTabTwo], echo}.
// Last stdout line: one JSON document with what each tab showed.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const config = JSON.parse(fs.readFileSync(0, 'utf8'));
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const out = { tabs: [], screenshots: [] };

const messagesIn = (page) => page.$$eval('#log .msg', (els) => els.map((e) => e.textContent));
const waitForMessage = (page, text) => page.waitForFunction(
  (t) => Array.from(document.querySelectorAll('#log .msg')).some((e) => e.textContent === t),
  text, { timeout: 15000 });

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txsockjs-chromium-'));
let context;
let tabs = [];
const errors = [[], []];
try {
  fs.mkdirSync(config.artifacts, { recursive: true });
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: config.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 800, height: 600 },
  });
  tabs = [await context.newPage(), await context.newPage()];
  tabs.forEach((p, i) => {
    p.on('pageerror', (e) => errors[i].push(String(e).slice(0, 300)));
    // resource failures are reported by URL below; the browser's own favicon probe is no error
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors[i].push(m.text().slice(0, 300));
    });
    p.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors[i].push(`HTTP ${r.status()} for ${r.url()}`);
    });
  });
  for (const tab of tabs) {
    await tab.goto(config.demoUrl, { waitUntil: 'load', timeout: 15000 });
  }
  // Ready when the page says so in its status, or in its log (judged separately).
  for (const tab of tabs) {
    await tab.waitForFunction(
      () => document.getElementById('status').textContent.startsWith('connected') ||
            Array.from(document.querySelectorAll('#log .sys')).some((e) => e.textContent.startsWith('connected')),
      null, { timeout: 15000 });
  }
  await new Promise((r) => setTimeout(r, 200));
  const [a, b] = config.messages;
  // Tab one types and presses Enter; once both tabs show it, tab two types and clicks Send.
  await tabs[0].fill('#text', a);
  await tabs[0].press('#text', 'Enter');
  for (const tab of tabs) await waitForMessage(tab, a);
  await tabs[1].fill('#text', b);
  await tabs[1].click('#send');
  for (const tab of tabs) await waitForMessage(tab, b);
  // The echo panel: what tab one echoes comes back to tab one only.
  await tabs[0].waitForFunction(() => document.getElementById('echo-status').textContent.startsWith('connected'),
    null, { timeout: 15000 });
  await tabs[0].fill('#echo-text', config.echo);
  await tabs[0].click('#echo-send');
  await tabs[0].waitForFunction(
    (t) => Array.from(document.querySelectorAll('#echo-log .msg')).some((e) => e.textContent === t),
    config.echo, { timeout: 15000 });
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up now
  for (let i = 0; i < tabs.length; i++) {
    const tab = tabs[i];
    out.tabs.push({
      status: await tab.textContent('#status'),
      system: await tab.$$eval('#log .sys', (els) => els.map((e) => e.textContent)),
      messages: await messagesIn(tab),
      input: await tab.inputValue('#text'),
      echoStatus: await tab.textContent('#echo-status'),
      echoed: await tab.$$eval('#echo-log .msg', (els) => els.map((e) => e.textContent)),
      boldElementsInLog: await tab.$$eval('#log b', (els) => els.length),
      errors: errors[i],
    });
    const file = path.join(config.artifacts, `demo-tab-${i + 1}.png`);
    await tab.screenshot({ path: file });
    out.screenshots.push(file);
  }
  // Both tabs side by side in one picture.
  const shots = out.screenshots.map((f) => fs.readFileSync(f).toString('base64'));
  const board = await context.newPage();
  await board.setViewportSize({ width: 1640, height: 640 });
  await board.setContent(`<body style="margin:0;background:#333;display:flex;gap:20px;padding:10px">` +
    shots.map((s, i) => `<figure style="margin:0;color:#fff;font:14px sans-serif">` +
      `<img style="border:1px solid #999;display:block" src="data:image/png;base64,${s}">` +
      `<figcaption>tab ${i + 1}</figcaption></figure>`).join('') + `</body>`);
  const both = path.join(config.artifacts, 'demo-two-tabs.png');
  await board.screenshot({ path: both });
  out.screenshots.push(both);
  log('[demo] ' + JSON.stringify(out.tabs));
} catch (e) {
  out.error = String(e && e.stack || e).slice(0, 2000);
  out.failedTabs = [];
  for (let i = 0; i < tabs.length; i++) {
    const info = { errors: errors[i] };
    try {
      info.status = await tabs[i].textContent('#status', { timeout: 2000 });
      info.log = await tabs[i].textContent('#log', { timeout: 2000 });
      await tabs[i].screenshot({ path: path.join(config.artifacts, `demo-failed-tab-${i + 1}.png`) });
    } catch (e2) { info.inspectError = String(e2).slice(0, 300); }
    out.failedTabs.push(info);
  }
} finally {
  if (context) await context.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
