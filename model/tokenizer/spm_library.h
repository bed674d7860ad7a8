// Loads the SentencePiece shim (spm_shim/) into its own link-map namespace and exposes its C
// functions. Error(kIo) naming the paths tried when the module cannot be found or loaded.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bog::model {

struct SpmLibrary {
  void* (*load)(const char*, size_t, char*, size_t);
  void (*destroy)(void*);
  int (*special_ids)(void*, int32_t*);
  int (*piece_size)(void*);
  long (*encode_ids)(void*, const char*, size_t, int32_t*, size_t, char*, size_t);
  long (*encode_pieces)(void*, const char*, size_t, char*, size_t, char*, size_t);
  long (*decode)(void*, const int32_t*, size_t, char*, size_t, char*, size_t);
  long (*id_to_piece)(void*, int32_t, char*, size_t);
  long (*train)(const char*, const char* const*, const size_t*, size_t, unsigned, char*, size_t,
                size_t*, char*, size_t);
};

// The process-wide shim, loaded on first use.
const SpmLibrary& spm_library();

}  // namespace bog::model
