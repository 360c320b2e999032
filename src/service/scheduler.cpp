#include "scheduler.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <exception>
#include <thread>

namespace lambench::service {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

scheduler::scheduler(asio::io_context& io, registry& reg, const service_config& cfg,
                     sandbox_settings settings, log_store& logs, event_store* events)
    : io_(io),
      registry_(reg),
      cfg_(cfg),
      settings_(std::move(settings)),
      logs_(logs),
      events_(events),
      sweep_(io) {
    logs_.set_max_bytes(cfg_.log_max_bytes);
    arm_sweep();
}

// A destructor must not throw: shutdown() allocates and touches cgroups, and an exception escaping
// here would end the service with std::terminate. The pools' own destructors still kill and
// remove whatever shutdown() did not reach.
scheduler::~scheduler() {
    try {
        shutdown();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench serve: scheduler shutdown failed: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "lambench serve: scheduler shutdown failed: unknown exception\n");
    }
}

void scheduler::arm_sweep() {
    // One periodic sweep does idle reaping and catches any exit a coalesced SIGCHLD hid.
    sweep_.expires_after(std::chrono::milliseconds(250));
    sweep_.async_wait([this](boost::system::error_code ec) {
        if (ec || stopping_) return;
        reap_children();
        auto now = clock::now();
        auto idle_limit = std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>(cfg_.idle_timeout_s));
        for (auto& [name, p] : pools_)
            for (auto& sb : p.sandboxes)
                if (sb->current_state() == sandbox::state::idle &&
                    now - sb->idle_since() > idle_limit)
                    sb->kill("idle");
        arm_sweep();
    });
}

void scheduler::track(invocation_ptr& inv) {
    bool event = inv->is_event;
    ++in_flight_;
    if (event) ++in_flight_events_;
    inv->done = [this, event, inner = std::move(inv->done)](invocation_result&& r) {
        --in_flight_;
        if (event) --in_flight_events_;
        if (inner) inner(std::move(r));
    };
}

bool scheduler::try_run(pool& p, const function_ptr& fn, invocation_ptr& inv) {
    // Concurrency is the number of invocations in progress (from the start of an init to the
    // runtime's next /next). A function with reserved concurrency N runs at most N at once,
    // warm or cold; one without scales out to the service's `concurrency` sandboxes.
    const auto reserved = registry_.reserved_concurrency(fn->spec.name);
    if (reserved) {
        std::size_t running = 0;
        for (auto& sb : p.sandboxes) {
            const auto s = sb->current_state();
            if (s == sandbox::state::initializing || s == sandbox::state::busy) ++running;
        }
        if (running >= static_cast<std::size_t>(*reserved)) return false;
    }
    // The most recently used idle sandbox: it is likely not frozen yet (no thaw) and its pages
    // are warm, and the others stay frozen. Taking the first in the list instead rotated
    // back-to-back invocations through every idle sandbox, a thaw and a freeze each.
    sandbox* best = nullptr;
    for (auto& sb : p.sandboxes) {
        if (sb->current_state() == sandbox::state::idle &&
            sb->function()->generation == fn->generation &&
            (!best || sb->idle_since() > best->idle_since()))
            best = sb.get();
    }
    if (best) {
        ++p.stats.invocations;
        track(inv);
        best->assign(std::move(inv));
        return true;
    }
    if (!reserved) {
        std::size_t live = 0;
        for (auto& sb : p.sandboxes)
            if (sb->current_state() != sandbox::state::dead) ++live;
        if (live >= static_cast<std::size_t>(cfg_.concurrency)) return false;
    }
    sandbox::hooks h;
    h.on_idle = [this](sandbox& sb) { on_idle(sb); };
    h.on_dead = [this](sandbox& sb) { on_dead(sb); };
    auto sb = std::make_shared<sandbox>(io_, fn, settings_, logs_, std::move(h), next_serial_++);
    p.sandboxes.push_back(sb);
    ++p.stats.invocations;
    ++p.stats.cold_starts;
    track(inv);
    sb->start(std::move(inv));
    return true;
}

void scheduler::invoke(const function_ptr& fn, invocation_ptr inv) {
    auto& p = pools_[fn->spec.name];
    if (!try_run(p, fn, inv)) {
        ++p.stats.throttles;
        api_error e(429, "TooManyRequestsException", "Rate Exceeded.");
        // As Lambda: the function's own reservation, or the (unreserved) account pool, which the
        // service's per-function `concurrency` stands for.
        e.reason = registry_.reserved_concurrency(fn->spec.name)
                       ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                       : "ConcurrentInvocationLimitExceeded";
        e.retry_after_s = 1;
        throw e;
    }
}

void scheduler::concurrency_changed(const std::string& function) {
    asio::post(io_, [this, function] {
        if (!stopping_ && !draining_) dispatch_events(function);
    });
}

void scheduler::wrap_event(const std::string& function, invocation_ptr& inv) {
    // Event results go nowhere but the log; a function error (including a crash or timeout) is
    // retried up to event_max_retries times after event_retry_delay. The closure holds a copy of
    // the invocation (not a pointer to it) so nothing keeps itself alive.
    invocation proto = *inv;
    proto.done = nullptr;
    inv->done = [this, function, proto](invocation_result&& r) {
        if (!r.function_error) {
            if (events_) events_->done(proto.id);
            return;
        }
        if (stopping_) return;  // cut off by the shutdown: it stays saved, and runs again
        auto& p = pools_[function];
        if (proto.attempt >= cfg_.event_max_retries) {
            ++p.stats.events_failed;
            if (events_) events_->done(proto.id);
            return;
        }
        ++p.stats.event_retries;
        if (events_) events_->attempt(proto.id, proto.attempt + 1);
        auto retry = std::make_shared<invocation>(proto);
        retry->attempt = proto.attempt + 1;
        wrap_event(function, retry);
        auto timer = std::make_shared<asio::steady_timer>(io_);
        timer->expires_after(std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>(cfg_.event_retry_delay_s)));
        timer->async_wait([this, function, retry, timer](boost::system::error_code ec) {
            if (ec || stopping_) return;
            pools_[function].events.push_back(retry);  // a retry is never dropped for a full queue
            dispatch_events(function);
        });
    };
}

void scheduler::enqueue_event(const function_ptr& fn, invocation_ptr inv,
                              std::function<void(bool)> accepted) {
    const std::string name = fn->spec.name;
    auto& p = pools_[name];
    if (p.events.size() + p.reserved >= cfg_.event_queue) {
        ++p.stats.throttles;
        api_error e(429, "TooManyRequestsException", "Rate Exceeded.");
        e.reason = "EventQueueFull";
        e.retry_after_s = 1;
        throw e;
    }
    inv->is_event = true;
    if (!events_) {
        ++p.stats.events_queued;
        wrap_event(name, inv);
        p.events.push_back(std::move(inv));
        accepted(true);
        dispatch_events(name);
        return;
    }
    saved_event saved{inv->id, name, inv->payload, inv->client_context, inv->attempt};
    events_->queued(saved, [this, name, inv, accepted = std::move(accepted)](bool ok) mutable {
        auto& q = pools_[name];
        --q.reserved;
        if (!ok) {
            events_->done(inv->id);
            accepted(false);
            return;
        }
        ++q.stats.events_queued;
        accepted(true);
        wrap_event(name, inv);
        q.events.push_back(std::move(inv));
        dispatch_events(name);  // not while draining: then it is saved for the next start
    });
    ++p.reserved;
}

std::size_t scheduler::restore_events(const std::vector<saved_event>& events) {
    std::size_t dropped = 0;
    std::vector<std::string> names;
    for (const auto& e : events) {
        if (!registry_.find(e.function)) {
            if (events_) events_->done(e.id);
            ++dropped;
            continue;
        }
        auto inv = std::make_shared<invocation>();
        inv->id = e.id;
        inv->function = e.function;
        inv->payload = e.payload;
        inv->client_context = e.client_context;
        inv->attempt = e.attempt;
        inv->is_event = true;
        wrap_event(e.function, inv);
        auto& p = pools_[e.function];
        ++p.stats.events_queued;
        p.events.push_back(std::move(inv));
        if (std::find(names.begin(), names.end(), e.function) == names.end())
            names.push_back(e.function);
    }
    for (auto& n : names) asio::post(io_, [this, n] { dispatch_events(n); });
    return dropped;
}

void scheduler::drop_events(pool& p) {
    if (events_)
        for (auto& inv : p.events) events_->done(inv->id);
    p.events.clear();
}

void scheduler::drain() {
    draining_ = true;
}

void scheduler::dispatch_events(const std::string& function) {
    auto it = pools_.find(function);
    if (it == pools_.end()) return;
    auto& p = it->second;
    while (!p.events.empty() && !draining_ && !stopping_) {
        auto fn = registry_.find(function);
        if (!fn) {  // deleted: its queued events go with it
            drop_events(p);
            return;
        }
        auto inv = p.events.front();
        if (!try_run(p, fn, inv)) return;
        p.events.pop_front();
    }
}

void scheduler::on_idle(sandbox& sb) {
    auto current = registry_.find(sb.function()->spec.name);
    if (!current || current->generation != sb.function()->generation) {
        sb.kill("retired");
        return;
    }
    auto& p = pools_[current->spec.name];
    if (!p.events.empty() && !draining_ && !stopping_) {
        auto inv = p.events.front();
        p.events.pop_front();
        ++p.stats.invocations;
        track(inv);
        sb.assign(std::move(inv));
    }
}

void scheduler::on_dead(sandbox& sb) {
    auto it = pools_.find(sb.function()->spec.name);
    if (it == pools_.end()) return;
    auto& v = it->second.sandboxes;
    auto pos = std::find_if(v.begin(), v.end(), [&](auto& p) { return p.get() == &sb; });
    if (pos == v.end()) return;
    auto keep = *pos;  // destroyed after we are done with it, outside the vector
    v.erase(pos);
    // The last sandbox of a deleted function: nothing of it is kept (its log file is closed,
    // its pool dropped). Destroying `keep` releases its generation, and with the last one the
    // unpacked code directory goes too (function_record -> unpacked_code).
    if (v.empty() && !registry_.find(it->first)) {
        logs_.forget(it->first);
        if (it->second.events.empty()) pools_.erase(it);
        return;
    }
    if (!stopping_) dispatch_events(it->first);
}

void scheduler::retire(const std::string& function) {
    auto current = registry_.find(function);
    if (!current) logs_.forget(function);  // deleted: no fd stays open for its name
    auto it = pools_.find(function);
    if (it == pools_.end()) return;
    for (auto& sb : it->second.sandboxes) {
        bool old = !current || sb->function()->generation != current->generation;
        if (old && sb->current_state() == sandbox::state::idle) sb->kill("retired");
        // busy ones are killed by on_idle when they finish; initializing ones too
    }
    if (!current) drop_events(it->second);
}

void scheduler::reap_children() {
    for (auto& [name, p] : pools_) {
        auto copy = p.sandboxes;
        for (auto& sb : copy) sb->poll_exit();
    }
}

void scheduler::shutdown() {
    if (stopping_) return;
    stopping_ = true;
    sweep_.cancel();
    std::vector<std::shared_ptr<sandbox>> all;
    for (auto& [name, p] : pools_) {
        for (auto& sb : p.sandboxes) all.push_back(sb);
        p.events.clear();
    }
    for (auto& sb : all) sb->begin_shutdown();
    auto deadline = clock::now() + std::chrono::seconds(2);
    while (clock::now() < deadline) {
        bool done = std::all_of(all.begin(), all.end(), [](auto& sb) { return sb->exited(); });
        if (done) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& sb : all) sb->finish_shutdown();
    for (auto& [name, p] : pools_) p.sandboxes.clear();
    all.clear();  // destructors remove the cgroups
}

scheduler::pool_view scheduler::view(const std::string& function) const {
    pool_view v;
    auto it = pools_.find(function);
    if (it == pools_.end()) return v;
    v.stats = it->second.stats;
    v.queued_events = it->second.events.size();
    for (auto& sb : it->second.sandboxes) {
        switch (sb->current_state()) {
            case sandbox::state::idle:
                ++v.idle;
                break;
            case sandbox::state::busy:
                ++v.busy;
                break;
            case sandbox::state::initializing:
                ++v.initializing;
                break;
            default:
                break;
        }
        if (sb->current_state() != sandbox::state::dead) ++v.sandboxes;
    }
    return v;
}

std::size_t scheduler::live_sandboxes() const {
    std::size_t n = 0;
    for (auto& [name, p] : pools_) n += p.sandboxes.size();
    return n;
}

}  // namespace lambench::service
