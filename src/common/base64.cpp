#include "common/base64.hpp"

#include <array>
#include <cstdint>

namespace lambench::common {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse(bool url_safe) {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    if (url_safe) {
        table[static_cast<unsigned char>('-')] = 62;
        table[static_cast<unsigned char>('_')] = 63;
    }
    return table;
}
constexpr auto strict_table = make_reverse(false);
constexpr auto lenient_table = make_reverse(true);

}  // namespace

std::string base64_encode(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    auto byte = [&](std::size_t k) { return std::uint32_t{static_cast<unsigned char>(data[k])}; };
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        std::uint32_t v = byte(i) << 16;
        if (rest == 2) v |= byte(i + 1) << 8;
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text, base64_mode mode) {
    const bool strict = mode == base64_mode::strict;
    if (strict && text.size() % 4 != 0) return std::nullopt;
    const auto& table = strict ? strict_table : lenient_table;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t digits = 0, pad = 0;
    for (char c : text) {
        if (!strict && (c == '\n' || c == '\r' || c == ' ' || c == '\t')) continue;
        if (c == '=') {
            ++pad;
            continue;
        }
        if (pad) return std::nullopt;  // data after padding
        const std::int8_t v = table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        ++digits;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (pad > 2) return std::nullopt;
    if (strict && (digits % 4 == 1 || (pad > 0 && digits % 4 + pad != 4))) return std::nullopt;
    return out;
}

}  // namespace lambench::common
