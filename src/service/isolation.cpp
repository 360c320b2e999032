#include "isolation.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "posix/child_process.hpp"
#include "posix/unique_fd.hpp"

namespace lambench::service {

namespace fs = std::filesystem;

namespace {

constexpr uid_t default_uid_base = 1051000;  // sbx_user1051's pool: 1051000, 1051001, ...
constexpr uid_t pool_size = 60000;

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            int v = 0;
            bool ok = true;
            for (int k = 1; k <= 3; ++k) {
                char c = s[i + static_cast<std::size_t>(k)];
                if (c < '0' || c > '7') ok = false;
                v = v * 8 + (c - '0');
            }
            if (ok) {
                out.push_back(static_cast<char>(v));
                i += 3;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

// Each mount point of this process and the per-mount flags a read-only bind remount must keep.
void read_mounts(std::vector<std::string>& points, std::vector<unsigned long>& flags) {
    std::istringstream in(read_text("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, dev, root, point, opts;
        if (!(f >> id >> parent >> dev >> root >> point >> opts)) continue;
        unsigned long fl = MS_REMOUNT | MS_BIND | MS_RDONLY;
        std::istringstream o(opts);
        std::string opt;
        while (std::getline(o, opt, ',')) {
            if (opt == "nosuid") fl |= MS_NOSUID;
            if (opt == "nodev") fl |= MS_NODEV;
            if (opt == "noexec") fl |= MS_NOEXEC;
            if (opt == "noatime") fl |= MS_NOATIME;
            if (opt == "nodiratime") fl |= MS_NODIRATIME;
            if (opt == "relatime") fl |= MS_RELATIME;
        }
        points.push_back(unescape(point));
        flags.push_back(fl);
    }
}

// A new user like Debian's system users: no home, no login shell, its own group.
bool create_user(const std::string& name, std::string& why) {
    for (const char* useradd : {"/usr/sbin/useradd", "/sbin/useradd"}) {
        if (::access(useradd, X_OK) != 0) continue;
        try {
            posix::spawn_options o;
            o.argv = {useradd,
                      "--system",
                      "--no-create-home",
                      "--home-dir",
                      "/nonexistent",
                      "--shell",
                      "/usr/sbin/nologin",
                      "--user-group",
                      "--comment",
                      "lambench sandbox user",
                      name};
            o.output = posix::output_to::pipe;
            o.nonblocking_output = false;
            auto c = posix::child_process::spawn(o);
            std::string out = c.read_output_to_end();
            auto st = c.wait();
            if (st.code == 0 && !st.signaled) return true;
            why = "useradd " + name + ": " + st.describe() + ": " + out;
        } catch (const std::exception& e) {
            why = std::string("useradd: ") + e.what();
        }
        return false;
    }
    why = "useradd not found";
    return false;
}

}  // namespace

// The uid pool, shared by the isolation and every jail it leased a uid to.
struct sandbox_jail::pool {
    std::mutex mu;
    uid_t base = 0;
    uid_t next = 0;  // slot to try first
    std::set<uid_t> in_use;
    std::set<uid_t> named;  // uids the host's passwd names: never handed out

    uid_t lease() {
        std::lock_guard lock(mu);
        // Round robin over the whole range, so a uid comes back only after every other one: a
        // straggler of an old sandbox is unlikely to still hold it.
        for (uid_t tried = 0; tried < pool_size; ++tried) {
            uid_t u = base + (next + tried) % pool_size;
            if (in_use.count(u) || named.count(u)) continue;
            next = (next + tried + 1) % pool_size;
            in_use.insert(u);
            return u;
        }
        throw std::runtime_error("sandbox uid pool exhausted");
    }
    void give_back(uid_t u) {
        std::lock_guard lock(mu);
        in_use.erase(u);
    }
};

sandbox_jail::~sandbox_jail() {
    if (!passwd_.empty()) ::unlink(passwd_.c_str());
    if (pool_) pool_->give_back(uid_);
}

int sandbox_jail::enter(const void* arg, const char** step) noexcept {
    const auto& j = *static_cast<const sandbox_jail*>(arg);
    auto fail = [step](const char* what) {
        *step = what;
        return errno ? errno : EINVAL;
    };
    if (::unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0) return fail("unshare(CLONE_NEWNS)");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return fail("mount --make-rprivate /");

    // The whole host read-only: one call on kernels >= 5.12, else a remount per mount point.
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0) {
        if (errno != ENOSYS) return fail("mount_setattr / read-only");
        for (std::size_t i = 0; i < j.mount_points_.size(); ++i) {
            if (::mount(nullptr, j.mount_points_[i].c_str(), nullptr, j.mount_flags_[i], nullptr) !=
                    0 &&
                errno != ENOENT && errno != EINVAL)
                return fail("remount read-only");
        }
    }

    if (::mount(j.code_dir_.c_str(), isolation::task_root, nullptr, MS_BIND | MS_REC, nullptr) != 0)
        return fail("bind the code at /var/task");
    if (::mount(nullptr, isolation::task_root, nullptr,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
        return fail("remount /var/task read-only");

    if (::mount(j.passwd_.c_str(), "/etc/passwd", nullptr, MS_BIND, nullptr) != 0)
        return fail("bind /etc/passwd");
    if (::mount(nullptr, "/etc/passwd", nullptr,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
        return fail("remount /etc/passwd read-only");

    // Hidden: an empty tmpfs nobody may enter. Before /tmp, which may hold them (then the new
    // /tmp hides them too).
    for (const auto& m : j.masks_) {
        if (::mount("lambench-hidden", m.c_str(), "tmpfs",
                    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "size=4k,nr_inodes=1,mode=000") != 0 &&
            errno != ENOENT)
            return fail("hide the state directory");
    }

    if (::mount("lambench-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, j.tmp_options_.c_str()) != 0)
        return fail("mount /tmp");

    rlimit nofile{isolation::nofile, isolation::nofile};
    if (::setrlimit(RLIMIT_NOFILE, &nofile) != 0) return fail("setrlimit RLIMIT_NOFILE");
    rlimit nproc{isolation::nproc, isolation::nproc};
    if (::setrlimit(RLIMIT_NPROC, &nproc) != 0) return fail("setrlimit RLIMIT_NPROC");
    return 0;
}

std::string isolation_support::describe() const {
    if (enabled())
        return "isolated (mount namespace: /var/task read-only, private /tmp, host read-only, "
               "state directory hidden; " +
               user + " with its own uid per sandbox from " + std::to_string(uid_base) +
               "; nofile/nproc " + std::to_string(isolation::nofile) + ")";
    return "not isolated: " + note;
}

isolation::isolation(const std::string& mode, const fs::path& state_dir, const fs::path& run_dir)
    : state_dir_(state_dir), run_dir_(run_dir), pool_(std::make_shared<sandbox_jail::pool>()) {
    detect(mode);
}

void isolation::detect(const std::string& mode) {
    auto off = [this](std::string why) {
        support_.mount_namespace = support_.own_user = support_.rlimits = false;
        support_.note = std::move(why);
        std::fprintf(stderr,
                     "lambench serve: warning: sandboxes not isolated (%s): they run as the "
                     "service's user with its filesystem and limits\n",
                     support_.note.c_str());
    };
    if (mode == "off") return off("sandbox_isolation = \"off\"");
    if (const char* v = std::getenv("LAMBENCH_SANDBOX_ISOLATION"); v && std::string(v) == "off")
        return off("disabled by LAMBENCH_SANDBOX_ISOLATION=off");
    if (::geteuid() != 0) return off("not running as root");

    passwd* pw = ::getpwnam(support_.user.c_str());
    if (pw) {
        support_.user_origin = "found";
    } else {
        std::string why;
        if (!create_user(support_.user, why)) return off("no user " + support_.user + ": " + why);
        pw = ::getpwnam(support_.user.c_str());
        if (!pw) return off("user " + support_.user + " missing after useradd");
        support_.user_origin = "created by the service (useradd)";
        std::fprintf(stderr, "lambench serve: created the sandbox user %s (useradd --system)\n",
                     support_.user.c_str());
    }
    support_.gid = pw->pw_gid;
    support_.uid_base = default_uid_base;
    if (const char* v = std::getenv("LAMBENCH_SANDBOX_UID_BASE")) {
        char* end = nullptr;
        unsigned long b = std::strtoul(v, &end, 10);
        if (!end || *end || b < 1000 || b > 4000000000ul)
            return off(std::string("bad LAMBENCH_SANDBOX_UID_BASE '") + v + "'");
        support_.uid_base = static_cast<uid_t>(b);
    }
    pool_->base = support_.uid_base;
    // Services running side by side (parallel tests) share the range: each starts at its own
    // place in it, so their sandboxes rarely meet on a uid.
    pool_->next = static_cast<uid_t>((static_cast<unsigned long>(::getpid()) * 7919ul) % pool_size);

    try {
        host_passwd_ = read_text("/etc/passwd");
        std::istringstream in(host_passwd_);
        std::string line, kept;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string name, x, uid;
            std::getline(f, name, ':');
            std::getline(f, x, ':');
            std::getline(f, uid, ':');
            if (name == support_.user) continue;  // the sandbox's own line replaces it
            try {
                pool_->named.insert(static_cast<uid_t>(std::stoul(uid)));
            } catch (const std::exception&) {
            }
            kept += line + "\n";
        }
        host_passwd_ = kept;
        std::error_code ec;
        fs::create_directories(task_root, ec);
        if (ec) return off(std::string("mkdir ") + task_root + ": " + ec.message());
        fs::create_directories(run_dir_ / "passwd");
        fs::create_directories(run_dir_ / "probe");
        read_mounts(mount_points_, mount_flags_);
        state_dir_ = fs::weakly_canonical(state_dir_);
    } catch (const std::exception& e) {
        return off(e.what());
    }
    support_.mount_namespace = support_.own_user = support_.rlimits = true;

    // The probe: a real sandboxed process, so a host that refuses any step says so now, once.
    try {
        auto jail = prepare(run_dir_ / "probe", 1);
        posix::spawn_options o;
        o.argv = {"/bin/true"};
        o.env = std::map<std::string, std::string>{};
        o.cwd = task_root;
        o.output = posix::output_to::pipe;
        o.nonblocking_output = false;
        o.before_exec = &sandbox_jail::enter;
        o.before_exec_arg = jail.get();
        o.uid = jail->uid();
        o.gid = jail->gid();
        auto c = posix::child_process::spawn(o);
        std::string out = c.read_output_to_end();
        auto st = c.wait();
        if (st.signaled || st.code != 0)
            return off("the probe sandbox failed: " + st.describe() + " " + out);
    } catch (const std::exception& e) {
        return off(std::string("the probe sandbox failed: ") + e.what());
    }
}

std::string isolation::passwd_for(uid_t uid) {
    // Written per sandbox and removed with it (no fsync: it lives as long as the service).
    fs::path p = run_dir_ / "passwd" / std::to_string(uid);
    std::string text = host_passwd_ + support_.user + ":x:" + std::to_string(uid) + ":" +
                       std::to_string(support_.gid) + "::/tmp:/sbin/nologin\n";
    posix::unique_fd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd || ::fchmod(fd.get(), 0644) != 0 ||
        ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        throw std::system_error(errno, std::generic_category(), "write " + p.string());
    return p.string();
}

std::unique_ptr<sandbox_jail> isolation::prepare(const fs::path& code_dir, int ephemeral_mb) {
    if (!enabled()) throw std::logic_error("isolation::prepare with isolation off");
    std::unique_ptr<sandbox_jail> j(new sandbox_jail());
    j->uid_ = pool_->lease();
    j->pool_ = pool_;
    j->gid_ = support_.gid;
    j->code_dir_ = code_dir.string();
    j->passwd_ = passwd_for(j->uid_);
    j->tmp_options_ = "size=" + std::to_string(ephemeral_mb) + "m,mode=1777";
    // A state directory that holds a system directory (--state-dir /var, say) cannot be covered
    // without hiding /var/task or the system: then its modes are all that keep it private.
    std::string state = state_dir_.string();
    bool covers_system = state_dir_.parent_path() == state_dir_.root_path();
    for (const char* sys : {"/var/task", "/usr/", "/etc/", "/bin/", "/lib"})
        if (std::string(sys).rfind(state + "/", 0) == 0) covers_system = true;
    if (!covers_system) j->masks_ = {state};
    j->mount_points_ = mount_points_;
    j->mount_flags_ = mount_flags_;
    return j;
}

}  // namespace lambench::service
