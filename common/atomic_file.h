// Outputs are never half-written: write beside the target, then rename over it.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace bog {

// Writes `bytes` to `path` atomically (temp file in the same directory, fsync, rename).
// Throws Error(kIo) with the path on failure; the old file, if any, is left untouched.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Same, for content produced by a writer callback streaming into the temp file.
void write_file_atomic(const std::filesystem::path& path,
                       const std::function<void(std::ostream&)>& writer);

// Reads a whole file; Error(kIo) naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

}  // namespace bog
