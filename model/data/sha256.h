// SHA-256 (FIPS 180-4) for provenance: bundle manifests and `bog data` record file hashes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace bog::model {

// Incremental hasher: update() any number of times, then finish_hex() once.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  // Finishes the hash and returns 64 lower-case hex digits; the object must not be reused.
  [[nodiscard]] std::string finish_hex();

 private:
  void compress(const unsigned char* block);

  std::array<uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// Streams the file; Error(kIo) naming the path when it cannot be read.
[[nodiscard]] std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace bog::model
