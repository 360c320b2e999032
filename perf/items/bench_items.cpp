// bench_items: warm handle() time of each items library against a raw prepared libpq query
// (PQexecPrepared of the same statement, same parameters, binary results), all on a fresh
// embedded PostgreSQL, measured in the same run with the samples interleaved so that drift
// (other load, CPU frequency) hits both sides alike. The headline is libpq's ratio (target
// <= 1.3x): what the function adds on top of the query it cannot avoid.
//
//   bench_items [--iterations N] [--state-dir DIR]   (default: a temporary state directory)
#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/embedded.hpp"
#include "handlers.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(idx, v.size() - 1)];
}

class raw_query {
  public:
    explicit raw_query(const std::string& url) : c_(PQconnectdb(url.c_str())) {
        if (PQstatus(c_) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(c_));
        const Oid types[2] = {23, 23};
        PGresult* r = PQprepare(c_, "raw", items::sql_by_category, 2, types);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) throw std::runtime_error(PQerrorMessage(c_));
    }
    raw_query(const raw_query&) = delete;
    raw_query& operator=(const raw_query&) = delete;
    ~raw_query() { PQfinish(c_); }
    int run() {
        const char* params[2] = {"7", "3"};
        PGresult* r = PQexecPrepared(c_, "raw", 2, params, nullptr, nullptr, 1);
        int n = PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : -1;
        PQclear(r);
        return n;
    }

  private:
    PGconn* c_;
};

struct temp_dir {
    std::string path;
    temp_dir() {
        std::string t =
            (std::filesystem::temp_directory_path() / "lambench-bench-items-XXXXXX").string();
        if (!::mkdtemp(t.data()))
            throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
        path = t;
    }
    ~temp_dir() {
        try {
            lambench::db::destroy(path);
        } catch (...) {
        }
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

}  // namespace

int main(int argc, char** argv) {
    int iterations = 3000;
    std::string state_dir;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--iterations" && i + 1 < argc) {
            iterations = std::atoi(argv[++i]);
        } else if (a == "--state-dir" && i + 1 < argc) {
            state_dir = argv[++i];
        } else {
            std::fprintf(stderr, "usage: bench_items [--iterations N] [--state-dir DIR]\n");
            return 2;
        }
    }
    if (iterations < 10) {
        std::fprintf(stderr, "bench_items: --iterations must be at least 10\n");
        return 2;
    }
    try {
        std::unique_ptr<temp_dir> tmp;
        if (state_dir.empty()) {
            tmp = std::make_unique<temp_dir>();
            state_dir = tmp->path;
        }
        std::fprintf(stderr, "bench_items: starting embedded PostgreSQL in %s\n",
                     state_dir.c_str());
        const std::string url = lambench::db::ensure_running(state_dir);
        const std::string event = R"({"category":7,"limit":3})";

        raw_query raw(url);
        std::printf(
            "items: warm time per call, event %s, %d iterations, interleaved with the raw "
            "query\n\n",
            event.c_str(), iterations);
        std::printf("%-10s %10s %10s %12s %12s %10s\n", "library", "p50 µs", "p99 µs", "raw p50 µs",
                    "raw p99 µs", "ratio p50");
        int status = 0;
        for (const auto& [name, make] : items_test::libraries()) {
            auto h = make(url);
            for (int w = 0; w < 200; ++w) {  // warm both: plans cached, buffers hot
                h->handle(event);
                raw.run();
            }
            std::vector<double> th, tr;
            th.reserve(static_cast<size_t>(iterations));
            tr.reserve(static_cast<size_t>(iterations));
            for (int i = 0; i < iterations; ++i) {
                auto t0 = clock_type::now();
                auto res = h->handle(event);
                auto t1 = clock_type::now();
                int n = raw.run();
                auto t2 = clock_type::now();
                if (!res.ok || n != 3)
                    throw std::runtime_error(name + ": unexpected result " + res.body);
                th.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
                tr.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
            }
            double hp50 = percentile(th, 0.5), hp99 = percentile(th, 0.99);
            double rp50 = percentile(tr, 0.5), rp99 = percentile(tr, 0.99);
            double ratio = hp50 / rp50;
            std::printf("%-10s %10.1f %10.1f %12.1f %12.1f %9.2fx%s\n", name.c_str(), hp50, hp99,
                        rp50, rp99, ratio,
                        name == "libpq" ? (ratio <= 1.3 ? "  (target <= 1.3x: met)"
                                                        : "  (target <= 1.3x: MISSED)")
                                        : "");
            if (name == "libpq" && ratio > 1.3) status = 3;
        }
        return status;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_items: %s\n", e.what());
        return 1;
    }
}
