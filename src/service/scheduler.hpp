// Decides which sandbox runs an invocation: warm reuse of an idle sandbox of the function's
// current generation, else scale-out up to the function's concurrency limit (its reserved
// concurrency when it has one, else the service's `concurrency`), else 429.
// Event invocations wait in a bounded per-function queue and are retried on function error.
// Idle sandboxes are reaped after idle_timeout; updates retire older generations.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "config.hpp"
#include "event_store.hpp"
#include "registry.hpp"
#include "sandbox.hpp"

namespace lambench::service {

struct function_stats {
    std::uint64_t invocations = 0, cold_starts = 0, throttles = 0, events_queued = 0,
                  event_retries = 0, events_failed = 0;
};

class scheduler {
  public:
    // `events`: where Event invocations are journaled (null: kept in memory only).
    scheduler(boost::asio::io_context& io, registry& reg, const service_config& cfg,
              sandbox_settings settings, log_store& logs, event_store* events = nullptr);
    ~scheduler();
    scheduler(const scheduler&) = delete;
    scheduler& operator=(const scheduler&) = delete;

    // Runs inv now (inv->done is called later) or throws 429 TooManyRequestsException.
    void invoke(const function_ptr& fn, invocation_ptr inv);
    // Queues an Event invocation or throws 429 when the queue is full. `accepted(true)` once the
    // event is durable in the event store (at once without one): then the caller gets its 202;
    // `accepted(false)` when it could not be saved (and is not queued).
    void enqueue_event(const function_ptr& fn, invocation_ptr inv,
                       std::function<void(bool)> accepted);
    // Events an earlier run left pending (already in the event store). Those of functions that
    // no longer exist are dropped (marked done); returns how many.
    std::size_t restore_events(const std::vector<saved_event>& events);
    // Shutdown, first step: nothing new starts (queued events stay queued, and saved); the
    // invocations in flight go on. in_flight() says how many are left.
    void drain();
    std::size_t in_flight() const { return in_flight_; }
    std::size_t in_flight_events() const { return in_flight_events_; }
    // A function's reserved concurrency changed: queued events may now run.
    void concurrency_changed(const std::string& function);
    // Kills idle sandboxes of an older generation (after an update) or of a deleted function.
    void retire(const std::string& function);
    void reap_children();  // on SIGCHLD
    // SIGTERM to every sandbox, up to 2 s grace, then SIGKILL; cgroups removed. Blocking.
    void shutdown();

    struct pool_view {
        std::size_t sandboxes = 0, idle = 0, busy = 0, initializing = 0, queued_events = 0;
        function_stats stats;
    };
    pool_view view(const std::string& function) const;
    std::size_t live_sandboxes() const;

  private:
    struct pool {
        std::vector<std::shared_ptr<sandbox>> sandboxes;
        std::deque<invocation_ptr> events;
        std::size_t reserved = 0;  // events being saved, counted against event_queue
        function_stats stats;
    };
    bool try_run(pool& p, const function_ptr& fn, invocation_ptr& inv);
    void dispatch_events(const std::string& function);
    void on_idle(sandbox& sb);
    void on_dead(sandbox& sb);
    void wrap_event(const std::string& function, invocation_ptr& inv);
    void track(invocation_ptr& inv);  // counts it in flight until its done() runs
    void drop_events(pool& p);        // a deleted function's queue: forgotten, marked done
    void arm_sweep();

    boost::asio::io_context& io_;
    registry& registry_;
    const service_config& cfg_;
    sandbox_settings settings_;
    log_store& logs_;
    std::map<std::string, pool> pools_;
    event_store* events_;
    std::uint64_t next_serial_ = 1;
    boost::asio::steady_timer sweep_;
    bool stopping_ = false;
    bool draining_ = false;
    std::size_t in_flight_ = 0, in_flight_events_ = 0;
};

}  // namespace lambench::service
