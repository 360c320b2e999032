#include "aws/credentials.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string_view>

namespace lambench::aws {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<credentials> credentials_from_env() {
    credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
    // A lone key id (or secret) is a half-configured shell, not credentials: fall through to the
    // file like the AWS CLI does.
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

std::optional<credentials> credentials_from_file(const std::string& path,
                                                 const std::string& profile) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    credentials c;
    bool in_profile = false, found = false;
    std::string raw;
    while (std::getline(in, raw)) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            const auto close = line.find(']');
            std::string_view name =
                trim(line.substr(1, close == std::string_view::npos ? line.npos : close - 1));
            // ~/.aws/config spells sections "[profile x]"; accept it in the credentials file too.
            if (name.starts_with("profile ")) name = trim(name.substr(8));
            in_profile = name == profile;
            found = found || in_profile;
            continue;
        }
        if (!in_profile) continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = trim(line.substr(0, eq));
        const std::string value(trim(line.substr(eq + 1)));
        if (key == "aws_access_key_id")
            c.access_key_id = value;
        else if (key == "aws_secret_access_key")
            c.secret_access_key = value;
        else if (key == "aws_session_token")
            c.session_token = value;
    }
    if (!found || c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

std::string shared_credentials_path() {
    if (auto p = env("AWS_SHARED_CREDENTIALS_FILE"); !p.empty()) return p;
    std::string home = env("HOME");
    if (home.empty())
        if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) home = pw->pw_dir;
    return home + "/.aws/credentials";
}

std::string profile_name() {
    auto p = env("AWS_PROFILE");
    return p.empty() ? "default" : p;
}

std::optional<credentials> load_credentials() {
    if (auto c = credentials_from_env()) return c;
    return credentials_from_file(shared_credentials_path(), profile_name());
}

std::string default_region() {
    if (auto r = env("AWS_REGION"); !r.empty()) return r;
    if (auto r = env("AWS_DEFAULT_REGION"); !r.empty()) return r;
    return "us-east-1";
}

std::string default_endpoint(const std::string& region) {
    return "https://lambda." + region + ".amazonaws.com";
}

}  // namespace lambench::aws
