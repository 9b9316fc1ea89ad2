#!/usr/bin/env node
// Smoke checks against running test peers (started by peers.sh; see smoke.sh).
//
//   node smoke.mjs --dir DIR [--result FILE]
//
// Reads DIR/{smtp,fauxqs,s3rver,ses}.env, talks to each peer with a real client over
// loopback (nodemailer for SMTP; plain HTTP with AWS SigV4 signing for SQS, S3, SES)
// and prints one "ok - …" / "not ok - …" line per check. With --result it writes
// "PASSED FAILED" to FILE; without it, it prints "N passed, M failed" last.
// Exit status: 0 when every check passed.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- args / env
const argv = process.argv.slice(2);
function opt(name) {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}
const DIR = opt('--dir');
const RESULT = opt('--result');
if (!DIR) {
  console.error('usage: node smoke.mjs --dir DIR [--result FILE]');
  process.exit(64);
}

function readEnv(name) {
  const file = path.join(DIR, `${name}.env`);
  const out = {};
  if (!fs.existsSync(file)) return null;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

// ---------------------------------------------------------------- tiny test runner
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}: ${err && err.message ? err.message : err}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
function eq(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- AWS SigV4 (header form)
const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();
const rfc3986 = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function signV4({ method, url, region, service, accessKey, secretKey, headers = {}, body = '' }) {
  const u = new URL(url);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const h = { host: u.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = String(v);
  const names = Object.keys(h).sort();
  const canonicalHeaders = names.map((k) => `${k}:${h[k].trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const query = [...u.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [method, u.pathname || '/', query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secretKey, day), region), service), 'aws4_request');
  const signature = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
  delete h.host; // fetch sets Host itself, to the same value
  h.authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return h;
}

async function aws(creds, service, method, url, { headers = {}, body = '' } = {}) {
  const signed = signV4({ method, url, service, body, headers, ...creds });
  const res = await fetch(url, { method, headers: signed, body: method === 'GET' || method === 'HEAD' ? undefined : body });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

// ---------------------------------------------------------------- SMTP
async function smtpChecks(env) {
  const base = env.SMTP_HTTP_URL;
  const port = Number(env.SMTP_PORT);
  const transport = (extra = {}) =>
    nodemailer.createTransport({
      host: env.SMTP_HOST, port, secure: false, requireTLS: true,
      auth: { user: env.SMTP_USER, pass: env.SMTP_PASS },
      tls: { rejectUnauthorized: false }, // the peer uses smtp-server's built-in self-signed cert
      connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000,
      ...extra,
    });
  const mail = (to, extra = {}) => ({
    from: 'Shop <orders@shop.storeflow.test>', to, subject: 'Order #1001 confirmed',
    text: 'Thanks for your order.\r\nIt ships tomorrow.', ...extra,
  });
  const codeOf = async (p) => {
    try {
      await p;
      return 'accepted';
    } catch (err) {
      return err.responseCode ?? err.code ?? String(err.message);
    }
  };

  await check('smtp: GET /healthz', async () => {
    const r = await fetch(`${base}/healthz`);
    eq(r.status, 200, 'status');
    eq((await r.json()).ok, true, 'ok');
  });
  await check('smtp: DELETE /messages clears', async () => {
    const r = await fetch(`${base}/messages`, { method: 'DELETE' });
    eq(r.status, 200, 'status');
    eq(await (await fetch(`${base}/messages`)).json(), [], 'messages after clear');
  });
  await check('smtp: nodemailer STARTTLS + AUTH send is recorded', async () => {
    const info = await transport().sendMail(mail(['alice@example.test', 'bob@example.test'], { headers: { 'X-Storeflow-Run': 'smoke' } }));
    eq(info.accepted, ['alice@example.test', 'bob@example.test'], 'accepted');
    const list = await (await fetch(`${base}/messages`)).json();
    eq(list.length, 1, 'message count');
    const m = list[0];
    eq(m.envelope, { from: 'orders@shop.storeflow.test', to: ['alice@example.test', 'bob@example.test'] }, 'envelope');
    eq(m.authUser, env.SMTP_USER, 'authUser');
    eq(m.secure, true, 'secure (STARTTLS used)');
    assert(/^Subject: Order #1001 confirmed\r$/m.test(m.raw), 'raw has Subject header');
    assert(/^X-Storeflow-Run: smoke\r$/m.test(m.raw), 'raw has custom header');
    assert(m.raw.includes('Thanks for your order.'), 'raw has body');
    assert(!Number.isNaN(Date.parse(m.receivedAt)), 'receivedAt is a date');
  });
  await check('smtp: reject-* recipient gets 550', async () => {
    eq(await codeOf(transport().sendMail(mail('reject-nobody@example.test'))), 550, 'code');
  });
  await check('smtp: tempfail-* recipient gets 451', async () => {
    eq(await codeOf(transport().sendMail(mail('tempfail-later@example.test'))), 451, 'code');
  });
  await check('smtp: X-Test-Fail: 554 header gets 554 after DATA', async () => {
    eq(await codeOf(transport().sendMail(mail('carol@example.test', { headers: { 'X-Test-Fail': '554' } }))), 554, 'code');
  });
  await check('smtp: wrong password gets 535', async () => {
    eq(await codeOf(transport({ auth: { user: env.SMTP_USER, pass: 'wrong' } }).sendMail(mail('dave@example.test'))), 535, 'code');
  });
  await check('smtp: MAIL without AUTH gets 530', async () => {
    eq(await codeOf(transport({ auth: undefined }).sendMail(mail('erin@example.test'))), 530, 'code');
  });
  await check('smtp: X-Test-Fail: drop closes the connection mid-transaction', async () => {
    const c = await codeOf(transport().sendMail(mail('frank@example.test', { headers: { 'X-Test-Fail': 'drop' } })));
    assert(c !== 'accepted' && typeof c !== 'number', `expected a connection error, got ${c}`);
  });
  await check('smtp: /control/down mode=421 then /control/up', async () => {
    eq((await fetch(`${base}/control/down?mode=421&seconds=30`, { method: 'POST' })).status, 200, 'down status');
    eq(await codeOf(transport().sendMail(mail('gina@example.test'))), 421, 'code while down');
    eq((await fetch(`${base}/control/up`, { method: 'POST' })).status, 200, 'up status');
    eq(await codeOf(transport().sendMail(mail('gina@example.test'))), 'accepted', 'after up');
  });
  await check('smtp: /control/down mode=refuse for 1s refuses, then recovers by itself', async () => {
    eq((await fetch(`${base}/control/down?mode=refuse&seconds=1`, { method: 'POST' })).status, 200, 'down status');
    try {
      await transport().sendMail(mail('hank@example.test'));
      throw new Error('accepted while down');
    } catch (err) {
      assert(/ECONNREFUSED/.test(`${err.code} ${err.message}`), `expected connection refused, got ${err.code} ${err.message}`);
    }
    await sleep(1300);
    eq(await codeOf(transport().sendMail(mail('hank@example.test'))), 'accepted', 'after the down period');
  });
  await check('smtp: only accepted messages were recorded', async () => {
    const list = await (await fetch(`${base}/messages`)).json();
    eq(list.map((m) => m.envelope.to.join(',')), ['alice@example.test,bob@example.test', 'gina@example.test', 'hank@example.test'], 'recipients');
  });
}

// A second, private smtp-peer with REQUIRE_TLS=1 and no AUTH, on ports it picks itself.
async function smtpRequireTlsChecks() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-peer-tls-'));
  const portsFile = path.join(tmp, 'ports');
  const child = spawn(process.execPath, [path.join(HERE, 'smtp-peer.mjs')], {
    env: { ...process.env, SMTP_PORT: '0', HTTP_PORT: '0', REQUIRE_TLS: '1', PORTS_FILE: portsFile, AUTH_USER: '', AUTH_PASS: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    let ports = null;
    for (let i = 0; i < 100 && !ports; i++) {
      await sleep(100);
      if (fs.existsSync(portsFile)) ports = Object.fromEntries(fs.readFileSync(portsFile, 'utf8').trim().split('\n').map((l) => l.split('=')));
    }
    await check('smtp REQUIRE_TLS=1: peer started with SMTP_PORT=0/HTTP_PORT=0 and wrote PORTS_FILE', async () => {
      assert(ports && Number(ports.SMTP_PORT) > 0 && Number(ports.HTTP_PORT) > 0, 'no ports file');
    });
    if (!ports) return;
    const t = (extra) => nodemailer.createTransport({ host: '127.0.0.1', port: Number(ports.SMTP_PORT), secure: false, tls: { rejectUnauthorized: false }, ...extra });
    const msg = { from: 'a@shop.storeflow.test', to: 'b@example.test', subject: 'tls', text: 'x' };
    await check('smtp REQUIRE_TLS=1: MAIL before STARTTLS gets 530', async () => {
      let code = 'accepted';
      try { await t({ ignoreTLS: true }).sendMail(msg); } catch (err) { code = err.responseCode; }
      eq(code, 530, 'code');
    });
    await check('smtp REQUIRE_TLS=1: after STARTTLS mail is accepted (secure=true, authUser=null)', async () => {
      await t({ requireTLS: true }).sendMail(msg);
      const list = await (await fetch(`http://127.0.0.1:${ports.HTTP_PORT}/messages`)).json();
      eq(list.map((m) => [m.secure, m.authUser]), [[true, null]], 'secure/authUser');
    });
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- SQS (fauxqs, JSON protocol)
async function sqsChecks(env) {
  const ep = env.SQS_ENDPOINT;
  const creds = { region: env.FAUXQS_REGION, accessKey: env.FAUXQS_ACCESS_KEY_ID, secretKey: env.FAUXQS_SECRET_ACCESS_KEY };
  const call = async (action, payload) => {
    const body = JSON.stringify(payload);
    const r = await aws(creds, 'sqs', 'POST', `${ep}/`, {
      body, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
    });
    if (r.status !== 200) throw new Error(`${action}: HTTP ${r.status} ${r.text}`);
    return r.json();
  };
  await check('fauxqs: GET /health', async () => {
    eq((await fetch(`${ep}/health`)).status, 200, 'status');
  });
  let queueUrl;
  await check('fauxqs: SQS CreateQueue / SendMessage / ReceiveMessage / DeleteMessage', async () => {
    ({ QueueUrl: queueUrl } = await call('CreateQueue', { QueueName: 'storeflow-smoke' }));
    assert(/\/storeflow-smoke$/.test(queueUrl), `QueueUrl ${queueUrl}`);
    const sent = await call('SendMessage', { QueueUrl: queueUrl, MessageBody: '{"order":1001}', MessageAttributes: { kind: { DataType: 'String', StringValue: 'order' } } });
    eq(sent.MD5OfMessageBody, crypto.createHash('md5').update('{"order":1001}').digest('hex'), 'MD5OfMessageBody');
    const got = await call('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] });
    eq(got.Messages.map((m) => m.Body), ['{"order":1001}'], 'bodies');
    eq(got.Messages[0].MessageAttributes.kind.StringValue, 'order', 'attribute');
    await call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle });
    const again = await call('ReceiveMessage', { QueueUrl: queueUrl, WaitTimeSeconds: 0 });
    eq((again.Messages || []).length, 0, 'messages after delete');
  });
  await check('fauxqs: SQS FIFO queue keeps order per group', async () => {
    const { QueueUrl } = await call('CreateQueue', { QueueName: 'storeflow-smoke.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' } });
    for (const b of ['a', 'b', 'c']) await call('SendMessage', { QueueUrl, MessageBody: b, MessageGroupId: 'g1' });
    const bodies = [];
    for (let i = 0; i < 5 && bodies.length < 3; i++) {
      const got = await call('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10 });
      for (const m of got.Messages || []) {
        bodies.push(m.Body);
        await call('DeleteMessage', { QueueUrl, ReceiptHandle: m.ReceiptHandle });
      }
    }
    eq(bodies, ['a', 'b', 'c'], 'order');
  });
  await check('fauxqs: S3 PUT/GET object', async () => {
    const s3 = env.FAUXQS_S3_ENDPOINT;
    let r = await aws(creds, 's3', 'PUT', `${s3}/storeflow-smoke`);
    eq(r.status, 200, `create bucket (${r.text})`);
    r = await aws(creds, 's3', 'PUT', `${s3}/storeflow-smoke/exports/a.json`, { body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    eq(r.status, 200, `put object (${r.text})`);
    r = await aws(creds, 's3', 'GET', `${s3}/storeflow-smoke/exports/a.json`);
    eq([r.status, r.text], [200, '{"a":1}'], 'get object');
  });
}

// ---------------------------------------------------------------- S3 (s3rver)
async function s3Checks(env) {
  const ep = env.S3_ENDPOINT;
  const creds = { region: env.S3_REGION, accessKey: env.S3_ACCESS_KEY_ID, secretKey: env.S3_SECRET_ACCESS_KEY };
  await check('s3rver: signed CreateBucket / PutObject / GetObject / ListObjectsV2', async () => {
    let r = await aws(creds, 's3', 'PUT', `${ep}/storeflow-smoke`);
    eq(r.status, 200, `create bucket (${r.text})`);
    const body = 'sku,qty\nA-1,3\n';
    r = await aws(creds, 's3', 'PUT', `${ep}/storeflow-smoke/reports/2024-01-01.csv`, { body, headers: { 'content-type': 'text/csv' } });
    eq(r.status, 200, `put object (${r.text})`);
    r = await aws(creds, 's3', 'GET', `${ep}/storeflow-smoke/reports/2024-01-01.csv`);
    eq([r.status, r.text], [200, body], 'get object');
    r = await aws(creds, 's3', 'GET', `${ep}/storeflow-smoke?list-type=2&prefix=reports%2F`);
    eq(r.status, 200, 'list status');
    assert(r.text.includes('<Key>reports/2024-01-01.csv</Key>'), `list has key: ${r.text.slice(0, 200)}`);
  });
  await check('s3rver: unknown access key is refused (403 InvalidAccessKeyId)', async () => {
    const r = await aws({ ...creds, accessKey: 'NOPE' }, 's3', 'GET', `${ep}/storeflow-smoke/reports/2024-01-01.csv`);
    eq(r.status, 403, 'status');
    assert(r.text.includes('InvalidAccessKeyId'), r.text);
  });
}

// ---------------------------------------------------------------- SES v2 (aws-ses-v2-local)
async function sesChecks(env) {
  const ep = env.SES_ENDPOINT;
  const creds = { region: env.SES_REGION, accessKey: env.SES_ACCESS_KEY_ID, secretKey: env.SES_SECRET_ACCESS_KEY };
  await check('ses: GET /health-check', async () => {
    eq((await fetch(`${ep}/health-check`)).status, 200, 'status');
  });
  await check('ses: SendEmail (POST /v2/email/outbound-emails) is readable from GET /store', async () => {
    await fetch(`${ep}/clear-store`, { method: 'POST' });
    const body = JSON.stringify({
      FromEmailAddress: 'orders@shop.storeflow.test',
      Destination: { ToAddresses: ['alice@example.test'] },
      Content: { Simple: { Subject: { Data: 'Your order shipped' }, Body: { Text: { Data: 'Tracking: 1Z999' } } } },
    });
    const r = await aws(creds, 'ses', 'POST', `${ep}/v2/email/outbound-emails`, { body, headers: { 'content-type': 'application/json' } });
    eq(r.status, 200, `status (${r.text})`);
    const id = r.json().MessageId;
    assert(id, 'MessageId');
    const store = await (await fetch(`${ep}/store`)).json();
    const e = store.emails.find((x) => x.messageId === id);
    assert(e, 'email in store');
    eq([e.from, e.destination.to, e.subject, e.body.text], ['orders@shop.storeflow.test', ['alice@example.test'], 'Your order shipped', 'Tracking: 1Z999'], 'stored email');
  });
  await check('ses: GetAccount returns the configured account', async () => {
    const r = await aws(creds, 'ses', 'GET', `${ep}/v2/email/account`);
    eq(r.status, 200, `status (${r.text})`);
    eq(r.json().SendingEnabled, true, 'SendingEnabled');
  });
  await check('ses: request without Authorization is refused (403)', async () => {
    const r = await fetch(`${ep}/v2/email/outbound-emails`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    eq(r.status, 403, 'status');
  });
}

// ---------------------------------------------------------------- loopback only
// Every listening TCP socket owned by a peer process must be bound to 127.0.0.1.
function listeningSocketsOf(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch { /* fd closed meanwhile */ }
  }
  const out = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9])) continue; // 0A = LISTEN
      const [addrHex, portHex] = f[1].split(':');
      const port = parseInt(portHex, 16);
      let addr;
      if (!v6) addr = addrHex.match(/../g).reverse().map((b) => parseInt(b, 16)).join('.');
      else addr = addrHex === '00000000000000000000000001000000' ? '::1' : addrHex === '0000000000000000FFFF00000100007F' ? '::ffff:127.0.0.1' : `v6:${addrHex}`;
      out.push(`${addr}:${port}`);
    }
  }
  return out;
}

async function loopbackChecks() {
  for (const name of ['smtp', 'fauxqs', 's3rver', 'ses']) {
    const pidFile = path.join(DIR, `${name}.pid`);
    if (!fs.existsSync(pidFile)) continue;
    const pid = fs.readFileSync(pidFile, 'utf8').trim();
    await check(`loopback: ${name} (pid ${pid}) listens on 127.0.0.1 only`, async () => {
      const socks = listeningSocketsOf(pid);
      assert(socks.length > 0, 'no listening sockets found');
      const bad = socks.filter((s) => !s.startsWith('127.0.0.1:'));
      assert(bad.length === 0, `non-loopback listeners: ${bad.join(' ')} (all: ${socks.join(' ')})`);
      console.log(`#   ${name}: ${socks.join(' ')}`);
    });
  }
}

// ---------------------------------------------------------------- main
const envs = Object.fromEntries(['smtp', 'fauxqs', 's3rver', 'ses'].map((n) => [n, readEnv(n)]));
await loopbackChecks();
for (const [name, fn] of [['smtp', smtpChecks], ['fauxqs', sqsChecks], ['s3rver', s3Checks], ['ses', sesChecks]]) {
  if (envs[name]) await fn(envs[name]);
  else await check(`${name}: env file present`, () => { throw new Error(`${DIR}/${name}.env missing`); });
}
if (envs.smtp) await smtpRequireTlsChecks();

if (RESULT) fs.writeFileSync(RESULT, `${passed} ${failed}\n`);
else console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
