#include "util.hpp"

#include <openssl/evp.h>

#include <array>
#include <ctime>
#include <random>

#include "common/base64.hpp"

namespace lambench::service {

namespace {
std::mt19937_64& rng() {
    // Ids only need to be unique, not secret: one seeded generator on the io thread suffices
    // (thread_local keeps tests that call from several threads safe).
    thread_local std::mt19937_64 gen{std::random_device{}()};
    return gen;
}
constexpr char hex_digits[] = "0123456789abcdef";
}  // namespace

std::string hex_random(std::size_t digits) {
    std::string out;
    out.reserve(digits);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (i % 16 == 0) bits = rng()();
        out.push_back(hex_digits[bits & 0xf]);
        bits >>= 4;
    }
    return out;
}

std::string new_request_id() {
    std::string h = hex_random(32);
    h[12] = '4';                                                             // version 4
    h[16] = hex_digits[8 + (std::string_view(hex_digits).find(h[16]) & 3)];  // variant 10xx
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
           "-" + h.substr(20, 12);
}

std::string new_trace_id() {
    char epoch[16];
    std::snprintf(epoch, sizeof epoch, "%08lx",
                  static_cast<unsigned long>(std::time(nullptr)) & 0xffffffffUL);
    return std::string("Root=1-") + epoch + "-" + hex_random(24) + ";Sampled=0";
}

std::string sha256_base64(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
    return common::base64_encode(std::string_view(reinterpret_cast<const char*>(md.data()), len));
}

std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            auto hv = [](char c) -> int {
                if (c >= '0' && c <= '9') return c - '0';
                if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                return -1;
            };
            int a = hv(s[i + 1]), b = hv(s[i + 2]);
            if (a >= 0 && b >= 0) {
                out.push_back(static_cast<char>(a * 16 + b));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

namespace {
std::string format_now(const char* tail_fmt) {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, tail_fmt, static_cast<int>(ms));
    return buf;
}
}  // namespace

std::string iso8601_now_ms() {
    return format_now(".%03dZ");
}
std::string lambda_timestamp_now() {
    return format_now(".%03d+0000");
}

std::int64_t epoch_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double ms_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace lambench::service
