// A throw-away PostgreSQL cluster for the JIT-row tests: initdb in a temp dir, Unix socket only
// (no TCP port at all), seeded with the items table exactly as docs/architecture.md defines it.
// As root, the server runs as the `postgres` user (initdb refuses root).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

function binDir() {
  const candidates = [];
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"]).toString().trim());
  } catch {}
  const base = "/usr/lib/postgresql";
  if (fs.existsSync(base))
    for (const v of fs.readdirSync(base).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(base, v, "bin"));
  for (const c of candidates) if (fs.existsSync(path.join(c, "initdb")) && fs.existsSync(path.join(c, "pg_ctl"))) return c;
  throw new Error("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15");
}

export const seedSql = `
CREATE TABLE items (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  category integer NOT NULL,
  price numeric(10,2) NOT NULL,
  created_at timestamptz NOT NULL
);
INSERT INTO items
SELECT md5('item-' || i)::uuid, 'item ' || i, i % 50, ((i * 37) % 100000) / 100.0,
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute 1.5 second'
FROM generate_series(1, 10000) AS i;
CREATE INDEX items_category_created_at ON items (category, created_at DESC);
ANALYZE items;
`;

export class TempPostgres {
  constructor() {
    this.bin = binDir();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambench-pg-"));
    this.data = path.join(this.dir, "data");
    // Only names the socket file; nothing listens on TCP.
    this.port = 20000 + Math.floor(Math.random() * 40000);
    this.asRoot = process.getuid() === 0;
  }

  #run(cmd, args, input) {
    const full = path.join(this.bin, cmd);
    const [file, argv] = this.asRoot ? ["runuser", ["-u", "postgres", "--", full, ...args]] : [full, args];
    return execFileSync(file, argv, { input, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"], cwd: this.dir }).toString();
  }

  start() {
    if (this.asRoot) execFileSync("chown", ["postgres:postgres", this.dir]);
    this.#run("initdb", ["-D", this.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
    this.#run("pg_ctl", [
      "-D", this.data, "-l", path.join(this.dir, "log"), "-w", "-o",
      `-c listen_addresses='' -c unix_socket_directories='${this.dir}' -p ${this.port} -c fsync=off -c synchronous_commit=off`,
      "start",
    ]);
    this.psql("postgres", "CREATE DATABASE lambench");
    this.psql("lambench", seedSql);
    return this;
  }

  psql(db, sql) {
    return this.#run("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-h", this.dir, "-p", String(this.port), "-U", "postgres", "-d", db], sql);
  }

  url(db = "lambench") {
    return `postgresql://postgres@/${db}?host=${encodeURIComponent(this.dir)}&port=${this.port}`;
  }

  stop() {
    try {
      this.#run("pg_ctl", ["-D", this.data, "-m", "immediate", "-w", "stop"]);
    } catch {}
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
