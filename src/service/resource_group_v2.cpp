// The cgroup v2 backend: one directory in the unified hierarchy. Files that older kernels lack
// (cgroup.kill, memory.peak, memory.swap.max, memory.oom.group) are used when detection saw
// them in a probe group.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <stop_token>
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
using cgroup::try_read_file;
using cgroup::write_file;

class v2_backend final : public cgroup_backend {
  public:
    using cgroup_backend::cgroup_backend;

    void limit_memory(const std::string& bytes) override {
        write_file(s_.file(0, "memory.max"), bytes);
        if (s_.lay->v2_swap) write_file(s_.file(0, "memory.swap.max"), "0");
        // An OOM ends the whole sandbox, as on Lambda, not just the largest process in it.
        if (s_.lay->v2_oom_group) write_file(s_.file(0, "memory.oom.group"), "1");
    }

    void limit_cpu(long period_us, long quota_us) override {
        write_file(s_.file(0, "cpu.max"),
                   (quota_us < 0 ? std::string("max") : std::to_string(quota_us)) + " " +
                       std::to_string(period_us));
    }

    void start() override {
        if (polls_usage()) start_poller();
    }

    void stop() noexcept override {
        if (poller_.joinable()) {
            poller_.request_stop();
            poller_.join();
        }
    }

    // Without memory.peak, the end of each invocation is a good moment to sample the usage.
    void before_freeze() override {
        if (polls_usage()) memory_current();
    }

    void kill_members() override {
        if (s_.lay->v2_kill) {
            write_file(s_.file(0, "cgroup.kill"), "1");
            return;
        }
        cgroup_backend::kill_members();
    }

    std::uint64_t memory_current() const override {
        auto v = parse_u64(read_file(s_.file(0, "memory.current")));
        record_usage(v);
        return v;
    }

    std::uint64_t memory_peak() const override {
        if (s_.lay->v2_peak) return parse_u64(read_file(s_.file(0, "memory.peak")));
        memory_current();  // no memory.peak: the best we have is the largest value seen
        return sampled_peak_.load();
    }

    bool oom_killed() const override {
        return keyed_value(read_file(s_.file(0, "memory.events")), "oom_kill").value_or(0) > 0;
    }

  protected:
    void freeze_cgroup() override {
        write_file(s_.file(0, "cgroup.freeze"), "1");
        auto events = s_.file(0, "cgroup.events");
        auto deadline = steady::now() + 5s;
        auto pause = 50us;
        for (;;) {
            if (keyed_value(read_file(events), "frozen").value_or(0) == 1) return;
            if (steady::now() > deadline)
                throw std::runtime_error("freeze " + events + ": not frozen after 5 s");
            std::this_thread::sleep_for(pause);
            pause = std::min<std::chrono::microseconds>(pause * 2, 2ms);
        }
    }

    void request_freeze_cgroup() override { write_file(s_.file(0, "cgroup.freeze"), "1"); }

    void thaw_cgroup() override { write_file(s_.file(0, "cgroup.freeze"), "0"); }

  private:
    bool polls_usage() const { return s_.lay->mem_h >= 0 && !s_.lay->v2_peak; }

    void record_usage(std::uint64_t v) const {
        auto seen = sampled_peak_.load();
        while (v > seen && !sampled_peak_.compare_exchange_weak(seen, v)) {
        }
    }

    // Kernels before 5.19 have no memory.peak: poll memory.current instead (10 ms), so
    // Max Memory Used misses at most a spike shorter than that.
    void start_poller() {
        poller_ = std::jthread([this](std::stop_token st) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            const auto current = s_.file(0, "memory.current");
            while (!cv.wait_for(lock, st, 10ms, [&] { return st.stop_requested(); })) {
                if (auto text = try_read_file(current)) record_usage(parse_u64(*text));
            }
        });
    }

    mutable std::atomic<std::uint64_t> sampled_peak_{0};  // without memory.peak only
    std::jthread poller_;  // declared last: stops (and joins) before the rest goes
};

}  // namespace

std::unique_ptr<group_backend> make_v2_backend(group_state& s) {
    return std::make_unique<v2_backend>(s);
}

}  // namespace lambench::service::backend
