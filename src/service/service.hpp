// `lambench serve`: the local Lambda service. One io_context thread runs the Lambda REST API,
// every sandbox's Runtime API listener and all timers; SIGINT/SIGTERM shut it down cleanly.
#pragma once

#include <memory>
#include <string>

#include "config.hpp"

namespace lambench::service {

class service {
  public:
    // Checks cgroups (refuses to start when LAMBENCH_REQUIRE_CGROUPS=1 and they are
    // incomplete), prepares <state>/service/, creates the config's functions, binds. Throws.
    explicit service(service_config cfg);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    unsigned short port() const;
    // The address actually bound, as a URL: http://127.0.0.1:9000, http://[::1]:9000.
    std::string url() const;
    // Serves until SIGINT/SIGTERM (or stop()), then shuts every sandbox down.
    void run();
    void stop();

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lambench::service
