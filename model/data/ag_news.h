// AG News in its original CSV form (class 1-4, title, description), a deterministic stratified
// validation split, and where the data directory is.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bog::model {

inline constexpr int kAgNewsNumClasses = 4;
// Label names in label order (label 0 = file class 1 = World, ...), as in classes.txt.
inline constexpr std::string_view kAgNewsLabels[kAgNewsNumClasses] = {"World", "Sports", "Business",
                                                                      "Sci/Tech"};

struct Example {
  int label = 0;  // 0..3 (the file's class index minus one)
  std::string title;
  std::string description;  // both fields kept byte-exact as in the file

  // The text a model sees: title + " " + description (description alone when the title is
  // empty), passed through clean_news_text().
  [[nodiscard]] std::string text() const;
};

// Undoes the AG News backslash convention: "\$" becomes "$" (an escaped dollar sign) and any
// other backslash becomes a space, because in this corpus a lone backslash stands in for a
// line break ("second\team" is "second<newline>team"); keeping it would glue two words into
// one token. Everything else (including " #39;" entity remnants) is left as it is.
[[nodiscard]] std::string clean_news_text(std::string_view raw);

// Reads an AG News CSV: no header, three fields per row. A field is either double-quoted
// (a doubled quote "" inside stands for one quote; a quoted field may span lines) or unquoted
// (read up to the next comma). Blank lines are skipped; "\r\n" line ends are accepted. An
// empty title is valid. A bad row (wrong field count, class not in 1..4, stray quote,
// unterminated quote) throws Error(kInvalidArgument, "file:line: ..."); a file that cannot be
// read throws Error(kIo).
[[nodiscard]] std::vector<Example> read_ag_news_csv(const std::filesystem::path& path);

// Parses CSV text already in memory; `source_name` is used in error messages.
[[nodiscard]] std::vector<Example> parse_ag_news_csv(std::string_view text,
                                                     std::string_view source_name);

struct Split {
  std::vector<Example> train, valid;
};

// Stratified split: per class, round(count * valid_fraction) examples go to valid, chosen by a
// seeded shuffle (mt19937_64 with the project's own Fisher-Yates, so the result is the same
// with every standard library). Both halves keep the input order. valid_fraction in [0, 1).
[[nodiscard]] Split stratified_split(std::vector<Example> examples, double valid_fraction,
                                     uint64_t seed);

// The data directory: the flag when given, else the environment variable BOG_DATA_DIR, else
// Error(kInvalidArgument) naming both. Error(kIo) when the chosen path is not a directory.
[[nodiscard]] std::filesystem::path resolve_data_dir(const std::optional<std::string>& flag);

}  // namespace bog::model
