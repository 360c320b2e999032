// The HTML report rendered in headless Chromium: it must draw (a non-blank screenshot with the
// charts' colours), produce the SVG charts in the DOM, and log no console errors — offline.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "driver/reporters.hpp"

using namespace lambench::driver;
namespace fs = std::filesystem;

namespace {

const std::string test_dir = LAMBENCH_DRIVER_TEST_DIR;

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/lambench-html-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { fs::remove_all(path); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

std::string chromium() {
    for (const char* c :
         {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
        if (fs::exists(c)) return c;
    return "";
}

int chromium_run(const temp_dir& d, const std::string& extra, const std::string& url,
                 const std::string& out, const std::string& err) {
    const std::string cmd =
        chromium() +
        " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
        " --disable-background-networking --disable-component-update --disable-sync"
        " --user-data-dir=" +
        (d / "profile") + " --window-size=1200,2000 " + extra + " " + url + " >" + out + " 2>" +
        err;
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::uint32_t be32(const std::string& s, std::size_t at) {
    return (std::uint32_t(std::uint8_t(s[at])) << 24) |
           (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
           (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

int paeth(int a, int b, int c) {
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

// Distinct RGB colours of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes).
std::size_t distinct_colours(const std::string& png) {
    if (png.size() < 33 || png.compare(1, 3, "PNG") != 0) return 0;
    std::uint32_t width = 0, height = 0;
    int channels = 0;
    std::string idat;
    for (std::size_t pos = 8; pos + 8 <= png.size();) {
        const std::uint32_t len = be32(png, pos);
        const std::string type = png.substr(pos + 4, 4);
        if (type == "IHDR") {
            width = be32(png, pos + 8);
            height = be32(png, pos + 12);
            const int depth = std::uint8_t(png[pos + 16]), colour = std::uint8_t(png[pos + 17]);
            if (depth != 8 || (colour != 2 && colour != 6) || png[pos + 20] != 0) return 0;
            channels = colour == 6 ? 4 : 3;
        } else if (type == "IDAT") {
            idat += png.substr(pos + 8, len);
        }
        pos += 12 + len;
    }
    const std::size_t stride = std::size_t(width) * std::size_t(channels);
    std::vector<unsigned char> raw(std::size_t(height) * (stride + 1));
    uLongf raw_len = raw.size();
    if (::uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()),
                     idat.size()) != Z_OK)
        return 0;
    std::vector<unsigned char> prev(stride, 0), cur(stride);
    std::set<std::uint32_t> colours;
    for (std::uint32_t y = 0; y < height; ++y) {
        const unsigned char* line = raw.data() + std::size_t(y) * (stride + 1);
        const int filter = line[0];
        for (std::size_t x = 0; x < stride; ++x) {
            const int a = x >= std::size_t(channels) ? cur[x - std::size_t(channels)] : 0;
            const int b = prev[x];
            const int c = x >= std::size_t(channels) ? prev[x - std::size_t(channels)] : 0;
            int v = line[1 + x];
            switch (filter) {
                case 1:
                    v += a;
                    break;
                case 2:
                    v += b;
                    break;
                case 3:
                    v += (a + b) / 2;
                    break;
                case 4:
                    v += paeth(a, b, c);
                    break;
                default:
                    break;
            }
            cur[x] = static_cast<unsigned char>(v & 0xff);
        }
        for (std::size_t x = 0; x + 2 < stride; x += std::size_t(channels))
            colours.insert((std::uint32_t(cur[x]) << 16) | (std::uint32_t(cur[x + 1]) << 8) |
                           cur[x + 2]);
        std::swap(prev, cur);
    }
    return colours.size();
}

}  // namespace

TEST(Html, RendersChartsInHeadlessChromiumWithoutErrors) {
    ASSERT_FALSE(chromium().empty()) << "chromium is needed (scripts/install-deps installs it)";
    temp_dir d;
    const std::string html = d / "report.html";
    write_file_atomically(html,
                          render_html(summarize(read_results(test_dir + "/data/sample.jsonl"))));
    const std::string url = "file://" + html;

    ASSERT_EQ(
        chromium_run(d, "--screenshot=" + (d / "shot.png"), url, d / "shot.out", d / "shot.err"), 0)
        << slurp(d / "shot.err");
    const std::size_t colours = distinct_colours(slurp(d / "shot.png"));
    EXPECT_GT(colours, 20u) << "a blank or unreadable screenshot";

    ASSERT_EQ(chromium_run(d, "--dump-dom --enable-logging=stderr --v=0", url, d / "dom.html",
                           d / "dom.err"),
              0)
        << slurp(d / "dom.err");
    const std::string dom = slurp(d / "dom.html");
    std::size_t svgs = 0;
    for (std::size_t p = 0; (p = dom.find("<svg", p)) != std::string::npos; ++p) ++svgs;
    EXPECT_GE(svgs, 12u) << "2 headline + 3 library charts, 2 per function, distributions, cost";
    EXPECT_NE(dom.find("<circle"), std::string::npos);
    EXPECT_NE(dom.find("class=\"errorbar\""), std::string::npos);
    // The study's two questions come first, before any per-function chart.
    const std::size_t headline = dom.find("id=\"headline\""),
                      libraries = dom.find("id=\"libraries\"");
    ASSERT_NE(headline, std::string::npos) << "the cold start / next exec vs memory chart";
    ASSERT_NE(libraries, std::string::npos) << "the libraries bar chart";
    EXPECT_LT(headline, dom.find("<h2>hello</h2>"));
    EXPECT_NE(dom.find("class=\"bar\""), std::string::npos);
    // One colour per profile: every bar of a profile has that profile's colour, and no two
    // profiles share one, across all the bar charts of the page as Chromium parsed it.
    std::map<std::string, std::set<std::string>> colours_of;
    const std::regex bar_re(
        "<rect class=\"bar\" data-profile=\"([^\"]+)\"[^>]*fill=\"(#[0-9A-Fa-f]{6})\"");
    for (auto it = std::sregex_iterator(dom.begin(), dom.end(), bar_re);
         it != std::sregex_iterator(); ++it)
        colours_of[(*it)[1]].insert((*it)[2]);
    ASSERT_GE(colours_of.size(), 2u) << "bars of at least two profiles";
    std::set<std::string> used;
    for (const auto& [profile, cs] : colours_of) {
        EXPECT_EQ(cs.size(), 1u) << profile << " drawn in several colours";
        EXPECT_EQ(*cs.begin(), profile_colours({}).count(profile) ? profile_colours({}).at(profile)
                                                                  : *cs.begin());
        EXPECT_TRUE(used.insert(*cs.begin()).second) << profile << " shares a colour";
    }
    const std::string log = slurp(d / "dom.err");
    EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
    EXPECT_EQ(log.find(":CONSOLE("), std::string::npos) << log;
}
