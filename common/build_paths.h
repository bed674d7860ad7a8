// Where this build's sources and build tree are. Only build_paths.cpp sees the paths as
// compile definitions: a definition on every file would make each work tree's build a ccache
// miss for every file.
#pragma once

namespace bog {

const char* source_dir();  // the repository root the build was configured from
const char* binary_dir();  // the CMake build directory

}  // namespace bog
