// `bog evidence validate`: the rules a committed evidence folder (and the README) must meet.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

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
std::vector<std::string> readme_figures(const std::string& text) {
  std::vector<std::string> figures;
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
      size_t k = i;
      while (k < line.size() && (std::isdigit(static_cast<unsigned char>(line[k])) ||
                                 (line[k] == '.' && k + 1 < line.size() &&
                                  std::isdigit(static_cast<unsigned char>(line[k + 1]))))) {
        ++k;
      }
      figures.push_back(line.substr(i, k - i));
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
    std::set<std::string> seen;
    for (const std::string& f : readme_figures(readme)) {
      if (!seen.insert(f).second) continue;
      if (all_text.find(f) == std::string::npos) {
        out.push_back({name, fmt::format("results figure {} does not appear in the evidence", f)});
      }
    }
  }
  return out;
}

}  // namespace bog::bench
