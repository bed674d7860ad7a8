// docs/evidence/: the sanitized record every README figure comes from. `collect` turns run
// outputs (bench, parity, eval, quantization reports) plus the environment into Markdown and
// JSON files; `validate` checks a folder (and optionally the README) against the rules below.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace bog::bench {

// This machine's user and host names (those of at least 3 characters): never in evidence.
[[nodiscard]] std::vector<std::string> local_identity_names();

// The first absolute path (/a/b, ~/a) in `text` as [pos, len), or nullopt. URLs do not count.
[[nodiscard]] std::optional<std::pair<size_t, size_t>> find_absolute_path(const std::string& text);
// Absolute paths become their last component; each of `names` (whole words) becomes "<redacted>".
[[nodiscard]] std::string sanitize(std::string text, const std::vector<std::string>& names);

struct CollectSummary {
  std::vector<std::string> files;  // written, relative to the output folder
  int bench_rows = 0;
  int result_rows = 0;
  int parity_reports = 0;
  int eval_reports = 0;
  std::vector<std::string> warnings;
};

// Reads every *.json under `from` (recursively) and writes the evidence files into `out`.
// Error(kInvalidArgument) when `from` is not a folder or holds no bench or parity report.
CollectSummary collect_evidence(const std::filesystem::path& from,
                                const std::filesystem::path& out);

struct EvidenceIssue {
  std::string file;  // relative to the evidence folder (or the README's file name)
  std::string problem;
};

struct ValidateOptions {
  std::filesystem::path dir = "docs/evidence";
  std::optional<std::filesystem::path> readme;
  std::vector<std::string> forbidden_names;  // besides local_identity_names()
};

// Fails (returns issues) on: an absolute path; a user or host name; a fallback row whose note
// lacks the caveat; a quantized artifact without both its size and its latency; a benchmark
// row with timings whose parity did not pass; a number in the README's results section that
// does not appear in the evidence files. Error(kIo) when `dir` is not a folder.
[[nodiscard]] std::vector<EvidenceIssue> validate_evidence(const ValidateOptions& options);

}  // namespace bog::bench
