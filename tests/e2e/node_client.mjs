// Drive the real SockJS client (npm sockjs-client 1.6.1) inside Node: the transports it
// supports there (websocket through faye-websocket, xhr-streaming and xhr-polling through
// Node's http module, eventsource through the eventsource package).  A scenario with
// "deflate": true registers the permessage-deflate npm package with faye-websocket, through
// sockjs-client's transportOptions, so its websocket offers compression.
//
// Reads a JSON config on stdin: {serverBase, messageSets, scenarios: [{id, service,
// transports, messages, loneSurrogates, mode, timeoutMs, query}]} (query: a query string
// for the SockJS URL); prints progress on stderr and ONE
// JSON document as the last line of stdout: {node, results: {<id>: {...}}}.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import { runScenario } from './runner.mjs';

const require = createRequire(import.meta.url);
// sockjs-client's Node websocket driver is faye-websocket's Client; wrap it (before the client
// loads it) to record each handshake: what faye offered in Sec-WebSocket-Extensions and what
// the server answered.
let handshakes = [];
const faye = require('faye-websocket');
const FayeClient = faye.Client;
faye.Client = function RecordingClient(url, protocols, options) {
  const ws = new FayeClient(url, protocols, options);
  const entry = { status: null, offer: null, extensions: null };
  handshakes.push(entry);
  const driver = ws._driver;
  const request = driver._handshakeRequest;
  driver._handshakeRequest = function () {
    const bytes = request.call(this);
    const line = bytes.toString('latin1').split('\r\n')
      .find((l) => l.toLowerCase().startsWith('sec-websocket-extensions:'));
    entry.offer = line ? line.slice(line.indexOf(':') + 1).trim() : null;
    return bytes;
  };
  ws.on('open', () => {
    entry.status = driver.statusCode;
    entry.extensions = (driver.headers && driver.headers['sec-websocket-extensions']) || null;
  });
  return ws;
};
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
  handshakes = [];
  // sc.deflate: give faye-websocket the permessage-deflate extension through sockjs-client's
  // public transportOptions (sockjs-client registers none of its own).
  globalThis.SOCKJS_TRANSPORT_OPTIONS = sc.deflate
    ? { websocket: { extensions: [require('permessage-deflate')] } } : null;
  try {
    r = JSON.parse(await runScenario(JSON.stringify(arg)));
  } catch (e) {
    r = { error: 'driver: ' + String(e && e.stack || e).slice(0, 500) };
  }
  r.wsHandshakes = handshakes;
  out.results[sc.id] = r;
  process.stderr.write(`[node] ${sc.id}: transport=${r.transport} received=${r.received}/${r.sent} ` +
    `close=${r.close ? r.close.code + ' ' + r.close.reason : '-'} ${r.error || ''}` +
    `${r.timedOut ? ' TIMED OUT' : ''} (${r.elapsedMs} ms)\n`);
}
process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
