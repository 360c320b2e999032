// The functions the service knows, each a chain of immutable configuration versions: every
// configuration or code update makes a new function_record with a higher generation, and
// sandboxes of an older generation are retired (the next invoke is cold).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"

namespace lambench::service {

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

class registry {
  public:
    // code_root: where packages are extracted, one directory per code version, each removed
    // when no generation uses it any more (what is left is removed by the caller at shutdown).
    registry(std::filesystem::path code_root, std::string region);

    function_ptr find(const std::string& name) const;  // null when absent
    function_ptr get(const std::string& name) const;   // throws 404
    // Throws 409 when the name exists, 400 for bad packages/values.
    function_ptr create(function_spec spec, const code_source& code);
    function_ptr update_config(const function_spec& spec);  // same name; new generation
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

  private:
    function_ptr install(function_spec spec, const code_source& code, std::uint64_t gen,
                         function_record::change c);
    void stamp(function_record& rec, function_record::change c) const;
    std::filesystem::path code_root_;
    std::string region_;
    std::uint64_t next_generation_ = 1;
    std::map<std::string, function_ptr> functions_;
    std::map<std::string, tag_map> tags_;
    std::chrono::milliseconds update_delay_{0};
};

}  // namespace lambench::service
