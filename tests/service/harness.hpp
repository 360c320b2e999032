// Test harness: a real `lambench serve` child process, a real HTTP client (libcurl), real zips.
// The pieces live in tests/support (shared with the runtime and aws tests); this header keeps the
// names the service tests use.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/report.hpp"
#include "support/serve.hpp"
#include "support/zip.hpp"

namespace lambench_test {

namespace fs = std::filesystem;

using lambench::test_support::http;
using lambench::test_support::http_result;
using lambench::test_support::make_zip;
using lambench::test_support::ms_value;
using lambench::test_support::read_file;
using lambench::test_support::report_fields;
using lambench::test_support::temp_dir;
using lambench::test_support::write_file;
using lambench::test_support::zip_entry;

// A directory holding the test function as `bootstrap`.
inline fs::path make_code_dir(const fs::path& parent) {
    fs::path dir = parent / "code";
    fs::create_directories(dir);
    fs::copy_file(TESTFN_BIN, dir / "bootstrap", fs::copy_options::overwrite_existing);
    fs::permissions(dir / "bootstrap", fs::perms::owner_all | fs::perms::group_read |
                                           fs::perms::group_exec | fs::perms::others_read |
                                           fs::perms::others_exec);
    return dir;
}

inline std::string base64(const std::string& in) {
    return lambench::common::base64_encode(in);
}

// Lenient (whitespace, missing padding); "" for text that is not base64.
inline std::string unbase64(const std::string& in) {
    return lambench::common::base64_decode(in, lambench::common::base64_mode::lenient).value_or("");
}

// A running `lambench serve --listen 127.0.0.1:0 --config <config_toml> --state-dir <dir>/state
// <extra...>` with `env` added to the environment.
class service_process : public lambench::test_support::serve_process {
  public:
    explicit service_process(const std::string& config_toml, std::vector<std::string> extra = {},
                             std::map<std::string, std::string> env = {})
        : serve_process(LAMBENCH_BIN, options(config_toml, std::move(extra), std::move(env))) {}

  private:
    static lambench::test_support::serve_options options(const std::string& config_toml,
                                                         std::vector<std::string> extra,
                                                         std::map<std::string, std::string> env) {
        lambench::test_support::serve_options o;
        o.config_toml = config_toml;
        o.extra_args = std::move(extra);
        o.env = std::move(env);
        return o;
    }
};

inline bool require_cgroups() {
    const char* v = std::getenv("LAMBENCH_REQUIRE_CGROUPS");
    return v && std::string(v) == "1";
}

// One [[function]] block of a service config.
inline std::string function_block(const std::string& name, const std::string& handler,
                                  const fs::path& code, int memory = 128, int timeout = 3,
                                  const std::string& extra = {}) {
    return "[[function]]\nname = \"" + name + "\"\nhandler = \"" + handler + "\"\ncode = \"" +
           code.string() + "\"\nmemory = " + std::to_string(memory) +
           "\ntimeout = " + std::to_string(timeout) + "\n" + extra + "\n";
}

// Descriptors a process holds open right now.
inline std::size_t open_fds(pid_t pid) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

// A shell command's standard output; *status is what pclose() returns.
inline std::string run_capture(const std::string& cmd, int* status) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    *status = ::pclose(p);
    return out;
}

}  // namespace lambench_test
