#include "registry.hpp"

#include <cstdio>

#include "errors.hpp"
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
    return "arn:aws:lambda:" + region_ + ":000000000000:function:" + name;
}

function_ptr registry::find(const std::string& name) const {
    auto it = functions_.find(name);
    return it == functions_.end() ? nullptr : it->second;
}

function_ptr registry::get(const std::string& name) const {
    if (auto f = find(name)) return f;
    throw not_found("Function not found: " + arn_for(name));
}

function_ptr registry::install(function_spec spec, const code_source& code, std::uint64_t gen) {
    auto rec = std::make_shared<function_record>();
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

function_ptr registry::create(function_spec spec, const code_source& code) {
    if (functions_.count(spec.name))
        throw api_error(409, "ResourceConflictException", "Function already exist: " + spec.name);
    std::string name = spec.name;
    auto rec = install(std::move(spec), code, next_generation_++);
    functions_[name] = rec;
    return rec;
}

function_ptr registry::update_config(const function_spec& spec) {
    auto old = get(spec.name);
    auto rec = std::make_shared<function_record>(*old);
    rec->spec = spec;
    rec->generation = next_generation_++;
    rec->last_modified = lambda_timestamp_now();
    functions_[spec.name] = rec;
    return rec;
}

function_ptr registry::update_code(const std::string& name, const code_source& code) {
    auto old = get(name);
    auto rec = install(old->spec, code, next_generation_++);
    functions_[name] = rec;
    return rec;
}

void registry::remove(const std::string& name) {
    get(name);
    functions_.erase(name);
}

std::vector<function_ptr> registry::list() const {
    std::vector<function_ptr> out;
    out.reserve(functions_.size());
    for (auto& [n, f] : functions_) out.push_back(f);
    return out;
}

}  // namespace lambench::service
