// The functions the service knows, each a chain of immutable configuration versions: every
// configuration or code update makes a new function_record with a higher generation, and
// sandboxes of an older generation are retired (the next invoke is cold).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config.hpp"

namespace lambench::service {

// The one account of the local service, in every ARN it makes.
inline constexpr const char* local_account = "000000000000";
// Where a function's reserved concurrency is kept in its saved configuration (api_config).
inline constexpr const char* reserved_concurrency_key = "ReservedConcurrentExecutions";

// A code directory the service unpacked: deleted with its last user. Every function_record
// (generation) made from one package shares it (a configuration update keeps the code), and a
// sandbox holds its record for its whole life, so the directory goes when the function has been
// deleted or given new code *and* the last sandbox that ran from it is gone, never before.
class unpacked_code {
  public:
    explicit unpacked_code(std::filesystem::path dir) : dir_(std::move(dir)) {}
    ~unpacked_code();
    unpacked_code(const unpacked_code&) = delete;
    unpacked_code& operator=(const unpacked_code&) = delete;
    const std::filesystem::path& dir() const { return dir_; }

  private:
    std::filesystem::path dir_;
};

struct function_record {
    function_spec spec;
    std::string arn;
    std::filesystem::path code_dir;                 // LAMBDA_TASK_ROOT
    std::shared_ptr<const unpacked_code> unpacked;  // set when code_dir is ours to delete
    std::string code_sha256;      // base64 sha256 of the zip (or of the directory listing)
    std::uint64_t code_size = 0;  // zip bytes, or the directory's total bytes
    std::string last_modified;
    std::uint64_t generation = 0;
    // Created through the API: its CreateFunction request without Code, later configuration
    // updates merged in; what the function_store keeps. Null for a function of the config file.
    nlohmann::json api_config;
    // Lambda applies a create or an update asynchronously: until ready_at the function is
    // State Pending (after CreateFunction) or LastUpdateStatus InProgress (after an update).
    enum class change { create, update };
    change last_change = change::create;
    std::chrono::steady_clock::time_point ready_at{};
    bool pending(std::chrono::steady_clock::time_point now) const {
        return last_change == change::create && now < ready_at;
    }
    bool updating(std::chrono::steady_clock::time_point now) const {
        return last_change == change::update && now < ready_at;
    }
};
using function_ptr = std::shared_ptr<const function_record>;

// Where a function's code comes from.
struct code_source {
    std::string zip_bytes;            // a deployment package, extracted into the run dir
    std::filesystem::path directory;  // or a directory used in place (config file only)
};

class function_store;

class registry {
  public:
    // code_root: where packages are extracted, one directory per code version, each removed
    // when no generation uses it any more (what is left is removed by the caller at shutdown).
    registry(std::filesystem::path code_root, std::string region);
    // From now on every change to a function created through the API (api_config not null) is
    // made durable in `store` before it takes effect; a store failure throws and changes nothing.
    void persist_to(function_store* store) { store_ = store; }

    function_ptr find(const std::string& name) const;  // null when absent
    function_ptr get(const std::string& name) const;   // throws 404
    // Throws 409 when the name exists, 400 for bad packages/values. `api_config`: see
    // function_record (null: a function of the config file, not persisted).
    function_ptr create(function_spec spec, const code_source& code,
                        nlohmann::json api_config = nullptr);
    // A function saved by an earlier run, with its generation and LastModified.
    function_ptr restore(function_spec spec, const code_source& code, nlohmann::json api_config,
                         std::uint64_t generation, const std::string& last_modified);
    // Same name; new generation. `api_config`: the function's, with this update merged in.
    function_ptr update_config(const function_spec& spec, nlohmann::json api_config = nullptr);
    function_ptr update_code(const std::string& name, const code_source& code);
    void remove(const std::string& name);  // throws 404
    std::vector<function_ptr> list() const;
    std::string arn_for(const std::string& name) const;

    // How long a create stays Pending and an update InProgress (0 = done at once, the default).
    // Functions created before it is set (the config file's) are Active at once.
    void set_update_delay(std::chrono::milliseconds d) { update_delay_ = d; }

    // Tags belong to the function, not to a generation: kept across updates, gone with it.
    using tag_map = std::map<std::string, std::string>;
    const tag_map& tags(const std::string& name) const;                         // throws 404
    void tag(const std::string& name, const tag_map& add);                      // throws 404
    void untag(const std::string& name, const std::vector<std::string>& keys);  // throws 404

    // Reserved concurrency (PutFunctionConcurrency), also of the function and not of a
    // generation: setting it makes no new generation (warm sandboxes stay) and is saved with the
    // function's configuration, durable before it returns (500 when it cannot be saved).
    // nullopt: none, the function draws on the unreserved pool. The getter is nullopt for an
    // unknown name too; the setter throws 404.
    std::optional<int> reserved_concurrency(const std::string& name) const;
    void set_reserved_concurrency(const std::string& name, std::optional<int> n);
    // The reservations of every function but `except`, added up.
    long long reserved_total(const std::string& except) const;

  private:
    std::shared_ptr<function_record> install(function_spec spec, const code_source& code,
                                             std::uint64_t gen, function_record::change c);
    void save(const function_record& rec, std::string_view zip_bytes);
    void stamp(function_record& rec, function_record::change c) const;
    std::filesystem::path code_root_;
    function_store* store_ = nullptr;
    std::string region_;
    std::uint64_t next_generation_ = 1;
    std::map<std::string, function_ptr> functions_;
    std::map<std::string, tag_map> tags_;
    std::map<std::string, int> reserved_;
    std::chrono::milliseconds update_delay_{0};
};

}  // namespace lambench::service
