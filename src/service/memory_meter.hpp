// Max Memory Used of an execution environment, counted the way Lambda's figure behaves: every
// resident page the environment's processes use, whichever cgroup first paid for it.
//
// Definition (version mmu_definition_version, docs/metrics.md):
//   MMU = ceil_MB(max(cgroup peak, max over samples of sum over the environment's processes of
//                     max(VmHWM, RssAnon + RssFile + RssShmem)))
// The cgroup peak alone misses file pages (the function's own binary, shared libraries, the
// Node.js executable) that another group brought into the page cache first, and it depends on
// who touched a file first; a process's resident set counts every page it maps, whoever paid
// for it. VmHWM is the kernel's high-water mark of that set, so a spike between two samples of
// a long-lived process is not missed; the samples (at init end and at the end of every
// invocation) catch the children that live across them, and the cgroup peak catches the
// anonymous memory of children too short-lived for either. Summing per process counts a page
// that two processes of the environment share twice: the figure is an upper bound on what was
// resident at once, exact for the usual single-process runtime.
// Internal to the service.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace lambench::service {

// Recorded with results (lambench-stats "MaxMemoryUsedDefinition"): 1 was the cgroup peak alone.
inline constexpr int mmu_definition_version = 2;

struct process_memory {
    std::uint64_t hwm_bytes = 0;        // VmHWM
    std::uint64_t rss_anon_bytes = 0;   // RssAnon
    std::uint64_t rss_file_bytes = 0;   // RssFile
    std::uint64_t rss_shmem_bytes = 0;  // RssShmem
    std::uint64_t resident() const { return rss_anon_bytes + rss_file_bytes + rss_shmem_bytes; }
    std::uint64_t peak() const { return hwm_bytes > resident() ? hwm_bytes : resident(); }
};

// Parses the text of /proc/<pid>/status; nullopt when it has no VmRSS line (a kernel thread, a
// zombie). Exposed for tests.
std::optional<process_memory> parse_proc_status(const char* text, std::size_t size);
// /proc/<pid>/status of a live process; nullopt when it is gone or has no memory.
std::optional<process_memory> read_process_memory(pid_t pid);
// root and its descendants (through /proc/<pid>/task/<tid>/children), for environments without
// a cgroup to list their members. Processes that left the tree (daemonised) are not found.
std::vector<pid_t> process_tree(pid_t root);

// The peak over the environment's life of the sum over its processes. Not thread-safe: one
// sandbox samples it from its event loop.
class memory_meter {
  public:
    // Adds a sample: the sum over `members` of each one's peak(). Returns that sum.
    std::uint64_t sample(const std::vector<pid_t>& members);
    std::uint64_t peak_bytes() const { return peak_; }

  private:
    std::uint64_t peak_ = 0;
};

}  // namespace lambench::service
