#include "sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>

#include "json_text.hpp"
#include "peer.hpp"
#include "util.hpp"

namespace lambench::service {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t inv_log_flush_at = 256 * 1024;  // beyond this, older lines go to the file
constexpr std::size_t inv_log_keep = 8 * 1024;

std::string error_body(const std::string& type, const std::string& message) {
    nlohmann::json j;
    j["errorType"] = type;
    j["errorMessage"] = message;
    return json_text(j);
}

std::string find_in_path(const std::string& prog, const std::string& path) {
    if (prog.find('/') != std::string::npos) return prog;
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        std::string cand = dir + (dir.back() == '/' ? "" : "/") + prog;
        if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    return prog;
}

constexpr const char* lambda_path = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin";

}  // namespace

sandbox::sandbox(asio::io_context& io, function_ptr fn, const sandbox_settings& settings,
                 log_store& logs, hooks h, std::uint64_t serial)
    : io_(io),
      fn_(std::move(fn)),
      settings_(settings),
      logs_(logs),
      hooks_(std::move(h)),
      serial_(serial),
      timeout_timer_(io),
      init_timer_(io),
      freeze_timer_(io),
      report_timer_(io) {}

sandbox::~sandbox() {
    // Destruction order matters: the process must die before its cgroup is removed.
    if (listener_) listener_->close();
    if (out_) {
        boost::system::error_code ignored;
        out_->close(ignored);
    }
    if (proc_ && !proc_->try_wait()) {
        if (group_) {
            group_->thaw();
            group_->kill_all();
        }
        proc_->kill();
        proc_->wait();
    }
    proc_.reset();
    group_.reset();
}

std::string sandbox::task_root() const {
    return jail_ ? isolation::task_root : fn_->code_dir.string();
}

std::map<std::string, std::string> sandbox::environment() const {
    const auto& s = fn_->spec;
    std::map<std::string, std::string> env = s.environment;  // reserved names below win
    std::string task = task_root();
    char date[16];
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%Y/%m/%d", &tm);
    env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:" + std::to_string(runtime_port());
    env["_HANDLER"] = s.handler;
    env["LAMBDA_TASK_ROOT"] = task;
    env["LAMBDA_RUNTIME_DIR"] = jail_ ? isolation::runtime_dir : task;
    env["AWS_LAMBDA_FUNCTION_NAME"] = s.name;
    env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(s.memory_mb);
    env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST";
    env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + s.name;
    env["AWS_LAMBDA_LOG_STREAM_NAME"] = std::string(date) + "/[$LATEST]" + hex_random(32);
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
    env["AWS_REGION"] = settings_.region;
    env["AWS_DEFAULT_REGION"] = settings_.region;
    if (!is_provided_runtime(s.runtime)) env["AWS_EXECUTION_ENV"] = "AWS_Lambda_" + s.runtime;
    env["AWS_ACCESS_KEY_ID"] = settings_.credentials.access_key_id;
    env["AWS_SECRET_ACCESS_KEY"] = settings_.credentials.secret_access_key;
    env["AWS_SESSION_TOKEN"] = settings_.credentials.session_token;
    env["TZ"] = ":UTC";
    // Lambda's values for the names a function may set or extend.
    if (!env.count("LANG")) env["LANG"] = "en_US.UTF-8";
    if (!env.count("PATH")) env["PATH"] = lambda_path;
    std::string ld = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:" + task + ":" +
                     task + "/lib:/opt/lib";
    env["LD_LIBRARY_PATH"] = s.environment.count("LD_LIBRARY_PATH")
                                 ? s.environment.at("LD_LIBRARY_PATH") + ":" + ld
                                 : ld;
    return env;
}

std::vector<std::string> sandbox::command() const {
    const auto& s = fn_->spec;
    if (is_provided_runtime(s.runtime)) return {task_root() + "/bootstrap"};
    auto it = settings_.launchers.find(s.runtime);
    if (it == settings_.launchers.end()) return {};
    std::vector<std::string> argv;
    std::istringstream ss(it->second);
    std::string word;
    bool has_handler = false;
    auto replace_all = [](std::string& w, const std::string& from, const std::string& to) {
        for (std::size_t p = 0; (p = w.find(from, p)) != std::string::npos; p += to.size())
            w.replace(p, from.size(), to);
    };
    while (ss >> word) {
        if (word.find("{handler}") != std::string::npos) has_handler = true;
        replace_all(word, "{handler}", s.handler);
        replace_all(word, "{task_root}", task_root());
        replace_all(word, "{runtime_dir}", task_root());
        argv.push_back(word);
    }
    if (argv.empty()) return {};
    if (!has_handler) argv.push_back(s.handler);
    auto env = environment();
    argv[0] = find_in_path(argv[0], env["PATH"]);
    return argv;
}

void sandbox::start(invocation_ptr first) {
    inv_ = std::move(first);
    inv_log_.clear();
    state_ = state::initializing;
    std::weak_ptr<sandbox> weak = weak_from_this();
    try {
        listener_ = std::make_unique<http::server>(
            io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [weak](http::request&& req, const http::responder& reply) {
                auto self = weak.lock();
                if (!self) throw api_error(500, "InternalServerError", "sandbox is gone");
                route_runtime_request(*self, std::move(req), reply);
            },
            runtime_server_options(weak));

        if (settings_.sandbox_isolation && settings_.sandbox_isolation->enabled())
            jail_ = settings_.sandbox_isolation->prepare(fn_->code_dir, fn_->spec.ephemeral_mb);
        auto argv = command();
        // The check runs here, on the host: a path in the jail's /var/task is the code directory.
        std::string host_argv0 = argv.empty() ? std::string() : argv[0];
        if (jail_ && host_argv0.rfind(std::string(isolation::task_root) + "/", 0) == 0)
            host_argv0 =
                fn_->code_dir.string() + host_argv0.substr(std::strlen(isolation::task_root));
        if (argv.empty() || ::access(host_argv0.c_str(), X_OK) != 0) {
            std::string what = argv.empty() ? "no launcher for runtime " + fn_->spec.runtime
                                            : "Couldn't find valid bootstrap(s): [" + argv[0] + "]";
            fail_current(error_body("Runtime.InvalidEntrypoint", what), "Runtime.InvalidEntrypoint",
                         what + "\n", "error", "Runtime.InvalidEntrypoint");
            state_ = state::dead;
            asio::post(io_, [self = shared_from_this()] { self->hooks_.on_dead(*self); });
            return;
        }
        if (inv_) inv_log_ += init_start_line(fn_->spec.runtime, settings_.region);
        auto opts = std::make_shared<spawn_options>();
        opts->argv = std::move(argv);
        opts->env = environment();
        opts->cwd = task_root();
        opts->jail = jail_.get();
        std::string group_name =
            settings_.group_prefix + fn_->spec.name + "-" + std::to_string(serial_);
        int memory_mb = fn_->spec.memory_mb;
        double share =
            settings_.init_cpu == init_cpu_mode::full ? 0 : cpu_share_for_memory(memory_mb);
        spawn_pending_ = true;
        // The group's creation (mkdir, limits) and the fork with its cgroup attaches before exec
        // take milliseconds under cgroup v1: a worker thread does them, so the event loop keeps
        // serving the other sandboxes and the clock of this one starts at its exec.
        std::thread([self = shared_from_this(), opts, group_name, memory_mb, share] {
            std::optional<resource_group> group;
            try {
                // Created even without cgroups: the group then freezes with SIGSTOP/SIGCONT.
                group.emplace(resource_group::create(group_name, memory_mb));
                group->set_cpu_share(share);
            } catch (const std::exception& e) {
                std::fprintf(stderr,
                             "lambench serve: resource group %s: %s (sandbox runs unconfined)\n",
                             group_name.c_str(), e.what());
                group.reset();
            }
            opts->group = group ? &*group : nullptr;
            std::optional<child_process> proc;
            std::string error;
            clock::time_point exec_at{};
            try {
                proc.emplace(child_process::spawn(*opts));
                // spawn() returns when the close-on-exec error pipe reports EOF: at exec.
                exec_at = clock::now();
                self->spawn_pid_.store(proc->pid());
                self->exec_ns_.store(exec_at.time_since_epoch().count());
            } catch (const std::exception& e) {
                error = e.what();
                self->exec_ns_.store(-1);
            }
            auto holder = std::make_shared<
                std::pair<std::optional<resource_group>, std::optional<child_process>>>(
                std::move(group), std::move(proc));
            asio::post(self->io_, [self, holder, exec_at, error] {
                self->spawned(std::move(holder->first), std::move(holder->second), exec_at, error);
            });
        }).detach();
    } catch (const std::exception& e) {
        std::string what = std::string("sandbox failed to start: ") + e.what();
        std::fprintf(stderr, "lambench serve: %s: %s\n", fn_->spec.name.c_str(), what.c_str());
        if (inv_)
            fail_current(error_body("Runtime.Unknown", what), "Runtime.Unknown", what + "\n",
                         "error", "Runtime.Unknown");
        state_ = state::dead;
        if (listener_) listener_->close();
        asio::post(io_, [self = shared_from_this()] { self->hooks_.on_dead(*self); });
    }
}

void sandbox::spawned(std::optional<resource_group> group, std::optional<child_process> proc,
                      clock::time_point exec_at, const std::string& error) {
    spawn_pending_ = false;
    if (!proc) {
        std::string what = "sandbox failed to start: " + error;
        std::fprintf(stderr, "lambench serve: %s: %s\n", fn_->spec.name.c_str(), what.c_str());
        if (inv_ && state_ != state::dying && state_ != state::dead) {
            state_ = state::dying;
            fail_current(error_body("Runtime.Unknown", what), "Runtime.Unknown", what + "\n",
                         "error", "Runtime.Unknown");
        }
        state_ = state::dead;
        if (listener_) listener_->close();
        group.reset();
        asio::post(io_, [self = shared_from_this()] { self->hooks_.on_dead(*self); });
        return;
    }
    group_ = std::move(group);
    proc_ = std::move(proc);
    exec_at_ = exec_at;
    std::weak_ptr<sandbox> weak = weak_from_this();
    try {
        int fd = ::dup(proc_->output_fd());
        if (fd < 0) throw std::system_error(errno, std::generic_category(), "dup");
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        out_.emplace(io_, fd);
        read_output();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench serve: %s: output: %s\n", fn_->spec.name.c_str(), e.what());
    }
    if (state_ == state::dying || state_ == state::dead) {
        // Killed (shutdown, retired) while the worker was starting it.
        if (group_) {
            try {
                group_->kill_all();
            } catch (const std::exception&) {
            }
        }
        proc_->kill();
        return;
    }
    // The first event may already have been handed over (its /next raced this post): the
    // share that init_cpu = "full" lifted is put back now.
    if (init_over_ && group_ && settings_.init_cpu == init_cpu_mode::full) {
        try {
            group_->set_cpu_share(cpu_share_for_memory(fn_->spec.memory_mb));
        } catch (const std::exception&) {
        }
    }
    if (state_ == state::initializing) {
        init_timer_.expires_at(exec_at_ +
                               std::chrono::duration_cast<clock::duration>(
                                   std::chrono::duration<double>(settings_.init_timeout_s)));
        init_timer_.async_wait([weak](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) self->on_init_timeout();
        });
    }
}

// The exec time, also before spawned() ran: the worker stores it the moment spawn() returns,
// and a runtime cannot ask for /next before its exec, so the wait here is at most a few
// microseconds of the worker being scheduled.
clock::time_point sandbox::exec_time() {
    if (!spawn_pending_) return exec_at_;
    auto deadline = clock::now() + std::chrono::milliseconds(200);
    std::int64_t ns;
    while ((ns = exec_ns_.load()) == 0 && clock::now() < deadline) std::this_thread::yield();
    if (ns <= 0) return clock::now();
    return clock::time_point(clock::duration(ns));
}

http::server_options sandbox::runtime_server_options(std::weak_ptr<sandbox> weak) {
    http::server_options o;
    o.style = http::error_style::runtime_api;
    o.body_limit = 16 * 1024 * 1024;
    o.name = "Runtime API";
    if (auto self = weak.lock()) o.name += " of " + self->fn_->spec.name;
    // No read, idle or write timeouts for the sandbox's own processes: the environment is frozen
    // between invocations at any point of its conversation (a response just posted, a /next
    // half written), for as long as it stays idle, and must find its connection as it left it.
    // A hung runtime is the invocation timeout's business, which retires the sandbox. Other
    // peers get refused_timeout (10 s) to send their request and are answered 403.
    o.header_timeout = o.body_timeout = o.idle_timeout = o.write_timeout =
        http::server_options::duration(0);
    // A runtime needs one connection or a few; a small cap keeps a runaway function from
    // holding descriptors the whole service shares.
    o.max_connections = 64;
    o.stream = [weak](const http::request& header) -> std::shared_ptr<http::body_sink> {
        auto self = weak.lock();
        return self ? self->open_stream(header) : nullptr;
    };
    // Only this environment's own processes may take its events or answer them: every other
    // local process (another sandbox's function among them) is refused with 403.
    o.admit = [weak](const asio::ip::tcp::socket& sock) {
        auto self = weak.lock();
        if (!self) return false;
        pid_t pid = 0;
        if (self->proc_) {
            pid = self->proc_->pid();
        } else if (self->spawn_pending_) {
            // The runtime connected before the worker's spawn completion reached the loop: it
            // has exec'd, so the worker is storing its pid this very moment.
            self->exec_time();
            pid = self->spawn_pid_.load();
        }
        if (pid <= 0) return false;
        boost::system::error_code ec1, ec2;
        auto remote = sock.remote_endpoint(ec1);
        auto local = sock.local_endpoint(ec2);
        if (ec1 || ec2) return false;
        std::vector<pid_t> candidates;
        if (self->group_) candidates = self->group_->members();
        // With cgroups the members are every process of the sandbox; only without them is the
        // (costly: every process on the host) walk of the runtime's descendants needed.
        bool complete = self->group_ && self->group_->support().mode != cgroup_mode::none;
        candidates.push_back(pid);
        return connection_belongs_to(remote.port(), local.port(), candidates, complete ? 0 : pid);
    };
    o.forbidden_message =
        "this Runtime API endpoint serves only the processes of its own execution environment";
    return o;
}

void sandbox::assign(invocation_ptr inv) {
    inv_ = std::move(inv);
    inv_log_.clear();
    state_ = state::busy;
    freeze_timer_.cancel();
    if (frozen_) {
        if (group_) group_->thaw();
        frozen_ = false;
    }
    // Lambda counts the timeout from the invoke, not from the runtime's /next: a runtime that
    // never comes back for its event (hung after its last response, stopped while idle) must
    // cost the caller at most the function's timeout, and the sandbox is then replaced.
    assigned_at_ = clock::now();
    arm_timeout();
    if (parked_next_) hand_over();
}

void sandbox::arm_timeout() {
    timeout_armed_ = true;
    deadline_epoch_ms_ = epoch_ms_now() + static_cast<std::int64_t>(fn_->spec.timeout_s) * 1000;
    std::weak_ptr<sandbox> weak = weak_from_this();
    timeout_timer_.expires_after(std::chrono::seconds(fn_->spec.timeout_s));
    timeout_timer_.async_wait([weak](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->on_timeout();
    });
}

void sandbox::on_next(const http::responder& reply) {
    if (state_ == state::dying || state_ == state::dead) return;  // no answer: it is going away
    if (handed_ && !responded_)
        throw api_error(403, "InvalidStateTransition",
                        "/next called while invocation " + inv_->id + " is in progress");
    if (state_ == state::initializing) {
        init_ms_ = ms_between(exec_time(), clock::now());
        init_timer_.cancel();
        if (init_error_body_) {  // /init/error, then /next: the init still failed
            kill("init error");
            return;
        }
        sample_memory();
        state_ = inv_ ? state::busy : state::idle;
    }
    parked_next_ = reply;
    // The runtime asks for its next event: the current invocation ends here (Lambda's Invoke
    // phase ends at the runtime's Next), and the environment may be frozen after it.
    if (handed_ && responded_) {
        end_invocation();
        return;  // end_invocation() made it idle; a queued event may have been handed over
    }
    if (inv_) hand_over();
}

void sandbox::hand_over() {
    if (!init_over_) {
        init_over_ = true;
        if (group_ && settings_.init_cpu == init_cpu_mode::full)
            group_->set_cpu_share(cpu_share_for_memory(fn_->spec.memory_mb));
    }
    if (!timeout_armed_) arm_timeout();  // cold: the clock starts when init has ended
    http::response res{http::bhttp::status::ok, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.set("Lambda-Runtime-Aws-Request-Id", inv_->id);
    res.set("Lambda-Runtime-Deadline-Ms", std::to_string(deadline_epoch_ms_));
    res.set("Lambda-Runtime-Invoked-Function-Arn", fn_->arn);
    res.set("Lambda-Runtime-Trace-Id", new_trace_id());
    if (!inv_->client_context.empty())
        res.set("Lambda-Runtime-Client-Context", inv_->client_context);
    if (!inv_->cognito_identity.empty())
        res.set("Lambda-Runtime-Cognito-Identity", inv_->cognito_identity);
    res.body() = inv_->payload;
    inv_log_ += start_line(inv_->id);
    handed_ = true;
    auto reply = std::move(*parked_next_);
    parked_next_.reset();
    handed_at_ = clock::now();
    reply.send(std::move(res));
}

void sandbox::check_id(const std::string& id) const {
    if (inv_ && handed_ && !responded_ && id == inv_->id) return;
    if (id == last_id_ || (inv_ && id == inv_->id))
        throw api_error(403, "InvalidStateTransition",
                        "invocation " + id + " is not awaiting a response");
    throw api_error(400, "InvalidRequestID", "Invalid request ID: " + id);
}

namespace {

// The Runtime API listener hands a streamed response's bytes here; the sandbox may be gone.
class stream_sink final : public http::body_sink {
  public:
    stream_sink(std::weak_ptr<sandbox> sb, std::string id)
        : sb_(std::move(sb)), id_(std::move(id)) {}
    void data(std::string_view bytes, bool chunk_end) override {
        auto sb = sb_.lock();
        if (!sb) throw api_error(410, "Gone", "the execution environment is going away");
        sb->stream_data(id_, bytes, chunk_end);
    }
    std::chrono::steady_clock::duration delay() override {
        auto sb = sb_.lock();
        return sb ? sb->stream_delay() : std::chrono::steady_clock::duration{};
    }

  private:
    std::weak_ptr<sandbox> sb_;
    std::string id_;
};

std::string too_large_message(std::uint64_t limit) {
    return "Response payload size exceeded maximum allowed payload size (" + std::to_string(limit) +
           " bytes).";
}

}  // namespace

std::shared_ptr<http::body_sink> sandbox::open_stream(const http::request& header) {
    if (header.method() != http::bhttp::verb::post || !streaming_mode(header)) return nullptr;
    std::string_view target(header.target().data(), header.target().size());
    constexpr std::string_view prefix = "/2018-06-01/runtime/invocation/";
    constexpr std::string_view leaf = "/response";
    if (target.size() <= prefix.size() + leaf.size() || target.substr(0, prefix.size()) != prefix ||
        target.substr(target.size() - leaf.size()) != leaf)
        return nullptr;
    std::string id(target.substr(prefix.size(), target.size() - prefix.size() - leaf.size()));
    if (id.find('/') != std::string::npos) return nullptr;  // routing answers it
    check_id(id);
    if (stream_)
        throw api_error(403, "InvalidStateTransition",
                        "the response of invocation " + id + " is being streamed already");
    stream_.emplace(id);
    return std::make_shared<stream_sink>(weak_from_this(), id);
}

void sandbox::stream_data(const std::string& id, std::string_view bytes, bool chunk_end) {
    if (!stream_ || stream_->id != id || !inv_ || inv_->id != id || responded_)
        throw api_error(403, "InvalidStateTransition",
                        "invocation " + id + " is not awaiting a response");
    const auto& lim = settings_.stream;
    // A buffered caller gets the whole body at once, so Invoke's 6 MiB applies to it.
    const std::uint64_t limit = inv_->on_stream ? lim.max_bytes : max_runtime_payload;
    if (stream_->bytes + bytes.size() > limit) {
        stream_->bytes += bytes.size();
        if (!stream_->pending.empty() && inv_->on_stream) inv_->on_stream(stream_->pending);
        stream_->pending.clear();
        runtime_answered({true,
                          error_body("Function.ResponseSizeTooLarge", too_large_message(limit)),
                          "Function.ResponseSizeTooLarge", inv_->on_stream != nullptr});
        throw api_error(413, "RequestEntityTooLarge", too_large_message(limit));
    }
    stream_->bytes += bytes.size();
    if (lim.rate > 0 && !stream_->burst_end && stream_->bytes > lim.burst_bytes)
        stream_->burst_end = clock::now();
    if (!inv_->on_stream) {
        stream_->body.append(bytes);
        return;
    }
    // Passed on chunk by chunk, as the function wrote them; a long chunk in bounded pieces.
    stream_->pending.append(bytes);
    if (chunk_end || stream_->pending.size() >= stream_piece_max) {
        std::string piece = std::move(stream_->pending);
        stream_->pending.clear();
        inv_->on_stream(piece);
    }
}

// Beyond the burst, the stream may average at most `rate`: the next read waits until the bytes
// taken so far fit under that rate since the burst ended.
clock::duration sandbox::stream_delay() {
    const auto& lim = settings_.stream;
    if (!stream_ || !stream_->burst_end || lim.rate == 0) return {};
    double due_s =
        static_cast<double>(stream_->bytes - lim.burst_bytes) / static_cast<double>(lim.rate);
    auto due = *stream_->burst_end +
               std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(due_s));
    auto wait = due - clock::now();
    if (wait <= clock::duration::zero()) return {};
    stream_->throttled_ms += std::chrono::duration<double, std::milli>(wait).count();
    return wait;
}

// The streamed body is complete: what is left goes to the caller, then the answer (an error when
// the trailers carry one). The stream's figures stay for the REPORT.
void sandbox::finish_stream(http::request&& req, const http::responder& reply) {
    if (!stream_) return;  // on_response calls this only while a stream is open
    std::string pending = std::exchange(stream_->pending, {});
    std::string body = std::exchange(stream_->body, {});
    const bool to_caller = inv_->on_stream != nullptr;
    if (to_caller && !pending.empty()) inv_->on_stream(pending);
    reply.send(accepted_response());
    if (auto err = stream_error_of(req)) {
        runtime_answered({true, std::move(err->body), std::move(err->type), to_caller});
        return;
    }
    runtime_answered({false, std::move(body), {}, to_caller});
}

void sandbox::on_response(const std::string& id, http::request&& req,
                          const http::responder& reply) {
    check_id(id);
    if (stream_ && stream_->id == id) return finish_stream(std::move(req), reply);
    if (req.body().size() > max_runtime_payload) {
        auto size = req.body().size();
        reply.fail(api_error(413, "RequestEntityTooLarge",
                             "Response payload size (" + std::to_string(size) +
                                 " bytes) exceeded maximum allowed payload size (" +
                                 std::to_string(max_runtime_payload) + " bytes)."));
        runtime_answered(
            {true,
             error_body("Function.ResponseSizeTooLarge",
                        "Response payload size exceeded maximum allowed payload size (" +
                            std::to_string(max_runtime_payload) + " bytes)."),
             "Function.ResponseSizeTooLarge"});
        return;
    }
    reply.send(accepted_response());
    runtime_answered({false, std::move(req.body()), {}});
}

void sandbox::on_error(const std::string& id, http::request&& req, const http::responder& reply) {
    check_id(id);
    std::string type = error_type_of(req);
    reply.send(accepted_response());
    runtime_answered({true, std::move(req.body()), type});
}

void sandbox::runtime_answered(answer a) {
    responded_ = true;
    answer_ = std::move(a);
    if (settings_.report_wait_s <= 0) return answer_caller();
    std::weak_ptr<sandbox> weak = weak_from_this();
    report_timer_.expires_after(std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(settings_.report_wait_s)));
    report_timer_.async_wait([weak](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->answer_caller();
    });
}

void sandbox::answer_caller() {
    if (answered_ || !inv_ || !answer_) return;
    answered_ = true;
    report_timer_.cancel();
    drain_output();
    invocation_result r;
    r.function_error = answer_->function_error;
    r.body = std::move(answer_->body);
    r.error_type = std::move(answer_->error_type);
    r.log = inv_log_;  // so far: the REPORT line comes when the runtime asks for its next event
    r.cold = cold_pending_;
    r.streamed = answer_->streamed;
    auto done = std::move(inv_->done);
    inv_->done = nullptr;
    if (done) done(std::move(r));
}

void sandbox::on_init_error(http::request&& req, const http::responder& reply) {
    if (state_ != state::initializing)
        throw api_error(403, "InvalidStateTransition", "/runtime/init/error after init finished");
    init_ms_ = ms_between(exec_time(), clock::now());
    init_error_type_ = error_type_of(req);
    init_error_body_ = std::move(req.body());
    reply.send(accepted_response());
    // The environment is reset after an init failure; the runtime usually exits by itself, but
    // it must not get a chance to take an event.
    kill("init error");
}

report_metrics sandbox::metrics() {
    report_metrics m;
    auto now = clock::now();
    m.duration_ms = handed_        ? ms_between(handed_at_, now)
                    : assigned_at_ ? ms_between(*assigned_at_, now)  // never taken: from the invoke
                                   : 0;
    m.memory_size_mb = fn_->spec.memory_mb;
    m.max_memory_used_mb = peak_memory_mb();
    if (cold_pending_)
        m.init_duration_ms = init_ms_ == 0 && !spawn_pending_ && proc_
                                 ? ms_between(exec_at_, now)  // init never finished
                                 : init_ms_;
    m.partial_model = settings_.partial_model;
    return m;
}

void sandbox::sample_memory() {
    try {
        std::vector<pid_t> members;
        if (group_ && group_->support().mode != cgroup_mode::none)
            members = group_->members();
        else if (proc_)
            members = process_tree(proc_->pid());
        meter_.sample(members);
    } catch (const std::exception&) {
        // A group that vanished under us: the figures so far stand.
    }
}

std::uint64_t sandbox::peak_memory_mb() const {
    std::uint64_t bytes = meter_.peak_bytes();
    if (group_) {
        try {
            bytes = std::max(bytes, group_->memory_peak_bytes());
        } catch (const std::exception&) {
        }
    }
    return bytes_to_mb_ceil(bytes);
}

void sandbox::fail_current(std::string body, std::string error_type, const std::string& log_text,
                           const std::string& status, const std::string& status_type) {
    if (!inv_) return;
    if (!handed_) inv_log_ += start_line(inv_->id);
    inv_log_ += log_text;
    if (!responded_) answer_ = answer{true, std::move(body), std::move(error_type)};
    end_invocation(status, status_type);
}

void sandbox::end_invocation(const std::string& status, const std::string& status_type) {
    timeout_timer_.cancel();
    report_timer_.cancel();
    drain_output();
    sample_memory();
    auto m = metrics();
    m.status = status;
    m.error_type = status_type;
    if (stream_) {
        m.streamed_bytes = stream_->bytes;
        m.stream_throttled_ms = stream_->throttled_ms;
        stream_.reset();
    }
    const std::string id = inv_->id;
    std::string report = report_line(id, m);
    inv_log_ += end_line(id);
    inv_log_ += report;
    report.pop_back();
    logs_.append(fn_->spec.name, inv_log_);
    bool cold = m.init_duration_ms.has_value();
    if (!answered_ && answer_) {
        answered_ = true;
        invocation_result r;
        r.function_error = answer_->function_error;
        r.body = std::move(answer_->body);
        r.error_type = std::move(answer_->error_type);
        r.cold = cold;
        r.streamed = answer_->streamed;
        r.report = std::move(report);
        r.log = std::move(inv_log_);
        auto done = std::move(inv_->done);
        inv_->done = nullptr;
        // Reset before the callback, which may assign the next invocation.
        inv_log_.clear();
        cold_pending_ = false;
        last_id_ = id;
        handed_ = responded_ = answered_ = false;
        answer_.reset();
        timeout_armed_ = false;
        assigned_at_.reset();
        auto inv = std::move(inv_);
        inv_.reset();
        bool alive = state_ == state::busy || state_ == state::initializing;
        if (alive) {
            state_ = state::idle;
            idle_since_ = clock::now();
        }
        if (done) done(std::move(r));
        if (alive) became_idle();
        return;
    }
    inv_log_.clear();
    cold_pending_ = false;
    last_id_ = id;
    handed_ = responded_ = answered_ = false;
    answer_.reset();
    timeout_armed_ = false;
    assigned_at_.reset();
    inv_.reset();
    bool alive = state_ == state::busy || state_ == state::initializing;
    if (alive) {
        state_ = state::idle;
        idle_since_ = clock::now();
        became_idle();
    }
}

void sandbox::became_idle() {
    if (hooks_.on_idle) hooks_.on_idle(*this);
    // Freeze only when nothing was assigned meanwhile: Lambda freezes an idle environment. A
    // short grace (freeze_delay) keeps back-to-back invocations off the freezer.
    if (state_ != state::idle || frozen_ || !group_) return;
    if (settings_.freeze_delay_s <= 0) return freeze_now();
    std::weak_ptr<sandbox> weak = weak_from_this();
    freeze_timer_.expires_after(std::chrono::duration_cast<clock::duration>(
        std::chrono::duration<double>(settings_.freeze_delay_s)));
    freeze_timer_.async_wait([weak](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->freeze_now();
    });
}

void sandbox::freeze_now() {
    if (state_ != state::idle || frozen_ || !group_) return;
    try {
        // Not waiting for the kernel to park the tasks: a runtime out of CPU quota parks only in
        // its next CFS period (up to ~14 ms), and the wait blocked the event loop meanwhile.
        group_->request_freeze();
        frozen_ = true;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench serve: freeze %s: %s\n", fn_->spec.name.c_str(), e.what());
    }
}

void sandbox::on_timeout() {
    if (!inv_ || state_ != state::busy) return;
    drain_output();
    // The process is killed next: a line it left unterminated is its last, and belongs to this
    // invocation's log (and tail), before the timeout line.
    if (!partial_line_.empty()) {
        emit_line(partial_line_);
        partial_line_.clear();
    }
    std::string msg = "RequestId: " + inv_->id + " Error: Task timed out after " +
                      format_ms(fn_->spec.timeout_s) + " seconds";
    sample_memory();
    state_ = state::dying;  // end_invocation() must not make it idle
    // The timeout covers the whole invocation, the runtime's work after its response included;
    // a caller answered already keeps its answer, and the REPORT says how it ended.
    fail_current(error_body("Sandbox.Timedout", msg), "Sandbox.Timedout",
                 timeout_line(inv_->id, fn_->spec.timeout_s), "timeout", "");
    state_ = state::busy;
    kill("timeout");
}

void sandbox::on_init_timeout() {
    if (state_ != state::initializing) return;
    if (inv_) {
        drain_output();
        if (!partial_line_.empty()) {
            emit_line(partial_line_);
            partial_line_.clear();
        }
        std::string msg = "RequestId: " + inv_->id + " Error: Init timed out after " +
                          format_ms(settings_.init_timeout_s) + " seconds";
        state_ = state::dying;
        fail_current(error_body("Sandbox.Timedout", msg), "Sandbox.Timedout",
                     iso8601_now_ms() + " " + msg + "\n", "timeout", "");
        state_ = state::initializing;
    }
    kill("init timeout");
}

void sandbox::kill(const char* /*why*/) {
    if (state_ == state::dying || state_ == state::dead) return;
    state_ = state::dying;
    timeout_timer_.cancel();
    init_timer_.cancel();
    parked_next_.reset();
    if (listener_) listener_->close();
    if (group_) {
        // A frozen task does not act on SIGKILL until thawed.
        try {
            if (frozen_) group_->thaw();
            frozen_ = false;
            group_->kill_all();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench serve: kill %s: %s\n", fn_->spec.name.c_str(), e.what());
        }
    }
    if (proc_) proc_->kill();
}

void sandbox::poll_exit() {
    if (!proc_ || state_ == state::dead) return;
    auto st = proc_->try_wait();
    if (!st) return;
    drain_output();
    if (!partial_line_.empty()) {
        emit_line(partial_line_);
        partial_line_.clear();
    }
    timeout_timer_.cancel();
    init_timer_.cancel();
    if (inv_) {
        auto prev = state_;
        state_ = state::dying;
        if (init_error_body_) {
            fail_current(*init_error_body_, *init_error_type_, "", "error", *init_error_type_);
        } else {
            bool oom = false;
            try {
                oom = group_ && st->signaled && st->code == SIGKILL && group_->oom_killed();
            } catch (const std::exception&) {
            }
            // Lambda answers a runtime the memory limit killed as Runtime.OutOfMemory.
            std::string type = oom ? "Runtime.OutOfMemory" : "Runtime.ExitError";
            std::string msg =
                "RequestId: " + inv_->id + " Error: Runtime exited with error: " + st->describe();
            fail_current(error_body(type, msg), type, msg + "\n" + type + "\n", "error", type);
        }
        (void)prev;
    }
    state_ = state::dead;
    parked_next_.reset();
    if (listener_) listener_->close();
    if (out_) {
        boost::system::error_code ignored;
        out_->close(ignored);
    }
    asio::post(io_, [self = shared_from_this()] { self->hooks_.on_dead(*self); });
}

void sandbox::begin_shutdown() {
    if (!proc_ || proc_->try_wait()) return;
    if (group_ && frozen_) {
        try {
            group_->thaw();
        } catch (const std::exception&) {
        }
        frozen_ = false;
    }
    ::kill(proc_->pid(), SIGTERM);
}

bool sandbox::exited() {
    return !proc_ || proc_->try_wait().has_value();
}

void sandbox::finish_shutdown() {
    if (listener_) listener_->close();
    if (proc_ && !proc_->try_wait()) {
        if (group_) {
            try {
                group_->thaw();
                group_->kill_all();
            } catch (const std::exception&) {
            }
        }
        proc_->kill();
        proc_->wait();
    }
    drain_output();
    if (!partial_line_.empty()) emit_line(partial_line_);
    partial_line_.clear();
    // An invocation cut short by the shutdown: what it printed still reaches the file.
    if (inv_ && !inv_log_.empty()) {
        logs_.append(fn_->spec.name, inv_log_);
        inv_log_.clear();
    }
    state_ = state::dead;
}

void sandbox::read_output() {
    if (!out_) return;
    // Wait for readiness and read in the handler, rather than async_read_some: a completed read
    // whose handler is still queued holds bytes drain_output() cannot see, and complete() would
    // then write the REPORT line before output the function printed before its response.
    std::weak_ptr<sandbox> weak = weak_from_this();
    out_->async_wait(asio::posix::stream_descriptor::wait_read,
                     [weak](boost::system::error_code ec) {
                         auto self = weak.lock();
                         if (!self || ec) return;
                         if (self->drain_output()) self->read_output();
                     });
}

bool sandbox::drain_output() {
    if (!out_ || !out_->is_open()) return false;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(out_->native_handle(), buf, sizeof buf);
        if (n > 0) {
            on_output(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        return n < 0 && errno == EAGAIN;  // nothing more now; EOF or an error ends the output
    }
}

void sandbox::on_output(const char* data, std::size_t n) {
    std::string_view chunk(data, n);
    while (!chunk.empty()) {
        auto nl = chunk.find('\n');
        if (nl == std::string_view::npos) {
            partial_line_.append(chunk);
            if (partial_line_.size() > 256 * 1024) {  // an endless line: cut it
                emit_line(partial_line_);
                partial_line_.clear();
            }
            return;
        }
        if (partial_line_.empty()) {
            emit_line(chunk.substr(0, nl));
        } else {
            partial_line_.append(chunk.substr(0, nl));
            emit_line(partial_line_);
            partial_line_.clear();
        }
        chunk.remove_prefix(nl + 1);
    }
}

void sandbox::emit_line(std::string_view line) {
    if (inv_) {
        inv_log_.append(line);
        inv_log_.push_back('\n');
        if (inv_log_.size() > inv_log_flush_at) {
            // Keep the block bounded: the head goes to the file now, the tail stays for Log-Result.
            std::size_t cut = inv_log_.size() - inv_log_keep;
            logs_.append(fn_->spec.name, std::string_view(inv_log_).substr(0, cut));
            inv_log_.erase(0, cut);
        }
    } else {
        std::string s(line);
        s.push_back('\n');
        logs_.append(fn_->spec.name, s);
    }
}

}  // namespace lambench::service
