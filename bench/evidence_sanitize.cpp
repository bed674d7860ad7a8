// Identity names and absolute paths: what sanitized evidence must never contain.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "bench/evidence.h"

namespace bog::bench {
namespace {

bool path_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+' || c == '@';
}
// What may come right before an absolute path: start, space, quote, bracket, '=', ':', ','.
bool path_lead(const std::string& s, size_t i) {
  if (i == 0) return true;
  const char c = s[i - 1];
  return std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '(' ||
         c == '[' || c == '=' || c == ',' || c == ';' || c == '`' || c == '>' ||
         (c == ':' && !(i >= 2 && s[i - 2] == ':'));
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

std::vector<std::string> local_identity_names() {
  std::vector<std::string> names;
  auto add = [&names](const std::string& n) {
    if (n.size() >= 3 && std::find(names.begin(), names.end(), n) == names.end()) {
      names.push_back(n);
    }
  };
  if (const char* u = std::getenv("USER")) add(u);
  if (const passwd* pw = getpwuid(getuid())) add(pw->pw_name);
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) add(host);
  return names;
}

std::optional<std::pair<size_t, size_t>> find_absolute_path(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    size_t start = i;
    size_t j = i;
    if (s[i] == '~' && i + 1 < s.size() && s[i + 1] == '/') {
      j = i + 1;
    } else if (s[i] != '/') {
      continue;
    }
    if (!path_lead(s, start)) continue;
    // A slash then at least one path character starts a path; "//", "/ " and "/>" (URLs,
    // prose, XML) do not.
    if (j + 1 >= s.size() || !path_char(s[j + 1])) continue;
    size_t k = j + 1;
    while (k < s.size() && (path_char(s[k]) || s[k] == '/')) ++k;
    return std::make_pair(start, k - start);
  }
  return std::nullopt;
}

std::string sanitize(std::string text, const std::vector<std::string>& names) {
  size_t from = 0;
  while (true) {
    const std::string rest = text.substr(from);
    const auto hit = find_absolute_path(rest);
    if (!hit) break;
    std::string path = rest.substr(hit->first, hit->second);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    std::string base = path.substr(path.find_last_of('/') + 1);
    if (base.empty() || base == "~") base = "<path>";
    text.replace(from + hit->first, hit->second, base);
    from += hit->first + base.size();
  }
  for (const std::string& n : names) {
    if (n.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(n, pos)) != std::string::npos) {
      const bool left = pos == 0 || !word_char(text[pos - 1]);
      const bool right = pos + n.size() >= text.size() || !word_char(text[pos + n.size()]);
      if (left && right) {
        text.replace(pos, n.size(), "<redacted>");
        pos += 10;
      } else {
        pos += n.size();
      }
    }
  }
  return text;
}

}  // namespace bog::bench
