#include "process.hpp"

#include "isolation.hpp"
#include "resources.hpp"

namespace lambench::service {

child_process child_process::spawn(const spawn_options& opts) {
    posix::spawn_options o;
    o.argv = opts.argv;
    o.env = opts.env;
    o.cwd = opts.cwd;
    o.output = posix::output_to::pipe;
    o.nonblocking_output = true;
    o.new_process_group = true;
    o.before_kill = &make_killable;  // a child frozen by a v1 freezer never dies otherwise
    if (opts.group) o.join_files = opts.group->join_files();
    if (opts.jail) {
        o.before_exec = &sandbox_jail::enter;
        o.before_exec_arg = opts.jail;
        o.uid = opts.jail->uid();
        o.gid = opts.jail->gid();
    }
    child_process c(posix::child_process::spawn(o));
    if (opts.group) opts.group->note_member(c.pid());
    return c;
}

}  // namespace lambench::service
