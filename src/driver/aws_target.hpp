// The aws target: the suite's variants as Lambda functions named <stack>-<function>-<profile>,
// tagged lambench:stack=<stack>, created or updated through the Lambda API when missing or when
// their code changed (CodeSha256), and kept for the next run (`lambench aws destroy` removes
// them). Cold starts are forced as locally, by changing LAMBENCH_COLD in the environment, and
// the target waits until Lambda reports the update Successful. Throttles (429) and conflicts
// (409, a function still Pending or being updated) are retried with exponential backoff and
// full jitter, and counted on the next sample. Role and network come from --role/--subnet-ids/
// --security-group-ids, else from the stack's outputs (aws_stack_outputs).
#pragma once

#include <memory>
#include <string>

#include "driver/plan.hpp"
#include "driver/results.hpp"
#include "driver/target.hpp"

namespace lambench::driver {

inline constexpr const char* aws_stack_tag = "lambench:stack";

// The Lambda endpoint, as the AWS CLI chooses it: --endpoint-url, else $AWS_ENDPOINT_URL_LAMBDA,
// else $AWS_ENDPOINT_URL; empty for AWS itself.
std::string aws_endpoint_override(const aws_options& o);
// The region: target_options::region when set, else as the AWS CLI (aws/credentials.hpp).
std::string aws_region(const target_options& o);
// <stack>-<function>-<profile>, characters Lambda refuses replaced by '-', at most 64 long.
std::string aws_function_name(const std::string& stack, const variant_info& v);
// Runtime and handler on Lambda: a Node.js row (profile "jit", or a nodejs* runtime) runs on
// nodejs20.x with index.handler (the managed runtime, not the artifact's bootstrap); everything
// else on the suite's provided* runtime (provided.al2023 by default).
struct aws_runtime {
    std::string runtime, handler;
};
aws_runtime aws_runtime_for(const variant_info& v, const std::string& handler);

// DATABASE_URL for functions that need a database: the stack's RDS instance. Throws
// std::runtime_error saying what to do when there is no stack to take it from.
std::string aws_database_url(const target_options& o);

// The aws target's "n/a": a present artifact of a variant that runs on a provided.* runtime and
// that `lambench artifact-check` finds cannot run on provided.al2023 (the recorded baseline)
// becomes skipped, its reason "n/a on provided.al2023: <why>", so that the results file and
// every report carry the cell as n/a instead of a failed deploy. Node.js rows (the managed
// nodejs runtime, not the artifact's bootstrap) are not checked; an artifact directory with no
// file in it (not built) becomes missing. Returns how many it marked n/a.
int mark_unrunnable_on_aws(run_plan& plan);

// The header fields of a run on the aws target (region, endpoint when overridden, stack,
// architectures, resource model "aws").
void describe_aws_run(const target_options& o, run_header& h);

// Throws target_error (Target.Unavailable) when it cannot work at all: no credentials for AWS,
// no role.
std::unique_ptr<target> make_aws_target(const target_options& o);

}  // namespace lambench::driver
