// The Runtime API's request handling (route_runtime_request, error_type_of, the error
// responses), in memory: the fuzz input is the bytes of one connection from a runtime
// (pipelined /next, /response, /error, /init/error requests with any bodies), parsed as the HTTP
// session parses them, and routed to an endpoint that answers as a sandbox does (services.hpp).
// An api_error becomes the service's error response, whose JSON must parse; any other exception
// is a finding. fuzz_http_server drives the same routing through the socket.
#include <cstdint>
#include <string_view>

#include "services.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* s = new lambench_fuzz::runtime_service();
    std::string_view input(reinterpret_cast<const char*>(data), size);
    lambench_fuzz::drive_requests(
        input, s->body_limit, lambench::service::http::error_style::runtime_api,
        [](lambench::service::http::request&& req) {
            lambench::service::route_runtime_request(s->sandbox, std::move(req), *s->captured);
        });
    return 0;
}
