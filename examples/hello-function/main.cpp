// Greets whoever the event names: {"name":"Ada"} → {"greeting":"hello, Ada"}.
#include <lambench/runtime.hpp>
#include <string>

using namespace lambench::runtime;

static response greet(const invocation& inv) {
    // A real function would use a JSON library; a substring is enough to show the shape.
    const std::string key = R"("name":")";
    auto start = inv.payload.find(key);
    if (start == std::string::npos) return response::failure("event has no name", "InvalidEvent");
    start += key.size();
    auto end = inv.payload.find('"', start);
    std::string name = inv.payload.substr(start, end - start);
    return response::success(R"({"greeting":"hello, )" + name + R"("})");
}

int main() {
    return run(greet);
}
