#include "function_store.hpp"

#include <cstdio>
#include <set>
#include <stdexcept>
#include <system_error>

#include "common/base64.hpp"
#include "util.hpp"

namespace lambench::service {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The package's file name: the digest in hex (file-name safe, unlike base64).
std::string package_name(const std::string& sha256_b64) {
    auto raw = common::base64_decode(sha256_b64).value_or(std::string{});
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * raw.size() + 4);
    for (char ch : raw) {
        const auto c = static_cast<unsigned char>(ch);
        hex.push_back(digits[c >> 4]);
        hex.push_back(digits[c & 15]);
    }
    return hex + ".zip";
}

std::string string_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

function_store::function_store(fs::path dir)
    : dir_((fs::create_directories(dir / "packages"), std::move(dir))),
      journal_(dir_ / "journal.jsonl") {}

std::vector<saved_function> function_store::load(std::vector<std::string>& problems) {
    auto contents = read_journal(journal_.path());
    problems = contents.problems;
    for (auto& r : contents.records) {
        const std::string op = r["op"].get<std::string>();
        const std::string name = string_of(r, "name");
        if (name.empty()) {
            problems.push_back(journal_.path().string() + ": a \"" + op +
                               "\" record without a name; skipped");
            continue;
        }
        if (op == "put") {
            auto cfg = r.find("config");
            auto code = r.find("code");
            if (cfg == r.end() || !cfg->is_object() || code == r.end() || !code->is_object() ||
                string_of(*code, "sha256").empty()) {
                problems.push_back(journal_.path().string() + ": the record of '" + name +
                                   "' has no config or code; skipped");
                continue;
            }
            live_[name] = std::move(r);
        } else if (op == "delete") {
            live_.erase(name);
        } else {
            problems.push_back(journal_.path().string() + ": unknown record \"" + op + "\" for '" +
                               name + "'; skipped");
        }
    }

    std::vector<saved_function> out;
    for (auto it = live_.begin(); it != live_.end();) {
        const json& r = it->second;
        saved_function f;
        f.name = it->first;
        f.config = r["config"];
        f.code_sha256 = string_of(r["code"], "sha256");
        f.generation = r.value("generation", std::uint64_t{0});
        f.last_modified = string_of(r, "last_modified");
        const fs::path pkg = dir_ / "packages" / package_name(f.code_sha256);
        auto bytes = posix::read_file(pkg);
        if (!bytes || sha256_base64(*bytes) != f.code_sha256) {
            problems.push_back("function '" + f.name + "': its code package " + pkg.string() +
                               (bytes ? " does not match its digest" : " is missing") +
                               "; the function is not restored");
            it = live_.erase(it);
            continue;
        }
        f.zip_bytes = std::move(*bytes);
        out.push_back(std::move(f));
        ++it;
    }
    if (!contents.problems.empty()) {
        try {
            problems.push_back("the journal as it was is kept as " + journal_.keep_copy().string());
        } catch (const std::exception& e) {
            problems.push_back(std::string("cannot keep a copy of the journal: ") + e.what());
        }
    }
    // Start every run from a compact journal: one put per live function, nothing torn at its end.
    if (!problems.empty() || contents.records.size() != live_.size()) compact();
    collect_packages();
    return out;
}

void function_store::put(const std::string& name, const json& config, std::string_view zip_bytes,
                         const std::string& code_sha256, std::uint64_t code_size,
                         std::uint64_t generation, const std::string& last_modified) {
    const fs::path pkg = dir_ / "packages" / package_name(code_sha256);
    std::error_code ec;
    if (!fs::exists(pkg, ec)) {
        if (zip_bytes.empty())
            throw std::runtime_error("the code package of '" + name + "' is not stored");
        posix::write_file_atomic(pkg, zip_bytes, 0600, true);
    }
    json record = {
        {"op", "put"},
        {"name", name},
        {"generation", generation},
        {"last_modified", last_modified},
        {"config", config},
        {"code",
         {{"package", pkg.filename().string()}, {"sha256", code_sha256}, {"size", code_size}}}};
    journal_.append(record);
    journal_.sync();
    record["v"] = journal_version;
    live_[name] = std::move(record);
    if (journal_.appended() > 64 + 2 * live_.size()) compact();
    collect_packages();  // the package of the code this put replaced
}

void function_store::remove(const std::string& name) {
    if (!live_.count(name)) return;
    journal_.append({{"op", "delete"}, {"name", name}});
    journal_.sync();
    live_.erase(name);
    if (journal_.appended() > 64 + 2 * live_.size()) compact();
    collect_packages();
}

void function_store::compact() {
    std::vector<json> records;
    records.reserve(live_.size());
    for (auto& [name, r] : live_) records.push_back(r);
    journal_.rewrite(std::move(records));
}

void function_store::collect_packages() {
    std::set<std::string> wanted;
    for (auto& [name, r] : live_) wanted.insert(package_name(string_of(r["code"], "sha256")));
    std::error_code ec;
    bool removed = false;
    for (auto it = fs::directory_iterator(dir_ / "packages", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        if (wanted.count(it->path().filename().string())) continue;
        std::error_code rm;
        fs::remove(it->path(), rm);
        if (rm)
            std::fprintf(stderr, "lambench serve: remove %s: %s\n", it->path().c_str(),
                         rm.message().c_str());
        removed = true;
    }
    if (removed) {
        try {
            posix::sync_directory(dir_ / "packages");
        } catch (const std::system_error&) {
        }
    }
}

}  // namespace lambench::service
