// The CloudFormation side of deploy/destroy/status: one stack, its events and outputs, over the
// query protocol. Waiting prints each new stack event as it happens, so a 10-minute RDS
// creation shows progress and a rollback shows its reasons.
#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "aws/query_client.hpp"

namespace lambench::deploy {

struct stack_event {
    std::string id, timestamp, logical_id, type, status, reason;
};

struct stack_info {
    bool exists = false;
    std::string id, status, status_reason;
    std::map<std::string, std::string> outputs;
};

using stack_parameters = std::vector<std::pair<std::string, std::string>>;

// The query members of CreateStack/UpdateStack: StackName, TemplateBody, Parameters.member.N.*,
// Capabilities.member.1=CAPABILITY_IAM (the template creates a role), Tags.member.1 =
// lambench:stack. Shared by the real call and --dry-run's listing.
aws::query_params stack_request(const std::string& stack, const std::string& template_body,
                                const stack_parameters& parameters);

class cloudformation {
  public:
    explicit cloudformation(aws::query_client& client) : client_(client) {}

    // exists = false when AWS answers "Stack with id … does not exist".
    stack_info describe(const std::string& stack);
    std::vector<stack_event> events(const std::string& stack);  // newest first, as AWS sends
    void create(const std::string& stack, const std::string& template_body,
                const stack_parameters& parameters);
    // false when AWS says "No updates are to be performed" (the stack is already as asked).
    bool update(const std::string& stack, const std::string& template_body,
                const stack_parameters& parameters);
    void remove(const std::string& stack);

  private:
    aws::query_client& client_;
};

bool in_progress(const std::string& status);  // *_IN_PROGRESS
// The operation ended as asked: CREATE_COMPLETE, UPDATE_COMPLETE, IMPORT_COMPLETE.
bool succeeded(const std::string& status);

struct wait_options {
    std::chrono::milliseconds poll{10000};
    std::chrono::seconds timeout{5400};
};

// Polls DescribeStacks (and DescribeStackEvents for progress) until the stack is no longer
// *_IN_PROGRESS or is gone; prints every event whose id is not in `seen` to `log` and adds it.
// Returns the final state (exists = false once a deletion has finished). Throws
// std::runtime_error on timeout.
stack_info wait_for_stack(cloudformation& cfn, const std::string& stack,
                          std::set<std::string>& seen, std::ostream& log, const wait_options& o);

// The failure reasons among `events` (status *_FAILED with a reason), oldest first, skipping
// the generic "Resource creation cancelled" ones that only follow the real cause.
std::vector<stack_event> failure_reasons(const std::vector<stack_event>& events);

}  // namespace lambench::deploy
