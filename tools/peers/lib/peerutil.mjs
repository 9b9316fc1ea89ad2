#!/usr/bin/env node
// Small helpers for peers.sh, so the shell script needs nothing but node (no curl/ss/nc).
//
//   node peerutil.mjs free-ports N
//       Prints N distinct free TCP ports on 127.0.0.1 (space separated). The ports are
//       held open together while choosing, so they are distinct; they are released
//       before printing, so a peer must bind them promptly (peers.sh retries on EADDRINUSE).
//
//   node peerutil.mjs wait --pid PID --timeout SECONDS [--tcp PORT]... [--http URL]...
//       Polls until every --tcp port on 127.0.0.1 accepts a connection and every --http
//       URL answers with a 2xx status. Exit 0 = ready, 1 = timed out, 2 = process PID exited.

import net from 'node:net';
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [cmd, ...rest] = process.argv.slice(2);

function die(msg, code = 64) {
  process.stderr.write(`peerutil: ${msg}\n`);
  process.exit(code);
}

async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen({ port: 0, host: '127.0.0.1', exclusive: true }, resolve);
      });
      servers.push(s);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

function tcpOk(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(1000, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1500 }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 300);
    });
    req.once('timeout', () => { req.destroy(); resolve(false); });
    req.once('error', () => resolve(false));
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  // an exited child not yet reaped by its parent still answers kill(0): look for zombies
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

async function wait(args) {
  let pid = 0;
  let timeout = 30;
  const tcp = [];
  const urls = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[++i];
    if (v === undefined) die(`missing value for ${a}`);
    if (a === '--pid') pid = Number(v);
    else if (a === '--timeout') timeout = Number(v);
    else if (a === '--tcp') tcp.push(Number(v));
    else if (a === '--http') urls.push(v);
    else die(`unknown option ${a}`);
  }
  const deadline = Date.now() + timeout * 1000;
  for (;;) {
    if (pid && !alive(pid)) return 2;
    const results = await Promise.all([...tcp.map(tcpOk), ...urls.map(httpOk)]);
    if (results.every(Boolean)) return 0;
    if (Date.now() >= deadline) return 1;
    await new Promise((r) => setTimeout(r, 150));
  }
}

if (cmd === 'free-ports') {
  const n = Number(rest[0] || '1');
  if (!Number.isInteger(n) || n < 1 || n > 64) die('free-ports N (1..64)');
  console.log((await freePorts(n)).join(' '));
} else if (cmd === 'wait') {
  process.exit(await wait(rest));
} else {
  die('usage: peerutil.mjs free-ports N | wait --pid PID --timeout S [--tcp PORT]... [--http URL]...');
}
