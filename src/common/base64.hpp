// The one base64 (RFC 4648, standard alphabet) in the tree. Lambda uses it for Code.ZipFile,
// X-Amz-Log-Result and X-Amz-Client-Context.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lambench::common {

std::string base64_encode(std::string_view data);  // with '=' padding

enum class base64_mode {
    // Exactly RFC 4648: length a multiple of 4, padding only at the end, no other characters.
    strict,
    // What clients send in practice: whitespace and line breaks skipped, the URL-safe '-' and
    // '_' accepted, padding optional.
    lenient,
};

// nullopt on input the mode does not accept; never throws.
std::optional<std::string> base64_decode(std::string_view text,
                                         base64_mode mode = base64_mode::strict);

}  // namespace lambench::common
