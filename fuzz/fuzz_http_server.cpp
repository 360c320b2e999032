// The service's HTTP server end to end (http_server.cpp's session: Beast parsing off a socket,
// limits, timeouts' bookkeeping, malformed-request answers, the admit refusal, keep-alive and
// pipelining, the edge that turns exceptions into answers). The fuzz input is written, as the
// bytes of one connection, to a real Lambda API listener and then to a real Runtime API listener
// (services.hpp) over loopback; what each wrote back must be well-formed HTTP responses with
// JSON bodies that parse, and each must answer or close (a hang is a finding). Every 16th input
// (by a hash of its bytes) reaches the Runtime API as a peer that admit refuses (403). Slower
// than fuzz_lambda_api and fuzz_runtime_api (a connection per input), which fuzz the handlers.
#include <cstdint>
#include <string_view>

#include "services.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static auto* lambda = new lambench_fuzz::lambda_service();
    static auto* runtime = new lambench_fuzz::runtime_service();
    std::string_view input(reinterpret_cast<const char*>(data), size);

    auto answer = lambench_fuzz::exchange(lambda->io, lambda->server->port(), input);
    lambench_fuzz::check_responses(answer, input);
    lambda->reset();

    runtime->refuse_next = lambench_fuzz::hash_bytes(input) % 16 == 0;
    answer = lambench_fuzz::exchange(runtime->io, runtime->server->port(), input);
    lambench_fuzz::check_responses(answer, input);
    runtime->refuse_next = false;
    return 0;
}
