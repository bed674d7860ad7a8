// C ABI of the SentencePiece shim. Debian's libsentencepiece embeds its own protobuf (3.14)
// and exports those symbols; in a process that also links the system protobuf (libonnx) the
// two copies interpose and sentencepiece aborts. The shim is therefore loaded with dlmopen
// into its own link-map namespace (spm_library.cpp). Only plain C data crosses: every buffer
// is owned by the caller, nothing is freed across the boundary, no exception escapes.
// Functions returning long give the size needed (or -1 on error with `err` filled); when the
// size exceeds `cap` nothing is copied and the caller retries with a larger buffer.
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {
void* bog_spm_load(const char* bytes, size_t n, char* err, size_t errcap);
void bog_spm_destroy(void* handle);
int bog_spm_special_ids(void* handle, int32_t out[4]);  // pad, unk, bos, eos
int bog_spm_piece_size(void* handle);
long bog_spm_encode_ids(void* handle, const char* text, size_t n, int32_t* out, size_t cap,
                        char* err, size_t errcap);
// Pieces separated by '\0'.
long bog_spm_encode_pieces(void* handle, const char* text, size_t n, char* out, size_t cap,
                           char* err, size_t errcap);
long bog_spm_decode(void* handle, const int32_t* ids, size_t n, char* out, size_t cap, char* err,
                    size_t errcap);
long bog_spm_id_to_piece(void* handle, int32_t id, char* out, size_t cap);
// args: "key=value\n" lines; texts[i] of lengths[i] bytes. Writes the serialized model into
// `out` (size returned as above: call with cap 0 first is NOT possible, training is not
// repeatable cheaply, so pass a large buffer; -2 means it did not fit and `*needed` is set).
long bog_spm_train(const char* args, const char* const* texts, const size_t* lengths, size_t n,
                   unsigned seed, char* out, size_t cap, size_t* needed, char* err, size_t errcap);
}
