// In-memory zip of a function's artifact directory, the way Lambda wants it: paths relative to
// the directory, Unix modes in the external attributes (so bootstrap stays executable), symlinks
// stored as symlinks. Entries are sorted and timestamps fixed so the same tree gives the same
// bytes — and so the same CodeSha256.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lambench::aws {

// Throws std::runtime_error naming the failing call and path (e.g. a missing directory).
std::vector<std::uint8_t> zip_directory(const std::string& dir);

}  // namespace lambench::aws
