// Drive the real SockJS client (npm sockjs-client 1.6.1) inside Node: the transports it
// supports there (websocket through faye-websocket, xhr-streaming and xhr-polling through
// Node's http module, eventsource through the eventsource package).
//
// Reads a JSON config on stdin: {serverBase, messageSets, scenarios: [{id, service,
// transports, messages, loneSurrogates, mode, timeoutMs, query}]} (query: a query string
// for the SockJS URL); prints progress on stderr and ONE
// JSON document as the last line of stdout: {node, results: {<id>: {...}}}.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import { runScenario } from './runner.mjs';

const require = createRequire(import.meta.url);
globalThis.SockJS = require('sockjs-client');

const config = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = { node: process.version, results: {} };
for (const sc of config.scenarios) {
  const arg = {
    url: `${config.serverBase}/${sc.service}` + (sc.query ? '?' + sc.query : ''),
    transports: sc.transports,
    messages: sc.messages ? config.messageSets[sc.messages].slice() : [],
    loneSurrogates: !!sc.loneSurrogates,
    mode: sc.mode,
    timeoutMs: sc.timeoutMs || 30000,
  };
  let r;
  try {
    r = JSON.parse(await runScenario(JSON.stringify(arg)));
  } catch (e) {
    r = { error: 'driver: ' + String(e && e.stack || e).slice(0, 500) };
  }
  out.results[sc.id] = r;
  process.stderr.write(`[node] ${sc.id}: transport=${r.transport} received=${r.received}/${r.sent} ` +
    `close=${r.close ? r.close.code + ' ' + r.close.reason : '-'} ${r.error || ''}` +
    `${r.timedOut ? ' TIMED OUT' : ''} (${r.elapsedMs} ms)\n`);
}
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
