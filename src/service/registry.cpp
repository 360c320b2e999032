#include "registry.hpp"

#include <algorithm>
#include <cstdio>

#include "errors.hpp"
#include "function_store.hpp"
#include "util.hpp"
#include "zip_extract.hpp"

namespace lambench::service {

namespace fs = std::filesystem;

unpacked_code::~unpacked_code() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (ec)
        std::fprintf(stderr, "lambench serve: remove %s: %s\n", dir_.c_str(), ec.message().c_str());
}

registry::registry(fs::path code_root, std::string region)
    : code_root_(std::move(code_root)), region_(std::move(region)) {}

std::string registry::arn_for(const std::string& name) const {
    return "arn:aws:lambda:" + region_ + ":" + local_account + ":function:" + name;
}

function_ptr registry::find(const std::string& name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : it->second;
}

function_ptr registry::get(const std::string& name) const {
    if (auto f = find(name)) return f;
    throw not_found("Function not found: " + arn_for(name));
}

std::shared_ptr<function_record> registry::install(function_spec spec, const code_source& code,
                                                   std::uint64_t gen, function_record::change c) {
    auto rec = std::make_shared<function_record>();
    stamp(*rec, c);
    rec->arn = arn_for(spec.name);
    rec->generation = gen;
    rec->last_modified = lambda_timestamp_now();
    if (!code.directory.empty()) {
        std::error_code ec;
        if (!fs::is_directory(code.directory, ec))
            throw invalid_parameter("code directory '" + code.directory.string() +
                                    "' does not exist");
        rec->code_dir = fs::canonical(code.directory);
        std::string listing;
        for (auto& e : fs::recursive_directory_iterator(rec->code_dir, ec)) {
            if (e.is_regular_file(ec)) {
                rec->code_size += e.file_size(ec);
                listing += e.path().string() + ":" + std::to_string(e.file_size(ec)) + "\n";
            }
        }
        rec->code_sha256 = sha256_base64(listing);
    } else {
        fs::path dest = code_root_ / (spec.name + "-" + std::to_string(gen));
        fs::remove_all(dest);
        try {
            extract_zip(code.zip_bytes, dest);
        } catch (const zip_rejected& e) {
            fs::remove_all(dest);
            throw invalid_parameter(std::string("Code.ZipFile: ") + e.what());
        }
        rec->code_dir = dest;
        rec->unpacked = std::make_shared<const unpacked_code>(dest);
        rec->code_size = code.zip_bytes.size();
        rec->code_sha256 = sha256_base64(code.zip_bytes);
    }
    rec->spec = std::move(spec);
    return rec;
}

void registry::stamp(function_record& rec, function_record::change c) const {
    rec.last_change = c;
    rec.ready_at = std::chrono::steady_clock::now() + update_delay_;
}

void registry::save(const function_record& rec, std::string_view zip_bytes) {
    if (!store_ || rec.api_config.is_null()) return;
    try {
        store_->put(rec.spec.name, rec.api_config, zip_bytes, rec.code_sha256, rec.code_size,
                    rec.generation, rec.last_modified);
    } catch (const std::exception& e) {
        throw api_error(500, "ServiceException",
                        "cannot save function '" + rec.spec.name + "': " + e.what());
    }
}

function_ptr registry::create(function_spec spec, const code_source& code,
                              nlohmann::json api_config) {
    if (functions_.count(spec.name))
        throw api_error(409, "ResourceConflictException", "Function already exist: " + spec.name);
    std::string name = spec.name;
    auto rec = install(std::move(spec), code, next_generation_++, function_record::change::create);
    rec->api_config = std::move(api_config);
    save(*rec, code.zip_bytes);  // durable before the function exists
    functions_[name] = rec;
    tags_[name];
    return rec;
}

function_ptr registry::restore(function_spec spec, const code_source& code,
                               nlohmann::json api_config, std::uint64_t generation,
                               const std::string& last_modified) {
    if (functions_.count(spec.name))
        throw api_error(409, "ResourceConflictException", "Function already exist: " + spec.name);
    std::string name = spec.name;
    auto rec = install(std::move(spec), code, generation, function_record::change::create);
    rec->ready_at = {};  // a function restored from the state directory is Active at once
    rec->api_config = std::move(api_config);
    if (!last_modified.empty()) rec->last_modified = last_modified;
    next_generation_ = std::max(next_generation_, generation + 1);
    functions_[name] = rec;
    // The tags given at CreateFunction are part of the saved request. (TagResource and
    // UntagResource after the create are not journaled: a known gap, docs/state.md.)
    auto& t = tags_[name];
    if (auto it = rec->api_config.find("Tags"); it != rec->api_config.end() && it->is_object())
        for (const auto& [k, v] : it->items())
            if (v.is_string()) t[k] = v.get<std::string>();
    if (auto it = rec->api_config.find(reserved_concurrency_key);
        it != rec->api_config.end() && it->is_number_integer() &&
        validate_reserved_concurrency(it->get<long long>()).empty())
        reserved_[name] = it->get<int>();
    return rec;
}

function_ptr registry::update_config(const function_spec& spec, nlohmann::json api_config) {
    auto old = get(spec.name);
    auto rec = std::make_shared<function_record>(*old);
    rec->spec = spec;
    rec->generation = next_generation_++;
    rec->last_modified = lambda_timestamp_now();
    rec->api_config = old->api_config.is_null() ? nlohmann::json() : std::move(api_config);
    save(*rec, {});
    stamp(*rec, function_record::change::update);
    functions_[spec.name] = rec;
    return rec;
}

function_ptr registry::update_code(const std::string& name, const code_source& code) {
    auto old = get(name);
    auto rec = install(old->spec, code, next_generation_++, function_record::change::update);
    rec->api_config = old->api_config;
    save(*rec, code.zip_bytes);
    functions_[name] = rec;
    return rec;
}

void registry::remove(const std::string& name) {
    auto old = get(name);
    if (store_ && !old->api_config.is_null()) {
        try {
            store_->remove(name);
        } catch (const std::exception& e) {
            throw api_error(500, "ServiceException",
                            "cannot delete the saved function '" + name + "': " + e.what());
        }
    }
    functions_.erase(name);
    tags_.erase(name);
    reserved_.erase(name);
}

std::optional<int> registry::reserved_concurrency(const std::string& name) const {
    auto it = reserved_.find(name);
    if (it == reserved_.end()) return std::nullopt;
    return it->second;
}

void registry::set_reserved_concurrency(const std::string& name, std::optional<int> n) {
    auto old = get(name);
    if (!old->api_config.is_null()) {
        // The same generation with the setting in its saved configuration: no new version of
        // the function (Lambda's PutFunctionConcurrency changes neither code nor configuration).
        auto rec = std::make_shared<function_record>(*old);
        if (n)
            rec->api_config[reserved_concurrency_key] = *n;
        else
            rec->api_config.erase(reserved_concurrency_key);
        save(*rec, {});
        functions_[name] = rec;
    }
    if (n)
        reserved_[name] = *n;
    else
        reserved_.erase(name);
}

long long registry::reserved_total(const std::string& except) const {
    long long total = 0;
    for (const auto& [name, n] : reserved_)
        if (name != except) total += n;
    return total;
}

const registry::tag_map& registry::tags(const std::string& name) const {
    get(name);
    static const tag_map none;
    auto it = tags_.find(name);
    return it == tags_.end() ? none : it->second;
}

void registry::tag(const std::string& name, const tag_map& add) {
    get(name);
    auto& t = tags_[name];
    for (const auto& [k, v] : add) t[k] = v;
}

void registry::untag(const std::string& name, const std::vector<std::string>& keys) {
    get(name);
    auto& t = tags_[name];
    for (const auto& k : keys) t.erase(k);
}

std::vector<function_ptr> registry::list() const {
    std::vector<function_ptr> out;
    out.reserve(functions_.size());
    for (auto& [n, f] : functions_) out.push_back(f);
    return out;
}

}  // namespace lambench::service
