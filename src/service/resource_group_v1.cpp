// The cgroup v1 backend: up to three hierarchies (cpu, memory, freezer), each with its own
// directory for the group.
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "cgroup_fs.hpp"
#include "resource_group.hpp"

namespace lambench::service::backend {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using cgroup::keyed_value;
using cgroup::parse_u64;
using cgroup::read_file;
using cgroup::try_write_file;
using cgroup::write_file;

class v1_backend final : public cgroup_backend {
  public:
    using cgroup_backend::cgroup_backend;

    void limit_memory(const std::string& bytes) override {
        int mem = s_.lay->mem_h;
        write_file(s_.file(mem, "memory.limit_in_bytes"), bytes);
        // memsw = memory + swap; equal to the memory limit means no swap at all.
        if (s_.lay->v1_memsw)
            write_file(s_.file(mem, "memory.memsw.limit_in_bytes"), bytes);
        else  // best effort: keeps the group's pages in RAM where swap is not accounted
            try_write_file(s_.file(mem, "memory.swappiness"), "0");
    }

    void limit_cpu(long period_us, long quota_us) override {
        // Period first: a quota is validated against the current period.
        write_file(s_.file(s_.lay->cpu_h, "cpu.cfs_period_us"), std::to_string(period_us));
        write_file(s_.file(s_.lay->cpu_h, "cpu.cfs_quota_us"), std::to_string(quota_us));
    }

    std::uint64_t memory_current() const override {
        return parse_u64(read_file(s_.file(s_.lay->mem_h, "memory.usage_in_bytes")));
    }

    std::uint64_t memory_peak() const override {
        return parse_u64(read_file(s_.file(s_.lay->mem_h, "memory.max_usage_in_bytes")));
    }

    bool oom_killed() const override {
        auto oc = read_file(s_.file(s_.lay->mem_h, "memory.oom_control"));
        if (auto v = keyed_value(oc, "oom_kill")) return *v > 0;
        // Kernels before 4.13 lack the oom_kill counter; hitting the limit is the closest sign.
        return parse_u64(read_file(s_.file(s_.lay->mem_h, "memory.failcnt"))) > 0;
    }

  protected:
    void freeze_cgroup() override {
        auto state = s_.file(s_.lay->frz_h, "freezer.state");
        write_file(state, "FROZEN");
        auto deadline = steady::now() + 5s;
        auto last_write = steady::now();
        auto pause = 50us;
        for (;;) {
            auto st = read_file(state);
            if (st.starts_with("FROZEN")) return;
            if (steady::now() > deadline)
                throw std::runtime_error("freeze " + state + ": still " + st + " after 5 s");
            std::this_thread::sleep_for(pause);
            pause = std::min<std::chrono::microseconds>(pause * 2, 2ms);
            // A v1 freeze attempt can stall on a task in an uninterruptible sleep;
            // writing FROZEN again retries it.
            if (steady::now() - last_write > 20ms) {
                write_file(state, "FROZEN");
                last_write = steady::now();
            }
        }
    }

    void request_freeze_cgroup() override {
        write_file(s_.file(s_.lay->frz_h, "freezer.state"), "FROZEN");
    }

    void thaw_cgroup() override { write_file(s_.file(s_.lay->frz_h, "freezer.state"), "THAWED"); }
};

}  // namespace

std::unique_ptr<group_backend> make_v1_backend(group_state& s) {
    return std::make_unique<v1_backend>(s);
}

}  // namespace lambench::service::backend
