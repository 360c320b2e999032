// The asynchronous (Event) invocations the service has accepted and not yet finished, kept in the
// state directory so that neither a restart nor a crash loses one (docs/state.md). In
// <state>/service/events/journal.jsonl:
//   {"v":1,"op":"queued","id":I,"function":F,"payload":P,"client_context":C,"attempt":0}
//   {"v":1,"op":"attempt","id":I,"attempt":N}   a retry after a function error
//   {"v":1,"op":"done","id":I}                  finished, failed for good, or dropped
// An Event invoke is answered 202 only once its "queued" record is on disk: records are written
// at once on the event loop and made durable by a thread of the store's own, in groups (one
// fdatasync for every record written while the previous one ran), so a burst of invokes shares one
// disk flush and the event loop never waits for the disk (an fdatasync took ~16 ms here). "attempt"
// and "done" are not waited for: after a crash an event whose "done" did not reach the disk runs
// again (at least once, as Lambda's own asynchronous invocation promises). The journal is compacted
// to the pending events when it has grown well past them, at start and at shutdown.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
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
    ~event_store();
    event_store(const event_store&) = delete;
    event_store& operator=(const event_store&) = delete;

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
    void sync_loop();                                                       // the syncing thread
    void completed(std::uint64_t upto, bool ok, const std::string& error);  // on the event loop
    void stop_syncing();
    void maybe_compact();
    void compact();
    void record(const std::string& what, const std::string& error);

    boost::asio::io_context& io_;
    journal journal_;
    std::map<std::uint64_t, saved_event> order_;          // acceptance order -> event
    std::unordered_map<std::string, std::uint64_t> ids_;  // id -> its key in order_
    std::uint64_t next_ = 0;
    bool failed_ = false;  // a write failed: said once on stderr

    // Event loop side: "queued" records written, and who waits for each to be durable.
    std::uint64_t written_ = 0;
    std::deque<std::pair<std::uint64_t, std::function<void(bool)>>> waiting_;
    // Shared with the syncing thread (under mutex_): the last record it should make durable.
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t requested_ = 0;
    bool stop_ = false;
    // Held by the syncing thread during fdatasync and by a compaction replacing the file.
    std::mutex file_mutex_;
    std::thread syncer_;
};

}  // namespace lambench::service
