// The JIT row's hello, packaged by functions/node/package.sh, run by its bootstrap (the official
// aws-lambda-ric) against a Runtime API: byte-exact answers, warm reuse, clean errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeApi, startBootstrap, stopChild } from "./runtime_api.mjs";

const source = process.env.LAMBENCH_SOURCE_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
let dest, api, endpoint, child;

before(async () => {
  dest = fs.mkdtempSync(path.join(os.tmpdir(), "lambench-node-"));
  execFileSync(path.join(source, "functions/node/package.sh"), [dest], { stdio: "inherit" });
  const skipped = path.join(dest, "node-hello/jit/SKIPPED");
  assert.ok(!fs.existsSync(skipped), `JIT row skipped: ${fs.existsSync(skipped) && fs.readFileSync(skipped, "utf8")}`);
  api = new RuntimeApi();
  endpoint = await api.start();
  child = startBootstrap(path.join(dest, "node-hello/jit"), endpoint);
});

after(async () => {
  if (child) await stopChild(child);
  if (api) await api.stop();
  if (dest) fs.rmSync(dest, { recursive: true, force: true });
});

test("hello answers byte-exact like the C++ hello", async () => {
  const r = await api.invoke('{"a":1}');
  assert.equal(r.kind, "response", child.output);
  assert.equal(r.body, '{"message":"hello","payload_bytes":7}');
});

test("hello counts UTF-8 bytes of compact payloads", async () => {
  const payload = JSON.stringify({ name: "\u00e9t\u00e9 \u{1F600}", list: [1, 2, 3] });
  const r = await api.invoke(payload);
  assert.equal(r.body, `{"message":"hello","payload_bytes":${Buffer.byteLength(payload)}}`);
  assert.equal((await api.invoke("{}")).body, '{"message":"hello","payload_bytes":2}');
});

test("one process serves many invocations (warm reuse)", async () => {
  for (let i = 0; i < 20; i++) {
    const r = await api.invoke(`{"i":${i}}`);
    assert.equal(r.kind, "response");
  }
  assert.equal(child.exitCode, null, "bootstrap exited");
});

test("a payload that is not JSON is reported through /error, and the runtime goes on", async () => {
  const r = await api.invoke("{not json");
  assert.equal(r.kind, "error");
  const err = JSON.parse(r.body);
  assert.ok(typeof err.errorType === "string" && err.errorType.length > 0, r.body);
  assert.equal((await api.invoke("{}")).kind, "response");
});

test("the artifact is self-contained and small", () => {
  const dir = path.join(dest, "node-hello/jit");
  assert.ok(fs.statSync(path.join(dir, "bootstrap")).mode & 0o100, "bootstrap not executable");
  assert.ok(fs.existsSync(path.join(dir, "node_modules/aws-lambda-ric/dist/rapid-client.node")));
  assert.ok(!fs.existsSync(path.join(dir, "node_modules/aws-lambda-ric/deps")), "RIC build sources shipped");
  const kb = Number(execFileSync("du", ["-sk", dir]).toString().split("\t")[0]);
  assert.ok(kb < 5 * 1024, `artifact is ${kb} KiB`);
});

test("without Node.js, package.sh leaves a SKIPPED reason instead of an artifact", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "lambench-node-skip-"));
  try {
    execFileSync(path.join(source, "functions/node/package.sh"), [out], {
      env: { ...process.env, NODE: "/nonexistent/node" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    for (const fn of ["node-hello", "node-items"]) {
      const reason = fs.readFileSync(path.join(out, fn, "jit/SKIPPED"), "utf8");
      assert.match(reason, /Node\.js is not installed/);
      assert.ok(!fs.existsSync(path.join(out, fn, "jit/bootstrap")));
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
