#include "common/build_paths.h"

namespace bog {

const char* source_dir() { return BOG_SOURCE_DIR; }
const char* binary_dir() { return BOG_BINARY_DIR; }

}  // namespace bog
