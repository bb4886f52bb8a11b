// Preload (`node -r ./loopback.js ...`) that makes every TCP server in this process bind 127.0.0.1.
//
// The Agents Playground calls `server.listen(port)` without a host, which Node binds to every
// interface (`::`/`0.0.0.0`). Its mock Teams connector accepts unauthenticated requests, so the
// end-to-end tests force loopback here instead of trusting a flag. Unix sockets, pipes and
// handles (`listen("/path")`, `listen({path})`, `listen({fd})`, `listen(handle)`) pass through.
"use strict";

const net = require("net");

const LOOPBACK = "127.0.0.1";
const original = net.Server.prototype.listen;

function isPort(value) {
  return typeof value === "number" || (typeof value === "string" && /^\d+$/.test(value));
}

net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (args.length === 0 || typeof first === "function" || first === undefined || first === null) {
    // listen() / listen(cb): a random port on all interfaces -> a random port on loopback.
    return original.call(this, { port: 0, host: LOOPBACK }, ...args.filter((a) => typeof a === "function"));
  }
  if (isPort(first)) {
    // listen(port[, host][, backlog][, cb]): replace or insert the host.
    const rest = args.slice(1);
    if (typeof rest[0] === "string" || rest[0] === undefined || rest[0] === null) {
      rest.shift();
    }
    return original.call(this, first, LOOPBACK, ...rest);
  }
  if (typeof first === "object" && !first._handle && first.fd === undefined && first.path === undefined
      && !(first instanceof net.Server) && ("port" in first || "host" in first)) {
    // listen({port, host, ...}[, cb]).
    return original.call(this, { ...first, host: LOOPBACK }, ...args.slice(1));
  }
  return original.apply(this, args);
};

if (process.env.AARHUSAI_LOOPBACK_DEBUG) {
  process.stderr.write(`[loopback.js] net.Server.prototype.listen forced to ${LOOPBACK}\n`);
}
