// `bog evidence validate`: the rules a committed evidence folder (and the README) must meet.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_runner.h"
#include "bench/evidence.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::bench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool has_word(const std::string& text, const std::string& w) {
  for (size_t pos = text.find(w); pos != std::string::npos; pos = text.find(w, pos + 1)) {
    const bool left = pos == 0 || !word_char(text[pos - 1]);
    const bool right = pos + w.size() >= text.size() || !word_char(text[pos + w.size()]);
    if (left && right) return true;
  }
  return false;
}

// A number in the README results section and the unit written right after it (may be "").
struct Figure {
  std::string number;
  std::string unit;
};

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Where the number starting at `i` ends: digits, a decimal part, an exponent ("1.19e-06").
size_t number_end(const std::string& s, size_t i) {
  size_t k = i;
  while (k < s.size() &&
         (is_digit(s[k]) || (s[k] == '.' && k + 1 < s.size() && is_digit(s[k + 1])))) {
    ++k;
  }
  if (k + 1 < s.size() && (s[k] == 'e' || s[k] == 'E')) {
    size_t e = k + 1;
    if (e < s.size() && (s[e] == '-' || s[e] == '+')) ++e;
    if (e < s.size() && is_digit(s[e])) {
      while (e < s.size() && is_digit(s[e])) ++e;
      k = e;
    }
  }
  return k;
}

// The units a README figure may carry; a figure followed by one of them must be backed by the
// same figure with the same unit in the evidence.
const std::vector<std::string>& known_units() {
  static const std::vector<std::string> units = {
      "tok/s", "ms", "us", "µs", "s", "%", "×", "x", "MiB", "MB", "KiB", "KB", "GiB", "GB", "rows"};
  return units;
}

// The unit right after a figure ("0.903 ms", "3.2×", "51506 rows"), or "".
std::string unit_after(const std::string& s, size_t end) {
  size_t k = end;
  if (k < s.size() && s[k] == ' ') ++k;
  for (const std::string& u : known_units()) {
    if (s.compare(k, u.size(), u) != 0) continue;
    const size_t after = k + u.size();
    if (after < s.size() && word_char(s[after]) && u != "%") continue;  // "ms" in "msg"
    return u;
  }
  return "";
}

// The header cell above `pos` when `pos` sits in a markdown table row ("| a | b |"), else "".
std::string table_header_of(const std::string& text, size_t pos) {
  const auto line_at = [&](size_t p, size_t& begin, size_t& end) {
    const size_t nl = p == 0 ? std::string::npos : text.rfind('\n', p - 1);
    begin = nl == std::string::npos ? 0 : nl + 1;
    end = std::min(text.size(), text.find('\n', begin));
  };
  size_t begin = 0, end = 0;
  line_at(pos, begin, end);
  if (text.compare(begin, 1, "|") != 0) return "";
  const int column = static_cast<int>(std::count(text.begin() + static_cast<long>(begin),
                                                 text.begin() + static_cast<long>(pos), '|'));
  // Walk up to the table's first row: its header.
  size_t header_begin = begin, header_end = end;
  while (header_begin > 0) {
    size_t b = 0, e = 0;
    line_at(header_begin - 1, b, e);
    if (text.compare(b, 1, "|") != 0) break;
    header_begin = b;
    header_end = e;
  }
  const std::string header = text.substr(header_begin, header_end - header_begin);
  size_t cell_begin = 0;
  for (int c = 0; c < column; ++c) {
    cell_begin = header.find('|', cell_begin);
    if (cell_begin == std::string::npos) return "";
    ++cell_begin;
  }
  return header.substr(cell_begin, header.find('|', cell_begin) - cell_begin);
}

// True when `f` occurs in `text` as a whole number (not inside "128", "1.005" or "1.19e-06")
// and, when it has a unit, with that unit right after it or as the suffix of the JSON key on
// the same line ("mean_ms": 0.903) or in its markdown table column's header ("mean ms").
bool has_figure(const std::string& text, const Figure& f) {
  for (size_t pos = text.find(f.number); pos != std::string::npos;
       pos = text.find(f.number, pos + 1)) {
    if (pos > 0 && (is_digit(text[pos - 1]) || text[pos - 1] == '.')) continue;
    if (number_end(text, pos) != pos + f.number.size()) continue;
    if (f.unit.empty() || unit_after(text, pos + f.number.size()) == f.unit) return true;
    const size_t nl = text.rfind('\n', pos);
    const size_t line_begin = nl == std::string::npos ? 0 : nl + 1;
    const size_t line_end = std::min(text.size(), text.find('\n', pos));
    const std::string line = text.substr(line_begin, line_end - line_begin);
    if (line.find("_" + f.unit + "\"") != std::string::npos) return true;
    if (has_word(table_header_of(text, pos), f.unit)) return true;
  }
  return false;
}

std::string row_id(const json& r) {
  return fmt::format("{} {} batch {} seq {} threads {}", r.value("backend", "?"),
                     r.value("provider_requested", "?"), r.value("batch", 0), r.value("seq_len", 0),
                     r.value("threads", 0));
}

void check_bench_rows(const std::string& file, const json& rows, std::vector<EvidenceIssue>& out) {
  for (const json& r : rows) {
    if (!r.is_object()) continue;
    const std::string req = r.value("provider_requested", "");
    const std::string used = r.value("provider_used", "");
    const std::string note = r.value("note", "");
    const std::string reason = r.contains("fallback_reason") && r["fallback_reason"].is_string()
                                   ? r["fallback_reason"].get<std::string>()
                                   : "";
    const bool fallback =
        (r.value("backend", "") == "interpreter" && req != used) || !reason.empty();
    if (fallback && note.find(kFallbackCaveat) == std::string::npos) {
      out.push_back({file, fmt::format("fallback row without its caveat ('{}'): {}",
                                       kFallbackCaveat, row_id(r))});
    }
    bool timed = false;
    for (const std::string& f : timing_fields()) timed |= r.contains(f) && r[f].is_number();
    if (timed && !parity_is_result(r.value("parity_status", ""))) {
      out.push_back({file, fmt::format("row with parity '{}' reported as a result: {}",
                                       r.value("parity_status", ""), row_id(r))});
    }
  }
}

void check_json(const std::string& file, const json& j, std::vector<EvidenceIssue>& out) {
  auto bench_doc = [&](const json& d) {
    if (d.is_object() && d.contains("rows") && d["rows"].is_array()) {
      check_bench_rows(file, d["rows"], out);
    }
  };
  if (j.is_array()) {
    for (const json& d : j) bench_doc(d);
  } else {
    bench_doc(j);
  }
  if (j.is_object() && j.contains("artifacts") && j["artifacts"].is_array() &&
      file.find("quant") != std::string::npos) {
    for (const json& a : j["artifacts"]) {
      const bool size = (a.contains("size_mb") && a["size_mb"].is_number()) ||
                        (a.contains("size_bytes") && a["size_bytes"].is_number());
      const bool latency = (a.contains("mean_ms") && a["mean_ms"].is_number()) ||
                           (a.contains("latency_ms") && a["latency_ms"].is_number());
      if (!size || !latency) {
        out.push_back({file, fmt::format("quantized artifact '{}' without both size and latency",
                                         a.value("file", "?"))});
      }
    }
  }
}

// Numbers in the README's results section: from a heading containing "results" to the next
// heading of the same or a higher level.
std::vector<Figure> readme_figures(const std::string& text) {
  std::vector<Figure> figures;
  int level = 0;
  bool in = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.starts_with("#")) {
      const int l = static_cast<int>(line.find_first_not_of('#'));
      std::string lower = line;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (in && l <= level) in = false;
      if (!in && lower.find("result") != std::string::npos) {
        in = true;
        level = l;
        continue;
      }
    }
    if (!in) continue;
    for (size_t i = 0; i < line.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(line[i]))) continue;
      if (i > 0 && (word_char(line[i - 1]) || line[i - 1] == '.')) {
        while (i < line.size() && (word_char(line[i]) || line[i] == '.')) ++i;
        continue;  // part of an identifier ("fp32", "sha256") or a version
      }
      const size_t k = number_end(line, i);
      const std::string unit = unit_after(line, k);
      if (unit.empty() && k < line.size() && std::isalpha(static_cast<unsigned char>(line[k]))) {
        i = k;
        continue;  // a number glued to a word ("120k-row"): prose, not a figure
      }
      figures.push_back({line.substr(i, k - i), unit});
      i = k;
    }
  }
  return figures;
}

}  // namespace

std::vector<EvidenceIssue> validate_evidence(const ValidateOptions& o) {
  std::error_code ec;
  if (!fs::is_directory(o.dir, ec)) {
    throw Error(ErrorCategory::kIo,
                fmt::format("evidence validate: {} is not a folder", o.dir.filename().string()));
  }
  std::vector<std::string> names = local_identity_names();
  for (const std::string& n : o.forbidden_names) {
    if (!n.empty()) names.push_back(n);
  }
  std::vector<EvidenceIssue> out;
  std::string all_text;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(o.dir)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (!fs::exists(o.dir / "index.md"))
    out.push_back({"index.md", "missing: not an evidence folder"});
  for (const fs::path& p : files) {
    // Screenshots are pixels: their bytes are not text to scan for paths or names.
    if (p.extension() == ".png") continue;
    const std::string rel = fs::relative(p, o.dir).generic_string();
    const std::string text = read_file(p);
    all_text += text + "\n";
    if (const auto hit = find_absolute_path(text)) {
      out.push_back(
          {rel, "absolute path: " + text.substr(hit->first, std::min<size_t>(hit->second, 80))});
    }
    for (const std::string& n : names) {
      if (has_word(text, n)) out.push_back({rel, "user or host name: " + n});
    }
    if (p.extension() == ".json") {
      try {
        check_json(rel, json::parse(text), out);
      } catch (const json::exception&) {
        out.push_back({rel, "not valid JSON"});
      }
    }
  }
  if (o.readme) {
    const std::string readme = read_file(*o.readme);
    const std::string name = o.readme->filename().string();
    std::set<std::pair<std::string, std::string>> seen;
    for (const Figure& f : readme_figures(readme)) {
      if (!seen.emplace(f.number, f.unit).second) continue;
      if (!has_figure(all_text, f)) {
        const std::string shown = f.unit.empty() ? f.number : f.number + " " + f.unit;
        out.push_back(
            {name, fmt::format("results figure {} does not appear in the evidence", shown)});
      }
    }
  }
  return out;
}

}  // namespace bog::bench
