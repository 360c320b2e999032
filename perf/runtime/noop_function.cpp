// The per-invocation benchmark's function: a handler that does nothing, so what is measured is
// the runtime client's own cost per round trip.
#include <lambench/runtime.hpp>

int main() {
    using namespace lambench::runtime;
    return run([](const invocation&) { return response::success("{}"); });
}
