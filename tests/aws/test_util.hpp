// Small RAII helpers shared by the aws tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "support/files.hpp"

namespace lambench::aws::test {

// A fresh directory under $TMPDIR, removed with its contents on destruction.
using lambench::test_support::temp_dir;

// Sets (or unsets, with nullopt) an environment variable for one scope, then restores it.
class scoped_env {
  public:
    scoped_env(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        if (value)
            setenv(name_.c_str(), value->c_str(), 1);
        else
            unsetenv(name_.c_str());
    }
    ~scoped_env() {
        if (old_)
            setenv(name_.c_str(), old_->c_str(), 1);
        else
            unsetenv(name_.c_str());
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

  private:
    std::string name_;
    std::optional<std::string> old_;
};

}  // namespace lambench::aws::test
