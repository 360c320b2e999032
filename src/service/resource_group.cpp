// resource_group (resources.hpp): the locking, the bookkeeping and the order of operations;
// what each step writes or signals is its backend's (resource_group.hpp).
#include "resource_group.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "cgroup_fs.hpp"
#include "resources.hpp"

namespace lambench::service {

namespace backend {

cpu_limit cpu_limit_for(double cpus, long base_period_us, int host_cpus) {
    using cgroup::max_cpu_period_us;
    using cgroup::min_cpu_quota_us;
    cpu_limit l{base_period_us, -1};
    if (cpus > 0) {
        cpus = std::min(cpus, static_cast<double>(host_cpus));
        l.period_us = std::clamp(
            std::max(l.period_us, std::lround(std::ceil(double(min_cpu_quota_us) / cpus))),
            min_cpu_quota_us, max_cpu_period_us);
        l.quota_us =
            std::max(min_cpu_quota_us, std::lround(cpus * static_cast<double>(l.period_us)));
    }
    return l;
}

}  // namespace backend

namespace {
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
}  // namespace

struct resource_group::impl {
    // One sandbox's group is driven from more than one thread (invoke path, reaper, timeouts).
    mutable std::mutex mu;
    std::string name;
    int memory_mb = 0;
    bool frozen = false;
    backend::group_state state;
    std::unique_ptr<backend::group_backend> ops;  // the mode's backend; after state, which it uses

    const cgroup::layout& lay() const { return *state.lay; }

    void track(pid_t pid) {
        auto& t = state.tracked;
        // Forget pids that are gone so a long-lived group does not grow the list forever.
        t.erase(std::remove_if(t.begin(), t.end(), [](pid_t p) { return !cgroup::alive(p); }),
                t.end());
        if (std::find(t.begin(), t.end(), pid) == t.end()) t.push_back(pid);
    }

    // Kill everything, wait until the groups are empty, remove them.
    void destroy() noexcept {
        ops->stop();
        try {
            auto deadline = steady::now() + 5s;
            do {
                try {
                    ops->kill_members();
                } catch (const std::exception&) {
                }
                if (ops->members().empty()) break;
                std::this_thread::sleep_for(1ms);
            } while (steady::now() < deadline);
        } catch (...) {
        }
        for (auto it = state.dirs.rbegin(); it != state.dirs.rend(); ++it) {
            // rmdir fails with EBUSY while a killed member is still exiting.
            auto deadline = steady::now() + 2s;
            while (::rmdir(it->c_str()) != 0 && errno == EBUSY && steady::now() < deadline)
                std::this_thread::sleep_for(1ms);
        }
        cgroup::unregister_group();
    }
};

resource_group::resource_group(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
resource_group::resource_group(resource_group&&) noexcept = default;
resource_group& resource_group::operator=(resource_group&& o) noexcept {
    if (this != &o) {
        if (impl_) impl_->destroy();
        impl_ = std::move(o.impl_);
    }
    return *this;
}
resource_group::~resource_group() {
    if (impl_) impl_->destroy();
}

resource_group resource_group::create(const std::string& name, int memory_mb) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\n') != std::string::npos)
        throw std::invalid_argument("resource_group name must be a plain file name: '" + name +
                                    "'");
    if (memory_mb <= 0) throw std::invalid_argument("resource_group memory size must be positive");
    const cgroup::layout& lay = cgroup::the_layout();
    auto p = std::make_unique<impl>();
    p->name = name;
    p->memory_mb = memory_mb;
    p->state.lay = &lay;
    p->ops = backend::make_signal_backend(p->state);
    cgroup::register_group();
    resource_group g(std::move(p));  // from here on the destructor cleans up
    if (lay.support.mode == cgroup_mode::none) return g;
    cgroup::make_group_dirs(lay, name, g.impl_->state.dirs);
    g.impl_->ops = lay.support.mode == cgroup_mode::v1 ? backend::make_v1_backend(g.impl_->state)
                                                       : backend::make_v2_backend(g.impl_->state);
    auto bytes = std::to_string(static_cast<std::uint64_t>(memory_mb) * 1024 * 1024);
    if (lay.mem_h >= 0) g.impl_->ops->limit_memory(bytes);
    // Default to the proportional share; the service lifts it for init_cpu = "full".
    g.set_cpu_share(cpu_share_for_memory(memory_mb));
    g.impl_->ops->start();
    return g;
}

void resource_group::add_process(pid_t pid) {
    std::lock_guard lock(impl_->mu);
    if (pid <= 0) throw std::invalid_argument("add_process: bad pid " + std::to_string(pid));
    for (const auto& d : impl_->state.dirs)
        cgroup::write_file(d + "/cgroup.procs", std::to_string(pid));
    impl_->track(pid);
}

void resource_group::note_member(pid_t pid) {
    std::lock_guard lock(impl_->mu);
    impl_->track(pid);
}

std::vector<std::string> resource_group::join_files() const {
    std::vector<std::string> out;
    for (const auto& d : impl_->state.dirs) out.push_back(d + "/cgroup.procs");
    return out;
}

void resource_group::set_cpu_share(double cpus) {
    std::lock_guard lock(impl_->mu);
    const cgroup::layout& lay = impl_->lay();
    if (lay.cpu_h < 0) return;
    auto l = backend::cpu_limit_for(cpus, lay.period_us, host_cpu_count());
    impl_->ops->limit_cpu(l.period_us, l.quota_us);
}

// freeze() and thaw() act even when the flag says there is nothing to do: make_killable may
// have thawed the group behind our back, and writing the state again costs microseconds.
void resource_group::freeze() {
    impl_->ops->before_freeze();
    std::lock_guard lock(impl_->mu);
    impl_->ops->freeze();
    impl_->frozen = true;
}

void resource_group::request_freeze() {
    impl_->ops->before_freeze();
    std::lock_guard lock(impl_->mu);
    impl_->ops->request_freeze();
    impl_->frozen = true;
}

void resource_group::thaw() {
    std::lock_guard lock(impl_->mu);
    impl_->ops->thaw();
    impl_->frozen = false;
}

bool resource_group::frozen() const {
    std::lock_guard lock(impl_->mu);
    return impl_->frozen;
}

std::uint64_t resource_group::memory_current_bytes() const {
    if (impl_->lay().mem_h < 0) return 0;
    return impl_->ops->memory_current();
}

std::uint64_t resource_group::memory_peak_bytes() const {
    if (impl_->lay().mem_h < 0) return 0;
    return impl_->ops->memory_peak();
}

bool resource_group::oom_killed() const {
    if (impl_->lay().mem_h < 0) return false;
    return impl_->ops->oom_killed();
}

void resource_group::kill_all() {
    std::lock_guard lock(impl_->mu);
    impl_->ops->kill_members();
    // Leave the group thawed and empty, ready to take a fresh process (a v2 group stays frozen
    // after cgroup.kill otherwise, and would freeze the next member on arrival).
    if (impl_->frozen) impl_->ops->thaw_after_kill();
    impl_->frozen = false;
    impl_->state.signal_stopped = false;
    // Wait briefly so callers can rely on "no member runs any more" afterwards.
    auto deadline = steady::now() + 2s;
    while (steady::now() < deadline) {
        auto m = impl_->ops->members();
        if (m.empty()) break;
        bool any_alive = std::any_of(m.begin(), m.end(), cgroup::alive);
        if (!any_alive) break;
        std::this_thread::sleep_for(500us);
    }
}

const cgroup_support& resource_group::support() const {
    return impl_->lay().support;
}
const std::string& resource_group::name() const {
    return impl_->name;
}
int resource_group::memory_mb() const {
    return impl_->memory_mb;
}
std::vector<pid_t> resource_group::members() const {
    std::lock_guard lock(impl_->mu);
    return impl_->ops->members();
}
std::vector<std::string> resource_group::paths() const {
    return impl_->state.dirs;
}

}  // namespace lambench::service
