#include "aws/credentials.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>
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

std::optional<std::vector<std::pair<std::string, std::map<std::string, std::string>>>>
read_profiles(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> sections;
    std::map<std::string, std::string>* keys = nullptr;  // the current section's
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
            keys = nullptr;
            for (auto& [n, k] : sections)
                if (n == name) keys = &k;
            if (!keys)
                keys =
                    &sections.emplace_back(std::string(name), std::map<std::string, std::string>{})
                         .second;
            continue;
        }
        if (!keys) continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        (*keys)[std::string(trim(line.substr(0, eq)))] = std::string(trim(line.substr(eq + 1)));
    }
    return sections;
}

std::optional<std::map<std::string, std::string>> read_profile(const std::string& path,
                                                               const std::string& profile) {
    auto sections = read_profiles(path);
    if (!sections) return std::nullopt;
    for (auto& [name, keys] : *sections)
        if (name == profile) return std::move(keys);
    return std::nullopt;
}

std::vector<credentials> read_key_file(const std::string& path) {
    const auto sections = read_profiles(path);
    if (!sections) throw std::runtime_error("cannot read credentials file " + path);
    std::vector<credentials> out;
    for (const auto& section : *sections) {
        // Not a structured binding: clang 15 cannot capture one in a lambda.
        const std::string& name = section.first;
        const auto& keys = section.second;
        auto get = [&keys](const char* k) {
            const auto it = keys.find(k);
            return it == keys.end() ? std::string{} : it->second;
        };
        credentials c{get("aws_access_key_id"), get("aws_secret_access_key"),
                      get("aws_session_token")};
        if (c.access_key_id.empty() || c.secret_access_key.empty())
            throw std::runtime_error(path + ": [" + name +
                                     "] needs both aws_access_key_id and aws_secret_access_key");
        bool dup = false;
        for (const auto& o : out)
            if (o.access_key_id == c.access_key_id) {
                if (o.secret_access_key != c.secret_access_key ||
                    o.session_token != c.session_token)
                    throw std::runtime_error(path + ": access key id " + c.access_key_id +
                                             " appears twice with different secrets ([" + name +
                                             "])");
                dup = true;
            }
        if (!dup) out.push_back(std::move(c));
    }
    if (out.empty())
        throw std::runtime_error(path +
                                 ": no keys (want [name] sections with aws_access_key_id "
                                 "and aws_secret_access_key)");
    return out;
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
