#include "auth.hpp"

#include <sys/stat.h>

#include <cstdio>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"

namespace lambench::service {

namespace sigv4 = aws::sigv4;

namespace {

// The header and, when `body` is set, the body of a received request, as the signer sees it.
sigv4::request signer_view(const http::request& req, std::string* body) {
    sigv4::request r;
    r.method = std::string(req.method_string());
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    for (const auto& f : req)
        r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    if (body) r.body.swap(*body);
    return r;
}

}  // namespace

sigv4_auth::sigv4_auth(const std::vector<aws::credentials>& keys, std::string region)
    : region_(std::move(region)) {
    for (const auto& k : keys) keys_.emplace(k.access_key_id, k);
}

void sigv4_auth::check_head(const http::request& req) const {
    sigv4::verify_options o;
    o.region = region_;
    o.service = "lambda";
    o.lookup = [this](std::string_view id) -> const aws::credentials* {
        const auto it = keys_.find(id);
        return it == keys_.end() ? nullptr : &it->second;
    };
    const auto r = sigv4::verify_head(signer_view(req, nullptr), o);
    if (!r.ok()) throw api_error(403, r.error_type, r.message);
}

void sigv4_auth::check(http::request& req) const {
    sigv4::verify_options o;
    o.region = region_;
    o.service = "lambda";
    o.lookup = [this](std::string_view id) -> const aws::credentials* {
        const auto it = keys_.find(id);
        return it == keys_.end() ? nullptr : &it->second;
    };
    auto view = signer_view(req, &req.body());
    const auto r = sigv4::verify(view, o);
    req.body().swap(view.body);  // the handler gets the body back
    if (!r.ok()) throw api_error(403, r.error_type, r.message);
}

std::vector<aws::credentials> load_auth_keys(const std::string& file, std::string& source) {
    if (!file.empty()) {
        auto keys = aws::read_key_file(file);
        struct stat st {};
        if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 0077) != 0)
            std::fprintf(stderr,
                         "lambench serve: warning: %s holds secret keys and is readable by "
                         "others (chmod 600 it)\n",
                         file.c_str());
        source = file;
        return keys;
    }
    if (auto c = aws::credentials_from_env()) {
        source = "the environment (AWS_ACCESS_KEY_ID)";
        return {*c};
    }
    if (auto c = aws::credentials_from_file(aws::shared_credentials_path(), aws::profile_name())) {
        source = aws::shared_credentials_path() + " [" + aws::profile_name() + "]";
        return {*c};
    }
    if (auto c = aws::credentials_from_file(aws::shared_config_path(), aws::profile_name())) {
        source = aws::shared_config_path() + " [" + aws::profile_name() + "]";
        return {*c};
    }
    throw std::runtime_error(
        "--auth sigv4 needs keys to accept: pass --credentials FILE (an AWS credentials file, "
        "every [section] one aws_access_key_id/aws_secret_access_key pair), or provide one key "
        "as the AWS CLI would find it (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
        "~/.aws/credentials [default or $AWS_PROFILE])");
}

}  // namespace lambench::service
