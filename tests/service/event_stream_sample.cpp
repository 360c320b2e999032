// Writes a few event-stream messages made by the service's encoder to stdout, for
// botocore_event_stream.py to decode with botocore's own parser.
#include <cstdio>
#include <string>

#include "service/event_stream.hpp"

int main() {
    namespace es = lambench::service::event_stream;
    std::string all_bytes;
    for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
    std::string out = es::payload_chunk("chunk 0\n") + es::payload_chunk(all_bytes) +
                      es::payload_chunk(std::string(70000, 'x')) +
                      es::invoke_complete("Unhandled", R"({"errorMessage":"m"})", "bG9n") +
                      es::invoke_complete("", "", "");
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
}
