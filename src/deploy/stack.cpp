#include "deploy/stack.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace lambench::deploy {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string event_line(const stack_event& e) {
    std::string line = "  " + e.timestamp + "  " + e.status + "  " + e.logical_id;
    if (!e.type.empty()) line += " (" + e.type + ")";
    if (!e.reason.empty()) line += ": " + e.reason;
    return line;
}

}  // namespace

aws::query_params stack_request(const std::string& stack, const std::string& template_body,
                                const stack_parameters& parameters) {
    aws::query_params p{{"StackName", stack}, {"TemplateBody", template_body}};
    int n = 0;
    for (const auto& [key, value] : parameters) {
        const std::string prefix = "Parameters.member." + std::to_string(++n) + ".";
        p.emplace_back(prefix + "ParameterKey", key);
        p.emplace_back(prefix + "ParameterValue", value);
    }
    p.emplace_back("Capabilities.member.1", "CAPABILITY_IAM");
    p.emplace_back("Tags.member.1.Key", "lambench:stack");
    p.emplace_back("Tags.member.1.Value", stack);
    return p;
}

stack_info cloudformation::describe(const std::string& stack) {
    stack_info info;
    aws::xml_node doc;
    try {
        doc = client_.call("DescribeStacks", {{"StackName", stack}});
    } catch (const aws::api_error& e) {
        const std::string msg = e.what();
        if (e.type == "ValidationError" && msg.find("does not exist") != std::string::npos)
            return info;
        throw;
    }
    const aws::xml_node* s = doc.at("DescribeStacksResult/Stacks/member");
    if (!s) return info;
    info.exists = true;
    info.id = s->text_at("StackId");
    info.status = s->text_at("StackStatus");
    info.status_reason = s->text_at("StackStatusReason");
    if (const aws::xml_node* outputs = s->child("Outputs"))
        for (const aws::xml_node* o : outputs->all("member"))
            info.outputs[o->text_at("OutputKey")] = o->text_at("OutputValue");
    // A deleted stack is only visible by its id; by name it no longer exists.
    if (info.status == "DELETE_COMPLETE") info.exists = false;
    return info;
}

std::vector<stack_event> cloudformation::events(const std::string& stack) {
    std::vector<stack_event> out;
    aws::xml_node doc;
    try {
        doc = client_.call("DescribeStackEvents", {{"StackName", stack}});
    } catch (const aws::api_error& e) {
        // Deleted between DescribeStacks and this call: no events to show.
        if (e.type == "ValidationError" &&
            std::string(e.what()).find("does not exist") != std::string::npos)
            return out;
        throw;
    }
    if (const aws::xml_node* list = doc.at("DescribeStackEventsResult/StackEvents"))
        for (const aws::xml_node* m : list->all("member"))
            out.push_back({m->text_at("EventId"), m->text_at("Timestamp"),
                           m->text_at("LogicalResourceId"), m->text_at("ResourceType"),
                           m->text_at("ResourceStatus"), m->text_at("ResourceStatusReason")});
    return out;
}

void cloudformation::create(const std::string& stack, const std::string& template_body,
                            const stack_parameters& parameters) {
    client_.call("CreateStack", stack_request(stack, template_body, parameters));
}

bool cloudformation::update(const std::string& stack, const std::string& template_body,
                            const stack_parameters& parameters) {
    try {
        client_.call("UpdateStack", stack_request(stack, template_body, parameters));
        return true;
    } catch (const aws::api_error& e) {
        if (e.type == "ValidationError" &&
            std::string(e.what()).find("No updates are to be performed") != std::string::npos)
            return false;
        throw;
    }
}

void cloudformation::remove(const std::string& stack) {
    client_.call("DeleteStack", {{"StackName", stack}});
}

bool in_progress(const std::string& status) {
    return ends_with(status, "_IN_PROGRESS");
}

bool succeeded(const std::string& status) {
    return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" ||
           status == "IMPORT_COMPLETE";
}

stack_info wait_for_stack(cloudformation& cfn, const std::string& stack,
                          std::set<std::string>& seen, std::ostream& log, const wait_options& o) {
    const auto deadline = std::chrono::steady_clock::now() + o.timeout;
    for (;;) {
        stack_info info = cfn.describe(stack);
        if (info.exists) {
            std::vector<stack_event> events = cfn.events(stack);
            std::reverse(events.begin(), events.end());  // oldest first
            for (const auto& e : events)
                if (seen.insert(e.id).second) log << event_line(e) << '\n';
            log.flush();
        }
        if (!info.exists || !in_progress(info.status)) return info;
        if (std::chrono::steady_clock::now() + o.poll > deadline)
            throw std::runtime_error("stack " + stack + " is still " + info.status + " after " +
                                     std::to_string(o.timeout.count()) +
                                     " s; `lambench aws status` shows how it goes on");
        std::this_thread::sleep_for(o.poll);
    }
}

std::vector<stack_event> failure_reasons(const std::vector<stack_event>& events) {
    std::vector<stack_event> out;
    for (auto it = events.rbegin(); it != events.rend(); ++it)
        if (ends_with(it->status, "_FAILED") && !it->reason.empty() &&
            it->reason.find("Resource creation cancelled") == std::string::npos)
            out.push_back(*it);
    return out;
}

}  // namespace lambench::deploy
