// The one base64: RFC 4648 vectors, every byte value, and what each mode refuses.
#include "common/base64.hpp"

#include <gtest/gtest.h>

#include "common/json_escape.hpp"

using namespace lambench::common;

TEST(base64, rfc4648_vectors_round_trip) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(base64_encode(plain), encoded);
        EXPECT_EQ(base64_decode(encoded), plain);
        EXPECT_EQ(base64_decode(encoded, base64_mode::lenient), plain);
    }
}

TEST(base64, all_byte_values_round_trip) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
}

TEST(base64, strict_refuses_what_rfc4648_does_not_allow) {
    for (const char* bad :
         {"Zg=", "Zm9v!", "Z===", "Zg==Zg==", "Zm 9v", "=Zg=", "Zm=v", "Zm9", "Z", "Zg\n=="})
        EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
}

TEST(base64, lenient_accepts_whitespace_url_safe_and_missing_padding) {
    EXPECT_EQ(base64_decode("Zm9v\nYmFy", base64_mode::lenient), "foobar");
    EXPECT_EQ(base64_decode("Zg", base64_mode::lenient), "f");
    EXPECT_EQ(base64_decode("-_-_", base64_mode::lenient), base64_decode("+/+/"));
    EXPECT_FALSE(base64_decode("-_-_").has_value()) << "strict keeps the standard alphabet";
    EXPECT_FALSE(base64_decode("Zg==Zg", base64_mode::lenient).has_value()) << "data after padding";
    EXPECT_FALSE(base64_decode("Zm9v!", base64_mode::lenient).has_value());
}

TEST(json_escape, escapes_quotes_backslashes_and_controls_and_keeps_utf8) {
    EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_string(std::string("\n\r\t\b\f\x01\x1f", 7)), R"("\n\r\t\b\f\u0001\u001f")");
    EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    EXPECT_EQ(json_string(std::string("\0", 1)), R"("\u0000")");
}
