// The credential chain and region defaults, as the AWS CLI resolves them (the subset we need):
// environment first, then the shared credentials file, then the config file. load_credentials()
// (lambda_client.hpp) runs the whole chain.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/lambda_client.hpp"

namespace lambench::aws {

// The keys of one [profile] (or [profile name]) of an AWS INI file; nullopt when the file or the
// section does not exist.
std::optional<std::map<std::string, std::string>> read_profile(const std::string& path,
                                                               const std::string& profile);

// Every section of an AWS INI file, in file order, "[profile x]" read as "x"; a section that
// appears twice has its keys merged. nullopt when the file cannot be read.
std::optional<std::vector<std::pair<std::string, std::map<std::string, std::string>>>>
read_profiles(const std::string& path);

// A key file for a server that checks signatures (`lambench serve --auth sigv4 --credentials`):
// the shared-credentials INI format, every section one key pair (aws_access_key_id,
// aws_secret_access_key, and aws_session_token for temporary keys); other keys are ignored.
// Throws std::runtime_error naming the file and section for an unreadable file, a section
// without both keys, one access key id with two different secrets, or no key at all.
std::vector<credentials> read_key_file(const std::string& path);

// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN). Both keys or nothing.
std::optional<credentials> credentials_from_env();

// One [profile] of an INI credentials file (aws_access_key_id, aws_secret_access_key,
// aws_session_token). nullopt when the file or the profile does not exist or lacks a key.
std::optional<credentials> credentials_from_file(const std::string& path,
                                                 const std::string& profile);

// $AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials.
std::string shared_credentials_path();
// $AWS_CONFIG_FILE, else $HOME/.aws/config.
std::string shared_config_path();
// $AWS_PROFILE, else "default".
std::string profile_name();

// $AWS_REGION, else $AWS_DEFAULT_REGION, else `region` of the profile in the config file,
// else us-east-1.
std::string default_region();
// https://lambda.<region>.amazonaws.com
std::string default_endpoint(const std::string& region);

}  // namespace lambench::aws
