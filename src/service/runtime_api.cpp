#include "runtime_api.hpp"

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/base64.hpp"
#include "json_text.hpp"

namespace lambench::service {

namespace {
constexpr std::string_view prefix = "/2018-06-01/runtime/";
}

http::response accepted_response() {
    http::response res{http::bhttp::status::accepted, 11};
    res.set(http::bhttp::field::content_type, "application/json");
    res.body() = R"({"status":"OK"})";
    return res;
}

std::string error_type_of(const http::request& req) {
    const auto& body = req.body();
    if (!body.empty() && body.front() == '{') {
        auto j = nlohmann::json::parse(body, nullptr, false);
        if (j.is_object()) {
            auto it = j.find("errorType");
            if (it != j.end() && it->is_string() && !it->get<std::string>().empty())
                return it->get<std::string>();
        }
    }
    auto h = req.find("Lambda-Runtime-Function-Error-Type");
    if (h != req.end() && !h->value().empty()) return std::string(h->value());
    return "Runtime.Unknown";
}

bool streaming_mode(const http::request& req) {
    auto h = req.find("Lambda-Runtime-Function-Response-Mode");
    return h != req.end() && boost::beast::iequals(h->value(), "streaming");
}

std::optional<stream_error> stream_error_of(const http::request& req) {
    auto type_field = req.find("Lambda-Runtime-Function-Error-Type");
    auto body_field = req.find("Lambda-Runtime-Function-Error-Body");
    if (type_field == req.end() && body_field == req.end()) return std::nullopt;
    stream_error e;
    if (body_field != req.end()) {
        std::string_view raw(body_field->value().data(), body_field->value().size());
        auto decoded = common::base64_decode(raw, common::base64_mode::lenient);
        e.body = decoded ? std::move(*decoded) : std::string(raw);
    }
    if (type_field != req.end()) e.type = std::string(type_field->value());
    if (e.type.empty() && !e.body.empty() && e.body.front() == '{') {
        auto j = nlohmann::json::parse(e.body, nullptr, false);
        if (j.is_object()) {
            auto it = j.find("errorType");
            if (it != j.end() && it->is_string()) e.type = it->get<std::string>();
        }
    }
    if (e.type.empty()) e.type = "Runtime.Unknown";
    if (e.body.empty()) {
        nlohmann::json j;
        j["errorType"] = e.type;
        j["errorMessage"] = "";
        e.body = json_text(j);
    }
    return e;
}

void route_runtime_request(runtime_endpoint& ep, http::request&& req,
                           const http::responder& reply) {
    std::string_view target(req.target().data(), req.target().size());
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    if (target.substr(0, prefix.size()) != prefix)
        throw api_error(404, "NotFound", "unknown Runtime API path " + std::string(target));
    std::string_view rest = target.substr(prefix.size());
    auto method = req.method();
    auto require = [&](http::bhttp::verb v) {
        if (method != v)
            throw api_error(
                405, "MethodNotAllowed",
                std::string(req.method_string()) + " not allowed on " + std::string(target));
    };
    if (rest == "invocation/next") {
        require(http::bhttp::verb::get);
        return ep.on_next(reply);
    }
    if (rest == "init/error") {
        require(http::bhttp::verb::post);
        return ep.on_init_error(std::move(req), reply);
    }
    constexpr std::string_view inv = "invocation/";
    if (rest.substr(0, inv.size()) == inv) {
        rest.remove_prefix(inv.size());
        auto slash = rest.find('/');
        if (slash != std::string_view::npos) {
            std::string id(rest.substr(0, slash));
            std::string_view what = rest.substr(slash + 1);
            if (what == "response") {
                require(http::bhttp::verb::post);
                return ep.on_response(id, std::move(req), reply);
            }
            if (what == "error") {
                require(http::bhttp::verb::post);
                return ep.on_error(id, std::move(req), reply);
            }
        }
    }
    throw api_error(404, "NotFound", "unknown Runtime API path " + std::string(target));
}

}  // namespace lambench::service
