// hello: the smallest useful function — what the runtime and the packaging cost by themselves.
#include <lambench/runtime.hpp>
#include <string>

int main() {
    using namespace lambench::runtime;
    return run([](const invocation& inv) {
        std::string body = R"({"message":"hello","payload_bytes":)";
        body += std::to_string(inv.payload.size());
        body += '}';
        return response::success(std::move(body));
    });
}
