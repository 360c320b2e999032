// The Lambda REST API (2015-03-31) that the AWS CLI and SDKs call: the control plane
// (control_api.cpp) and Invoke (invoke_api.cpp). Handlers throw api_error; the HTTP server
// formats it (http_server.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config.hpp"
#include "http_server.hpp"
#include "isolation.hpp"
#include "registry.hpp"
#include "scheduler.hpp"

namespace lambench::service {

inline constexpr std::size_t max_sync_payload = 6291456;   // 6 MB RequestResponse request
inline constexpr std::size_t max_event_payload = 1048576;  // 1 MB Event request
inline constexpr std::size_t max_zip_base64 = (50ull * 1024 * 1024 + 2) / 3 * 4 + 4;

class lambda_api {
  public:
    lambda_api(registry& reg, scheduler& sched, const service_config& cfg, bool partial_model);
    void handle(http::request&& req, const http::responder& reply);
    // What the sandboxes' isolation is, for lambench-stats (default: off, "not set up").
    void set_isolation(isolation_support s) { isolation_ = std::move(s); }

    // FunctionConfiguration JSON as Lambda returns it.
    nlohmann::json configuration_json(const function_record& f) const;
    // A CreateFunction request's configuration (Code aside) from its JSON body j, validated;
    // throws api_error 400. Also rebuilds the functions a function_store saved.
    function_spec spec_from_request(const nlohmann::json& j) const;
    // While draining (shutdown), every request is answered 503: the service takes no new work.
    void set_draining() { draining_ = true; }

  private:
    void create_function(const http::request& req, const http::responder& reply);
    void list_functions(const http::responder& reply);
    void get_function(const std::string& name, const http::responder& reply);
    void delete_function(const std::string& name, const http::responder& reply);
    void get_configuration(const std::string& name, const http::responder& reply);
    void update_configuration(const std::string& name, const http::request& req,
                              const http::responder& reply);
    void update_code(const std::string& name, const http::request& req,
                     const http::responder& reply);
    void stats(const std::string& name, const http::responder& reply);
    // PUT|DELETE /2017-10-31/functions/{name}/concurrency, GET /2019-09-30/functions/{name}/
    // concurrency (Put/Delete/GetFunctionConcurrency); false when the path is not one of them.
    bool handle_concurrency(std::string_view target, const http::request& req,
                            const http::responder& reply);
    void invoke(const std::string& name, http::request&& req, const http::responder& reply);
    void invoke_streaming(const std::string& name, http::request&& req,
                          const http::responder& reply);
    struct invoke_request {
        function_ptr fn;
        invocation_ptr inv;
        std::string type;   // X-Amz-Invocation-Type
        bool tail = false;  // X-Amz-Log-Type: Tail
    };
    invoke_request parse_invoke(const std::string& name, http::request& req, bool streaming);
    std::string model_description() const;  // X-Lambench-Model

    void send_json(const http::responder& reply, int status, const nlohmann::json& body) const;
    static nlohmann::json saved_config(nlohmann::json request, const function_spec& spec);
    void check_runtime(const std::string& runtime) const;

    // lifecycle_api.cpp: State/LastUpdateStatus (with their reasons) and VpcConfig of a
    // configuration; the conflicts a create or an update in progress causes (409); tags.
    void add_lifecycle_fields(nlohmann::json& out, const function_record& f) const;
    void check_not_pending(const function_record& f) const;  // Invoke while Pending
    void check_can_update(const function_record& f) const;   // Pending, or an update InProgress
    // GET|POST|DELETE /2017-03-31/tags/{ARN}; false when the path is not a tags path.
    bool handle_tags(std::string_view target, const std::string& query, const http::request& req,
                     const http::responder& reply);

    registry& registry_;
    scheduler& scheduler_;
    const service_config& cfg_;
    bool partial_model_;
    bool draining_ = false;
    isolation_support isolation_;
};

// VpcConfig of a CreateFunction/UpdateFunctionConfiguration body into spec (false when absent);
// Tags of a CreateFunction/TagResource body. Both throw 400 for values Lambda refuses.
bool parse_vpc_config(const nlohmann::json& body, function_spec& spec);
registry::tag_map parse_tags(const nlohmann::json& tags);

// "name", "name:qualifier", an ARN (full or partial), URL-encoded; query Qualifier. Returns the
// bare name; throws 404 for a qualifier other than $LATEST or an ARN of another region, 403 for
// an ARN of another account.
std::string resolve_function_name(const std::string& path_segment, const std::string& qualifier,
                                  const std::string& region);

}  // namespace lambench::service
