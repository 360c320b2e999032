// Reference point: the Runtime API loop written the way aws-lambda-cpp writes it — libcurl easy
// API, the handle reset and reconfigured per request, headers collected through a callback,
// "Expect:" suppressed. Same no-op handler as noop_function.cpp. Not a product: a baseline.
#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

namespace {

size_t on_body(char* ptr, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(ptr, size * n);
    return size * n;
}

size_t on_header(char* ptr, size_t size, size_t n, void* user) {
    std::string line(ptr, size * n);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        (*static_cast<std::map<std::string, std::string>*>(user))[line.substr(0, colon)] = value;
    }
    return size * n;
}

}  // namespace

int main() {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == nullptr) {
        std::fprintf(stderr, "curl_baseline: AWS_LAMBDA_RUNTIME_API is not set\n");
        return 1;
    }
    const std::string base = std::string("http://") + api + "/2018-06-01/runtime/invocation/";
    const std::string next_url = base + "next";
    curl_global_init(CURL_GLOBAL_ALL);
    CURL* curl = curl_easy_init();
    std::string body;
    std::map<std::string, std::string> headers;
    for (;;) {
        body.clear();
        headers.clear();
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, next_url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
        if (curl_easy_perform(curl) != CURLE_OK) return 1;
        const std::string id = headers["Lambda-Runtime-Aws-Request-Id"];

        const std::string response = "{}";  // the no-op handler
        const std::string url = base + id + "/response";
        std::string reply;
        curl_easy_reset(curl);
        curl_slist* list = nullptr;
        list = curl_slist_append(list, "Content-Type: application/json");
        list = curl_slist_append(list, "Expect:");
        list = curl_slist_append(list, "transfer-encoding:");
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, response.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(response.size()));
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
        CURLcode rc = curl_easy_perform(curl);
        curl_slist_free_all(list);
        if (rc != CURLE_OK) return 1;
    }
}
