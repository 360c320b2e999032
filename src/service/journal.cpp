#include "journal.hpp"

#include <string_view>
#include <system_error>

#include "json_text.hpp"

namespace lambench::service {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string line_of(json record) {
    record["v"] = journal_version;
    std::string text = json_text(record);
    text.push_back('\n');
    return text;
}

// Why a line cannot be used, or empty when it can (then `out` holds the record).
std::string check_line(std::string_view line, json& out) {
    out = json::parse(line, nullptr, false);
    if (out.is_discarded()) return "not a JSON record (garbage or a partly written line)";
    if (!out.is_object()) return "not a JSON object";
    auto v = out.find("v");
    if (v == out.end() || !v->is_number_integer()) return "no record version \"v\"";
    if (v->get<long long>() != journal_version)
        return "record version " + std::to_string(v->get<long long>()) + " (this lambench reads " +
               std::to_string(journal_version) + ")";
    auto op = out.find("op");
    if (op == out.end() || !op->is_string()) return "no \"op\"";
    return {};
}

}  // namespace

journal_contents read_journal(const fs::path& file) {
    journal_contents out;
    auto data = posix::read_file(file);
    if (!data) {
        std::error_code ec;
        if (fs::exists(file, ec))
            out.problems.push_back(file.string() + ": cannot be read; starting without it");
        return out;
    }
    std::string_view rest(*data);
    while (!rest.empty()) {
        ++out.lines;
        auto nl = rest.find('\n');
        std::string where = file.string() + " line " + std::to_string(out.lines) + ": ";
        if (nl == std::string_view::npos) {
            out.problems.push_back(where + "the last record is cut short (" +
                                   std::to_string(rest.size()) +
                                   " bytes without a newline: a write the service did not "
                                   "finish); skipped");
            break;
        }
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
        if (line.empty()) continue;
        json record;
        if (auto why = check_line(line, record); !why.empty()) {
            out.problems.push_back(where + why + "; skipped");
            continue;
        }
        out.records.push_back(std::move(record));
    }
    return out;
}

journal::journal(fs::path file) : path_(std::move(file)), file_(path_) {}

void journal::append(json record) {
    file_.write(line_of(std::move(record)));
    ++appended_;
}

void journal::sync() {
    file_.sync();
}

void journal::rewrite(std::vector<json> records) {
    std::string text;
    for (auto& r : records) text += line_of(std::move(r));
    posix::write_file_atomic(path_, text, 0600, true);
    file_ = posix::append_file(path_);
    appended_ = 0;
}

fs::path journal::keep_copy() {
    fs::path copy = path_;
    copy += ".bad";
    fs::copy_file(path_, copy, fs::copy_options::overwrite_existing);
    return copy;
}

}  // namespace lambench::service
