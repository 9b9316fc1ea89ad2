'use strict';
// Preload for `node -r ./loopback.cjs program.js`: any TCP server that would listen on
// all interfaces (host omitted, '', 0.0.0.0, ::, or any other spelling of the
// unspecified address) listens on the loopback address instead. Test peers such as
// fauxqs hard-code 0.0.0.0; storeflow's tests must never expose them beyond the host.
//
//   LOOPBACK_HOST   address to use instead (default 127.0.0.1)
//   LOOPBACK_DEBUG=1  print each rewrite to stderr
//
// Unix-socket, fd and handle listens are left untouched, as are explicit specific hosts.

const net = require('node:net');

const target = process.env.LOOPBACK_HOST || '127.0.0.1';
const debug = process.env.LOOPBACK_DEBUG === '1';

function isUnspecified(host) {
  if (host === undefined || host === null) return true;
  if (typeof host !== 'string') return false;
  const h = host.trim().replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0' || h === '0') return true;
  // IPv6 unspecified in any notation (::, ::0, 0:0:0:0:0:0:0:0, ::ffff:0.0.0.0)
  if (net.isIPv6(h)) {
    const stripped = h.toLowerCase().replace(/^::ffff:/, '::');
    return /^[0:.]*$/.test(stripped);
  }
  return false;
}

function isPortLike(v) {
  return typeof v === 'number' || (typeof v === 'string' && /^\s*\d+\s*$/.test(v));
}

function note(from, port) {
  if (debug) process.stderr.write(`loopback.cjs: listen(${JSON.stringify(from ?? '')}:${port ?? 0}) -> ${target}\n`);
}

const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function patchedListen(...args) {
  const first = args[0];

  if (first !== null && typeof first === 'object') {
    // listen(options[, cb]) — but not listen(handle) / listen({fd}) / listen({path}).
    const isHandle = first instanceof net.Server || first instanceof net.Socket || '_handle' in first;
    const isOptions = !isHandle && first.path === undefined && first.fd === undefined && first.handle === undefined;
    if (isOptions && isUnspecified(first.host)) {
      note(first.host, first.port);
      args[0] = Object.assign({}, first, { host: target });
      delete args[0].ipv6Only;
    }
  } else if (isPortLike(first)) {
    // listen(port[, host][, backlog][, cb])
    if (typeof args[1] === 'string' || args[1] === null || args[1] === undefined && args.length > 1) {
      if (isUnspecified(args[1])) {
        note(args[1], first);
        args[1] = target;
      }
    } else {
      // host omitted: next arg is backlog (number), callback, or nothing
      note(undefined, first);
      args.splice(1, 0, target);
    }
  } else if (first === undefined || first === null || typeof first === 'function') {
    // listen() / listen(cb): random port on all interfaces
    note(undefined, 0);
    if (first === undefined || first === null) args.splice(0, args.length ? 1 : 0, 0, target);
    else args.unshift(0, target);
  }
  // else: listen(path) for a unix socket / named pipe — untouched

  return originalListen.apply(this, args);
};
