// The asynchronous (Event) invocations the service has accepted and not yet finished, kept in the
// state directory so that neither a restart nor a crash loses one (docs/state.md). In
// <state>/service/events/journal.jsonl:
//   {"v":1,"op":"queued","id":I,"function":F,"payload":P,"client_context":C,"attempt":0}
//   {"v":1,"op":"attempt","id":I,"attempt":N}   a retry after a function error
//   {"v":1,"op":"done","id":I}                  finished, failed for good, or dropped
// An Event invoke is answered 202 only once its "queued" record is on disk: records are written
// at once and fsynced in groups (one fdatasync for every record that arrived while the event loop
// was busy), so a burst of invokes shares one disk flush. "attempt" and "done" are not waited
// for: after a crash an event whose "done" did not reach the disk runs again (at least once, as
// Lambda's own asynchronous invocation promises). The journal is compacted to the pending events
// when it has grown well past them, at start and at shutdown.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "journal.hpp"

namespace lambench::service {

struct saved_event {
    std::string id;  // the request id, kept: the function sees the same one after a restart
    std::string function;
    std::string payload;
    std::string client_context;
    int attempt = 0;
};

class event_store {
  public:
    event_store(boost::asio::io_context& io, std::filesystem::path dir);  // creates dir

    // The events the last run left pending, in the order they were accepted. Damaged records are
    // reported in `problems` and skipped (a damaged journal is kept as journal.jsonl.bad); the
    // journal is compacted to the pending events.
    std::vector<saved_event> load(std::vector<std::string>& problems);

    // Writes the "queued" record; `durable(true)` runs on the event loop once it is on disk,
    // `durable(false)` when the disk refused it (the event is then forgotten). Throws when even
    // the write fails.
    void queued(const saved_event& e, std::function<void(bool)> durable);
    void attempt(const std::string& id, int attempt);
    void done(const std::string& id);

    std::size_t pending() const { return order_.size(); }
    // Compacts the journal to the pending events and syncs it (at shutdown).
    void close();
    const std::filesystem::path& path() const { return journal_.path(); }

  private:
    void flush();
    void maybe_compact();
    void compact();
    void record(const std::string& what, const std::exception& e);

    boost::asio::io_context& io_;
    journal journal_;
    std::map<std::uint64_t, saved_event> order_;          // acceptance order -> event
    std::unordered_map<std::string, std::uint64_t> ids_;  // id -> its key in order_
    std::uint64_t next_ = 0;
    std::vector<std::function<void(bool)>> waiting_;  // for the next fdatasync
    bool flush_posted_ = false;
    bool failed_ = false;  // a write failed: said once on stderr
};

}  // namespace lambench::service
