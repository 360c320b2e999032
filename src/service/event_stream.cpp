#include "event_stream.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/crc32.hpp"
#include "json_text.hpp"

namespace lambench::service::event_stream {

namespace {

constexpr std::uint8_t string_type = 7;

void put_u32(std::string& out, std::uint32_t v) {
    out += static_cast<char>(v >> 24 & 0xff);
    out += static_cast<char>(v >> 16 & 0xff);
    out += static_cast<char>(v >> 8 & 0xff);
    out += static_cast<char>(v & 0xff);
}

}  // namespace

std::uint32_t crc32(std::string_view bytes, std::uint32_t crc) {
    return common::crc32(bytes, crc);
}

std::string message(std::span<const header> headers, std::string_view payload) {
    std::size_t headers_len = 0;
    for (const auto& h : headers) {
        if (h.name.empty() || h.name.size() > 255)
            throw std::length_error("event-stream header name must be 1..255 bytes");
        if (h.value.size() > 65535)
            throw std::length_error("event-stream header value over 65535 bytes");
        headers_len += 1 + h.name.size() + 1 + 2 + h.value.size();
    }
    const std::size_t total = 12 + headers_len + payload.size() + 4;
    if (total > max_message) throw std::length_error("event-stream message over 16 MiB");
    std::string out;
    out.reserve(total);
    put_u32(out, static_cast<std::uint32_t>(total));
    put_u32(out, static_cast<std::uint32_t>(headers_len));
    put_u32(out, crc32(out));
    for (const auto& h : headers) {
        out += static_cast<char>(h.name.size());
        out += h.name;
        out += static_cast<char>(string_type);
        out += static_cast<char>(h.value.size() >> 8 & 0xff);
        out += static_cast<char>(h.value.size() & 0xff);
        out += h.value;
    }
    out += payload;
    put_u32(out, crc32(out));
    return out;
}

std::string payload_chunk(std::string_view bytes) {
    const std::array<header, 3> h = {header{":event-type", "PayloadChunk"},
                                     header{":content-type", "application/octet-stream"},
                                     header{":message-type", "event"}};
    return message(h, bytes);
}

std::string invoke_complete(std::string_view error_code, std::string_view error_details,
                            std::string_view log_result) {
    nlohmann::json j = nlohmann::json::object();
    if (!error_code.empty()) j["ErrorCode"] = error_code;
    if (!error_details.empty()) j["ErrorDetails"] = error_details;
    if (!log_result.empty()) j["LogResult"] = log_result;
    const std::array<header, 3> h = {header{":event-type", "InvokeComplete"},
                                     header{":content-type", "application/json"},
                                     header{":message-type", "event"}};
    return message(h, json_text(j));
}

}  // namespace lambench::service::event_stream
