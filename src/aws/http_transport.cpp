#include "aws/http_transport.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace lambench::aws {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
    const std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        headers.clear();  // a new response (after 100 Continue or a redirect) starts over
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        auto [it, fresh] = headers.try_emplace(lower(std::string(line.substr(0, colon))));
        if (!fresh) it->second += ", ";
        it->second += trim(line.substr(colon + 1));
    }
    return size * n;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("aws: curl_global_init failed");
    });
}

struct slist_owner {
    curl_slist* list = nullptr;
    slist_owner() = default;
    slist_owner(const slist_owner&) = delete;
    slist_owner& operator=(const slist_owner&) = delete;
    ~slist_owner() { curl_slist_free_all(list); }
    void add(const std::string& line) {
        curl_slist* next = curl_slist_append(list, line.c_str());
        if (!next) throw std::runtime_error("aws: curl_slist_append failed");
        list = next;
    }
};

}  // namespace

struct signed_transport::impl {
    std::string endpoint, region, service, host, base_path, origin;
    credentials creds;
    CURL* curl = nullptr;
    std::string no_proxy;
    char errbuf[CURL_ERROR_SIZE]{};

    impl(std::string endpoint_in, std::string region_in, std::string service_in,
         credentials creds_in)
        : endpoint(std::move(endpoint_in)),
          region(std::move(region_in)),
          service(std::move(service_in)),
          creds(std::move(creds_in)) {
        while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
        const auto scheme_end = endpoint.find("://");
        const std::string scheme =
            scheme_end == std::string::npos ? "" : lower(endpoint.substr(0, scheme_end));
        if (scheme != "http" && scheme != "https")
            throw std::invalid_argument("endpoint '" + endpoint +
                                        "' must start with http:// or https://");
        const std::string rest = endpoint.substr(scheme_end + 3);
        const auto slash = rest.find('/');
        host = lower(rest.substr(0, slash));
        base_path = slash == std::string::npos ? "" : rest.substr(slash);
        origin = endpoint.substr(0, endpoint.size() - base_path.size());
        if (host.empty()) throw std::invalid_argument("endpoint '" + endpoint + "' has no host");
        global_init();
        curl = curl_easy_init();
        if (!curl) throw std::runtime_error("aws: curl_easy_init failed");
        // libcurl honours http_proxy/https_proxy; a CI proxy must not swallow requests to a
        // local endpoint, so loopback always bypasses it (on top of the user's no_proxy).
        no_proxy = "localhost,127.0.0.1,::1";
        for (const char* var : {"no_proxy", "NO_PROXY"})
            if (const char* v = std::getenv(var); v && *v) {
                no_proxy += ',';
                no_proxy += v;
                break;
            }
    }
    ~impl() { curl_easy_cleanup(curl); }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    http_response send(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, const std::vector<sigv4::header>& headers) {
        sigv4::request req;
        req.method = method;
        req.path = base_path + path;
        req.query = query;
        req.body = body;
        req.headers.push_back({"Host", host});
        for (const auto& h : headers) req.headers.push_back(h);
        sigv4::params p;
        p.creds = creds;
        p.region = region;
        p.service = service;
        const sigv4::result signed_req = sigv4::sign(req, p);

        slist_owner slist;
        for (const auto& h : req.headers) slist.add(h.name + ": " + h.value);
        for (const auto& h : signed_req.add_headers) slist.add(h.name + ": " + h.value);
        slist.add("Expect:");  // no 100-continue round trip before a large zip upload

        const std::string url = origin + req.path + (query.empty() ? "" : "?" + query);
        http_response r;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);  // resets the method left by the last request
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
        if (method == "POST" || method == "PUT") {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(body.size()));
        }
        if (method != "GET" && method != "POST")
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, slist.list);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "lambench/0.1");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        // The longest Lambda timeout is 900 s; past that with margin, the peer is stuck.
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 930000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
        errbuf[0] = '\0';

        const auto t0 = std::chrono::steady_clock::now();
        const CURLcode rc = curl_easy_perform(curl);
        const auto wall = std::chrono::steady_clock::now() - t0;
        if (rc != CURLE_OK)
            throw std::runtime_error(
                service + ": " + method + " " + url + ": " + curl_easy_strerror(rc) +
                (errbuf[0] ? std::string(" (") + errbuf + ")" : std::string{}));
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        // Round trip = request about to be written -> last body byte read: total minus the
        // pre-transfer part, so a (re)connect or TLS handshake is not billed to the function.
        curl_off_t total_us = 0, pre_us = 0;
        if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK &&
            curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pre_us) == CURLE_OK &&
            total_us > pre_us)
            r.round_trip = std::chrono::microseconds(total_us - pre_us);
        else
            r.round_trip = std::chrono::duration_cast<std::chrono::nanoseconds>(wall);
        curl_off_t first_us = 0;
        if (curl_easy_getinfo(curl, CURLINFO_STARTTRANSFER_TIME_T, &first_us) == CURLE_OK &&
            first_us > pre_us)
            r.first_byte = std::chrono::microseconds(first_us - pre_us);
        return r;
    }
};

signed_transport::signed_transport(std::string endpoint, std::string region, std::string service,
                                   credentials creds)
    : impl_(std::make_unique<impl>(std::move(endpoint), std::move(region), std::move(service),
                                   std::move(creds))) {}
signed_transport::~signed_transport() = default;
signed_transport::signed_transport(signed_transport&&) noexcept = default;
signed_transport& signed_transport::operator=(signed_transport&&) noexcept = default;

http_response signed_transport::send(const std::string& method, const std::string& path,
                                     const std::string& query, const std::string& body,
                                     const std::vector<sigv4::header>& headers) {
    return impl_->send(method, path, query, body, headers);
}

const std::string& signed_transport::endpoint() const {
    return impl_->endpoint;
}
const std::string& signed_transport::region() const {
    return impl_->region;
}
const std::string& signed_transport::service() const {
    return impl_->service;
}

std::chrono::milliseconds retry_delay(const http_response& r, int attempt) {
    double seconds = 0.2 * attempt;  // without a Retry-After: 0.2, 0.4, 0.6 s
    if (auto it = r.headers.find("retry-after"); it != r.headers.end()) {
        try {
            seconds = std::stod(it->second);
        } catch (const std::exception&) {
            // an HTTP date or garbage: keep the default
        }
    }
    seconds = std::clamp(seconds, 0.05, 10.0);
    return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

}  // namespace lambench::aws
