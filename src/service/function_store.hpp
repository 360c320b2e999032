// The functions created through the Lambda API, kept in the state directory so that they survive
// a restart (docs/state.md). In <state>/service/functions/:
//   journal.jsonl            {"v":1,"op":"put","name":N,"generation":G,"last_modified":T,
//                             "config":{...the CreateFunction request without Code, with every
//                                       later UpdateFunctionConfiguration merged in...},
//                             "code":{"package":"<sha256 hex>.zip","sha256":"<base64>","size":S}}
//                            {"v":1,"op":"delete","name":N}
//   packages/<sha256 hex>.zip the deployment packages the live records name
// A put or delete is durable (fsynced) before the API call is answered. The configuration is kept
// as the request's JSON, so a field the API learns later is kept without a format change.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journal.hpp"

namespace lambench::service {

struct saved_function {
    std::string name;
    nlohmann::json config;  // CreateFunction-style, without Code
    std::string zip_bytes;
    std::string code_sha256;  // base64, as in CodeSha256
    std::uint64_t generation = 0;
    std::string last_modified;
};

class function_store {
  public:
    explicit function_store(std::filesystem::path dir);  // creates it

    // The saved functions, in name order. Damaged records and missing or altered packages are
    // reported in `problems` and skipped; the journal is then compacted (a damaged one is kept
    // as journal.jsonl.bad first) and packages no record names are removed.
    std::vector<saved_function> load(std::vector<std::string>& problems);

    // Durable on return; throws std::system_error (disk full ...). `zip_bytes` is stored as the
    // package unless one with the same digest is already there (empty: the code did not change).
    void put(const std::string& name, const nlohmann::json& config, std::string_view zip_bytes,
             const std::string& code_sha256, std::uint64_t code_size, std::uint64_t generation,
             const std::string& last_modified);
    void remove(const std::string& name);  // no-op for a name it does not hold
    bool holds(const std::string& name) const { return live_.count(name) != 0; }

    const std::filesystem::path& dir() const { return dir_; }

  private:
    void compact();
    void collect_packages();  // removes packages no live record names
    std::filesystem::path dir_;
    journal journal_;
    std::map<std::string, nlohmann::json> live_;  // name -> its last put record
};

}  // namespace lambench::service
