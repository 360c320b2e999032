// Small helpers the service layers share: ids, encodings, clocks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lambench::service {

std::string new_request_id();  // random UUID v4, lowercase
std::string new_trace_id();    // Root=1-<8 hex epoch>-<24 hex>;Sampled=0
std::string hex_random(std::size_t digits);

std::string sha256_base64(std::string_view data);
std::string url_decode(std::string_view s);

// 2026-11-27T18:03:04.123Z
std::string iso8601_now_ms();
// Lambda's LastModified form: 2026-11-27T18:03:04.123+0000
std::string lambda_timestamp_now();
std::int64_t epoch_ms_now();

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b);

}  // namespace lambench::service
