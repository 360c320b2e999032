// Standard base64 (RFC 4648, with padding): Lambda's Code.ZipFile and X-Amz-Log-Result use it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lambench::aws {

std::string base64_encode(std::span<const std::uint8_t> data);
std::string base64_encode(std::string_view data);

// Strict: throws std::invalid_argument on a character outside the alphabet, bad padding or a
// length that is not a multiple of 4 — a corrupt log tail must not decode to garbage silently.
std::vector<std::uint8_t> base64_decode(std::string_view text);
std::string base64_decode_to_string(std::string_view text);

}  // namespace lambench::aws
