#include "aws/base64.hpp"

#include <array>
#include <stdexcept>

namespace lambench::aws {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
    std::array<std::int8_t, 256> table{};
    table.fill(-1);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}
constexpr auto reverse = make_reverse();

template <typename Byte>
std::string encode(const Byte* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t v = (std::uint32_t{static_cast<std::uint8_t>(data[i])} << 16) |
                                (std::uint32_t{static_cast<std::uint8_t>(data[i + 1])} << 8) |
                                std::uint32_t{static_cast<std::uint8_t>(data[i + 2])};
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (const std::size_t rest = size - i; rest > 0) {
        std::uint32_t v = std::uint32_t{static_cast<std::uint8_t>(data[i])} << 16;
        if (rest == 2) v |= std::uint32_t{static_cast<std::uint8_t>(data[i + 1])} << 8;
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> data) {
    return encode(data.data(), data.size());
}
std::string base64_encode(std::string_view data) {
    return encode(data.data(), data.size());
}

std::vector<std::uint8_t> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0)
        throw std::invalid_argument("base64: length " + std::to_string(text.size()) +
                                    " is not a multiple of 4");
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::uint32_t v = 0;
        int pad = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=' && last && j >= 2) {
                ++pad;
                v <<= 6;
                continue;
            }
            const std::int8_t d = reverse[static_cast<unsigned char>(c)];
            if (d < 0 || pad > 0)
                throw std::invalid_argument("base64: invalid character at offset " +
                                            std::to_string(i + j));
            v = (v << 6) | static_cast<std::uint32_t>(d);
        }
        out.push_back(static_cast<std::uint8_t>(v >> 16));
        if (pad < 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
        if (pad < 1) out.push_back(static_cast<std::uint8_t>(v));
    }
    return out;
}

std::string base64_decode_to_string(std::string_view text) {
    const auto bytes = base64_decode(text);
    return {bytes.begin(), bytes.end()};
}

}  // namespace lambench::aws
