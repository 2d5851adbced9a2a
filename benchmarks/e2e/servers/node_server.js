// sockjs-node 0.3.24 rival server for the txsockjs end-to-end benchmark.
// Services at the same paths as `python -m txsockjs conformance`:
//   /echo       every message is sent back to its session
//   /broadcast  every message is sent to every open session of the service
// Usage: node node_server.js [--port N]   (binds 127.0.0.1 only)
'use strict';
const http = require('http');
const sockjs = require('sockjs');

let port = 8081;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = parseInt(args[++i], 10);
}

const quiet = { sockjs_url: 'http://127.0.0.1/sockjs.js', log: function () {} };

const echo = sockjs.createServer(quiet);
echo.on('connection', function (conn) {
  conn.on('data', function (m) { conn.write(m); });
});

const members = new Set();
const broadcast = sockjs.createServer(quiet);
broadcast.on('connection', function (conn) {
  members.add(conn);
  conn.on('data', function (m) {
    for (const c of members) c.write(m);
  });
  conn.on('close', function () { members.delete(conn); });
});

const server = http.createServer();
echo.installHandlers(server, { prefix: '/echo' });
broadcast.installHandlers(server, { prefix: '/broadcast' });
server.listen(port, '127.0.0.1', 511, function () {
  console.log('sockjs-node ' + require('sockjs/package.json').version +
              ' listening on http://127.0.0.1:' + port);
});
