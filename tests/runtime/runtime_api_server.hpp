// A small Runtime API server for tests: queues events, serves /next, records every POST, and
// can misbehave on request (chunked /next, closing idle connections, going away entirely).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lambench::runtime::testing {

struct recorded_request {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    int answered = 0;  // status the server replied with

    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct event {
    std::string payload;
    std::map<std::string, std::string> headers;  // added to (or replacing) the default ones
};

struct server_options {
    bool chunked_next = false;          // /next bodies with Transfer-Encoding: chunked
    bool close_after_response = false;  // Connection: close on every answer
    bool go_away_when_drained = false;  // a /next with no queued event shuts the server down
    bool drop_after_post = false;       // close silently after answering a POST, ignoring any
                                        // request pipelined behind it
    std::size_t max_response_bytes = 6 * 1024 * 1024 + 100;  // over it: 413
    // Over this Content-Length: 413 as soon as the head is read, then close without reading the
    // body (what an HTTP server with a hard body limit does). 0 = never.
    std::size_t reject_early_over = 0;
};

class runtime_api_server {
  public:
    explicit runtime_api_server(server_options opts = {});
    ~runtime_api_server();
    runtime_api_server(const runtime_api_server&) = delete;
    runtime_api_server& operator=(const runtime_api_server&) = delete;

    std::string address() const;  // "127.0.0.1:<port>"
    void push(event ev);          // request id defaults to "req-<n>"
    // Closes the listener and every connection: the runtime sees the API go away.
    void go_away();

    std::vector<recorded_request> posts() const;
    std::size_t next_requests() const;
    bool wait_for_posts(std::size_t n, std::chrono::milliseconds timeout) const;

  private:
    void accept_loop();
    void serve(int fd);
    bool answer_next(int fd);
    void handle_post(int fd, recorded_request req);

    server_options opts_;
    int listen_fd_ = -1;
    int port_ = 0;
    mutable std::mutex mu_;
    mutable std::condition_variable cv_;
    bool stopping_ = false;
    std::deque<event> events_;
    std::size_t pushed_ = 0;
    std::size_t next_requests_ = 0;
    std::vector<recorded_request> posts_;
    std::vector<int> conn_fds_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

}  // namespace lambench::runtime::testing
