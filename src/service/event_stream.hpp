// The AWS event-stream framing that InvokeWithResponseStream answers in
// (Content-Type: application/vnd.amazon.eventstream). A message is
//
//   total length (4 bytes) | headers length (4) | CRC32 of those 8 bytes (4)
//   headers | payload | CRC32 of everything before (4)
//
// big-endian, CRC32 as in zlib (IEEE 802.3). A header is its name's length (1 byte), the name, a
// value type (1 byte; 7 = string) and, for a string, its length (2 bytes) and bytes. Lambda's
// messages carry three string headers: :event-type, :content-type and :message-type ("event").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace lambench::service::event_stream {

struct header {
    std::string_view name;   // at most 255 bytes
    std::string_view value;  // at most 65535 bytes
};

// One message. Throws std::length_error beyond the format's limits (names of 255 bytes, values
// of 65535, 16 MiB per message).
std::string message(std::span<const header> headers, std::string_view payload);

// Lambda's two events: a piece of the function's response, and the end of the invocation
// (JSON with ErrorCode and ErrorDetails when it failed, LogResult when the log was asked for;
// empty members are left out).
std::string payload_chunk(std::string_view bytes);
std::string invoke_complete(std::string_view error_code, std::string_view error_details,
                            std::string_view log_result);

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

inline constexpr std::size_t max_message = std::size_t{16} * 1024 * 1024;

}  // namespace lambench::service::event_stream
