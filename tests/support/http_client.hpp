// One HTTP request with libcurl, for tests that talk to a real server (`lambench serve`).
#pragma once

#include <curl/curl.h>

#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace lambench::test_support {

struct http_result {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    std::string header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        return it == headers.end() ? std::string{} : it->second;
    }
};

// `headers` are "Name: value" lines. Never goes through a proxy (the servers are local). Throws
// when no HTTP answer arrives at all; any status is a result.
inline http_result http(const std::string& method, const std::string& url,
                        const std::string& body = {}, const std::vector<std::string>& headers = {},
                        long timeout_s = 30) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
    if (!c) throw std::runtime_error("curl_easy_init failed");
    http_result r;
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big bodies
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hl(list, &curl_slist_free_all);
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
    if (method == "POST" || method == "PUT") {
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hl.get());
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(
        c.get(), CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            static_cast<std::string*>(ud)->append(p, s * n);
            return s * n;
        });
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(
        c.get(), CURLOPT_HEADERFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            std::string line(p, s * n);
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (auto& ch : name)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                std::string value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ') value.erase(0, 1);
                while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
                    value.pop_back();
                (*static_cast<std::map<std::string, std::string>*>(ud))[name] = value;
            }
            return s * n;
        });
    curl_easy_setopt(c.get(), CURLOPT_HEADERDATA, &r.headers);
    CURLcode rc = curl_easy_perform(c.get());
    if (rc != CURLE_OK)
        throw std::runtime_error(std::string("curl: ") + curl_easy_strerror(rc) + " " + url);
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

}  // namespace lambench::test_support
