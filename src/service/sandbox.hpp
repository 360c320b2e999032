// One execution environment: the function's process (child_process) inside its resource_group,
// its own Runtime API listener on 127.0.0.1:<port>, and its output captured line by line into
// the log of the invocation it is running. Lifecycle: initializing (spawned, waiting for the
// first /next) -> idle (frozen) <-> busy -> dying -> dead. A crash or timeout ends it.
//
// As on Lambda, an invocation ends when the runtime asks for its next event, not when it posts
// its response: the caller gets the response at once (or, if the runtime asks for its next event
// within report_wait, together with the REPORT line in its log tail), the time until the next
// /next is part of Duration and billed, and the environment is frozen only after it.
// Creating the resource group and spawning (cgroup attaches take milliseconds under cgroup v1)
// run on a worker thread, off the event loop; Init Duration runs from the function's exec (the
// close-on-exec error pipe reporting EOF) to its first /next.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http_server.hpp"
#include "isolation.hpp"
#include "logs.hpp"
#include "memory_meter.hpp"
#include "process.hpp"
#include "registry.hpp"
#include "resources.hpp"
#include "runtime_api.hpp"

namespace lambench::service {

struct invocation_result {
    bool function_error = false;
    std::string body;
    std::string error_type;  // when function_error
    std::string log;         // the invocation's whole log; the tail is cut from it
    std::string report;      // the REPORT line (no newline)
    bool cold = false;
    bool streamed = false;  // the response went out through invocation::on_stream, not in body
};

struct invocation {
    std::string id;
    std::string function;
    std::string payload;
    std::string client_context;  // decoded, passed as Lambda-Runtime-Client-Context
    std::string cognito_identity;
    bool is_event = false;
    int attempt = 0;
    std::function<void(invocation_result&&)> done;
    // InvokeWithResponseStream: a streamed response's bytes as they arrive, in pieces of at most
    // stream_piece_max bytes (each piece one of the runtime's chunks, or part of one); `done`
    // follows. Unset (a buffered Invoke): the stream is collected into the body.
    std::function<void(std::string_view)> on_stream;
};
using invocation_ptr = std::shared_ptr<invocation>;

struct sandbox_settings {
    std::string region = "us-east-1";
    init_cpu_mode init_cpu = init_cpu_mode::full;
    double init_timeout_s = 10;
    double freeze_delay_s = 0.001;  // idle this long before the freeze; 0 = at once
    // After the runtime's response, the caller's answer waits this long for the runtime's next
    // /next so that its log tail carries the REPORT line; 0 = answer at the response.
    double report_wait_s = 1.0;
    bool partial_model = false;
    std::map<std::string, std::string> launchers;
    std::string group_prefix;  // unique per service instance
    std::shared_ptr<isolation>
        sandbox_isolation;  // null or off: sandboxes see the host as the service
    sandbox_credentials credentials;
    struct stream_limits {
        std::uint64_t max_bytes = 200ull * 1024 * 1024;
        std::uint64_t burst_bytes = 6ull * 1024 * 1024;
        std::uint64_t rate = 2ull * 1024 * 1024;  // bytes/s beyond the burst; 0 = uncapped
    } stream;
};

inline constexpr std::size_t stream_piece_max = std::size_t{64} * 1024;

class sandbox final : public runtime_endpoint, public std::enable_shared_from_this<sandbox> {
  public:
    enum class state { initializing, idle, busy, dying, dead };

    struct hooks {
        std::function<void(sandbox&)> on_idle;  // an invocation finished; may assign() again
        std::function<void(sandbox&)> on_dead;  // process reaped; drop the sandbox (deferred)
    };

    sandbox(boost::asio::io_context& io, function_ptr fn, const sandbox_settings& settings,
            log_store& logs, hooks h, std::uint64_t serial);
    ~sandbox() override;
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    // Spawns the process; `first` is the invocation that triggered init (it gets the init error,
    // if any). Never throws: a failure to start completes `first` with an error.
    void start(invocation_ptr first);
    void assign(invocation_ptr inv);  // state must be idle
    void poll_exit();                 // after SIGCHLD: reap and report a crash
    void kill(const char* why);       // thaw, SIGKILL; dead once reaped
    // Shutdown: thaw and SIGTERM now; finish_shutdown() SIGKILLs whatever is left and reaps.
    void begin_shutdown();
    bool exited();
    void finish_shutdown();

    state current_state() const { return state_; }
    const function_ptr& function() const { return fn_; }
    std::uint64_t serial() const { return serial_; }
    unsigned short runtime_port() const { return listener_ ? listener_->port() : 0; }
    std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
    std::uint64_t peak_memory_mb() const;

    // runtime_endpoint
    void on_next(const http::responder& reply) override;
    void on_response(const std::string& id, http::request&& req,
                     const http::responder& reply) override;
    void on_error(const std::string& id, http::request&& req,
                  const http::responder& reply) override;
    void on_init_error(http::request&& req, const http::responder& reply) override;

    // A streamed /response (Lambda-Runtime-Function-Response-Mode: streaming, chunked): claimed
    // by the listener's stream hook at its header; its bytes arrive through a sink.
    std::shared_ptr<http::body_sink> open_stream(const http::request& header);
    void stream_data(const std::string& id, std::string_view bytes, bool chunk_end);
    std::chrono::steady_clock::duration stream_delay();

  private:
    struct answer {
        bool function_error = false;
        std::string body, error_type;
        bool streamed = false;
    };
    struct stream_state {
        explicit stream_state(std::string for_id) : id(std::move(for_id)) {}
        std::string id;
        std::uint64_t bytes = 0;
        std::string body;     // a buffered caller's copy
        std::string pending;  // bytes of the current chunk not yet passed on
        std::optional<std::chrono::steady_clock::time_point> burst_end;  // the cap starts here
        double throttled_ms = 0;
    };
    void finish_stream(http::request&& req, const http::responder& reply);
    void spawned(std::optional<resource_group> group, std::optional<child_process> proc,
                 std::chrono::steady_clock::time_point exec_at, const std::string& error);
    std::chrono::steady_clock::time_point exec_time();
    void hand_over();
    void runtime_answered(answer a);  // /response or /error: the caller may have it now
    void answer_caller();             // gives the caller the runtime's answer, once
    // Ends the current invocation: REPORT (with status "", "timeout" or "error"), log, the
    // caller's answer if not given yet, and idle (or not, when dying).
    void end_invocation(const std::string& status = {}, const std::string& status_type = {});
    // A failure ends the invocation: the caller gets `body` unless the runtime had answered.
    void fail_current(std::string body, std::string error_type, const std::string& log_text,
                      const std::string& status, const std::string& status_type);
    void sample_memory();
    void check_id(const std::string& id) const;
    void read_output();
    bool drain_output();  // reads what is there; false once the output has ended
    void on_output(const char* data, std::size_t n);
    void emit_line(std::string_view line);
    static http::server_options runtime_server_options(std::weak_ptr<sandbox> weak);
    void arm_timeout();
    void on_timeout();
    void on_init_timeout();
    void became_idle();
    void freeze_now();
    report_metrics metrics();
    std::map<std::string, std::string> environment() const;
    std::vector<std::string> command() const;
    std::string task_root() const;  // /var/task when jailed, else the code directory

    boost::asio::io_context& io_;
    function_ptr fn_;
    sandbox_settings settings_;
    log_store& logs_;
    hooks hooks_;
    std::uint64_t serial_;
    state state_ = state::initializing;

    std::unique_ptr<http::server> listener_;
    std::unique_ptr<sandbox_jail> jail_;  // outlives the process (its uid goes back to the pool)
    std::optional<resource_group> group_;
    std::optional<child_process> proc_;
    std::optional<boost::asio::posix::stream_descriptor> out_;
    std::string partial_line_;

    invocation_ptr inv_;      // assigned (maybe not yet handed over)
    bool handed_ = false;     // the /next response for inv_ was written
    bool responded_ = false;  // the runtime posted its response or error for inv_
    bool answered_ = false;   // inv_'s caller has its answer
    std::optional<answer> answer_;
    std::optional<stream_state> stream_;  // the current invocation's streamed response
    bool init_over_ = false;              // the first event was handed over
    bool spawn_pending_ = false;          // the worker thread is creating the group and the process
    std::atomic<std::int64_t> exec_ns_{0};  // steady clock at exec, set by the worker thread
    std::atomic<pid_t> spawn_pid_{0};       // set by the worker thread before exec_ns_
    memory_meter meter_;
    bool cold_pending_ = true;  // the next REPORT carries Init Duration
    bool frozen_ = false;
    std::optional<http::responder> parked_next_;
    std::string inv_log_;
    std::string last_id_;  // finished ids answer 403, unknown ones 400
    std::optional<std::string> init_error_body_, init_error_type_;
    std::chrono::steady_clock::time_point exec_at_, handed_at_, idle_since_;
    std::optional<std::chrono::steady_clock::time_point> assigned_at_;  // warm assign (invoke time)
    bool timeout_armed_ = false;
    std::int64_t deadline_epoch_ms_ = 0;
    double init_ms_ = 0;
    boost::asio::steady_timer timeout_timer_;
    boost::asio::steady_timer init_timer_;
    boost::asio::steady_timer freeze_timer_;
    boost::asio::steady_timer report_timer_;
};

}  // namespace lambench::service
