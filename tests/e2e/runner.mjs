// One SockJS scenario, shared by the browser and the Node runs.
// Runs where a global SockJS exists: inside a Chromium page (browser.mjs) or in Node
// (node_client.mjs). It must stay self-contained: Playwright sends its source text.
// Arguments travel as one JSON string: JSON.stringify escapes lone
// surrogates (well-formed JSON.stringify), so every message arrives exactly as built.
export async function runScenario(argJson) {
  const arg = JSON.parse(argJson);
  const messages = arg.messages || [];
  if (arg.loneSurrogates) {
    // built here so that no serialisation layer can touch them
    messages.splice(1, 0, 'lone high \ud800 surrogate', '\udfff', 'pair split: \ud83d|\ude00');
  }
  // The server's documented contract: a lone surrogate arrives as U+FFFD.
  const wellFormed = (s) => {
    if (s.toWellFormed) return s.toWellFormed();
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length &&
          s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
        out += s[i] + s[i + 1]; i++;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        out += '\ufffd';
      } else {
        out += s[i];
      }
    }
    return out;
  };
  const short = (s) => {
    const j = JSON.stringify(s);
    return j.length > 160 ? j.slice(0, 120) + '...(' + s.length + ' chars)...' + j.slice(-30) : j;
  };
  return await new Promise((resolve) => {
    const result = {
      events: [], transport: null, sent: 0, received: 0, mismatches: [], extra: [],
      close: null, timedOut: false, error: null, heartbeats: 0, elapsedMs: 0,
    };
    const t0 = performance.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      result.elapsedMs = Math.round(performance.now() - t0);
      resolve(JSON.stringify(result));
    };
    let sock;
    try {
      const options = arg.transports ? { transports: arg.transports } : {};
      // In Node, node_client.mjs may hand sockjs-client transport options that JSON cannot
      // carry (a websocket extension object for faye-websocket).
      if (globalThis.SOCKJS_TRANSPORT_OPTIONS) options.transportOptions = globalThis.SOCKJS_TRANSPORT_OPTIONS;
      sock = new SockJS(arg.url, null, options);
    } catch (e) {
      result.error = 'constructor: ' + e;
      finish();
      return;
    }
    // Why each transport attempt ended (the client hides it behind 2000 "All transports failed").
    result.transportCloses = [];
    if (typeof sock._transportClose === 'function') {
      const original = sock._transportClose;
      sock._transportClose = function (code, reason) {
        result.transportCloses.push([code, reason, this._transport ? this._transport.transportName : null]);
        return original.call(this, code, reason);
      };
    }
    const timer = setTimeout(() => {
      result.timedOut = true;
      result.readyState = sock.readyState;
      try { sock.close(); } catch (e) { /* ignore */ }
      finish();
    }, arg.timeoutMs);
    // mode "echo-joined": for a byte stream behind the server (python -m txsockjs serve
    // --proxy), where messages may come back split or merged: the echoes, joined, must be
    // the messages, joined.
    const joined = arg.mode === 'echo-joined';
    const expected = joined ? messages.map(wellFormed).join('') : null;
    let got = '';
    sock.onopen = () => {
      result.events.push('open');
      result.transport = sock.transport;
      if (arg.mode === 'echo' || joined) {
        try {
          for (const m of messages) { sock.send(m); result.sent++; }
        } catch (e) {
          result.error = 'send: ' + e;
        }
        if (messages.length === 0) sock.close();
      }
    };
    sock.onheartbeat = () => { result.heartbeats++; };
    sock.onmessage = (e) => {
      if (joined) {
        result.received++;
        got += e.data;
        if (got.length >= expected.length) {
          result.joinedMatches = got === expected;
          result.joinedLength = got.length;
          result.expectedLength = expected.length;
          if (!result.joinedMatches) result.mismatches.push({ expected: short(expected), got: short(got) });
          result.events.push('all-echoed');
          sock.close();
        }
        return;
      }
      const i = result.received++;
      if (i >= messages.length) {
        if (result.extra.length < 5) result.extra.push(short(e.data));
      } else if (e.data !== wellFormed(messages[i])) {
        result.mismatchCount = (result.mismatchCount || 0) + 1;
        if (result.mismatches.length < 5) {
          result.mismatches.push({ index: i, expected: short(wellFormed(messages[i])), got: short(e.data) });
        }
      }
      if (arg.mode === 'echo' && result.received === messages.length) {
        result.events.push('all-echoed');
        sock.close();
      }
    };
    sock.onclose = (e) => {
      result.events.push('close');
      result.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
      clearTimeout(timer);
      // let a late duplicate message show up before we report
      setTimeout(finish, 50);
    };
  });
}
