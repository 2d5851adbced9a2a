// Knock on every SockJS transport URL directly from a page, the way a hostile page could
// without sockjs-client: WebSocket, fetch (no-cors, so the browser sends the request even
// though it will hide the answer), EventSource, a <script> (jsonp) and an <iframe>
// (htmlfile). Runs inside the page (Playwright sends its source text): self-contained.
// The page cannot see most answers; the server's own record of sessions is what the test
// judges. Returns a JSON string: {<attempt>: <what the page could observe>}.
export async function probeTransports(argJson) {
  const arg = JSON.parse(argJson);
  const sid = () => Math.random().toString(16).slice(2, 10) + Date.now().toString(16);
  const url = (transport, extra) =>
    `${arg.serverBase}/${arg.service}/000/${sid()}/${transport}?${arg.query}${extra || ''}`;
  const wsBase = arg.serverBase.replace(/^http/, 'ws');
  const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const out = {};
  // The first thing seen is the answer (closing after 'open' fires more events).
  const record = (name, what) => { if (!(name in out)) out[name] = what; };

  const websocket = (name, target) => new Promise((resolve) => {
    const ws = new WebSocket(target);
    const done = (what) => { record(name, what); try { ws.close(); } catch (e) { /* closed */ } resolve(); };
    ws.onopen = () => done('open');
    ws.onerror = () => done('error');
    ws.onclose = (e) => done('close ' + e.code);
    setTimeout(() => done('timeout'), arg.timeoutMs);
  });
  const post = async (name, target) => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), arg.timeoutMs);
    try {
      const r = await fetch(target, { method: 'POST', mode: 'no-cors', body: '', credentials: 'include',
                                      signal: abort.signal });
      record(name, 'answered (' + r.type + ')');
      abort.abort();
    } catch (e) {
      record(name, 'error ' + String(e).slice(0, 80));
    }
  };
  const eventsource = (name, target) => new Promise((resolve) => {
    const es = new EventSource(target, { withCredentials: true });
    const done = (what) => { record(name, what); es.close(); resolve(); };
    es.onopen = () => done('open');
    es.onerror = () => done('error');
    setTimeout(() => done('timeout'), arg.timeoutMs);
  });
  const element = (name, tag, target) => new Promise((resolve) => {
    const el = document.createElement(tag);
    const done = (what) => { record(name, what); el.remove(); resolve(); };
    el.onload = () => done('load');
    el.onerror = () => done('error');
    el.src = target;
    document.body.appendChild(el);
    setTimeout(() => done('timeout'), arg.timeoutMs);
  });

  await Promise.all([
    websocket('websocket', `${wsBase}/${arg.service}/000/${sid()}/websocket?${arg.query}`),
    websocket('raw_websocket', `${wsBase}/${arg.service}/websocket?${arg.query}`),
    post('xhr', url('xhr')),
    post('xhr_streaming', url('xhr_streaming')),
    eventsource('eventsource', url('eventsource')),
    element('jsonp', 'script', url('jsonp', '&c=probe_cb')),
    element('htmlfile', 'iframe', url('htmlfile', '&c=probe_cb')),
  ]);
  await settle(100);
  return JSON.stringify(out);
}
