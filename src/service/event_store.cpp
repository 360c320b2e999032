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
    : io_(io), journal_((fs::create_directories(dir), dir / "journal.jsonl")) {}

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
    for (auto& [seq, e] : order_) out.push_back(e);
    return out;
}

void event_store::queued(const saved_event& e, std::function<void(bool)> durable) {
    journal_.append(queued_record(e));
    ids_[e.id] = next_;
    order_[next_++] = e;
    waiting_.push_back(std::move(durable));
    if (flush_posted_) return;
    flush_posted_ = true;
    // After whatever else the loop has ready (more invokes read in the same turn): one fdatasync
    // for all of them.
    boost::asio::post(io_, [this] { flush(); });
}

void event_store::flush() {
    flush_posted_ = false;
    auto waiting = std::move(waiting_);
    waiting_.clear();
    bool ok = true;
    try {
        journal_.sync();
    } catch (const std::exception& e) {
        record("fdatasync", e);
        ok = false;
    }
    for (auto& w : waiting) w(ok);
}

void event_store::attempt(const std::string& id, int n) {
    auto it = ids_.find(id);
    if (it == ids_.end()) return;
    order_[it->second].attempt = n;
    try {
        journal_.append({{"op", "attempt"}, {"id", id}, {"attempt", n}});
    } catch (const std::exception& e) {
        record("write", e);
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
        record("write", e);
    }
    maybe_compact();
}

void event_store::maybe_compact() {
    // Rewriting costs the pending events' bytes; do it when the journal holds many times more
    // finished records than pending ones (and never while a flush is waiting to answer invokes:
    // the rewrite syncs them anyway, but the answers should not wait for a big rewrite).
    if (journal_.appended() < 4096 + 4 * order_.size()) return;
    try {
        compact();
    } catch (const std::exception& e) {
        record("compaction", e);
    }
}

void event_store::compact() {
    std::vector<json> records;
    records.reserve(order_.size());
    for (auto& [seq, e] : order_) records.push_back(queued_record(e));
    journal_.rewrite(std::move(records));
}

void event_store::close() {
    if (!waiting_.empty()) flush();  // records written but not yet synced: saved all the same
    compact();
}

void event_store::record(const std::string& what, const std::exception& e) {
    if (failed_) return;
    failed_ = true;
    std::fprintf(stderr, "lambench serve: event journal %s: %s (%s)\n", journal_.path().c_str(),
                 what.c_str(), e.what());
}

}  // namespace lambench::service
