#include "model/tokenizer/spm_library.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "common/error.h"

namespace bog::model {
namespace fs = std::filesystem;

namespace {

constexpr const char* kModuleName = "libbog_spm_shim.so";

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("BOG_SPM_SHIM")) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / kModuleName);
    out.push_back(exe.parent_path().parent_path() / kModuleName);
  }
#ifdef BOG_SPM_SHIM_PATH
  out.emplace_back(BOG_SPM_SHIM_PATH);
#endif
  return out;
}

template <class F>
void resolve(void* h, const char* name, F& fn) {
  void* sym = ::dlsym(h, name);
  if (sym == nullptr) {
    throw Error(ErrorCategory::kIo, fmt::format("SentencePiece shim lacks symbol {}", name));
  }
  fn = reinterpret_cast<F>(sym);
}

SpmLibrary open_library() {
  std::vector<std::string> tried;
  for (const fs::path& p : candidates()) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      tried.push_back(p.filename().string());
      continue;
    }
    // A new namespace: the shim's sentencepiece (with its embedded protobuf) and the rest of
    // the process (system protobuf via libonnx) can never resolve each other's symbols.
    void* h = ::dlmopen(LM_ID_NEWLM, p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char* why = ::dlerror();
      throw Error(ErrorCategory::kIo, fmt::format("cannot load the SentencePiece shim {}: {}",
                                                  p.filename().string(), why ? why : "unknown"));
    }
    SpmLibrary lib{};
    resolve(h, "bog_spm_load", lib.load);
    resolve(h, "bog_spm_destroy", lib.destroy);
    resolve(h, "bog_spm_special_ids", lib.special_ids);
    resolve(h, "bog_spm_piece_size", lib.piece_size);
    resolve(h, "bog_spm_encode_ids", lib.encode_ids);
    resolve(h, "bog_spm_encode_pieces", lib.encode_pieces);
    resolve(h, "bog_spm_decode", lib.decode);
    resolve(h, "bog_spm_id_to_piece", lib.id_to_piece);
    resolve(h, "bog_spm_train", lib.train);
    return lib;
  }
  throw Error(ErrorCategory::kIo,
              fmt::format("cannot find {} (set BOG_SPM_SHIM to its path)", kModuleName));
}

}  // namespace

const SpmLibrary& spm_library() {
  static const SpmLibrary lib = open_library();
  return lib;
}

}  // namespace bog::model
