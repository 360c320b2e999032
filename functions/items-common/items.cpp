#include "items.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "common/json_escape.hpp"

namespace items {
namespace {

// ---- a small strict JSON reader: top-level object of scalars (anything else is skipped) ----

struct json_value {
    enum kind_t { string, number, other } kind = other;
    std::string str;
    double num = 0;
};

struct parse_error {
    std::string what;
    size_t at;
};

class reader {
  public:
    explicit reader(std::string_view s) : s_(s) {}

    std::map<std::string, json_value> top_object(bool& is_object) {
        ws();
        std::map<std::string, json_value> out;
        if (peek() != '{') {
            skip_value();
            end();
            is_object = false;
            return out;
        }
        is_object = true;
        ++i_;
        ws();
        if (peek() == '}') {
            ++i_;
            end();
            return out;
        }
        for (;;) {
            ws();
            if (peek() != '"') throw parse_error{"expected a string key", i_};
            std::string key = string_lit();
            ws();
            expect(':');
            ws();
            out[key] = value();
            ws();
            if (peek() == ',') {
                ++i_;
                continue;
            }
            expect('}');
            break;
        }
        end();
        return out;
    }

  private:
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void expect(char c) {
        if (peek() != c) throw parse_error{std::string("expected '") + c + "'", i_};
        ++i_;
    }
    void ws() {
        while (i_ < s_.size() &&
               (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
            ++i_;
    }
    void end() {
        ws();
        if (i_ != s_.size()) throw parse_error{"unexpected data after the value", i_};
    }

    json_value value() {
        json_value v;
        char c = peek();
        if (c == '"') {
            v.kind = json_value::string;
            v.str = string_lit();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = json_value::number;
            v.num = number();
        } else {
            skip_value();
        }
        return v;
    }

    void skip_value() {
        ws();
        char c = peek();
        if (c == '{' || c == '[') {
            if (++depth_ > 64) throw parse_error{"nesting too deep", i_};
            char close = c == '{' ? '}' : ']';
            ++i_;
            ws();
            if (peek() == close) {
                ++i_;
                --depth_;
                return;
            }
            for (;;) {
                ws();
                if (c == '{') {
                    if (peek() != '"') throw parse_error{"expected a string key", i_};
                    string_lit();
                    ws();
                    expect(':');
                    ws();
                }
                skip_value();
                ws();
                if (peek() == ',') {
                    ++i_;
                    continue;
                }
                expect(close);
                break;
            }
            --depth_;
        } else if (c == '"') {
            string_lit();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number();
        } else if (s_.substr(i_, 4) == "true" || s_.substr(i_, 4) == "null") {
            i_ += 4;
        } else if (s_.substr(i_, 5) == "false") {
            i_ += 5;
        } else {
            throw parse_error{i_ >= s_.size() ? "unexpected end" : "unexpected character", i_};
        }
    }

    double number() {
        size_t start = i_;
        if (peek() == '-') ++i_;
        if (peek() == '0') {
            ++i_;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++i_;
        } else {
            throw parse_error{"bad number", i_};
        }
        if (peek() == '.') {
            ++i_;
            if (!(peek() >= '0' && peek() <= '9')) throw parse_error{"bad number", i_};
            while (peek() >= '0' && peek() <= '9') ++i_;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++i_;
            if (peek() == '+' || peek() == '-') ++i_;
            if (!(peek() >= '0' && peek() <= '9')) throw parse_error{"bad number", i_};
            while (peek() >= '0' && peek() <= '9') ++i_;
        }
        std::string text(s_.substr(start, i_ - start));
        return std::strtod(text.c_str(), nullptr);  // overflow gives ±HUGE_VAL: not an integer
    }

    static void put_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    std::uint32_t hex4() {
        if (i_ + 4 > s_.size()) throw parse_error{"bad \\u escape", i_};
        std::uint32_t v = 0;
        for (int k = 0; k < 4; ++k) {
            char c = s_[i_++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<std::uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<std::uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<std::uint32_t>(c - 'A' + 10);
            else
                throw parse_error{"bad \\u escape", i_ - 1};
        }
        return v;
    }

    std::string string_lit() {
        expect('"');
        std::string out;
        for (;;) {
            if (i_ >= s_.size()) throw parse_error{"unterminated string", i_};
            char c = s_[i_++];
            if (c == '"') break;
            if (static_cast<unsigned char>(c) < 0x20)
                throw parse_error{"control character in string", i_ - 1};
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) throw parse_error{"unterminated string", i_};
            char e = s_[i_++];
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    std::uint32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(i_, 2) == "\\u") {
                        size_t save = i_;
                        i_ += 2;
                        std::uint32_t lo = hex4();
                        if (lo >= 0xDC00 && lo < 0xE000)
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        else
                            i_ = save;
                    }
                    put_utf8(out, cp);
                    break;
                }
                default:
                    throw parse_error{"bad escape", i_ - 1};
            }
        }
        return out;
    }

    std::string_view s_;
    size_t i_ = 0;
    int depth_ = 0;
};

bool is_integer(const json_value& v) {
    return v.kind == json_value::number && std::isfinite(v.num) && std::floor(v.num) == v.num;
}

using lambench::common::append_json_string;

int digits(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) throw std::invalid_argument("timestamp too short");
    int v = 0;
    for (size_t k = 0; k < n; ++k) {
        char c = s[pos + k];
        if (c < '0' || c > '9') throw std::invalid_argument("timestamp: digit expected");
        v = v * 10 + (c - '0');
    }
    return v;
}

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
}

}  // namespace

std::variant<request, invalid_event> parse_event(std::string_view event) {
    static const std::string shape =
        "event must be a JSON object with 'id' or 'category' and 'limit'";
    std::map<std::string, json_value> obj;
    bool is_object = false;
    try {
        obj = reader(event).top_object(is_object);
    } catch (const parse_error& e) {
        return invalid_event{"event is not valid JSON: " + e.what + " at offset " +
                             std::to_string(e.at)};
    }
    if (!is_object) return invalid_event{shape};
    if (auto it = obj.find("id"); it != obj.end()) {
        if (it->second.kind != json_value::string || !is_uuid(it->second.str))
            return invalid_event{"field 'id' must be a UUID string"};
        return request{by_id{it->second.str}};
    }
    auto cat = obj.find("category");
    if (cat == obj.end()) return invalid_event{"field 'category' is missing"};
    if (!is_integer(cat->second) || cat->second.num < -2147483648.0 ||
        cat->second.num > 2147483647.0)
        return invalid_event{"field 'category' must be an integer"};
    auto lim = obj.find("limit");
    if (lim == obj.end()) return invalid_event{"field 'limit' is missing"};
    if (!is_integer(lim->second) || lim->second.num < 1 || lim->second.num > 1000)
        return invalid_event{"field 'limit' must be an integer from 1 to 1000"};
    return request{by_category{static_cast<std::int32_t>(cat->second.num),
                               static_cast<std::int32_t>(lim->second.num)}};
}

bool is_uuid(std::string_view s) {
    if (s.size() != 36) return false;
    for (size_t k = 0; k < 36; ++k) {
        char c = s[k];
        if (k == 8 || k == 13 || k == 18 || k == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

std::string format_price(std::int64_t cents) {
    std::string out;
    std::uint64_t mag = cents < 0 ? static_cast<std::uint64_t>(-(cents + 1)) + 1
                                  : static_cast<std::uint64_t>(cents);
    if (cents < 0) out += '-';
    out += std::to_string(mag / 100);
    out += '.';
    out += static_cast<char>('0' + (mag % 100) / 10);
    out += static_cast<char>('0' + mag % 10);
    return out;
}

std::string format_timestamp(std::int64_t unix_us) {
    std::int64_t secs = unix_us / 1000000, us = unix_us % 1000000;
    if (us < 0) {
        us += 1000000;
        --secs;
    }
    std::int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        --days;
    }
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                  static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                  static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60),
                  static_cast<long long>(us));
    return buf;
}

std::string format_uuid(const unsigned char bytes[16]) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int k = 0; k < 16; ++k) {
        if (k == 4 || k == 6 || k == 8 || k == 10) out += '-';
        out += hex[bytes[k] >> 4];
        out += hex[bytes[k] & 15];
    }
    return out;
}

std::int64_t parse_numeric_cents(std::string_view t) {
    size_t i = 0;
    bool neg = false;
    if (i < t.size() && (t[i] == '-' || t[i] == '+')) neg = t[i++] == '-';
    std::int64_t whole = 0;
    size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
        if (whole > (INT64_MAX / 1000)) throw std::invalid_argument("numeric out of range");
        whole = whole * 10 + (t[i++] - '0');
    }
    if (i == start)
        throw std::invalid_argument("numeric: digits expected in '" + std::string(t) + "'");
    std::int64_t frac = 0;
    if (i < t.size() && t[i] == '.') {
        ++i;
        int n = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            if (n >= 2 && t[i] != '0') throw std::invalid_argument("numeric: more than 2 decimals");
            if (n < 2) frac = frac * 10 + (t[i] - '0');
            ++n;
            ++i;
        }
        if (n == 1) frac *= 10;
    }
    if (i != t.size()) throw std::invalid_argument("numeric: unexpected '" + std::string(t) + "'");
    std::int64_t cents = whole * 100 + frac;
    return neg ? -cents : cents;
}

std::int64_t parse_timestamptz_us(std::string_view t) {
    // YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}](+|-)HH[:MM[:SS]]   (DateStyle ISO, any TimeZone)
    int y = digits(t, 0, 4);
    if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') ||
        t[13] != ':' || t[16] != ':')
        throw std::invalid_argument("timestamp: unexpected '" + std::string(t) + "'");
    int mo = digits(t, 5, 2), d = digits(t, 8, 2), h = digits(t, 11, 2), mi = digits(t, 14, 2),
        s = digits(t, 17, 2);
    size_t i = 19;
    std::int64_t us = 0;
    if (i < t.size() && t[i] == '.') {
        ++i;
        int n = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            if (n < 6) us = us * 10 + (t[i] - '0');
            ++n;
            ++i;
        }
        if (n == 0) throw std::invalid_argument("timestamp: fraction expected");
        for (; n < 6; ++n) us *= 10;
    }
    std::int64_t offset_s = 0;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) {
        int sign = t[i] == '-' ? -1 : 1;
        ++i;
        int oh = digits(t, i, 2);
        i += 2;
        int om = 0, os = 0;
        if (i < t.size() && t[i] == ':') {
            om = digits(t, i + 1, 2);
            i += 3;
            if (i < t.size() && t[i] == ':') {
                os = digits(t, i + 1, 2);
                i += 3;
            }
        }
        offset_s = sign * (oh * 3600 + om * 60 + os);
    } else if (i < t.size() && t[i] == 'Z') {
        ++i;
    }
    if (i != t.size())
        throw std::invalid_argument("timestamp: unexpected '" + std::string(t) + "'");
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        throw std::invalid_argument("timestamp: field out of range in '" + std::string(t) + "'");
    std::int64_t secs =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
        mi * 60 + s - offset_s;
    return secs * 1000000 + us;
}

void append_item_json(std::string& out, const item& it) {
    out += "{\"id\":";
    append_json_string(out, it.id);
    out += ",\"name\":";
    append_json_string(out, it.name);
    out += ",\"price\":\"";
    out += format_price(it.price_cents);
    out += "\",\"created_at\":\"";
    out += format_timestamp(it.created_at_us);
    out += "\"}";
}

std::string item_json(const item& it) {
    std::string out;
    append_item_json(out, it);
    return out;
}

std::string items_json(const std::vector<item>& rows) {
    std::string out;
    out.reserve(2 + rows.size() * 112);
    out += '[';
    for (size_t k = 0; k < rows.size(); ++k) {
        if (k) out += ',';
        append_item_json(out, rows[k]);
    }
    out += ']';
    return out;
}

result not_found(const std::string& id) {
    return result::failure("NotFound", "no item with id " + id);
}

result invalid(const invalid_event& e) {
    return result::failure("InvalidEvent", e.message);
}

namespace {
std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t k = 0; k < s.size(); ++k) {
        if (s[k] == '%') {
            if (k + 2 >= s.size())
                throw std::invalid_argument("bad percent escape in database URL");
            int v = 0;
            for (size_t j = 1; j <= 2; ++j) {
                char c = s[k + j];
                v <<= 4;
                if (c >= '0' && c <= '9')
                    v |= c - '0';
                else if (c >= 'a' && c <= 'f')
                    v |= c - 'a' + 10;
                else if (c >= 'A' && c <= 'F')
                    v |= c - 'A' + 10;
                else
                    throw std::invalid_argument("bad percent escape in database URL");
            }
            out += static_cast<char>(v);
            k += 2;
        } else {
            out += s[k];
        }
    }
    return out;
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}
}  // namespace

pg_params parse_pg_url(const std::string& url) {
    pg_params p;
    if (url.empty()) {
        p.host = env_or("PGHOST", p.host);
        p.port = std::atoi(env_or("PGPORT", "5432").c_str());
        p.user = env_or("PGUSER", env_or("USER", ""));
        p.dbname = env_or("PGDATABASE", p.user);
        p.password = env_or("PGPASSWORD", "");
        return p;
    }
    std::string_view rest = url;
    if (rest.starts_with("postgresql://"))
        rest.remove_prefix(13);
    else if (rest.starts_with("postgres://"))
        rest.remove_prefix(11);
    else
        throw std::invalid_argument("database URL must start with postgresql://");
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view path;
    if (auto sl = rest.find('/'); sl != std::string_view::npos) {
        path = rest.substr(sl + 1);
        rest = rest.substr(0, sl);
    }
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            p.user = percent_decode(userinfo.substr(0, colon));
            p.password = percent_decode(userinfo.substr(colon + 1));
        } else {
            p.user = percent_decode(userinfo);
        }
    }
    if (auto colon = rest.rfind(':');
        colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
        std::string port(rest.substr(colon + 1));
        p.port = std::atoi(port.c_str());
        if (p.port <= 0 || p.port > 65535) throw std::invalid_argument("bad port in database URL");
        rest = rest.substr(0, colon);
    }
    if (!rest.empty()) p.host = percent_decode(rest);
    p.dbname = percent_decode(path);
    if (p.dbname.empty()) p.dbname = p.user;
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view kv = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        p.options.emplace_back(percent_decode(kv.substr(0, eq)), percent_decode(kv.substr(eq + 1)));
    }
    return p;
}

std::string database_url() {
    const char* u = std::getenv("DATABASE_URL");
    return u ? u : "";
}

}  // namespace items
