#!/usr/bin/env node
// storeflow test peer: a recording SMTP server built on the `smtp-server` library.
//
// It accepts mail on 127.0.0.1:SMTP_PORT, keeps every accepted message in memory and
// serves it back over a small HTTP API on 127.0.0.1:HTTP_PORT, so integration tests
// can assert on exactly what the email plugin put on the wire.
//
// Environment:
//   SMTP_PORT        SMTP listen port (required; 0 = any free port)
//   HTTP_PORT        readback/control HTTP port (required; 0 = any free port)
//   BIND_HOST        listen address for both (default 127.0.0.1)
//   AUTH_USER/AUTH_PASS  when both are set, AUTH (PLAIN, LOGIN) is required before MAIL
//   REQUIRE_TLS=1    refuse MAIL FROM (530) until the client has issued STARTTLS
//   ALLOW_INSECURE_AUTH=0  refuse AUTH before STARTTLS (default: allowed unless REQUIRE_TLS=1)
//   MAX_SIZE         advertised SIZE limit in bytes (default 10 MiB)
//   PORTS_FILE       if set, "SMTP_PORT=…\nHTTP_PORT=…\n" is written there once listening
//
// Failure injection:
//   RCPT TO:<reject-…@…>    -> 550 5.1.1
//   RCPT TO:<tempfail-…@…>  -> 451 4.3.0
//   header "X-Test-Fail: NNN" (4xx/5xx) -> NNN after DATA, message not stored
//   header "X-Test-Fail: drop"          -> connection closed after DATA without a reply
//   POST /control/down?seconds=N&mode=refuse|421|drop  -> server "down" for N seconds
//        refuse: listener closed (connection refused), 421: greeting is 421 and close,
//        drop: TCP accepted then closed without greeting. Open connections are dropped
//        for refuse and drop. seconds=0 means "until POST /control/up".
//
// HTTP API (JSON):
//   GET    /healthz        {ok, smtpPort, httpPort, down}
//   GET    /messages       [{id, envelope:{from,to[]}, authUser, secure, clientHostname,
//                            remoteAddress, size, raw, receivedAt}]   (?to=addr filters)
//   GET    /messages/ID    one message
//   DELETE /messages       clears, {deleted:n}
//   POST   /control/down   see above;  POST /control/up  ends a down period
//
// One JSON line per event goes to stdout.

import http from 'node:http';
import { SMTPServer } from 'smtp-server';

const env = process.env;
const BIND_HOST = env.BIND_HOST || '127.0.0.1';
const AUTH_USER = env.AUTH_USER || '';
const AUTH_PASS = env.AUTH_PASS || '';
const AUTH_REQUIRED = AUTH_USER !== '' && AUTH_PASS !== '';
const REQUIRE_TLS = env.REQUIRE_TLS === '1';
const ALLOW_INSECURE_AUTH = env.ALLOW_INSECURE_AUTH !== undefined ? env.ALLOW_INSECURE_AUTH === '1' : !REQUIRE_TLS;
const MAX_SIZE = Number(env.MAX_SIZE || 10 * 1024 * 1024);

function portFromEnv(name) {
  const v = env[name];
  if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) {
    console.error(`smtp-peer: ${name} must be set to a port number (0 = any free port)`);
    process.exit(2);
  }
  return Number(v);
}
const SMTP_PORT_WANTED = portFromEnv('SMTP_PORT');
const HTTP_PORT_WANTED = portFromEnv('HTTP_PORT');

function log(event, fields = {}) {
  process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }) + '\n');
}

function smtpError(code, message) {
  const err = new Error(message);
  err.responseCode = code;
  return err;
}

// ---------------------------------------------------------------- state
const messages = [];
let nextId = 1;
let smtpPort = 0;
let httpPort = 0;
// down: null or {mode, until (ms epoch or 0 = open-ended), timer}
let down = null;

// ---------------------------------------------------------------- SMTP
const server = new SMTPServer({
  name: 'smtp-peer.storeflow.test',
  banner: 'storeflow test peer',
  logger: false,                 // we log our own events; also silences the default-cert warning
  secure: false,                 // plain SMTP, STARTTLS offered with smtp-server's built-in self-signed cert
  hideSTARTTLS: false,
  authMethods: ['PLAIN', 'LOGIN'],
  authOptional: !AUTH_REQUIRED,
  allowInsecureAuth: ALLOW_INSECURE_AUTH,
  size: MAX_SIZE,
  disabledCommands: AUTH_REQUIRED ? [] : ['AUTH'],
  closeTimeout: 1000,

  onConnect(session, callback) {
    log('connect', { cid: session.id, remote: session.remoteAddress });
    if (down && down.mode === '421') {
      log('refused', { cid: session.id, reason: 'down', code: 421 });
      return callback(smtpError(421, 'smtp-peer.storeflow.test Service not available (test peer is down)'));
    }
    if (down && down.mode === 'drop') {
      log('dropped', { cid: session.id, reason: 'down' });
      dropConnection(session.id);
      return; // never answer: the socket is gone
    }
    callback();
  },

  onSecure(socket, session, callback) {
    log('starttls', { cid: session.id, protocol: socket.getProtocol ? socket.getProtocol() : undefined });
    callback();
  },

  onAuth(auth, session, callback) {
    const ok = AUTH_REQUIRED && auth.username === AUTH_USER && auth.password === AUTH_PASS;
    log('auth', { cid: session.id, method: auth.method, user: auth.username, ok });
    if (!ok) return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
    callback(null, { user: auth.username });
  },

  onMailFrom(address, session, callback) {
    if (REQUIRE_TLS && !session.secure) {
      log('mail-refused', { cid: session.id, from: address.address, reason: 'tls-required' });
      return callback(smtpError(530, '5.7.0 Must issue a STARTTLS command first'));
    }
    log('mail', { cid: session.id, from: address.address, secure: !!session.secure });
    callback();
  },

  onRcptTo(address, session, callback) {
    const local = String(address.address).split('@')[0].toLowerCase();
    if (local.startsWith('reject-')) {
      log('rcpt-rejected', { cid: session.id, to: address.address, code: 550 });
      return callback(smtpError(550, '5.1.1 Mailbox unavailable (test peer: reject-*)'));
    }
    if (local.startsWith('tempfail-')) {
      log('rcpt-rejected', { cid: session.id, to: address.address, code: 451 });
      return callback(smtpError(451, '4.3.0 Temporary failure, try again later (test peer: tempfail-*)'));
    }
    log('rcpt', { cid: session.id, to: address.address });
    callback();
  },

  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', (err) => callback(err));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (stream.sizeExceeded) {
        log('data-rejected', { cid: session.id, size: raw.length, code: 552 });
        return callback(smtpError(552, '5.3.4 Message exceeds fixed maximum message size'));
      }
      const fail = headerValue(raw, 'x-test-fail');
      if (fail !== undefined) {
        const v = fail.trim().toLowerCase();
        if (v === 'drop') {
          log('data-dropped', { cid: session.id, size: raw.length });
          dropConnection(session.id);
          return;
        }
        if (/^[45]\d\d$/.test(v)) {
          const code = Number(v);
          log('data-rejected', { cid: session.id, size: raw.length, code });
          return callback(smtpError(code, `${code < 500 ? '4.0.0' : '5.0.0'} Rejected by X-Test-Fail header`));
        }
      }
      const msg = {
        id: String(nextId++),
        envelope: {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        },
        authUser: session.user ? (session.user.user ?? session.user) : null,
        secure: !!session.secure,
        clientHostname: session.clientHostname || session.hostNameAppearsAs || '',
        remoteAddress: session.remoteAddress,
        size: raw.length,
        raw: raw.toString('utf8'),
        receivedAt: new Date().toISOString(),
      };
      messages.push(msg);
      log('message', { cid: session.id, id: msg.id, from: msg.envelope.from, to: msg.envelope.to, size: msg.size, secure: msg.secure, authUser: msg.authUser });
      callback(null, `2.0.0 Ok: queued as ${msg.id}`);
    });
  },

  onClose(session) {
    log('close', { cid: session.id });
  },
});

server.on('error', (err) => log('error', { message: err.message, code: err.code }));

// Header lookup on the raw message (header block only, folded lines joined).
function headerValue(raw, name) {
  let text = raw.toString('latin1');
  let end = text.indexOf('\r\n\r\n');
  if (end < 0) end = text.indexOf('\n\n');
  if (end >= 0) text = text.slice(0, end);
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) return line.slice(i + 1).trim();
  }
  return undefined;
}

function dropConnection(cid) {
  for (const conn of server.connections) {
    if (conn.id === cid && conn._socket) conn._socket.destroy();
  }
}

function dropAllConnections() {
  for (const conn of server.connections) {
    if (conn._socket) conn._socket.destroy();
  }
}

function listen(srv, port) {
  return new Promise((resolve, reject) => {
    const onError = (err) => { srv.removeListener('listening', onListening); reject(err); };
    const onListening = () => { srv.removeListener('error', onError); resolve(srv.address().port); };
    srv.once('error', onError);
    srv.once('listening', onListening);
    srv.listen(port, BIND_HOST);
  });
}

function goDown(mode, seconds) {
  if (down) goUp('replaced');
  down = { mode, until: seconds > 0 ? Date.now() + seconds * 1000 : 0, timer: null };
  if (mode === 'refuse') {
    server.server.close();
    dropAllConnections();
  } else if (mode === 'drop') {
    dropAllConnections();
  }
  if (seconds > 0) {
    down.timer = setTimeout(() => goUp('timer'), seconds * 1000);
    down.timer.unref();
  }
  log('down', { mode, seconds });
}

async function goUp(reason) {
  if (!down) return;
  const was = down;
  down = null;
  if (was.timer) clearTimeout(was.timer);
  if (was.mode === 'refuse') {
    try {
      await listen(server.server, smtpPort);
    } catch (err) {
      log('error', { message: `relisten failed: ${err.message}` });
    }
  }
  log('up', { reason });
}

// ---------------------------------------------------------------- HTTP
function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  req.resume();
  req.on('end', async () => {
    try {
      if (req.method === 'GET' && path === '/healthz') {
        return send(res, 200, { ok: true, smtpPort, httpPort, down: down ? { mode: down.mode, until: down.until ? new Date(down.until).toISOString() : null } : false });
      }
      if (path === '/messages') {
        if (req.method === 'GET') {
          const to = url.searchParams.get('to');
          const list = to ? messages.filter((m) => m.envelope.to.some((a) => a.toLowerCase() === to.toLowerCase())) : messages;
          return send(res, 200, list);
        }
        if (req.method === 'DELETE') {
          const n = messages.length;
          messages.length = 0;
          log('cleared', { deleted: n });
          return send(res, 200, { deleted: n });
        }
        return send(res, 405, { error: 'method not allowed' });
      }
      const m = /^\/messages\/([^/]+)$/.exec(path);
      if (m && req.method === 'GET') {
        const msg = messages.find((x) => x.id === m[1]);
        return msg ? send(res, 200, msg) : send(res, 404, { error: 'no such message' });
      }
      if (path === '/control/down' && req.method === 'POST') {
        const mode = url.searchParams.get('mode') || 'refuse';
        const secondsStr = url.searchParams.get('seconds') || '0';
        if (!['refuse', '421', 'drop'].includes(mode) || !/^\d+(\.\d+)?$/.test(secondsStr)) {
          return send(res, 400, { error: 'usage: POST /control/down?seconds=N&mode=refuse|421|drop' });
        }
        goDown(mode, Number(secondsStr));
        return send(res, 200, { down: true, mode, seconds: Number(secondsStr) });
      }
      if (path === '/control/up' && req.method === 'POST') {
        await goUp('request');
        return send(res, 200, { down: false });
      }
      return send(res, 404, { error: 'not found' });
    } catch (err) {
      return send(res, 500, { error: String(err && err.message || err) });
    }
  });
});

// ---------------------------------------------------------------- main
async function main() {
  smtpPort = await listen(server.server, SMTP_PORT_WANTED);
  httpPort = await listen(httpServer, HTTP_PORT_WANTED);
  if (env.PORTS_FILE) {
    const fs = await import('node:fs');
    fs.writeFileSync(env.PORTS_FILE, `SMTP_PORT=${smtpPort}\nHTTP_PORT=${httpPort}\n`);
  }
  log('listening', { host: BIND_HOST, smtpPort, httpPort, authRequired: AUTH_REQUIRED, requireTls: REQUIRE_TLS, allowInsecureAuth: ALLOW_INSECURE_AUTH });
}

function shutdown(sig) {
  log('shutdown', { signal: sig });
  httpServer.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1500).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

main().catch((err) => {
  log('fatal', { message: err.message, code: err.code });
  process.exit(1);
});
