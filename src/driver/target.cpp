#include "driver/target.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "aws/lambda_client.hpp"
#include "aws/zip.hpp"
#include "driver/aws_target.hpp"
#include "driver/lambda_outcome.hpp"
#include "posix/child_process.hpp"

namespace lambench::driver {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string self_executable() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("lambench") : p.string();
}

invoke_outcome outcome_of(const aws::invoke_result& r) {
    invoke_outcome out;
    out.round_trip_ms = std::chrono::duration<double, std::milli>(r.round_trip).count();
    if (r.first_byte.count() > 0)
        out.first_byte_ms = std::chrono::duration<double, std::milli>(r.first_byte).count();
    out.model = r.lambench_model;
    out.report = parse_report_line(r.log_tail);
    if (!r.function_error.empty()) {
        json body = json::parse(r.payload, nullptr, false);
        out.error_type =
            body.is_object() ? body.value("errorType", r.function_error) : r.function_error;
        out.error_message = body.is_object() ? body.value("errorMessage", r.payload) : r.payload;
        return out;
    }
    if (!out.report) {
        out.error_type = "Report.Missing";
        out.error_message = "no REPORT line in the invocation's log tail";
        return out;
    }
    out.ok = true;
    return out;
}

namespace {

// Lambda function names: letters, digits, '-' and '_', at most 64 characters.
std::string function_name_for(const variant_info& v) {
    std::string name = "lb-" + v.function + "-" + v.profile;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    if (name.size() > 64) name.resize(64);
    return name;
}

// Any Lambda REST API endpoint: the local service or an emulator (same wire format as AWS).
class lambda_api_target final : public target {
  public:
    lambda_api_target(std::string endpoint, std::string region)
        : endpoint_(std::move(endpoint)),
          client_(endpoint_, std::move(region), aws::load_credentials()) {}
    ~lambda_api_target() override { remove(); }

    std::string describe() const override { return endpoint_; }

    void deploy(const deploy_spec& spec, int memory_mb) override {
        remove();
        spec_ = spec;
        name_ = function_name_for(spec.info);
        memory_mb_ = memory_mb;
        std::vector<std::uint8_t> zip;
        try {
            if (fs::is_directory(spec.artifact)) {
                zip = aws::zip_directory(spec.artifact);
            } else {
                std::ifstream in(spec.artifact, std::ios::binary);
                if (!in)
                    throw std::runtime_error("artifact '" + spec.artifact + "' does not exist");
                zip.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            }
        } catch (const std::exception& e) {
            throw target_error("Artifact.Missing", e.what());
        }
        aws::function_config cfg;
        cfg.name = name_;
        cfg.runtime = spec.info.runtime;
        cfg.handler = spec.handler;
        cfg.architecture = spec.info.architecture;
        cfg.memory_mb = memory_mb;
        cfg.timeout_s = spec.timeout_s;
        cfg.environment = spec.environment;
        call("CreateFunction", [&] {
            try {
                client_.create_function(cfg, zip);
            } catch (const aws::api_error& e) {
                if (e.type != "ResourceConflictException") throw;
                client_.delete_function(name_);  // left over from an earlier, killed run
                client_.create_function(cfg, zip);
            }
        });
        deployed_ = true;
        wait_until_ready();
    }

    void set_memory(int memory_mb) override {
        memory_mb_ = memory_mb;
        update(cold_counter_);
    }

    void force_cold(long n) override {
        cold_counter_ = n;
        update(n);
    }

    invoke_outcome invoke(const std::string& payload) override {
        invoke_outcome out;
        aws::invoke_result r;
        try {
            r = spec_.stream ? client_.invoke_stream(name_, payload, true)
                             : client_.invoke(name_, payload, true);
        } catch (const aws::api_error& e) {
            out.error_type = e.type;
            out.error_message = e.what();
            return out;
        } catch (const std::exception& e) {
            out.error_type = "Client.Error";
            out.error_message = e.what();
            return out;
        }
        return outcome_of(r);
    }

    void remove() noexcept override {
        if (!deployed_) return;
        deployed_ = false;
        try {
            client_.delete_function(name_);
        } catch (...) {
            // Best effort: the private service's state directory is removed anyway.
        }
    }

  private:
    template <class F>
    void call(const char* what, F&& f) {
        try {
            f();
        } catch (const aws::api_error& e) {
            throw target_error(e.type, std::string(what) + ": " + e.what());
        } catch (const target_error&) {
            throw;
        } catch (const std::exception& e) {
            throw target_error("Client.Error", std::string(what) + ": " + e.what());
        }
    }

    void update(long cold) {
        auto env = spec_.environment;
        if (cold > 0) env["LAMBENCH_COLD"] = std::to_string(cold);
        json body = {{"MemorySize", memory_mb_}, {"Environment", {{"Variables", env}}}};
        call("UpdateFunctionConfiguration",
             [&] { client_.update_function_configuration(name_, body.dump()); });
        wait_until_ready();
    }

    // AWS applies configuration asynchronously (LastUpdateStatus InProgress); wait so the next
    // invoke sees the new memory size and a fresh sandbox.
    void wait_until_ready() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (true) {
            json cfg;
            call("GetFunctionConfiguration", [&] {
                cfg = json::parse(client_.get_function_configuration(name_), nullptr, false);
            });
            const std::string state = cfg.is_object() ? cfg.value("State", "Active") : "Active";
            const std::string update =
                cfg.is_object() ? cfg.value("LastUpdateStatus", "Successful") : "Successful";
            if (state == "Failed" || update == "Failed")
                throw target_error("Function.Failed", "function " + name_ + " is in state " +
                                                          state + " / last update " + update);
            if (state != "Pending" && update != "InProgress") return;
            if (std::chrono::steady_clock::now() > deadline)
                throw target_error("Function.NotReady",
                                   "function " + name_ + " not ready after 60 s");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    std::string endpoint_;
    aws::lambda_client client_;
    deploy_spec spec_;
    std::string name_;
    int memory_mb_ = 128;
    long cold_counter_ = 0;
    bool deployed_ = false;
};

std::unique_ptr<target> make_api_target(const std::string& endpoint, const target_options& o) {
    return std::make_unique<lambda_api_target>(endpoint, o.region);
}

// A private `lambench serve` for the run: started on an ephemeral port, stopped at the end.
class local_target final : public target {
  public:
    explicit local_target(const target_options& o) {
        std::error_code ec;
        state_ = o.state_dir + "/serve-" + std::to_string(::getpid());
        fs::remove_all(state_, ec);
        fs::create_directories(state_, ec);
        if (ec)
            throw target_error("Target.Unavailable",
                               "cannot create " + state_ + ": " + ec.message());
        const std::string bin = o.serve_bin.empty() ? self_executable() : o.serve_bin;
        const std::string log = state_ + "/serve.log";
        posix::spawn_options so;
        so.argv = {bin, "serve", "--listen", "127.0.0.1:0", "--state-dir", state_ + "/state"};
        so.env = std::nullopt;
        so.output = posix::output_to::file;
        so.output_file = log;
        so.new_process_group = false;
        so.die_with_parent = true;  // a killed run does not leave a service behind
        so.ignore_sigint = true;    // Ctrl-C is the driver's: it stops the service after recording
        so.stop_grace = std::chrono::milliseconds(3000);
        try {
            serve_.emplace(posix::child_process::spawn(so));
        } catch (const std::system_error& e) {
            throw target_error("Target.Unavailable",
                               std::string("cannot start lambench serve: ") + e.what());
        }
        endpoint_ = wait_for_listening(log, std::chrono::seconds(30));
        api_ = make_api_target(endpoint_, o);
    }
    ~local_target() override {
        api_.reset();  // delete functions while the service still runs
        if (serve_) serve_->terminate(std::chrono::milliseconds(3000));
        std::error_code ec;
        fs::remove_all(state_, ec);
    }

    std::string describe() const override { return "local (" + endpoint_ + ")"; }
    void deploy(const deploy_spec& s, int m) override { api_->deploy(s, m); }
    void set_memory(int m) override { api_->set_memory(m); }
    void force_cold(long n) override { api_->force_cold(n); }
    invoke_outcome invoke(const std::string& p) override {
        auto out = api_->invoke(p);
        if (!out.ok && out.error_type == "Client.Error" && serve_ && !serve_->running())
            out.error_message += " (lambench serve exited: " + serve_exit() + ")";
        return out;
    }
    void remove() noexcept override { api_->remove(); }

  private:
    // The service prints exactly one line "lambench serve: listening on http://<address>:<port>".
    std::string wait_for_listening(const std::string& log, std::chrono::seconds timeout) {
        const std::string marker = "lambench serve: listening on ";
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(log);
            std::string line;
            while (std::getline(in, line)) {
                auto pos = line.find(marker);
                if (pos != std::string::npos) {
                    std::string url = line.substr(pos + marker.size());
                    while (!url.empty() && (url.back() == '\r' || url.back() == ' '))
                        url.pop_back();
                    return url;
                }
            }
            if (!serve_->running()) {
                std::ifstream again(log);
                std::stringstream buf;
                buf << again.rdbuf();
                std::string text = buf.str();
                if (text.size() > 400) text = text.substr(text.size() - 400);
                for (char& c : text)
                    if (c == '\n') c = ' ';
                throw target_error("Target.Unavailable",
                                   "lambench serve exited (" + serve_exit() + "): " + text);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw target_error("Target.Unavailable",
                           "lambench serve did not report its address within " +
                               std::to_string(timeout.count()) + " s (log: " + log + ")");
    }

    std::string state_, endpoint_;
    std::string serve_exit() {
        auto st = serve_->try_wait();
        return st ? st->describe() : "running";
    }
    std::optional<posix::child_process> serve_;
    std::unique_ptr<target> api_;
};

}  // namespace

std::unique_ptr<target> make_target(const target_options& o) {
    if (o.spec == "local") return std::make_unique<local_target>(o);
    if (o.spec.rfind("endpoint=", 0) == 0) {
        const std::string url = o.spec.substr(9);
        if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
            throw std::invalid_argument("target endpoint '" + url +
                                        "' must start with http:// or https://");
        return make_api_target(url, o);
    }
    if (o.spec == "aws") return make_aws_target(o);
    throw std::invalid_argument("unknown target '" + o.spec +
                                "' (expected local, endpoint=URL or aws)");
}

}  // namespace lambench::driver
