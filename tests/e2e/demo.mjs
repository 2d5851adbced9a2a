// Drive the demo page of `python -m txsockjs demo` in headless Chromium: two desktop tabs and
// a phone. Names, the member list, own messages, the transport picker (every transport in turn),
// the live figures, the echo panel, and the phone layout. Saves screenshots under artifacts.
//
// Config on stdin: {chromium, demoUrl, artifacts, names: [tab1, tab2, phone],
//   messages: [fromTabOne, fromTabTwo], echo, transports: [...], longWord, fromPhone}.
// Last stdout line: one JSON document with what each page showed.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const config = JSON.parse(fs.readFileSync(0, 'utf8'));
const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const out = { tabs: [], screenshots: [], switches: [], figures: {}, phone: null };
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WAIT = { timeout: 15000 };

// -- what a page shows --------------------------------------------------------------------------
const chatTexts = (page) => page.$$eval('#log .msg .text', (els) => els.map((e) => e.textContent));
const ownTexts = (page) => page.$$eval('#log .msg.own .text', (els) => els.map((e) => e.textContent));
const memberNames = (page) => page.$$eval('#members .chip .name', (els) => els.map((e) => e.textContent));
const ownMember = (page) => page.$$eval('#members .chip.own .name', (els) => els.map((e) => e.textContent));
const waitForMessage = (page, text) => page.waitForFunction(
  (t) => Array.from(document.querySelectorAll('#log .msg .text')).some((e) => e.textContent === t), text, WAIT);
// Connected and welcomed into the room (our own chip is in the member list).
const waitUntilInRoom = (page) => page.waitForFunction(
  () => document.getElementById('status').textContent === 'connected' &&
        document.querySelector('#members .chip.own') !== null, null, WAIT);
const waitForMembers = (page, names) => page.waitForFunction(
  (want) => {
    const have = Array.from(document.querySelectorAll('#members .chip .name')).map((e) => e.textContent).sort();
    return JSON.stringify(have) === JSON.stringify(want.slice().sort());
  }, names, WAIT);
const figure = (page, id) => page.$eval('#' + id, (e) => e.textContent);
// The open /chat sessions of one server-side transport, as the figures table shows them.
const chatSessions = (page, transport) => page.evaluate((t) => {
  const table = document.getElementById('fig-transports');
  const column = Array.from(table.tHead.rows[0].cells).findIndex((c) => c.textContent === '/chat');
  const row = table.querySelector(`tbody tr[data-transport="${t}"]`);
  return row && column > 0 ? Number(row.cells[column].textContent) : 0;
}, transport);

async function rename(page, name, how) {
  await page.fill('#name', name);
  if (how === 'enter') await page.press('#name', 'Enter'); else await page.click('#name-set');
  await page.waitForFunction((n) => {
    const own = document.querySelector('#members .chip.own .name');
    return own && own.textContent === n;
  }, name, WAIT);
}

function watchErrors(page, sink) {
  page.on('pageerror', (e) => sink.push(String(e).slice(0, 300)));
  // resource failures are reported by URL below
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) sink.push(m.text().slice(0, 300));
  });
  page.on('response', (r) => { if (r.status() >= 400) sink.push(`HTTP ${r.status()} for ${r.url()}`); });
}

const launch = (dir, options) => chromium.launchPersistentContext(dir, {
  executablePath: config.chromium, headless: true, args: LAUNCH_ARGS, ...options });

const dirs = [];
const contexts = [];
let tabs = [];
let phone = null;
const errors = [[], [], []];
try {
  fs.mkdirSync(config.artifacts, { recursive: true });
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'txsockjs-chromium-')));
  const desktop = await launch(dirs[0], { viewport: { width: 1200, height: 820 } });
  contexts.push(desktop);
  tabs = [await desktop.newPage(), await desktop.newPage()];
  tabs.forEach((p, i) => watchErrors(p, errors[i]));
  for (const tab of tabs) await tab.goto(config.demoUrl, { waitUntil: 'load', timeout: 15000 });
  for (const tab of tabs) await waitUntilInRoom(tab);
  const defaultNames = [];
  for (const tab of tabs) defaultNames.push((await ownMember(tab))[0]);
  out.defaultNames = defaultNames;

  // Names: tab one presses Enter, tab two clicks Rename; both lists then show both names.
  const [nameOne, nameTwo, namePhone] = config.names;
  await rename(tabs[0], nameOne, 'enter');
  await rename(tabs[1], nameTwo, 'click');
  for (const tab of tabs) await waitForMembers(tab, [nameOne, nameTwo]);

  // The figures: wait for the first numbers, then send, then they must have moved.
  await tabs[0].waitForFunction(() => /^\d+$/.test(document.getElementById('fig-in').textContent), null, WAIT);
  out.figures.inBefore = Number(await figure(tabs[0], 'fig-in'));
  out.figures.outBefore = Number(await figure(tabs[0], 'fig-out'));

  const [a, b] = config.messages;
  await tabs[0].fill('#text', a);
  await tabs[0].press('#text', 'Enter');
  // the rate shows traffic for one polling interval: watch for it from now on
  const rateSeen = tabs[0].waitForFunction(
    () => parseFloat(document.getElementById('fig-rate').textContent) > 0, null, WAIT)
    .then(() => figure(tabs[0], 'fig-rate'));
  for (const tab of tabs) await waitForMessage(tab, a);
  await tabs[1].fill('#text', b);
  await tabs[1].click('#send');
  for (const tab of tabs) await waitForMessage(tab, b);
  out.figures.rateSeen = await rateSeen;
  await tabs[0].waitForFunction((before) => Number(document.getElementById('fig-in').textContent) >= before + 2,
    out.figures.inBefore, WAIT);
  out.figures.inAfter = Number(await figure(tabs[0], 'fig-in'));
  out.figures.outAfter = Number(await figure(tabs[0], 'fig-out'));
  await tabs[0].waitForFunction(() => document.querySelector('#fig-transports tr[data-transport="websocket"]'), null, WAIT);
  out.figures.websocketChatSessions = await chatSessions(tabs[0], 'websocket');
  out.figures.sessionsOpen = Number(await figure(tabs[0], 'fig-sessions'));

  // The echo panel: what tab one echoes comes back to tab one only.
  await tabs[0].waitForFunction(() => document.getElementById('echo-status').textContent.startsWith('connected'), null, WAIT);
  await tabs[0].fill('#echo-text', config.echo);
  await tabs[0].click('#echo-send');
  await tabs[0].waitForFunction(
    (t) => Array.from(document.querySelectorAll('#echo-log .msg')).some((e) => e.textContent === t), config.echo, WAIT);
  await new Promise((r) => setTimeout(r, 300)); // a duplicate would show up now

  for (let i = 0; i < tabs.length; i++) {
    const tab = tabs[i];
    out.tabs.push({
      status: await tab.textContent('#status'),
      transport: await tab.textContent('#transport'),
      system: await tab.$$eval('#log .sys', (els) => els.map((e) => e.textContent)),
      messages: await chatTexts(tab),
      own: await ownTexts(tab),
      members: await memberNames(tab),
      ownMember: await ownMember(tab),
      input: await tab.inputValue('#text'),
      echoStatus: await tab.textContent('#echo-status'),
      echoed: await tab.$$eval('#echo-log .msg', (els) => els.map((e) => e.textContent)),
      boldElementsInLog: await tab.$$eval('#log b', (els) => els.length),
    });
  }

  // The picker: tab two goes through every transport; each time the page must say which one
  // it uses, be back in the room, and a message sent over it must reach tab one.
  for (const transport of config.transports) {
    const entry = { transport };
    out.switches.push(entry);
    await tabs[1].selectOption('#transport-pick', transport);
    await tabs[1].waitForFunction((t) => document.getElementById('transport').textContent === t &&
      document.getElementById('status').textContent === 'connected' &&
      document.querySelector('#members .chip.own') !== null, transport, WAIT);
    entry.shown = await tabs[1].textContent('#transport');
    entry.url = new URL(tabs[1].url()).searchParams.get('transport');
    const text = `sent over ${transport}`;
    await tabs[1].fill('#text', text);
    await tabs[1].click('#send');
    for (const tab of tabs) await waitForMessage(tab, text);
    await tabs[1].waitForFunction((t) => document.getElementById('echo-status').textContent === `connected (${t})`,
      transport, WAIT);
    entry.echoStatus = await tabs[1].textContent('#echo-status');
    entry.reached = true;
  }
  // After all that switching the room holds the two again, and the figures show tab two's
  // last transport (its server-side name) next to tab one's websocket.
  for (const tab of tabs) await waitForMembers(tab, [nameOne, nameTwo]);
  const last = config.lastServerTransport;
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline && !((await chatSessions(tabs[0], last)) === 1 &&
                                    (await chatSessions(tabs[0], 'websocket')) === 1)) {
    await new Promise((r) => setTimeout(r, 250));
  }
  out.figures.afterSwitching = { [last]: await chatSessions(tabs[0], last), websocket: await chatSessions(tabs[0], 'websocket') };
  out.members = await memberNames(tabs[0]);

  // The phone: a third member on a 390x844 touch screen.
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'txsockjs-chromium-')));
  const mobile = await launch(dirs[1], {
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  contexts.push(mobile);
  phone = await mobile.newPage();
  watchErrors(phone, errors[2]);
  await phone.goto(config.demoUrl, { waitUntil: 'load', timeout: 15000 });
  await waitUntilInRoom(phone);
  await rename(phone, namePhone, 'click');
  await waitForMembers(tabs[0], [nameOne, nameTwo, namePhone]);
  // a long word must wrap, not widen the page
  await tabs[0].fill('#text', config.longWord);
  await tabs[0].press('#text', 'Enter');
  await waitForMessage(phone, config.longWord);
  await phone.tap('#text');
  await phone.fill('#text', config.fromPhone);
  await phone.tap('#send');
  await waitForMessage(phone, config.fromPhone);
  await waitForMessage(tabs[0], config.fromPhone);
  out.phone = await phone.evaluate(() => {
    const box = (id) => {
      const el = document.getElementById(id);
      const r = el.getBoundingClientRect();
      // what a tap at its centre would hit
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { left: r.left, right: r.right, width: r.width, height: r.height,
               fontSize: parseFloat(getComputedStyle(el).fontSize), hitsItself: hit === el || el.contains(hit) };
    };
    const logEl = document.getElementById('log');
    return {
      innerWidth: window.innerWidth,
      scrollWidth: document.scrollingElement.scrollWidth,
      logOverflows: logEl.scrollWidth > logEl.clientWidth,
      viewportMeta: (document.querySelector('meta[name="viewport"]') || {}).content || '',
      text: box('text'), send: box('send'), picker: box('transport-pick'), name: box('name'),
    };
  });
  out.phone.own = await ownTexts(phone);
  out.phone.members = await memberNames(phone);
  out.phone.status = await phone.textContent('#status');
  out.phone.transport = await phone.textContent('#transport');
  await phone.evaluate(() => document.getElementById('log').scrollTo(0, 1e9));

  // Screenshots: each desktop tab, both side by side, the phone's screen and its whole page.
  for (let i = 0; i < tabs.length; i++) {
    await tabs[i].evaluate(() => window.scrollTo(0, 0));   // typing scrolled the page
    const file = path.join(config.artifacts, `demo-tab-${i + 1}.png`);
    await tabs[i].screenshot({ path: file });
    out.screenshots.push(file);
  }
  const phoneShot = path.join(config.artifacts, 'demo-phone.png');
  await phone.screenshot({ path: phoneShot });
  const phoneFull = path.join(config.artifacts, 'demo-phone-full.png');
  await phone.screenshot({ path: phoneFull, fullPage: true });
  out.screenshots.push(phoneShot, phoneFull);
  const shots = out.screenshots.slice(0, 2).map((f) => fs.readFileSync(f).toString('base64'));
  const board = await desktop.newPage();
  await board.setViewportSize({ width: 2440, height: 870 });
  await board.setContent(`<body style="margin:0;background:#333;display:flex;gap:20px;padding:10px">` +
    shots.map((s, i) => `<figure style="margin:0;color:#fff;font:14px sans-serif">` +
      `<img style="border:1px solid #999;display:block" src="data:image/png;base64,${s}">` +
      `<figcaption>tab ${i + 1}</figcaption></figure>`).join('') + `</body>`);
  const both = path.join(config.artifacts, 'demo-two-tabs.png');
  await board.screenshot({ path: both });
  out.screenshots.push(both);
  log('[demo] ' + JSON.stringify({ tabs: out.tabs, switches: out.switches, figures: out.figures, phone: out.phone }));
} catch (e) {
  out.error = String(e && e.stack || e).slice(0, 2000);
  out.failedPages = [];
  const pages = tabs.concat(phone ? [phone] : []);
  for (let i = 0; i < pages.length; i++) {
    const info = {};
    try {
      info.status = await pages[i].textContent('#status', { timeout: 2000 });
      info.transport = await pages[i].textContent('#transport', { timeout: 2000 });
      info.log = await pages[i].$$eval('#log > *', (els) => els.map((e) => e.textContent), { timeout: 2000 });
      await pages[i].screenshot({ path: path.join(config.artifacts, `demo-failed-page-${i + 1}.png`) });
    } catch (e2) { info.inspectError = String(e2).slice(0, 300); }
    out.failedPages.push(info);
  }
} finally {
  out.errors = errors;
  for (const context of contexts) await context.close().catch(() => {});
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out) + '\n');
