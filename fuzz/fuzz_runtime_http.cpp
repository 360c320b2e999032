// The runtime client's HTTP response reader (src/runtime/http.cpp), fed as the Runtime API
// would feed it: a connected socket. Input: the first byte picks how the bytes arrive (0: all at
// once; k > 0: in packets of k bytes or more, so heads, chunk lines and CRLFs straddle reads),
// the rest is what the server sends: responses, one after another, until it closes. Each
// response read is inspected as runtime.cpp inspects an event (header lookups, the deadline).
// parse_endpoint (AWS_LAMBDA_RUNTIME_API) gets the same bytes.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "runtime/http.hpp"

using namespace lambench::runtime::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > 64 * 1024) return -1;  // more than 64 KB would not fit the socket
    std::string_view all(reinterpret_cast<const char*>(data), size);
    (void)parse_endpoint(all.substr(1));

    const std::size_t k = static_cast<unsigned char>(all[0]);
    std::string_view wire = all.substr(1);

    // SOCK_SEQPACKET keeps packet boundaries, so each recv() returns at most one packet: the
    // split is deterministic. (A packet longer than the reader's free buffer is cut short by the
    // kernel; that only changes which bytes the reader sees, never what it may do with them.)
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        lambench_fuzz::violated("socketpair() failed", std::strerror(errno));
    std::size_t chunk = k == 0 ? wire.size() : k;
    chunk = std::max<std::size_t>(chunk, (wire.size() + 127) / 128);  // at most 128 packets
    for (std::size_t off = 0; off < wire.size(); off += chunk) {
        auto piece = wire.substr(off, chunk);
        // Never blocks (a full socket would hang this single thread): what does not fit is left
        // out.
        if (::send(sv[0], piece.data(), piece.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
            static_cast<ssize_t>(piece.size()))
            break;
    }
    ::shutdown(sv[0], SHUT_WR);

    response_reader reader;
    reader.attach(sv[1]);
    http_response resp;
    std::string body;
    for (int i = 0; i < 64; ++i) {
        auto r = reader.read(resp, body);
        if (!r) {
            (void)r.error().transient();
            break;
        }
        if (resp.status < 200 || resp.status > 999)
            lambench_fuzz::violated("read() returned an impossible status", resp.head);
        // What runtime.cpp does with an event.
        std::string id(resp.header("Lambda-Runtime-Aws-Request-Id"));
        std::string arn(resp.header("Lambda-Runtime-Invoked-Function-Arn"));
        std::string_view deadline = resp.header("Lambda-Runtime-Deadline-Ms");
        long long ms = 0;
        (void)std::from_chars(deadline.data(), deadline.data() + deadline.size(), ms);
        for (const auto& h : resp.headers) {
            if (h.name.data() < resp.head.data() ||
                h.name.data() + h.name.size() > resp.head.data() + resp.head.size())
                lambench_fuzz::violated("a header name points outside the response head");
        }
        if (!resp.keep_alive) break;
    }
    ::close(sv[0]);
    ::close(sv[1]);
    return 0;
}
