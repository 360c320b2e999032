// Test support for running the runtime client under the REAL local service: a `lambench serve`
// child process (RAII: SIGTERM, then SIGKILL, always reaped), a small libcurl HTTP client for
// the Lambda REST API, and an in-memory zip of a function artifact for CreateFunction.
#pragma once

#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace lambench::runtime::testing {

namespace fs = std::filesystem;

inline std::string read_whole_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class scratch_dir {
  public:
    scratch_dir() {
        std::string tmpl = (fs::temp_directory_path() / "lambench-rt-svc-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        path_ = tmpl;
    }
    ~scratch_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// A zip holding `bootstrap` (mode 0755) with the given executable's bytes: what Lambda wants.
inline std::string zip_bootstrap(const fs::path& executable) {
    scratch_dir tmp;
    const fs::path file = tmp.path() / "code.zip";
    const std::string data = read_whole_file(executable);
    int err = 0;
    zip_t* za = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (za == nullptr) throw std::runtime_error("zip_open failed: " + std::to_string(err));
    zip_source_t* src = zip_source_buffer(za, data.data(), data.size(), 0);
    zip_int64_t idx = src ? zip_file_add(za, "bootstrap", src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
        if (src != nullptr) zip_source_free(src);
        zip_discard(za);
        throw std::runtime_error("zip_file_add failed");
    }
    zip_file_set_external_attributes(za, static_cast<zip_uint64_t>(idx), 0, ZIP_OPSYS_UNIX,
                                     static_cast<zip_uint32_t>(0100755) << 16);
    if (zip_close(za) != 0) {
        zip_discard(za);
        throw std::runtime_error("zip_close failed");
    }
    return read_whole_file(file);
}

inline std::string base64_encode(std::string_view in) {
    static constexpr char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = static_cast<unsigned>(b(i) << 16 | b(i + 1) << 8 | b(i + 2));
        out += tbl[v >> 18 & 63];
        out += tbl[v >> 12 & 63];
        out += tbl[v >> 6 & 63];
        out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = static_cast<unsigned>(b(i) << 16);
        out += tbl[v >> 18 & 63];
        out += tbl[v >> 12 & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = static_cast<unsigned>(b(i) << 16 | b(i + 1) << 8);
        out += tbl[v >> 18 & 63];
        out += tbl[v >> 12 & 63];
        out += tbl[v >> 6 & 63];
        out += '=';
    }
    return out;
}

inline std::string base64_decode(std::string_view in) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            continue;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

struct http_reply {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

// One request with libcurl. Throws when no HTTP answer arrives at all.
inline http_reply http_call(const std::string& method, const std::string& url,
                            const std::string& body = {},
                            const std::vector<std::string>& headers = {}, long timeout_s = 30) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
    if (!c) throw std::runtime_error("curl_easy_init failed");
    http_reply r;
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hl(list, &curl_slist_free_all);
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
    if (method == "POST" || method == "PUT") {
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hl.get());
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(
        c.get(), CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            static_cast<std::string*>(ud)->append(p, s * n);
            return s * n;
        });
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(
        c.get(), CURLOPT_HEADERFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            std::string line(p, s * n);
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& ch : name)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                std::string value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
                    value.pop_back();
                (*static_cast<std::map<std::string, std::string>*>(ud))[name] = value;
            }
            return s * n;
        });
    curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
    CURLcode rc = curl_easy_perform(c.get());
    if (rc != CURLE_OK)
        throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(rc) + ": " + url);
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

// `lambench serve --listen 127.0.0.1:0 --state-dir <tmp>` as a child; the port comes from its one
// stdout line. The destructor stops it (SIGTERM, then SIGKILL after 10 s) and reaps it.
class lambench_service {
  public:
    explicit lambench_service(const std::string& lambench_bin) {
        state_ = scratch_.path() / "state";
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        std::vector<std::string> args{lambench_bin,  "serve",       "--listen",
                                      "127.0.0.1:0", "--state-dir", state_.string()};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        int rc = ::posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::system_error(rc, std::generic_category(), "posix_spawn " + lambench_bin);
        }
        out_fd_ = fds[0];
        std::string out;
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (out.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 100) <= 0) continue;
            char buf[256];
            ssize_t n = ::read(out_fd_, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<std::size_t>(n));
        }
        const std::string line = out.substr(0, out.find('\n'));
        const std::string prefix = "lambench serve: listening on http://127.0.0.1:";
        if (line.rfind(prefix, 0) != 0) {
            stop();
            throw std::runtime_error("lambench serve did not start; its stdout: '" + line + "'");
        }
        url_ = "http://127.0.0.1:" + std::to_string(std::stoi(line.substr(prefix.size())));
    }
    ~lambench_service() { stop(); }
    lambench_service(const lambench_service&) = delete;
    lambench_service& operator=(const lambench_service&) = delete;

    // SIGTERM and wait: the exit code, 128+signal, or -1 when it had to be killed.
    int stop() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            pid_t r;
            while ((r = ::waitpid(pid_, &status, WNOHANG)) == 0 &&
                   std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (r == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                exit_code_ = -1;
            } else {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            pid_ = -1;
        }
        if (out_fd_ >= 0) ::close(out_fd_);
        out_fd_ = -1;
        return exit_code_;
    }

    const std::string& url() const { return url_; }
    const fs::path& state_dir() const { return state_; }

    // CreateFunction through the REST API with the zipped executable as its bootstrap.
    http_reply create_function(const std::string& name, const std::string& zip_b64, int memory_mb,
                               int timeout_s, const std::string& env_json = "{}") const {
        std::string body = R"({"FunctionName":")" + name +
                           R"(","Runtime":"provided.al2023","Handler":"unused",)"
                           R"("Role":"arn:aws:iam::000000000000:role/lambench-test",)"
                           R"("MemorySize":)" +
                           std::to_string(memory_mb) + R"(,"Timeout":)" +
                           std::to_string(timeout_s) + R"(,"Environment":{"Variables":)" +
                           env_json + R"(},"Code":{"ZipFile":")" + zip_b64 + R"("}})";
        return http_call("POST", url_ + "/2015-03-31/functions", body);
    }

    // RequestResponse invoke with the log tail requested.
    http_reply invoke(const std::string& name, const std::string& payload,
                      std::vector<std::string> headers = {}) const {
        headers.push_back("X-Amz-Log-Type: Tail");
        return http_call("POST", url_ + "/2015-03-31/functions/" + name + "/invocations", payload,
                         headers);
    }

  private:
    scratch_dir scratch_;
    fs::path state_;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int exit_code_ = -1;
    std::string url_;
};

// Pids of live processes whose executable lies under `dir` (the service unpacks code there).
inline std::vector<pid_t> processes_running_from(const fs::path& dir) {
    std::vector<pid_t> found;
    const std::string prefix = fs::weakly_canonical(dir).string() + "/";
    struct dir_closer {
        void operator()(DIR* d) const { ::closedir(d); }
    };
    std::unique_ptr<DIR, dir_closer> proc(::opendir("/proc"));
    if (!proc) throw std::system_error(errno, std::generic_category(), "opendir /proc");
    while (dirent* e = ::readdir(proc.get())) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0') continue;
        std::error_code ec;
        fs::path exe = fs::read_symlink(fs::path("/proc") / e->d_name / "exe", ec);
        if (!ec && exe.string().rfind(prefix, 0) == 0) found.push_back(static_cast<pid_t>(pid));
    }
    return found;
}

}  // namespace lambench::runtime::testing
