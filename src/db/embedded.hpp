// lambench::db — an embedded PostgreSQL server for the items use case.
//
// The cluster lives under <state_dir>/db (or, when the PostgreSQL server must run as another
// user who cannot reach that path, under /var/tmp/lambench-db-<uid>-<hash>; see cluster_dir()).
// It listens on 127.0.0.1 only, on a port chosen free at first start and remembered, with
// SCRAM-SHA-256 password authentication (as RDS). Role and database are both `lambench`; the
// generated password is kept in <state_dir>/db/password (mode 0600).
//
// All calls take an exclusive flock on <state_dir>/db/lock, so concurrent callers (two tests,
// two CLI invocations) serialise instead of racing initdb or pg_ctl.
#pragma once

#include <stdexcept>
#include <string>

namespace lambench::db {

// Initialises the cluster if needed, starts it if it is not running, applies the schema and the
// deterministic seed if not yet seeded, and returns the connection URL:
//   postgresql://lambench:<password>@127.0.0.1:<port>/lambench?sslmode=disable
// A second call on a running, seeded cluster is fast (no initdb, no reseed).
// Throws db::error (message names the failing step, the command or syscall and its output).
std::string ensure_running(const std::string& state_dir);

// Stops the server (pg_ctl stop -m fast) if it is running; a no-op otherwise.
void stop(const std::string& state_dir);

struct status {
    bool running = false;
    int port = 0;          // remembered port (0 before the first start)
    std::string url;       // as ensure_running returns it; empty before the first start
    std::string data_dir;  // the PostgreSQL data directory (PGDATA)
};

status get_status(const std::string& state_dir);

// Stops the server and deletes the cluster (the state directory's secrets stay). For tests and
// `lambench db destroy`.
void destroy(const std::string& state_dir);

class error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace lambench::db
