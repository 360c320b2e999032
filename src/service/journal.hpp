// The service's journals (the functions created through the API, the queued Event invocations):
// JSON lines, one record per line, each an object {"v":<format version>,"op":"<what>",...}.
// Appends go to the end of the file; a compaction rewrites the whole file with the records that
// still matter (temp file, fsync, rename, directory fsync), so a crash leaves the old file or the
// new one. Reading is forgiving: a damaged record is reported and skipped, the others are kept.
#pragma once

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "posix/file.hpp"

namespace lambench::service {

// The record format this build writes and reads. A record of a higher version (a newer lambench)
// is reported and skipped, never guessed at.
inline constexpr int journal_version = 1;

struct journal_contents {
    std::vector<nlohmann::json> records;  // the readable ones, in file order
    std::vector<std::string> problems;    // one per skipped line: where, and why
    std::size_t lines = 0;                // every line, readable or not
};

// Reads a journal (an absent file reads as empty). Skipped, each with a problem naming its line:
// a line that is not a JSON object (garbage bytes, a half-written record), one whose "v" is not a
// version this build reads, one without a string "op", and a last line with no newline (a write
// the process did not finish).
journal_contents read_journal(const std::filesystem::path& file);

class journal {
  public:
    explicit journal(std::filesystem::path file);  // opens for appending (created when absent)

    // Writes the record ("v" added) at the end; durable only after sync().
    void append(nlohmann::json record);
    void sync();
    // Replaces the file with exactly these records ("v" added), durably, and appends to it after.
    void rewrite(std::vector<nlohmann::json> records);
    // Copies the file as it is now to <file>.bad (replacing an older copy) and returns that path:
    // what a rewrite is about to drop stays available for a look.
    std::filesystem::path keep_copy();

    std::size_t appended() const { return appended_; }  // records appended since the last rewrite
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
    posix::append_file file_;
    std::size_t appended_ = 0;
};

}  // namespace lambench::service
