// Drive the real SockJS client (npm sockjs-client 1.6.1) in Debian's headless Chromium.
//
// Reads a JSON config on stdin, runs every scenario, prints progress on stderr and ONE JSON
// document as the last line of stdout: {browser, results: {<scenario id>: {...}}}.
// tests/e2e/test_e2e_browser.py builds the config and judges the results.
//
// Config: {
//   chromium: "/usr/bin/chromium", artifacts: "<dir>", concurrency: 3,
//   staticBase: "http://127.0.0.1:S"   (serves /sockjs.min.js and /pages/blank.html),
//   serverBase: "http://127.0.0.1:P"   (python -m txsockjs conformance; https:// over TLS),
//   ignoreHTTPSErrors: bool            (the servers' self-signed certificate, over TLS),
//   messageSets: {name: [strings]},
//   scenarios: [{id, origin: "cross"|"same", service, transports: [..]|null,
//                messages: <set name>|null, mode: "echo"|"wait-close",
//                cookies: bool, timeoutMs, pageBase, query}]
// }
// "cross": the page comes from the static server (another port: another origin), or from
// sc.pageBase when set (another static server: yet another origin).
// mode "probe": no sockjs-client; probe.mjs knocks on every transport URL directly.
// sc.query: a query string for the SockJS URL.
// "same": the page is served at serverBase/__e2e__/blank.html (Playwright answers that one
// URL itself; every other request, websocket included, goes to the real server), so the
// page and the SockJS server share an origin.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScenario as runInPage } from './runner.mjs';
import { probeTransports } from './probe.mjs';

const config = JSON.parse(fs.readFileSync(0, 'utf8'));
const log = (...args) => process.stderr.write(args.join(' ') + '\n');

const SAME_ORIGIN_PAGE = (staticBase) => `<!doctype html>
<html><head><meta charset="utf-8"><title>txsockjs e2e (same origin)</title>
<script src="${staticBase}/sockjs.min.js"></script></head>
<body><p>txsockjs end-to-end page, served on the SockJS server's origin</p></body></html>`;

// A header's value from CDP's headers object (names in any case), or null.
function headerValue(headers, name) {
  for (const [key, value] of Object.entries(headers || {})) {
    if (key.toLowerCase() === name) return value;
  }
  return null;
}

async function runScenario(context, sc) {
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && consoleErrors.length < 10) consoleErrors.push(msg.text().slice(0, 300));
  });
  page.on('pageerror', (err) => {
    if (consoleErrors.length < 10) consoleErrors.push('pageerror: ' + String(err).slice(0, 300));
  });
  // A request that failed (the client script from the static server, say) is named in the
  // result, so a page that never got window.SockJS says why instead of only timing out.
  page.on('requestfailed', (req) => {
    if (consoleErrors.length < 10) {
      consoleErrors.push(`requestfailed: ${req.url().slice(0, 200)} ${(req.failure() || {}).errorText}`);
    }
  });
  const pageUrl = sc.origin === 'same'
    ? `${config.serverBase}/__e2e__/blank.html`
    : `${sc.pageBase || config.staticBase}/pages/blank.html`;
  // The WebSocket handshakes of this page, from Chromium's own network log (CDP): what the
  // browser offered in Sec-WebSocket-Extensions and what the server answered.
  const handshakes = [];
  const cdp = await context.newCDPSession(page);
  const offers = new Map();
  cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => {
    offers.set(e.requestId, headerValue(e.request.headers, 'sec-websocket-extensions'));
  });
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => {
    handshakes.push({ status: e.response.status, offer: offers.get(e.requestId) ?? null,
                      extensions: headerValue(e.response.headers, 'sec-websocket-extensions') });
  });
  await cdp.send('Network.enable');
  let result;
  try {
    if (sc.cookies) await context.clearCookies();
    await page.goto(pageUrl, { waitUntil: 'load', timeout: 15000 });
    await page.waitForFunction(() => typeof window.SockJS === 'function', null, { timeout: 10000 });
    const arg = {
      url: `${config.serverBase}/${sc.service}` + (sc.query ? '?' + sc.query : ''),
      serverBase: config.serverBase,
      service: sc.service,
      query: sc.query || '',
      transports: sc.transports,
      messages: sc.messages ? config.messageSets[sc.messages] : [],
      loneSurrogates: !!sc.loneSurrogates,
      mode: sc.mode,
      timeoutMs: sc.timeoutMs || 30000,
    };
    const json = await page.evaluate(sc.mode === 'probe' ? probeTransports : runInPage,
                                     JSON.stringify(arg));
    result = JSON.parse(json);
    result.pageOrigin = await page.evaluate(() => location.origin);
    if (sc.cookies) {
      result.cookies = (await context.cookies(config.serverBase))
        .map((c) => ({ name: c.name, value: c.value, path: c.path }));
    }
  } catch (e) {
    result = { error: 'driver: ' + String(e).slice(0, 500) + (consoleErrors.length
      ? ' (page: ' + consoleErrors.join(' | ').slice(0, 700) + ')' : '') };
  } finally {
    await page.close().catch(() => {});
  }
  result.consoleErrors = consoleErrors;
  result.wsHandshakes = handshakes;
  return result;
}

async function main() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'txsockjs-chromium-'));
  let context;
  const out = { browser: null, results: {} };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: config.chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 700 },
      // The same-origin page below is answered by Playwright, so Chromium cannot know it came
      // from a loopback address; grant what a page really served from 127.0.0.1 would have.
      permissions: ['local-network-access'],
      // https/wss to a server with a self-signed certificate (Chromium reads trust from an
      // NSS database, not from a file we could hand it).
      ignoreHTTPSErrors: !!config.ignoreHTTPSErrors,
    });
    out.browser = context.browser() ? context.browser().version() : 'chromium';
    // The same-origin test page: this one URL only; everything else reaches the network.
    await context.route(`${config.serverBase}/__e2e__/**`, (route) => route.fulfill({
      status: 200, contentType: 'text/html; charset=utf-8', body: SAME_ORIGIN_PAGE(config.staticBase),
    }));

    const parallel = config.scenarios.filter((s) => !s.cookies);
    const serial = config.scenarios.filter((s) => s.cookies); // they share the cookie jar
    const concurrency = Math.max(1, config.concurrency || 1);
    let next = 0;
    const worker = async () => {
      while (next < parallel.length) {
        const sc = parallel[next++];
        const r = await runScenario(context, sc);
        out.results[sc.id] = r;
        log(`[browser] ${sc.id}: transport=${r.transport} received=${r.received}/${r.sent} ` +
            `close=${r.close ? r.close.code + ' ' + r.close.reason : '-'} ${r.error || ''}` +
            `${r.timedOut ? ' TIMED OUT' : ''} (${r.elapsedMs} ms)`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    for (const sc of serial) {
      const r = await runScenario(context, sc);
      out.results[sc.id] = r;
      log(`[browser] ${sc.id}: transport=${r.transport} received=${r.received}/${r.sent} ` +
          `cookies=${JSON.stringify(r.cookies)} close=${r.close ? r.close.code : '-'} ${r.error || ''}`);
    }
  } catch (e) {
    out.fatal = String(e && e.stack || e).slice(0, 2000);
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
