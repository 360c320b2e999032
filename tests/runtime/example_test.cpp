// The example function, as built against the installed package by
// runtime.example_builds_against_installed_package (a CTest fixture), answering real events.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "child.hpp"
#include "runtime_api_server.hpp"

using namespace lambench::runtime::testing;
using namespace std::chrono_literals;

TEST(ExampleFunction, GreetsAndRejectsEventsWithoutAName) {
    const std::filesystem::path bootstrap = LAMBENCH_EXAMPLE_BOOTSTRAP;
    ASSERT_TRUE(std::filesystem::exists(bootstrap)) << bootstrap;
    server_options opts;
    opts.go_away_when_drained = true;
    runtime_api_server server(opts);
    server.push({R"({"name":"Ada"})", {{"Lambda-Runtime-Aws-Request-Id", "a"}}});
    server.push({R"({"age":3})", {{"Lambda-Runtime-Aws-Request-Id", "b"}}});
    child fn({bootstrap.string()}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(fn.exit_code(10s));
    server.wait_for_posts(2, 5s);  // recorded just after being answered
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 2u) << fn.stderr_text();
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/invocation/a/response");
    EXPECT_EQ(posts[0].body, R"({"greeting":"hello, Ada"})");
    EXPECT_EQ(posts[1].path, "/2018-06-01/runtime/invocation/b/error");
    EXPECT_EQ(posts[1].body,
              R"({"errorMessage":"event has no name","errorType":"InvalidEvent","stackTrace":[]})");
}
