#include "driver/aws_target.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "aws/artifact_check.hpp"
#include "aws/credentials.hpp"
#include "aws/lambda_client.hpp"
#include "aws/sigv4.hpp"
#include "aws/zip.hpp"
#include "common/base64.hpp"
#include "driver/lambda_outcome.hpp"

namespace lambench::driver {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string aws_endpoint_override(const aws_options& o) {
    if (!o.endpoint_url.empty()) return o.endpoint_url;
    for (const char* var : {"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL"})
        if (const char* v = std::getenv(var); v && *v) return v;
    return {};
}

std::string aws_region(const target_options& o) {
    return o.region.empty() ? aws::default_region() : o.region;
}

std::string aws_function_name(const std::string& stack, const variant_info& v) {
    std::string name = stack + "-" + v.function + "-" + v.profile;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    if (name.size() > 64) name.resize(64);
    return name;
}

aws_runtime aws_runtime_for(const variant_info& v, const std::string& handler) {
    if (v.runtime.rfind("nodejs", 0) == 0)
        return {v.runtime, handler == "bootstrap" ? "index.handler" : handler};
    if (v.profile == "jit") return {"nodejs20.x", "index.handler"};
    return {v.runtime.rfind("provided", 0) == 0 ? v.runtime : "provided.al2023", handler};
}

namespace {

std::optional<aws_stack_outputs> stack_outputs(const target_options& o) {
    if (!o.aws.stack_lookup) return std::nullopt;
    return o.aws.stack_lookup(o.aws.stack, aws_region(o));
}

std::string base64_sha256(const std::vector<std::uint8_t>& bytes) {
    const std::string hex = aws::sigv4::sha256_hex(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::string raw;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return common::base64_encode(raw);
}

bool is_throttle(const aws::api_error& e) {
    return e.status == 429 || e.type == "TooManyRequestsException";
}
bool is_conflict(const aws::api_error& e) {
    return e.status == 409 || e.type == "ResourceConflictException";
}

class aws_target final : public target {
  public:
    aws_target(const target_options& o, std::string endpoint, std::optional<aws_stack_outputs> so)
        : options_(o.aws),
          region_(aws_region(o)),
          endpoint_(std::move(endpoint)),
          stack_(std::move(so)),
          client_(endpoint_, region_, aws::load_credentials()),
          rng_(std::random_device{}()) {
        // The client's own 429 retry would hide throttles from the count; this target retries.
        client_.set_control_plane_attempts(1);
        role_ = !options_.role_arn.empty() ? options_.role_arn
                : stack_                   ? stack_->role_arn
                                           : std::string();
        subnets_ = options_.subnet_ids;
        groups_ = options_.security_group_ids;
        if (subnets_.empty() && groups_.empty() && stack_) {
            subnets_ = stack_->subnet_ids;
            if (!stack_->security_group_id.empty()) groups_ = {stack_->security_group_id};
        }
        if (role_.empty())
            throw target_error("Target.Unavailable",
                               "no execution role for the functions: pass --role ARN, or deploy "
                               "the stack first (lambench aws deploy --stack " +
                                   options_.stack + ")");
    }

    std::string describe() const override {
        return "aws (" + region_ + (endpoint_.empty() ? "" : ", " + endpoint_) + ")";
    }

    void deploy(const deploy_spec& spec, int memory_mb) override {
        spec_ = spec;
        name_ = aws_function_name(options_.stack, spec.info);
        memory_mb_ = memory_mb;
        const auto zip = read_artifact(spec.artifact);
        const std::string sha = base64_sha256(zip);
        const aws_runtime rt = aws_runtime_for(spec.info, spec.handler);
        environment_ = spec.environment;
        if (environment_.count("DATABASE_URL") && stack_)
            for (const auto& [k, v] : stack_->db_environment) environment_[k] = v;

        const std::optional<json> current = configuration();
        if (!current) {
            aws::function_config cfg;
            cfg.name = name_;
            cfg.runtime = rt.runtime;
            cfg.handler = rt.handler;
            cfg.architecture = spec.info.architecture;
            cfg.role = role_;
            cfg.memory_mb = memory_mb;
            cfg.timeout_s = spec.timeout_s;
            cfg.environment = environment_;
            cfg.tags = {{aws_stack_tag, options_.stack}};
            cfg.subnet_ids = subnets_;
            cfg.security_group_ids = groups_;
            bool created = false;
            call("CreateFunction", false, [&] {
                try {
                    client_.create_function(cfg, zip);
                    created = true;
                } catch (const aws::api_error& e) {
                    // Another run created it in the meantime: update it below like any other.
                    if (!is_conflict(e)) throw;
                }
            });
            wait_until_ready();
            if (created) return;
        }
        const json cfg = current ? *current : configuration().value_or(json::object());
        ensure_tagged(cfg);
        std::string arch = "x86_64";
        if (auto a = cfg.find("Architectures");
            a != cfg.end() && a->is_array() && !a->empty() && a->front().is_string())
            arch = a->front().get<std::string>();
        const auto sha_it = cfg.find("CodeSha256");
        const std::string current_sha =
            sha_it != cfg.end() && sha_it->is_string() ? sha_it->get<std::string>() : "";
        if (current_sha != sha || arch != spec.info.architecture) {
            call("UpdateFunctionCode", true,
                 [&] { client_.update_function_code(name_, zip, spec.info.architecture); });
            wait_until_ready();
        }
        json body = configuration_body(cold_counter_);
        body["Role"] = role_;
        body["Runtime"] = rt.runtime;
        body["Handler"] = rt.handler;
        body["Timeout"] = spec.timeout_s;
        body["VpcConfig"] = {{"SubnetIds", subnets_}, {"SecurityGroupIds", groups_}};
        call("UpdateFunctionConfiguration", true,
             [&] { client_.update_function_configuration(name_, body.dump()); });
        wait_until_ready();
    }

    void set_memory(int memory_mb) override {
        memory_mb_ = memory_mb;
        update(cold_counter_);
    }

    void force_cold(long n) override {
        cold_counter_ = n;
        update(n);
    }

    invoke_outcome invoke(const std::string& payload) override {
        invoke_outcome out;
        try {
            aws::invoke_result r;
            call("Invoke", true, [&] {
                r = spec_.stream ? client_.invoke_stream(name_, payload, true)
                                 : client_.invoke(name_, payload, true);
            });
            out = outcome_of(r);
        } catch (const target_error& e) {
            out.error_type = e.type;
            out.error_message = e.what();
        }
        out.throttled_retries = std::exchange(throttled_, 0);
        out.conflict_retries = std::exchange(conflicts_, 0);
        return out;
    }

    // The functions stay for the next run (their code is uploaded again only when it changed);
    // `lambench aws destroy` removes them by their tag.
    void remove() noexcept override {}

  private:
    static std::vector<std::uint8_t> read_artifact(const std::string& artifact) {
        try {
            if (fs::is_directory(artifact)) return aws::zip_directory(artifact);
            std::ifstream in(artifact, std::ios::binary);
            if (!in) throw std::runtime_error("artifact '" + artifact + "' does not exist");
            return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        } catch (const std::exception& e) {
            throw target_error("Artifact.Missing", e.what());
        }
    }

    // The function's configuration, nullopt when it does not exist.
    std::optional<json> configuration() {
        std::optional<json> out;
        call("GetFunctionConfiguration", true, [&] {
            try {
                out = json::parse(client_.get_function_configuration(name_), nullptr, false);
            } catch (const aws::api_error& e) {
                if (e.status != 404 && e.type != "ResourceNotFoundException") throw;
            }
        });
        if (out && !out->is_object())
            throw target_error("Client.Error", "GetFunctionConfiguration: not a JSON object");
        return out;
    }

    // A function of this name that lacks the tag lambench:stack=<stack> (made by hand, or by
    // another stack's run) gets it, so that `lambench aws destroy`/`clean` finds it.
    void ensure_tagged(const json& cfg) {
        const auto arn = cfg.find("FunctionArn");
        if (arn == cfg.end() || !arn->is_string()) return;
        std::map<std::string, std::string> tags;
        call("ListTags", true, [&] { tags = client_.list_tags(arn->get<std::string>()); });
        if (auto t = tags.find(aws_stack_tag); t != tags.end() && t->second == options_.stack)
            return;
        call("TagResource", true, [&] {
            client_.tag_resource(arn->get<std::string>(), {{aws_stack_tag, options_.stack}});
        });
    }

    json configuration_body(long cold) const {
        auto env = environment_;
        if (cold > 0) env["LAMBENCH_COLD"] = std::to_string(cold);
        return {{"MemorySize", memory_mb_}, {"Environment", {{"Variables", env}}}};
    }

    void update(long cold) {
        const json body = configuration_body(cold);
        call("UpdateFunctionConfiguration", true,
             [&] { client_.update_function_configuration(name_, body.dump()); });
        wait_until_ready();
    }

    // Lambda applies a create or an update asynchronously: the next invoke must see the new
    // memory size and a fresh execution environment, so wait until it says Successful.
    void wait_until_ready() {
        call("GetFunctionConfiguration", true,
             [&] { client_.wait_until_active(name_, options_.ready_timeout); });
    }

    // One API call, with 429 (and, when retry_conflicts, 409) retried: exponential backoff
    // with full jitter (a random wait up to base * 2^(attempt-1), capped), so that many
    // clients throttled at once do not come back in step. Throws target_error.
    template <class F>
    void call(const char* what, bool retry_conflicts, F&& f) {
        for (int attempt = 1;; ++attempt) {
            try {
                f();
                return;
            } catch (const aws::api_error& e) {
                const bool throttled = is_throttle(e);
                const bool conflict = retry_conflicts && !throttled && is_conflict(e);
                if ((!throttled && !conflict) || attempt >= options_.attempts)
                    throw target_error(e.type, std::string(what) + ": " + e.what());
                ++(throttled ? throttled_ : conflicts_);
                std::this_thread::sleep_for(backoff(attempt));
            } catch (const target_error&) {
                throw;
            } catch (const std::exception& e) {
                throw target_error("Client.Error", std::string(what) + ": " + e.what());
            }
        }
    }

    std::chrono::milliseconds backoff(int attempt) {
        const auto base = std::max<std::int64_t>(options_.retry_base.count(), 1);
        const auto cap = std::max<std::int64_t>(options_.retry_cap.count(), base);
        const std::int64_t ceiling = std::min<std::int64_t>(cap, base << std::min(attempt - 1, 20));
        std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
        return std::chrono::milliseconds(pick(rng_));
    }

    aws_options options_;
    std::string region_, endpoint_;
    std::optional<aws_stack_outputs> stack_;
    aws::lambda_client client_;
    std::mt19937_64 rng_;
    std::string role_;
    std::vector<std::string> subnets_, groups_;
    deploy_spec spec_;
    std::map<std::string, std::string> environment_;
    std::string name_;
    int memory_mb_ = 128;
    long cold_counter_ = 0;
    int throttled_ = 0, conflicts_ = 0;
};

}  // namespace

std::string aws_database_url(const target_options& o) {
    const auto so = stack_outputs(o);
    if (!so || so->db_host.empty())
        throw std::runtime_error(
            "this suite has functions that need a database, and on the aws target the database "
            "is the stack's RDS instance: deploy it with `lambench aws deploy SUITE --stack " +
            o.aws.stack + "`" +
            (o.aws.stack_lookup
                 ? std::string(" (stack '" + o.aws.stack + "' not found in " + aws_region(o) + ")")
                 : std::string(" (no stack lookup in this build)")) +
            ", pass --database-url, or run only the functions without a database (--function)");
    return "postgresql://" + so->db_user + "@" + so->db_host + ":" + std::to_string(so->db_port) +
           "/" + so->db_name;
}

namespace {

// False for a directory without a single regular file in it (the build creates the directories
// of every artifact, also those it has not built); true for anything else.
bool holds_a_file(const std::string& artifact) {
    std::error_code ec;
    if (!fs::is_directory(artifact, ec)) return true;
    for (fs::recursive_directory_iterator it(artifact, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec)) return true;
    return false;
}

}  // namespace

int mark_unrunnable_on_aws(run_plan& plan) {
    int marked = 0;
    for (auto& v : plan.variants) {
        if (v.state.status != artifact_status::present) continue;
        if (aws_runtime_for(v.info, v.spec.handler).runtime.rfind("provided", 0) != 0) continue;
        if (!holds_a_file(v.artifact)) {  // a build directory of an artifact not built yet
            v.state.status = artifact_status::missing;
            continue;
        }
        const aws::artifact_verdict verdict = aws::check_al2023(v.artifact);
        if (verdict.runnable) continue;
        std::string reason = "n/a on provided.al2023:";
        for (std::size_t i = 0; i < verdict.reasons.size(); ++i)
            reason += (i == 0 ? " " : "; ") + verdict.reasons[i];
        if (verdict.reasons.empty()) reason += " lambench artifact-check " + v.artifact;
        v.state = {artifact_status::skipped, reason};
        ++marked;
    }
    return marked;
}

void describe_aws_run(const target_options& o, run_header& h) {
    h.region = aws_region(o);
    h.endpoint = aws_endpoint_override(o.aws);
    h.stack = o.aws.stack;
    h.resource_model = "aws";
    std::set<std::string> archs;
    for (const auto& v : h.variants) archs.insert(v.architecture);
    h.architectures.assign(archs.begin(), archs.end());
}

std::unique_ptr<target> make_aws_target(const target_options& o) {
    const std::string endpoint = aws_endpoint_override(o.aws);
    if (!endpoint.empty() && endpoint.rfind("http://", 0) != 0 &&
        endpoint.rfind("https://", 0) != 0)
        throw std::invalid_argument("endpoint URL '" + endpoint +
                                    "' must start with http:// or https://");
    std::optional<aws_stack_outputs> so;
    try {
        so = stack_outputs(o);
        return std::make_unique<aws_target>(o, endpoint, std::move(so));
    } catch (const target_error&) {
        throw;
    } catch (const std::exception& e) {
        throw target_error("Target.Unavailable", e.what());
    }
}

}  // namespace lambench::driver
