// A minimal Lambda Runtime API (2018-06-01) in Node, enough to drive a function's bootstrap
// without the local service: a queue of events, /next long-polls, /response and /error resolve
// the invocation's promise. Used by the JIT-row tests.
import http from "node:http";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";

export class RuntimeApi {
  #server;
  #pending = []; // invocations not yet handed out
  #waiters = []; // /next requests waiting for an event
  #inflight = new Map(); // request id -> {resolve}
  initError = null;
  #initErrorWaiters = [];
  nextCount = 0;

  async start() {
    this.#server = http.createServer((req, res) => this.#route(req, res));
    this.#server.keepAliveTimeout = 0;
    await new Promise((ok) => this.#server.listen(0, "127.0.0.1", ok));
    return `127.0.0.1:${this.#server.address().port}`;
  }

  async stop() {
    for (const w of this.#waiters) w.destroy();
    this.#server.closeAllConnections?.();
    await new Promise((ok) => this.#server.close(ok));
  }

  // Resolves to {kind: "response"|"error", body: string, headers}.
  invoke(payload) {
    const id = randomUUID();
    const done = new Promise((resolve) => this.#inflight.set(id, { resolve }));
    this.#pending.push({ id, payload });
    this.#dispatch();
    return done;
  }

  waitInitError() {
    if (this.initError) return Promise.resolve(this.initError);
    return new Promise((ok) => this.#initErrorWaiters.push(ok));
  }

  #dispatch() {
    while (this.#pending.length && this.#waiters.length) {
      const res = this.#waiters.shift();
      const { id, payload } = this.#pending.shift();
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": id,
        "Lambda-Runtime-Deadline-Ms": String(Date.now() + 30000),
        "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:000000000000:function:test",
        "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
      });
      res.end(payload);
    }
  }

  #route(req, res) {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const url = req.url;
      const accepted = () => {
        res.writeHead(202, { "Content-Type": "application/json" });
        res.end('{"status":"OK"}');
      };
      if (req.method === "GET" && url === "/2018-06-01/runtime/invocation/next") {
        this.nextCount++;
        this.#waiters.push(res);
        this.#dispatch();
        return;
      }
      let m = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
      if (req.method === "POST" && m && this.#inflight.has(m[1])) {
        const { resolve } = this.#inflight.get(m[1]);
        this.#inflight.delete(m[1]);
        accepted();
        resolve({ kind: m[2], body, headers: req.headers });
        return;
      }
      if (req.method === "POST" && url === "/2018-06-01/runtime/init/error") {
        accepted();
        this.initError = { body, headers: req.headers };
        for (const w of this.#initErrorWaiters.splice(0)) w(this.initError);
        return;
      }
      res.writeHead(400, { "Content-Type": "application/json" });
      res.end('{"errorMessage":"unknown request","errorType":"InvalidRequestID"}');
    });
  }
}

// Starts DIR/bootstrap as the local service would. Returns the child; output is collected.
export function startBootstrap(dir, api, env = {}) {
  const child = spawn(`${dir}/bootstrap`, [], {
    cwd: "/",
    env: {
      PATH: process.env.PATH,
      LANG: "C.UTF-8",
      TZ: ":UTC",
      AWS_LAMBDA_RUNTIME_API: api,
      LAMBDA_TASK_ROOT: dir,
      _HANDLER: "index.handler",
      AWS_LAMBDA_FUNCTION_NAME: "test",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_REGION: "us-east-1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.output = "";
  child.stdout.on("data", (d) => (child.output += d));
  child.stderr.on("data", (d) => (child.output += d));
  return child;
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once("exit", ok));
  child.kill("SIGKILL");
  await exited;
}
