// The Runtime API, server side: routes a sandbox's HTTP requests
// (/2018-06-01/runtime/invocation/next, .../{id}/response, .../{id}/error, /runtime/init/error)
// to the sandbox that owns the listener.
#pragma once

#include <optional>
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

// Response streaming. A runtime streams its response by posting it with the header
// Lambda-Runtime-Function-Response-Mode: streaming and a chunked body; an error after the body
// started comes as the trailer fields Lambda-Runtime-Function-Error-Type and
// Lambda-Runtime-Function-Error-Body (the error's JSON, base64-encoded).
bool streaming_mode(const http::request& req);

struct stream_error {
    std::string type;
    std::string body;  // the error's JSON as the runtime sent it
};
// The error a streamed response ended with, if its trailers carry one. The type: the
// Error-Type field, else the body's errorType, else Runtime.Unknown; the body: Error-Body
// decoded (taken as it is when it is not base64), else {"errorType":…,"errorMessage":""}.
std::optional<stream_error> stream_error_of(const http::request& req);

}  // namespace lambench::service
