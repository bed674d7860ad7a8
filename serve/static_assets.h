// The web page's files (serve/static/), embedded in the binary at build time by
// serve/embed_static.cmake: no files to install, no CDN, no build step for the page.
#pragma once

#include <string_view>

namespace bog::serve {

struct StaticAsset {
  std::string_view name;          // file name under serve/static/, e.g. "app.js"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

// nullptr when there is no such file.
[[nodiscard]] const StaticAsset* find_static_asset(std::string_view name);

}  // namespace bog::serve
