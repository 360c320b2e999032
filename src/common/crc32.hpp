// CRC32 as zlib computes it (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of
// the AWS event-stream framing, written by the service and read by the Lambda client.
#pragma once

#include <cstdint>
#include <string_view>

namespace lambench::common {

// `crc` continues a running checksum (0 to start).
std::uint32_t crc32(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace lambench::common
