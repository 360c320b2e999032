// Test harness: a real `lambench serve` child process, a real HTTP client (libcurl), real zips.
#pragma once

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace lambench_test {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out << data;
}

class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (fs::temp_directory_path() / "lambench-svc-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

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

struct zip_entry {
    std::string name;
    std::string data;
    unsigned mode = 0100644;  // st_mode, stored in the Unix external attributes
};

// Builds a zip in memory (through a temp file) with exactly the given names and modes.
inline std::string make_zip(const std::vector<zip_entry>& entries) {
    temp_dir tmp;
    fs::path file = tmp.path() / "x.zip";
    int err = 0;
    zip_t* za = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!za) throw std::runtime_error("zip_open failed");
    for (const auto& e : entries) {
        zip_source_t* src = zip_source_buffer(za, e.data.data(), e.data.size(), 0);
        zip_int64_t idx = zip_file_add(za, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
        if (idx < 0) throw std::runtime_error("zip_file_add failed for " + e.name);
        zip_file_set_external_attributes(za, static_cast<zip_uint64_t>(idx), 0, ZIP_OPSYS_UNIX,
                                         static_cast<zip_uint32_t>(e.mode) << 16);
    }
    if (zip_close(za) != 0) throw std::runtime_error("zip_close failed");
    return read_file(file);
}

inline std::string base64(const std::string& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    auto b = [&](std::size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(in[k])); };
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = b(i) << 16 | b(i + 1) << 8 | b(i + 2);
        out += tbl[v >> 18 & 63], out += tbl[v >> 12 & 63], out += tbl[v >> 6 & 63], out += tbl[v & 63];
    }
    if (i + 1 == in.size()) {
        unsigned v = b(i) << 16;
        out += tbl[v >> 18 & 63], out += tbl[v >> 12 & 63], out += "==";
    } else if (i + 2 == in.size()) {
        unsigned v = b(i) << 16 | b(i + 1) << 8;
        out += tbl[v >> 18 & 63], out += tbl[v >> 12 & 63], out += tbl[v >> 6 & 63], out += '=';
    }
    return out;
}

inline std::string unbase64(const std::string& in) {
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else continue;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

struct http_result {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

inline http_result http(const std::string& method, const std::string& url, const std::string& body = {},
                        const std::vector<std::string>& headers = {}, long timeout_s = 30) {
    CURL* c = curl_easy_init();
    http_result r;
    curl_slist* hl = nullptr;
    for (auto& h : headers) hl = curl_slist_append(hl, h.c_str());
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || method == "PUT") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
        static_cast<std::string*>(ud)->append(p, s * n);
        return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
        std::string line(p, s * n);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
            (*static_cast<std::map<std::string, std::string>*>(ud))[name] = value;
        }
        return s * n;
    });
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(rc) + " " + url);
    return r;
}

// A running `lambench serve --listen 127.0.0.1:0`.
class service_process {
public:
    explicit service_process(const std::string& config_toml, std::vector<std::string> extra = {},
                             std::map<std::string, std::string> env = {}) {
        state_ = fs::path(tmp_.path()) / "state";
        fs::path cfg = tmp_.path() / "service.toml";
        write_file(cfg, config_toml);
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
            std::vector<std::string> args{LAMBENCH_BIN, "serve", "--listen", "127.0.0.1:0", "--config",
                                          cfg.string(), "--state-dir", state_.string()};
            for (auto& e : extra) args.push_back(e);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        out_fd_ = fds[0];
        std::string line;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
            pollfd p{out_fd_, POLLIN, 0};
            if (::poll(&p, 1, 200) > 0) {
                char buf[256];
                ssize_t n = ::read(out_fd_, buf, sizeof buf);
                if (n <= 0) break;
                line.append(buf, static_cast<std::size_t>(n));
            }
        }
        first_line_ = line.substr(0, line.find('\n'));
        const std::string prefix = "lambench serve: listening on http://127.0.0.1:";
        if (first_line_.rfind(prefix, 0) != 0) {
            stop();
            throw std::runtime_error("lambench serve did not start: '" + first_line_ + "'");
        }
        port_ = std::stoi(first_line_.substr(prefix.size()));
        url_ = "http://127.0.0.1:" + std::to_string(port_);
    }
    ~service_process() { stop(); }
    service_process(const service_process&) = delete;
    service_process& operator=(const service_process&) = delete;

    // SIGTERM; returns the exit status (-1 if it had to be killed).
    int stop() {
        if (pid_ <= 0) return exit_code_;
        ::kill(pid_, SIGTERM);
        int status = 0;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                status = -1;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        exit_code_ = status == -1 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        pid_ = -1;
        if (out_fd_ >= 0) ::close(out_fd_);
        out_fd_ = -1;
        return exit_code_;
    }

    pid_t pid() const { return pid_; }
    const std::string& url() const { return url_; }
    const std::string& first_line() const { return first_line_; }
    const fs::path& state_dir() const { return state_; }
    const fs::path& dir() const { return tmp_.path(); }
    std::string invoke_url(const std::string& name) const {
        return url_ + "/2015-03-31/functions/" + name + "/invocations";
    }
    http_result invoke(const std::string& name, const std::string& payload = "{}",
                       std::vector<std::string> headers = {}) const {
        headers.push_back("X-Amz-Log-Type: Tail");
        return http("POST", invoke_url(name), payload, headers);
    }

private:
    temp_dir tmp_;
    fs::path state_;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    int port_ = 0;
    int exit_code_ = -1;
    std::string url_, first_line_;
};

// The REPORT line of a decoded log tail, split into "Name: value" fields.
inline std::map<std::string, std::string> report_fields(const std::string& log) {
    std::map<std::string, std::string> out;
    auto pos = log.rfind("REPORT RequestId: ");
    if (pos == std::string::npos) return out;
    std::string line = log.substr(pos, log.find('\n', pos) - pos);
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) {
        auto colon = field.find(": ");
        if (colon != std::string::npos) out[field.substr(0, colon)] = field.substr(colon + 2);
    }
    out["line"] = line;
    return out;
}

inline double ms_value(const std::string& v) { return std::atof(v.c_str()); }

inline bool require_cgroups() {
    const char* v = std::getenv("LAMBENCH_REQUIRE_CGROUPS");
    return v && std::string(v) == "1";
}

}  // namespace lambench_test
