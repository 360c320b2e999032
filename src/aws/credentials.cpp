#include "aws/credentials.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
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

std::optional<std::map<std::string, std::string>> read_profile(const std::string& path,
                                                               const std::string& profile) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::map<std::string, std::string> keys;
    bool in_profile = false, found = false;
    std::string raw;
    while (std::getline(in, raw)) {
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            const auto close = line.find(']');
            std::string_view name = trim(line.substr(
                1, close == std::string_view::npos ? std::string_view::npos : close - 1));
            // ~/.aws/config spells sections "[profile x]", the credentials file "[x]"; accept
            // both in both files.
            if (name.starts_with("profile ")) name = trim(name.substr(8));
            in_profile = name == profile;
            found = found || in_profile;
            continue;
        }
        if (!in_profile) continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        keys[std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
    }
    if (!found) return std::nullopt;
    return keys;
}

std::optional<credentials> credentials_from_file(const std::string& path,
                                                 const std::string& profile) {
    const auto keys = read_profile(path, profile);
    if (!keys) return std::nullopt;
    auto get = [&keys](const char* k) {
        const auto it = keys->find(k);
        return it == keys->end() ? std::string{} : it->second;
    };
    credentials c{get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token")};
    if (c.access_key_id.empty() || c.secret_access_key.empty()) return std::nullopt;
    return c;
}

namespace {
std::string home_dir() {
    std::string home = env("HOME");
    if (home.empty())
        if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) home = pw->pw_dir;
    return home;
}
}  // namespace

std::string shared_config_path() {
    if (auto p = env("AWS_CONFIG_FILE"); !p.empty()) return p;
    return home_dir() + "/.aws/config";
}

std::string shared_credentials_path() {
    if (auto p = env("AWS_SHARED_CREDENTIALS_FILE"); !p.empty()) return p;
    return home_dir() + "/.aws/credentials";
}

std::string profile_name() {
    auto p = env("AWS_PROFILE");
    return p.empty() ? "default" : p;
}

std::optional<credentials> load_credentials() {
    if (auto c = credentials_from_env()) return c;
    if (auto c = credentials_from_file(shared_credentials_path(), profile_name())) return c;
    // `aws configure` writes keys to the credentials file, but the CLI also reads them from
    // the config file; so do we.
    return credentials_from_file(shared_config_path(), profile_name());
}

std::string default_region() {
    if (auto r = env("AWS_REGION"); !r.empty()) return r;
    if (auto r = env("AWS_DEFAULT_REGION"); !r.empty()) return r;
    // The region `aws configure` stored: CloudFormation deploys through the AWS CLI land there,
    // so the client must look there too.
    if (const auto keys = read_profile(shared_config_path(), profile_name()))
        if (auto it = keys->find("region"); it != keys->end() && !it->second.empty())
            return it->second;
    return "us-east-1";
}

std::string default_endpoint(const std::string& region) {
    return "https://lambda." + region + ".amazonaws.com";
}

}  // namespace lambench::aws
