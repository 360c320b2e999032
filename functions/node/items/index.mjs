// items, JIT row: the items use case (docs/architecture.md, "The items use case") in Node.js
// with node-postgres, run by the official runtime interface client. Output is byte-identical
// to the C++ functions: the SQL formats price and created_at itself, so no JavaScript number
// or Date ever touches them.
import pg from "pg";

class FunctionError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type; // the RIC reports error.name as errorType
  }
}

const by_category = {
  name: "items_by_category",
  text:
    "SELECT id::text AS id, name, price::numeric(12,2)::text AS price, " +
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at " +
    // items.created_at, not the text alias, so the index orders it and ties cannot reorder
    "FROM items WHERE category = $1 ORDER BY items.created_at DESC LIMIT $2",
};
const by_id = {
  name: "item_by_id",
  text:
    "SELECT id::text AS id, name, price::numeric(12,2)::text AS price, " +
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS created_at " +
    "FROM items WHERE id = $1",
};

const database_url = process.env.DATABASE_URL;
if (!database_url) throw new FunctionError("Runtime.InitError", "DATABASE_URL is not set");

// DATABASE_URL as the C++ functions take it (libpq): a URL, or "host=... dbname=..." keywords.
// sslmode keeps libpq's meaning (require = encrypted, not verified), which node-postgres only
// gives with uselibpqcompat; without it RDS would need its CA bundle here but not in C++.
function client_config(conninfo) {
  if (conninfo.includes("://")) {
    const url = /[?&]sslmode=/.test(conninfo) && !/[?&]uselibpqcompat=/.test(conninfo)
      ? conninfo + (conninfo.includes("?") ? "&" : "?") + "uselibpqcompat=true"
      : conninfo;
    return { connectionString: url };
  }
  const keys = { host: "host", hostaddr: "host", port: "port", dbname: "database", user: "user", password: "password" };
  const config = {};
  const re = /(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g;
  for (const m of conninfo.matchAll(re)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
    if (keys[m[1]]) config[keys[m[1]]] = m[1] === "port" ? Number(value) : value;
    else if (m[1] === "sslmode" && value !== "disable") config.ssl = { rejectUnauthorized: value === "verify-full" || value === "verify-ca" };
  }
  return config;
}
const config = client_config(database_url);

let client = null;
let broken = false;

async function connect() {
  const c = new pg.Client(config);
  // A connection dropped while the sandbox is frozen surfaces as an 'error' event; without a
  // listener Node would crash the process. Mark it and reconnect on the next query.
  c.on("error", () => {
    broken = true;
  });
  await c.connect();
  broken = false;
  return c;
}

// Opened during init (top-level await): billed as Init Duration, reused by every invocation.
client = await connect();

function is_connection_error(err) {
  // Server-side SQL errors carry a SQLSTATE; only connection loss (no SQLSTATE, or class 08,
  // or an administrator shutdown 57P0x) is worth a reconnect.
  const code = err && err.code;
  return (
    broken ||
    code === undefined ||
    /^E[A-Z]+$/.test(code) || // ECONNRESET, EPIPE, ECONNREFUSED...
    code.startsWith("08") ||
    code.startsWith("57P0")
  );
}

async function query(q) {
  if (broken) {
    client.end().catch(() => {});
    client = await connect();
  }
  try {
    return await client.query(q);
  } catch (err) {
    if (!is_connection_error(err)) throw err;
    client.end().catch(() => {});
    client = await connect(); // reconnect once; a second failure is the caller's error
    return await client.query(q);
  }
}

const uuid_re = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const int32 = (v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;

// Keys in the order docs/architecture.md fixes; JSON.stringify keeps insertion order and adds
// no spaces.
const item = (r) => ({ id: r.id, name: r.name, price: r.price, created_at: r.created_at });

export const handler = async (event) => {
  if (event === null || typeof event !== "object" || Array.isArray(event))
    throw new FunctionError("InvalidEvent", "event must be a JSON object with 'id' or 'category' and 'limit'");
  if ("id" in event) {
    if (typeof event.id !== "string" || !uuid_re.test(event.id))
      throw new FunctionError("InvalidEvent", "field 'id' must be a UUID string");
    const res = await query({ ...by_id, values: [event.id] });
    if (res.rows.length === 0) throw new FunctionError("NotFound", `no item with id ${event.id}`);
    return item(res.rows[0]);
  }
  if (!("category" in event)) throw new FunctionError("InvalidEvent", "field 'category' is missing");
  if (!int32(event.category)) throw new FunctionError("InvalidEvent", "field 'category' must be an integer");
  if (!("limit" in event)) throw new FunctionError("InvalidEvent", "field 'limit' is missing");
  if (!Number.isInteger(event.limit) || event.limit < 1 || event.limit > 1000)
    throw new FunctionError("InvalidEvent", "field 'limit' must be an integer from 1 to 1000");
  const res = await query({ ...by_category, values: [event.category, event.limit] });
  return res.rows.map(item);
};
