#include "driver/format.hpp"

#include <fmt/format.h>

#include <cmath>

namespace lambench::driver::format {

std::string ms_value(double v) {
    if (std::isnan(v)) return "-";
    const double a = std::abs(v);
    if (a < 1) return fmt::format("{:.3f}", v);
    if (a < 10) return fmt::format("{:.2f}", v);
    if (a < 100) return fmt::format("{:.1f}", v);
    return fmt::format("{:.0f}", v);
}

std::string ms(double v) {
    return std::isnan(v) ? "-" : ms_value(v) + " ms";
}

std::string whole_ms(double v) {
    return std::isnan(v) ? "-" : fmt::format("{:.0f} ms", v);
}

std::string percent(double fraction) {
    return std::isnan(fraction) ? "-" : fmt::format("{:.1f} %", fraction * 100);
}

std::string mb(double v) {
    return std::isnan(v) ? "-" : fmt::format("{:.0f} MB", v);
}

std::string usd(double v) {
    if (std::isnan(v)) return "-";
    return v >= 100 ? fmt::format("${:.2f}", v) : fmt::format("${:.4f}", v);
}

std::string fixed(double v, int decimals) {
    return std::isnan(v) ? "" : fmt::format("{:.{}f}", v, decimals);
}

std::string html_escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string csv_escape(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"')
            out += "\"\"";
        else
            out.push_back(c);
    }
    return out + "\"";
}

std::string count(double v) {
    if (std::isnan(v) || v < 0) return "n/a";
    std::string digits = fmt::format("{:.0f}", v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string monthly_usd(double v) {
    if (std::isnan(v)) return "n/a";
    const double cents = std::round(v * 100);
    const std::string whole = count(std::floor(cents / 100));
    return fmt::format("${}.{:02.0f}", whole, std::fmod(cents, 100));
}

}  // namespace lambench::driver::format
