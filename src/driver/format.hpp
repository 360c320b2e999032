// Number formatting shared by the reporters, so every format shows the same digits.
#pragma once

#include <string>

namespace lambench::driver::format {

// Milliseconds with precision that fits the magnitude: 0.123 ms, 9.54 ms, 54.3 ms, 1286 ms.
std::string ms(double v);
std::string ms_value(double v);
std::string whole_ms(
    double v);  // billed durations are whole milliseconds: "44 ms"  // the same without the unit
std::string percent(double fraction);  // 0.0412 -> "4.1 %"
std::string mb(double v);              // "21 MB"
std::string usd(double v);             // "$0.2417" — 4 significant decimals for per-million
std::string monthly_usd(double v);     // "$1,234.56" — cents; "n/a" for NaN
std::string count(double v);           // 1000000 -> "1,000,000"
std::string fixed(double v, int decimals);
std::string html_escape(const std::string& s);
std::string csv_escape(const std::string& s);

}  // namespace lambench::driver::format
