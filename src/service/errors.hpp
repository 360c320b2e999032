// Errors at the edge: a handler throws api_error; the HTTP server turns it into status, JSON body
// and headers in one place (http_server.cpp, make_error_response).
#pragma once

#include <stdexcept>
#include <string>

namespace lambench::service {

struct api_error : std::runtime_error {
    api_error(int status_, std::string code_, const std::string& message)
        : std::runtime_error(message), status(status_), code(std::move(code_)) {}
    int status;
    std::string code;       // e.g. ResourceNotFoundException, or InvalidRequestID (Runtime API)
    std::string reason;     // 429 only: the Reason field Lambda adds
    int retry_after_s = 0;  // 429 only: Retry-After header when > 0
};

inline api_error not_found(const std::string& what) {
    return {404, "ResourceNotFoundException", what};
}
inline api_error invalid_parameter(const std::string& message) {
    return {400, "InvalidParameterValueException", message};
}
inline api_error invalid_content(const std::string& message) {
    return {400, "InvalidRequestContentException", message};
}

}  // namespace lambench::service
