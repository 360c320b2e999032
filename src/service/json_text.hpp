// Serialising JSON that may carry client bytes. nlohmann::json::dump() throws type_error.316 on
// invalid UTF-8, and every error message the service writes can echo a client's bytes (a
// function name, a header, a URL path); one such byte must cost the client a U+FFFD, not the
// service its life. Every JSON body the service writes goes through here.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lambench::service {

inline std::string json_text(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace lambench::service
