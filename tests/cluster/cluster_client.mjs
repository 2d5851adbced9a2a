// Long-lived sockjs-client connections (npm sockjs-client, from tests/e2e/node_modules) under
// Node, driven line by line: one JSON command per stdin line, one JSON event per stdout line.
//
// commands: {"op": "open", "name": "c1", "url": "http://127.0.0.1:8080/chat",
//             "transports": ["xhr-polling"], "reconnect": true}
//           {"op": "send", "name": "c1", "data": "text"}
//           {"op": "close", "name": "c1"}        {"op": "exit"}
// events:   {"name": "c1", "event": "open", "transport": "...", "generation": 1}
//           {"name": "c1", "event": "message", "data": "...", "generation": 1}
//           {"name": "c1", "event": "close", "code": 1006, "reason": "...", "generation": 1}
// With reconnect, a closed client opens again to the same URL 200 ms later (generation + 1),
// as a SockJS application does: SockJS itself never reconnects.

import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'e2e', 'package.json'));
const SockJS = require('sockjs-client');

const clients = new Map();
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');

function open(spec, generation) {
  const state = { spec, generation, sock: null, closing: false };
  clients.set(spec.name, state);
  const sock = new SockJS(spec.url, null, spec.transports ? { transports: spec.transports } : {});
  state.sock = sock;
  sock.onopen = () => emit({ name: spec.name, event: 'open', transport: sock.transport, generation });
  sock.onmessage = (e) => emit({ name: spec.name, event: 'message', data: e.data, generation });
  sock.onclose = (e) => {
    emit({ name: spec.name, event: 'close', code: e.code, reason: e.reason, generation });
    if (spec.reconnect && !state.closing) {
      setTimeout(() => open(spec, generation + 1), 200);
    }
  };
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line);
  const state = clients.get(command.name);
  if (command.op === 'open') {
    open(command, 1);
  } else if (command.op === 'send') {
    try {
      state.sock.send(command.data);
    } catch (e) {
      emit({ name: command.name, event: 'error', error: String(e) });
    }
  } else if (command.op === 'close') {
    state.closing = true;
    state.sock.close();
  } else if (command.op === 'exit') {
    for (const each of clients.values()) {
      each.closing = true;
      try { each.sock.close(); } catch (e) { /* already closed */ }
    }
    setTimeout(() => process.exit(0), 100);
  }
});
lines.on('close', () => process.exit(0));
