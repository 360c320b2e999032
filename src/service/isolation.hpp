// The sandbox's view of the host, as Lambda's execution environment has it: an unprivileged
// user, the code read-only at /var/task, a private /tmp of EphemeralStorage's size, the rest of
// the filesystem read-only, the service's state directory hidden, and Lambda's rlimits. Needs
// root (mount namespaces, setuid); without it, or with `sandbox_isolation = "off"`, sandboxes
// run as before (the service's user, its filesystem) and support() says which parts are off.
//
// How it is built, per sandbox, in the forked child before exec (enter()):
//   - unshare(CLONE_NEWNS | CLONE_NEWIPC); every mount made private, so nothing propagates back;
//   - every mount read-only (mount_setattr(AT_RECURSIVE), else a remount per mount point);
//   - the code directory bind-mounted read-only at /var/task;
//   - /etc/passwd replaced by a copy that names the sandbox's uid sbx_user1051;
//   - an empty read-only tmpfs over the state directory (logs, other functions' code, the
//     database's password file);
//   - a tmpfs of EphemeralStorage MB at /tmp (ENOSPC beyond it; its pages count toward the
//     memory cap, as tmpfs pages are memory);
//   - RLIMIT_NOFILE and RLIMIT_NPROC 1024 (soft and hard), then setuid to the sandbox's uid.
// Each live sandbox gets its own uid from a pool (uid_base + slot), all in the group of the
// sbx_user1051 user. RLIMIT_NPROC counts every task of a uid, so one uid per sandbox makes it a
// per-sandbox limit of 1024 processes and threads (as on Lambda, where an environment is alone
// in its VM); it also keeps sandboxes from signalling or ptracing each other, or reading each
// other's /proc/<pid>/root.
// Not isolated: the network (no network namespace: the function reaches PostgreSQL and other
// host services over TCP, and other loopback ports), the process table (/proc shows the host's
// processes; other users' details stay unreadable), abstract Unix sockets, and CPU/memory
// (the resource group's business).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace lambench::service {

struct isolation_support {
    bool mount_namespace = false;  // /var/task, private /tmp, read-only host, state dir hidden
    bool own_user = false;         // a per-sandbox unprivileged uid
    bool rlimits = false;          // nofile and nproc 1024
    bool enabled() const { return mount_namespace && own_user && rlimits; }
    std::string user = "sbx_user1051";
    gid_t gid = 0;
    uid_t uid_base = 0;
    std::string user_origin;  // "found" | "created by the service (useradd)"
    std::string note;         // why it is off, when it is
    // e.g. "isolated (mount namespace, own uid per sandbox from 1051000, nofile/nproc 1024)" or
    // "not isolated: not running as root".
    std::string describe() const;
};

// Everything one sandbox's child needs, prepared in the parent (the child allocates nothing),
// with its uid leased from the pool until destruction.
class sandbox_jail {
  public:
    ~sandbox_jail();
    sandbox_jail(const sandbox_jail&) = delete;
    sandbox_jail& operator=(const sandbox_jail&) = delete;
    uid_t uid() const { return uid_; }
    gid_t gid() const { return gid_; }
    // posix::spawn_options::before_exec: arg is a sandbox_jail*.
    static int enter(const void* arg, const char** step) noexcept;

  private:
    friend class isolation;
    sandbox_jail() = default;
    struct pool;
    std::shared_ptr<pool> pool_;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    std::string code_dir_, passwd_, tmp_options_;
    std::vector<std::string> masks_;
    // Fallback for kernels without mount_setattr (< 5.12): each mount point and its flags.
    std::vector<std::string> mount_points_;
    std::vector<unsigned long> mount_flags_;
};

class isolation {
  public:
    static constexpr const char* task_root = "/var/task";
    static constexpr const char* runtime_dir = "/var/runtime";
    static constexpr std::uint64_t nofile = 1024, nproc = 1024;

    // mode "auto" | "off"; state_dir is hidden from sandboxes; run_dir (inside it) holds the
    // per-uid passwd files. Probes once by starting a real sandboxed /bin/true; prints once on
    // stderr which parts are off.
    isolation(const std::string& mode, const std::filesystem::path& state_dir,
              const std::filesystem::path& run_dir);
    const isolation_support& support() const { return support_; }
    bool enabled() const { return support_.enabled(); }
    // Throws std::runtime_error when the pool is exhausted or a file cannot be written.
    std::unique_ptr<sandbox_jail> prepare(const std::filesystem::path& code_dir, int ephemeral_mb);

  private:
    void detect(const std::string& mode);
    std::string passwd_for(uid_t uid);
    isolation_support support_;
    std::filesystem::path state_dir_, run_dir_;
    std::string host_passwd_;
    std::shared_ptr<sandbox_jail::pool> pool_;
    std::vector<std::string> mount_points_;
    std::vector<unsigned long> mount_flags_;
};

}  // namespace lambench::service
