#include "event_store.hpp"

#include <boost/asio/post.hpp>
#include <cstdio>

namespace lambench::service {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string string_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

json queued_record(const saved_event& e) {
    return {{"op", "queued"},       {"id", e.id},           {"function", e.function},
            {"payload", e.payload}, {"attempt", e.attempt}, {"client_context", e.client_context}};
}

}  // namespace

event_store::event_store(boost::asio::io_context& io, fs::path dir)
    : io_(io), journal_((fs::create_directories(dir), dir / "journal.jsonl")) {
    syncer_ = std::thread([this] { sync_loop(); });
}

event_store::~event_store() {
    stop_syncing();
}

void event_store::stop_syncing() {
    {
        std::lock_guard lock(mutex_);
        if (!syncer_.joinable()) return;
        stop_ = true;
    }
    wake_.notify_one();
    syncer_.join();  // it makes everything requested durable first
}

std::vector<saved_event> event_store::load(std::vector<std::string>& problems) {
    auto contents = read_journal(journal_.path());
    problems = contents.problems;
    for (auto& r : contents.records) {
        const std::string op = r["op"].get<std::string>();
        const std::string id = string_of(r, "id");
        if (id.empty()) {
            problems.push_back(journal_.path().string() + ": a \"" + op +
                               "\" record without an id; skipped");
            continue;
        }
        if (op == "queued") {
            saved_event e;
            e.id = id;
            e.function = string_of(r, "function");
            auto payload = r.find("payload");
            auto attempt = r.find("attempt");
            if (e.function.empty() || payload == r.end() || !payload->is_string() ||
                (attempt != r.end() && !attempt->is_number_integer())) {
                problems.push_back(journal_.path().string() + ": the event " + id +
                                   " has no function or payload; skipped");
                continue;
            }
            e.payload = payload->get<std::string>();
            e.client_context = string_of(r, "client_context");
            if (attempt != r.end()) e.attempt = attempt->get<int>();
            if (ids_.count(id)) continue;  // written again by a compaction: the first one counts
            ids_[id] = next_;
            order_[next_++] = std::move(e);
        } else if (op == "attempt") {
            auto it = ids_.find(id);
            auto n = r.find("attempt");
            if (it != ids_.end() && n != r.end() && n->is_number_integer())
                order_[it->second].attempt = n->get<int>();
        } else if (op == "done") {
            if (auto it = ids_.find(id); it != ids_.end()) {
                order_.erase(it->second);
                ids_.erase(it);
            }
        } else {
            problems.push_back(journal_.path().string() + ": unknown record \"" + op +
                               "\"; skipped");
        }
    }
    if (!contents.problems.empty()) {
        try {
            problems.push_back("the journal as it was is kept as " + journal_.keep_copy().string());
        } catch (const std::exception& e) {
            problems.push_back(std::string("cannot keep a copy of the journal: ") + e.what());
        }
    }
    if (contents.lines != order_.size()) compact();
    std::vector<saved_event> out;
    out.reserve(order_.size());
    for (auto& [seq, e] : order_) out.push_back(e);
    return out;
}

void event_store::queued(const saved_event& e, std::function<void(bool)> durable) {
    journal_.append(queued_record(e));
    ids_[e.id] = next_;
    order_[next_++] = e;
    waiting_.emplace_back(++written_, std::move(durable));
    {
        std::lock_guard lock(mutex_);
        requested_ = written_;
    }
    wake_.notify_one();
}

void event_store::sync_loop() {
    std::uint64_t synced = 0;
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stop_ || requested_ > synced; });
        if (requested_ <= synced) return;  // stopping, and nothing left to sync
        const std::uint64_t target = requested_;
        lock.unlock();
        bool ok = true;
        std::string error;
        try {
            std::lock_guard file_lock(file_mutex_);
            journal_.sync();
        } catch (const std::exception& e) {
            ok = false;
            error = e.what();
        }
        synced = target;
        boost::asio::post(io_, [this, target, ok, error] { completed(target, ok, error); });
        lock.lock();
    }
}

void event_store::completed(std::uint64_t upto, bool ok, const std::string& error) {
    if (!ok) record("fdatasync", error);
    while (!waiting_.empty() && waiting_.front().first <= upto) {
        auto done = std::move(waiting_.front().second);
        waiting_.pop_front();
        done(ok);
    }
}

void event_store::attempt(const std::string& id, int attempt) {
    auto it = ids_.find(id);
    if (it == ids_.end()) return;
    order_[it->second].attempt = attempt;
    try {
        journal_.append({{"op", "attempt"}, {"id", id}, {"attempt", attempt}});
    } catch (const std::exception& e) {
        record("write", e.what());
    }
}

void event_store::done(const std::string& id) {
    auto it = ids_.find(id);
    if (it == ids_.end()) return;
    order_.erase(it->second);
    ids_.erase(it);
    try {
        journal_.append({{"op", "done"}, {"id", id}});
    } catch (const std::exception& e) {
        record("write", e.what());
    }
    maybe_compact();
}

void event_store::maybe_compact() {
    // Rewriting costs the pending events' bytes (and waits for an fdatasync under way): do it when
    // the journal holds many times more records than there are pending events.
    if (journal_.appended() < 4096 + 4 * order_.size()) return;
    try {
        compact();
    } catch (const std::exception& e) {
        record("compaction", e.what());
    }
}

void event_store::compact() {
    std::vector<json> records;
    records.reserve(order_.size());
    for (auto& [seq, e] : order_) records.push_back(queued_record(e));
    std::lock_guard file_lock(file_mutex_);
    journal_.rewrite(std::move(records));
}

void event_store::close() {
    // Records written but not yet answered: synced now (their answers cannot go out any more, the
    // event loop has stopped, but the events are saved all the same).
    stop_syncing();
    completed(written_, true, {});
    compact();
}

void event_store::record(const std::string& what, const std::string& error) {
    if (failed_) return;
    failed_ = true;
    std::fprintf(stderr, "lambench serve: event journal %s: %s (%s)\n", journal_.path().c_str(),
                 what.c_str(), error.c_str());
}

}  // namespace lambench::service
