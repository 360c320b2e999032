// The credential chain and region defaults, with temp files and scoped environment variables.
#include <gtest/gtest.h>

#include <fstream>

#include "aws/credentials.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using test::scoped_env;
using test::temp_dir;

namespace {

struct clean_env {
    // Whatever the developer's shell exports must not leak into these tests.
    scoped_env a{"AWS_ACCESS_KEY_ID", std::nullopt}, b{"AWS_SECRET_ACCESS_KEY", std::nullopt},
        c{"AWS_SESSION_TOKEN", std::nullopt}, d{"AWS_PROFILE", std::nullopt},
        e{"AWS_SHARED_CREDENTIALS_FILE", std::nullopt}, f{"AWS_REGION", std::nullopt},
        g{"AWS_DEFAULT_REGION", std::nullopt}, h{"AWS_CONFIG_FILE", std::nullopt};
    // ...nor the developer's ~/.aws.
    temp_dir home_dir;
    scoped_env home{"HOME", home_dir.path().string()};
};

std::string write(const temp_dir& dir, const std::string& name, const std::string& text) {
    const auto p = dir.path() / name;
    std::ofstream(p) << text;
    return p.string();
}

const char* const two_profiles =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT\n"
    "aws_secret_access_key=secretdefault\n"
    "\n"
    "; another comment\n"
    "[bench]\r\n"
    "  aws_access_key_id   =   AKIDBENCH  \r\n"
    "aws_secret_access_key = secret/bench+x=\r\n"
    "aws_session_token = tokenbench\r\n"
    "[profile half]\n"
    "aws_access_key_id = AKIDHALF\n";

}  // namespace

TEST(credentials, environment_comes_first) {
    clean_env env;
    temp_dir dir;
    scoped_env file{"AWS_SHARED_CREDENTIALS_FILE", write(dir, "credentials", two_profiles)};
    scoped_env id{"AWS_ACCESS_KEY_ID", "AKIDENV"}, secret{"AWS_SECRET_ACCESS_KEY", "secretenv"},
        token{"AWS_SESSION_TOKEN", "tokenenv"};
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDENV");
    EXPECT_EQ(c->secret_access_key, "secretenv");
    EXPECT_EQ(c->session_token, "tokenenv");
}

TEST(credentials, half_set_environment_falls_through_to_file) {
    clean_env env;
    temp_dir dir;
    scoped_env file{"AWS_SHARED_CREDENTIALS_FILE", write(dir, "credentials", two_profiles)};
    scoped_env id{"AWS_ACCESS_KEY_ID", "AKIDENV"};
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
}

TEST(credentials, file_default_profile) {
    clean_env env;
    temp_dir dir;
    scoped_env file{"AWS_SHARED_CREDENTIALS_FILE", write(dir, "credentials", two_profiles)};
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
    EXPECT_EQ(c->secret_access_key, "secretdefault");
    EXPECT_EQ(c->session_token, "");
}

TEST(credentials, file_named_profile_trims_and_handles_crlf) {
    clean_env env;
    temp_dir dir;
    scoped_env file{"AWS_SHARED_CREDENTIALS_FILE", write(dir, "credentials", two_profiles)};
    scoped_env profile{"AWS_PROFILE", "bench"};
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDBENCH");
    EXPECT_EQ(c->secret_access_key, "secret/bench+x=");
    EXPECT_EQ(c->session_token, "tokenbench");
}

TEST(credentials, profile_missing_or_incomplete_gives_none) {
    clean_env env;
    temp_dir dir;
    const auto path = write(dir, "credentials", two_profiles);
    EXPECT_FALSE(credentials_from_file(path, "nope"));
    EXPECT_FALSE(credentials_from_file(path, "half"));
    EXPECT_FALSE(credentials_from_file((dir.path() / "absent").string(), "default"));
}

TEST(credentials, home_dot_aws_is_the_default_file) {
    clean_env env;
    temp_dir dir;
    std::filesystem::create_directories(dir.path() / ".aws");
    write(dir, ".aws/credentials",
          "[default]\naws_access_key_id=AKIDHOME\naws_secret_access_key=s\n");
    scoped_env home{"HOME", dir.path().string()};
    EXPECT_EQ(shared_credentials_path(), (dir.path() / ".aws/credentials").string());
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDHOME");
}

TEST(credentials, nothing_anywhere_gives_none) {
    clean_env env;
    temp_dir dir;
    scoped_env home{"HOME", dir.path().string()};
    EXPECT_FALSE(load_credentials());
}

TEST(region, aws_region_then_default_region_then_us_east_1) {
    clean_env env;
    EXPECT_EQ(default_region(), "us-east-1");
    {
        scoped_env r{"AWS_DEFAULT_REGION", "eu-west-1"};
        EXPECT_EQ(default_region(), "eu-west-1");
        scoped_env r2{"AWS_REGION", "ap-southeast-2"};
        EXPECT_EQ(default_region(), "ap-southeast-2");
    }
    EXPECT_EQ(default_endpoint("eu-central-1"), "https://lambda.eu-central-1.amazonaws.com");
}

TEST(credentials, config_file_is_the_last_resort) {
    clean_env env;
    temp_dir dir;
    scoped_env config{"AWS_CONFIG_FILE",
                      write(dir, "config",
                            "[profile ci]\nregion = eu-north-1\naws_access_key_id = AKIDCFG\n"
                            "aws_secret_access_key = cfgsecret\n")};
    scoped_env profile{"AWS_PROFILE", "ci"};
    const auto c = load_credentials();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->access_key_id, "AKIDCFG");
    // The credentials file wins when it has the profile.
    scoped_env file{
        "AWS_SHARED_CREDENTIALS_FILE",
        write(dir, "credentials", "[ci]\naws_access_key_id=A\naws_secret_access_key=B\n")};
    EXPECT_EQ(load_credentials()->access_key_id, "A");
}

TEST(region, config_file_region_of_the_profile_after_the_environment) {
    clean_env env;
    temp_dir dir;
    scoped_env config{
        "AWS_CONFIG_FILE",
        write(dir, "config",
              "[default]\nregion = sa-east-1\n[profile bench]\nregion=ca-central-1\n")};
    EXPECT_EQ(default_region(), "sa-east-1");
    scoped_env profile{"AWS_PROFILE", "bench"};
    EXPECT_EQ(default_region(), "ca-central-1");
    scoped_env r{"AWS_DEFAULT_REGION", "eu-west-3"};
    EXPECT_EQ(default_region(), "eu-west-3");
}
