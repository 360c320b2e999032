// The Lambda REST API's request handling (lambda_api::handle: control_api.cpp, invoke_api.cpp),
// in memory: the fuzz input is the bytes of one client connection (pipelined requests: request
// line, headers, JSON bodies, base64 zips), parsed as the HTTP session parses them, and each
// request is handled by a real lambda_api over a real registry and scheduler (services.hpp).
// Every echo of client text (names, ARNs, qualifiers, headers, body fields) goes through the
// service's own code; an api_error becomes the service's error response, whose JSON must parse;
// any other exception is a finding. fuzz_http_server drives the same API through the socket.
#include <cstdint>
#include <string_view>

#include "services.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* s = new lambench_fuzz::lambda_service();  // never destroyed: no teardown races
    std::string_view input(reinterpret_cast<const char*>(data), size);
    lambench_fuzz::drive_requests(input, s->body_limit,
                                  lambench::service::http::error_style::lambda_api,
                                  [](lambench::service::http::request&& req) {
                                      s->api->handle(std::move(req), *s->captured);
                                  });
    s->reset();
    return 0;
}
