// The JIT row's items function (node-postgres under aws-lambda-ric) against a real, freshly
// seeded PostgreSQL: exact bytes of the output that docs/architecture.md ("The items use case")
// defines, by-id lookups, typed function errors, and the one reconnect after the server drops
// the connection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { RuntimeApi, startBootstrap, stopChild } from "./runtime_api.mjs";
import { TempPostgres } from "./postgres.mjs";

const source = process.env.LAMBENCH_SOURCE_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
let dest, api, endpoint, child, pg;

// Expected rows computed here from the seed definition, independently of SQL.
function expectedItem(i) {
  const h = createHash("md5").update(`item-${i}`).digest("hex");
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  const cents = (i * 37) % 100000;
  const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
  const ms = Date.UTC(2026, 0, 1) + i * 61500;
  const created_at = new Date(ms).toISOString().replace("Z", "000Z");
  return `{"id":"${id}","name":"item ${i}","price":"${price}","created_at":"${created_at}"}`;
}

before(async () => {
  pg = new TempPostgres().start();
  dest = fs.mkdtempSync(path.join(os.tmpdir(), "lambench-node-"));
  execFileSync(path.join(source, "functions/node/package.sh"), [dest], { stdio: "inherit" });
  const skipped = path.join(dest, "node-items/jit/SKIPPED");
  assert.ok(!fs.existsSync(skipped), `JIT row skipped: ${fs.existsSync(skipped) && fs.readFileSync(skipped, "utf8")}`);
  api = new RuntimeApi();
  endpoint = await api.start();
  child = startBootstrap(path.join(dest, "node-items/jit"), endpoint, { DATABASE_URL: pg.url() });
});

after(async () => {
  if (child) await stopChild(child);
  if (api) await api.stop();
  if (pg) pg.stop();
  if (dest) fs.rmSync(dest, { recursive: true, force: true });
});

test("category query returns the newest rows, byte-exact", async () => {
  const r = await api.invoke('{"category":7,"limit":3}');
  assert.equal(r.kind, "response", `${r.body}\n${child.output}`);
  assert.equal(r.body, `[${expectedItem(9957)},${expectedItem(9907)},${expectedItem(9857)}]`);
});

test("prices keep two decimals and zero category works", async () => {
  // i = 10000: category 0, price (370000 % 100000)/100 = 700.00; i = 9950: 68150/100 = 681.50
  const r = await api.invoke('{"category":0,"limit":2}');
  assert.equal(r.body, `[${expectedItem(10000)},${expectedItem(9950)}]`);
  assert.match(r.body, /"price":"700\.00"/);
  assert.match(r.body, /"price":"681\.50"/);
});

test("a category without rows gives an empty array", async () => {
  assert.equal((await api.invoke('{"category":50,"limit":5}')).body, "[]");
});

test("by-id returns that one object", async () => {
  const want = expectedItem(42);
  const id = JSON.parse(want).id;
  const r = await api.invoke(JSON.stringify({ id }));
  assert.equal(r.kind, "response");
  assert.equal(r.body, want);
});

test("unknown id is a NotFound function error", async () => {
  const r = await api.invoke('{"id":"00000000-0000-0000-0000-000000000000"}');
  assert.equal(r.kind, "error");
  const err = JSON.parse(r.body);
  assert.equal(err.errorType, "NotFound");
  assert.match(err.errorMessage, /00000000-0000-0000-0000-000000000000/);
});

test("malformed events are InvalidEvent errors naming the field", async () => {
  const cases = [
    ['{"category":"7","limit":3}', /category/],
    ['{"category":7}', /limit/],
    ['{"category":7,"limit":0}', /limit/],
    ['{"category":7.5,"limit":3}', /category/],
    ['{"limit":3}', /category/],
    ['{"id":"not-a-uuid"}', /id/],
    ['{"id":42}', /id/],
    ["[1,2]", /object/],
  ];
  for (const [payload, field] of cases) {
    const r = await api.invoke(payload);
    assert.equal(r.kind, "error", payload);
    const err = JSON.parse(r.body);
    assert.equal(err.errorType, "InvalidEvent", payload);
    assert.match(err.errorMessage, field, payload);
  }
});

const backends = () =>
  pg.psql("lambench", "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = 'lambench' AND backend_type = 'client backend' AND pid <> pg_backend_pid()").trim();

test("the connection opened during init is reused by every invocation", async () => {
  const before = backends();
  assert.match(before, /^\d+$/, "exactly one connection");
  for (let i = 0; i < 5; i++) await api.invoke('{"category":1,"limit":1}');
  assert.equal(backends(), before);
});

test("a dropped connection is reopened once, transparently", async () => {
  const old = backends();
  pg.psql("lambench", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'lambench' AND pid <> pg_backend_pid()");
  await new Promise((ok) => setTimeout(ok, 100));
  const r = await api.invoke('{"category":7,"limit":1}');
  assert.equal(r.kind, "response", r.body);
  assert.equal(r.body, `[${expectedItem(9957)}]`);
  assert.equal(child.exitCode, null);
  const now = backends();
  assert.match(now, /^\d+$/);
  assert.notEqual(now, old);
});

test("without DATABASE_URL the init fails with Runtime.InitError", async () => {
  const api2 = new RuntimeApi();
  const ep = await api2.start();
  const c = startBootstrap(path.join(dest, "node-items/jit"), ep, {});
  try {
    const e = await api2.waitInitError();
    assert.equal(JSON.parse(e.body).errorType, "Runtime.InitError");
    assert.match(JSON.parse(e.body).errorMessage, /DATABASE_URL/);
  } finally {
    await stopChild(c);
    await api2.stop();
  }
});

test("a libpq keyword DATABASE_URL works too (as the C++ functions accept it)", async () => {
  const api2 = new RuntimeApi();
  const ep = await api2.start();
  const conninfo = `host=${pg.dir} port=${pg.port} dbname=lambench user=postgres`;
  const c = startBootstrap(path.join(dest, "node-items/jit"), ep, { DATABASE_URL: conninfo });
  try {
    const r = await api2.invoke('{"category":7,"limit":1}');
    assert.equal(r.kind, "response", `${r.body}\n${c.output}`);
    assert.equal(r.body, `[${expectedItem(9957)}]`);
  } finally {
    await stopChild(c);
    await api2.stop();
  }
});
