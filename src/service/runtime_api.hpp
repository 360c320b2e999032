// The Runtime API, server side: routes a sandbox's HTTP requests
// (/2018-06-01/runtime/invocation/next, .../{id}/response, .../{id}/error, /runtime/init/error)
// to the sandbox that owns the listener.
#pragma once

#include <string>

#include "http_server.hpp"

namespace lambench::service {

inline constexpr std::size_t max_runtime_payload = 6 * 1024 * 1024;  // 6 MiB response limit

class runtime_endpoint {
  public:
    virtual ~runtime_endpoint() = default;
    virtual void on_next(const http::responder& reply) = 0;
    virtual void on_response(const std::string& id, http::request&& req,
                             const http::responder& reply) = 0;
    virtual void on_error(const std::string& id, http::request&& req,
                          const http::responder& reply) = 0;
    virtual void on_init_error(http::request&& req, const http::responder& reply) = 0;
};

// Throws api_error (404 for unknown routes, 405 for a wrong method).
void route_runtime_request(runtime_endpoint& ep, http::request&& req, const http::responder& reply);

// 202 {"status":"OK"} — always with that body: some clients crash on an empty 202.
http::response accepted_response();

// errorType of a posted error: the body's errorType, else the Lambda-Runtime-Function-Error-Type
// header, else Runtime.Unknown. Accepts any body (JSON or not).
std::string error_type_of(const http::request& req);

}  // namespace lambench::service
