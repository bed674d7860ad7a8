#include "common/build_paths.h"

// CMake defines both for this file only; a bare syntax check (clang -fsyntax-only) has neither.
#ifndef BOG_SOURCE_DIR
#define BOG_SOURCE_DIR ""
#endif
#ifndef BOG_BINARY_DIR
#define BOG_BINARY_DIR ""
#endif

namespace bog {

const char* source_dir() { return BOG_SOURCE_DIR; }
const char* binary_dir() { return BOG_BINARY_DIR; }

}  // namespace bog
