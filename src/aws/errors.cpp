#include "aws/errors.hpp"

#include <nlohmann/json.hpp>

#include "aws/xml.hpp"

namespace lambench::aws {
namespace {

api_error finish(const http_response& r, std::string type, std::string message) {
    if (type.empty()) type = "HTTP" + std::to_string(r.status);
    if (message.empty())
        message =
            r.body.empty() ? "HTTP status " + std::to_string(r.status) : r.body.substr(0, 512);
    return api_error(static_cast<int>(r.status), std::move(type), message);
}

}  // namespace

api_error json_error(const http_response& r) {
    using json = nlohmann::json;
    std::string type, message;
    if (auto it = r.headers.find("x-amzn-errortype"); it != r.headers.end())
        type = it->second.substr(0, it->second.find(':'));  // "Code:http://internal.amazon.com/..."
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_object()) {
        for (const char* key : {"message", "Message", "errorMessage"})
            if (auto m = body.find(key); m != body.end() && m->is_string()) {
                message = m->get<std::string>();
                break;
            }
        if (type.empty())
            if (auto t = body.find("__type"); t != body.end() && t->is_string()) {
                type = t->get<std::string>();
                if (const auto hash = type.find('#'); hash != std::string::npos)
                    type.erase(0, hash + 1);
                type = type.substr(0, type.find(':'));
            }
    }
    return finish(r, std::move(type), std::move(message));
}

api_error xml_error(const http_response& r) {
    std::string type, message;
    try {
        const xml_node doc = parse_xml(r.body);
        const xml_node* err = doc.name == "Error" ? &doc : doc.find("Error");
        if (err) {
            type = err->text_at("Code");
            message = err->text_at("Message");
        }
    } catch (const std::exception&) {
        // not XML: the status and the body's start say what happened
    }
    return finish(r, std::move(type), std::move(message));
}

}  // namespace lambench::aws
