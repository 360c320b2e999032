// Where lambench keeps its state (the service's logs and code, the embedded database, run
// scratch). One rule for every command, so `lambench run`, `serve` and `db` always agree:
//   $LAMBENCH_STATE_DIR, else $XDG_STATE_HOME/lambench, else $HOME/.local/state/lambench,
//   else <the user's home from the password database>/.local/state/lambench.
#pragma once

#include <filesystem>

namespace lambench::posix {

// Throws std::runtime_error when none of the above is available (then pass --state-dir).
std::filesystem::path default_state_dir();

}  // namespace lambench::posix
