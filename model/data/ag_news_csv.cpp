// The AG News CSV reader: quoted and unquoted fields, doubled quotes, errors with file:line.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "model/data/ag_news.h"

namespace bog::model {
namespace {

[[noreturn]] void bad_row(std::string_view source, int64_t line, std::string_view what) {
  throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}:{}: {}", source, line, what));
}

// Reads one record starting at text[pos]; on return pos is past its line end. `line` is
// advanced by the newlines consumed (a quoted field may span lines).
std::vector<std::string> parse_record(std::string_view text, size_t& pos, int64_t& line,
                                      std::string_view source) {
  const int64_t start_line = line;
  std::vector<std::string> fields;
  std::string field;
  while (true) {
    field.clear();
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      while (true) {
        if (pos >= text.size()) bad_row(source, start_line, "unterminated quoted field");
        const char c = text[pos++];
        if (c == '"') {
          if (pos < text.size() && text[pos] == '"') {
            field += '"';
            ++pos;
          } else {
            break;
          }
        } else {
          if (c == '\n') ++line;
          field += c;
        }
      }
      // After a closing quote only a separator or the end of the record may follow.
      if (pos < text.size() && text[pos] == '\r') ++pos;
      if (pos < text.size() && text[pos] != ',' && text[pos] != '\n') {
        bad_row(source, start_line,
                fmt::format("unexpected character '{}' after a closing quote in field {}",
                            text[pos], fields.size() + 1));
      }
    } else {
      while (pos < text.size() && text[pos] != ',' && text[pos] != '\n') {
        if (text[pos] == '"') {
          bad_row(source, start_line,
                  fmt::format("stray quote inside unquoted field {}", fields.size() + 1));
        }
        field += text[pos++];
      }
      if (!field.empty() && field.back() == '\r') field.pop_back();
    }
    fields.push_back(field);
    if (pos >= text.size()) return fields;
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      return fields;
    }
    ++pos;  // the comma
  }
}

int parse_label(std::string_view field, std::string_view source, int64_t line) {
  if (field.size() == 1 && field[0] >= '1' && field[0] <= '4') return field[0] - '1';
  bad_row(source, line, fmt::format("class must be 1..4, got '{}'", field));
}

}  // namespace

std::vector<Example> parse_ag_news_csv(std::string_view text, std::string_view source_name) {
  std::vector<Example> examples;
  size_t pos = 0;
  int64_t line = 1;
  while (pos < text.size()) {
    // Blank lines (including a trailing "\r\n") carry no row.
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      continue;
    }
    if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') {
      pos += 2;
      ++line;
      continue;
    }
    const int64_t row_line = line;
    std::vector<std::string> fields = parse_record(text, pos, line, source_name);
    if (fields.size() != 3) {
      bad_row(source_name, row_line,
              fmt::format("expected 3 fields (class, title, description), got {}", fields.size()));
    }
    Example ex;
    ex.label = parse_label(fields[0], source_name, row_line);
    ex.title = std::move(fields[1]);
    ex.description = std::move(fields[2]);
    examples.push_back(std::move(ex));
  }
  return examples;
}

std::vector<Example> read_ag_news_csv(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot open '{}'", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(ErrorCategory::kIo, fmt::format("error reading '{}'", path.string()));
  return parse_ag_news_csv(buffer.str(), path.string());
}

std::string clean_news_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
    } else if (i + 1 < raw.size() && raw[i + 1] == '$') {
      out += '$';
      ++i;
    } else {
      out += ' ';
    }
  }
  return out;
}

std::string Example::text() const {
  if (title.empty()) return clean_news_text(description);
  return clean_news_text(title + " " + description);
}

}  // namespace bog::model
