// A Lambda without a service, for the driver's unit tests: deploys, memory sizes and cold
// starts are bookkeeping and every call is logged. The first invocation after a deploy, a
// memory change, force_cold or a failed invocation is cold (its REPORT has Init Duration).
// Failures are scripted per call.
#pragma once

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/target.hpp"

namespace lambench::driver::testing {

class fake_target final : public target {
  public:
    // ---- the script -----------------------------------------------------------------------
    std::set<std::string> failing_deploys;  // variant ids whose deploy throws target_error
    std::set<int> failing_memory;           // memory sizes set_memory refuses
    std::set<int> failing_force_colds;      // force_cold calls (1-based) that throw
    // Whether invocation number `n` (1-based over the target's life) of the deployed variant
    // at its current memory size fails (as a function that exits during init does).
    std::function<bool(const std::string& variant, int memory_mb, int n)> invoke_fails;
    std::function<void(int n)> on_invoke;  // called at the start of invocation n
    // Non-empty: deploy throws std::runtime_error with it, as a target that cannot start does.
    std::string start_error;

    // ---- what happened --------------------------------------------------------------------
    // "deploy <id> <mb>", "set_memory <mb>", "force_cold", "invoke <id> <mb> cold|warm", "remove"
    std::vector<std::string> calls;
    std::vector<deploy_spec> deploys;
    std::vector<long> cold_serials;
    int invocations = 0, force_colds = 0;

    std::string describe() const override { return "fake"; }

    void deploy(const deploy_spec& spec, int memory_mb) override {
        calls.push_back("deploy " + spec.info.id() + " " + std::to_string(memory_mb));
        deploys.push_back(spec);
        if (!start_error.empty()) throw std::runtime_error(start_error);
        if (failing_deploys.count(spec.info.id()))
            throw target_error("Deploy.Refused", "fake: cannot deploy " + spec.info.id());
        variant_ = spec.info.id();
        memory_ = memory_mb;
        cold_ = true;
    }

    void set_memory(int memory_mb) override {
        calls.push_back("set_memory " + std::to_string(memory_mb));
        if (failing_memory.count(memory_mb))
            throw target_error("Memory.Refused", "fake: no " + std::to_string(memory_mb) + " MB");
        memory_ = memory_mb;
        cold_ = true;
    }

    void force_cold(long n) override {
        calls.push_back("force_cold");
        cold_serials.push_back(n);
        if (failing_force_colds.count(++force_colds))
            throw target_error("Update.Failed", "fake: configuration update failed");
        cold_ = true;
    }

    invoke_outcome invoke(const std::string&) override {
        const int n = ++invocations;
        if (on_invoke) on_invoke(n);
        calls.push_back("invoke " + variant_ + " " + std::to_string(memory_) + " " +
                        (cold_ ? "cold" : "warm"));
        invoke_outcome out;
        out.round_trip_ms = 1.0 + 0.01 * (n % 5);
        if (invoke_fails && invoke_fails(variant_, memory_, n)) {
            out.error_type = "Runtime.ExitError";
            out.error_message = "fake: exited during init";
            cold_ = true;
            return out;
        }
        report_metrics r;
        r.request_id = "req-" + std::to_string(n);
        r.duration_ms = 100.0 * 128 / memory_ + 0.1 * (n % 7);
        r.billed_ms = static_cast<double>(static_cast<long>(r.duration_ms) + 1);
        r.memory_size_mb = memory_;
        r.max_memory_mb = 20 + n % 3;
        if (cold_) r.init_ms = 40.0 + 0.5 * (n % 3);
        cold_ = false;
        out.report = r;
        out.ok = true;
        return out;
    }

    void remove() noexcept override { calls.push_back("remove"); }

  private:
    std::string variant_;
    int memory_ = 0;
    bool cold_ = true;
};

}  // namespace lambench::driver::testing
