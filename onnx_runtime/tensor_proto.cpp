// onnx::TensorProto <-> Tensor. Sizes are checked before anything is copied, so a malformed
// initializer is an Error, never an out-of-bounds read.
#include "onnx_runtime/tensor_proto.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>

#include "common/checked_math.h"
#include "common/error.h"

namespace bog::runtime {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; this runtime copies it as is");

namespace {

std::string display_name(const onnx::TensorProto& proto) {
  return proto.name().empty() ? std::string("<unnamed>") : proto.name();
}

[[noreturn]] void fail(const onnx::TensorProto& proto, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("tensor '{}': {}", display_name(proto), what));
}

// Elements per packed byte for sub-byte types, 0 for the others.
int elements_per_byte(DType dtype) {
  switch (dtype) {
    case DType::kUint4:
    case DType::kInt4:
    case DType::kFloat4E2M1:
      return 2;
    case DType::kUint2:
    case DType::kInt2:
      return 4;
    default:
      return 0;
  }
}

// Bytes `n` elements take in raw_data (packed for sub-byte types).
size_t serialized_bytes(DType dtype, int64_t n) {
  const int per_byte = elements_per_byte(dtype);
  if (per_byte > 0) return static_cast<size_t>((n + per_byte - 1) / per_byte);
  return checked_mul_size(static_cast<size_t>(n), dtype_size(dtype));
}

// Sub-byte element `v` (already masked) widened to the one byte the Tensor stores; signed
// types are sign-extended so int4 -1 reads back as int8 -1.
uint8_t widen(DType dtype, uint8_t v) {
  if (dtype == DType::kInt4 && v >= 8) return static_cast<uint8_t>(v - 16);
  if (dtype == DType::kInt2 && v >= 2) return static_cast<uint8_t>(v - 4);
  return v;
}

// Unpacks sub-byte elements (first element in the least significant bits) into one byte each.
void unpack_sub_byte(DType dtype, const uint8_t* packed, size_t packed_count, Tensor& out) {
  const int per_byte = elements_per_byte(dtype);
  const int bits = 8 / per_byte;
  const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
  uint8_t* dst = out.data<uint8_t>();
  const auto n = static_cast<size_t>(out.numel());
  for (size_t i = 0; i < n; ++i) {
    const size_t byte = i / static_cast<size_t>(per_byte);
    if (byte >= packed_count) break;
    const int shift = static_cast<int>(i % static_cast<size_t>(per_byte)) * bits;
    dst[i] = widen(dtype, static_cast<uint8_t>((packed[byte] >> shift) & mask));
  }
}

void fill_from_bytes(const onnx::TensorProto& proto, const std::string_view bytes, Tensor& out) {
  const DType dtype = out.dtype();
  const size_t want = serialized_bytes(dtype, out.numel());
  if (bytes.size() != want) {
    fail(proto, fmt::format("holds {} bytes but {}{} needs {}", bytes.size(), dtype_name(dtype),
                            shape_to_string(out.shape()), want));
  }
  if (want == 0) return;
  if (elements_per_byte(dtype) > 0) {
    unpack_sub_byte(dtype, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), out);
    return;
  }
  std::memcpy(out.raw(), bytes.data(), want);
  if (dtype == DType::kBool) {  // any non-zero byte is true; keep the 0/1 invariant
    for (uint8_t& b : out.span<uint8_t>()) b = b != 0 ? 1 : 0;
  }
}

template <class Field>
void check_count(const onnx::TensorProto& proto, const Field& field, int64_t want,
                 const char* field_name, DType dtype) {
  if (static_cast<int64_t>(field.size()) != want) {
    fail(proto, fmt::format("{} holds {} values but {} needs {}", field_name, field.size(),
                            dtype_name(dtype), want));
  }
}

// int32_data carries every type of 16 bits or fewer: one value (or bit pattern) per entry,
// except sub-byte types, whose entries are packed bytes.
void fill_from_int32_data(const onnx::TensorProto& proto, Tensor& out) {
  const DType dtype = out.dtype();
  const auto& field = proto.int32_data();
  const int64_t n = out.numel();
  if (elements_per_byte(dtype) > 0) {
    const auto packed = static_cast<int64_t>(serialized_bytes(dtype, n));
    check_count(proto, field, packed, "int32_data", dtype);
    std::vector<uint8_t> bytes(field.begin(), field.end());
    unpack_sub_byte(dtype, bytes.data(), bytes.size(), out);
    return;
  }
  check_count(proto, field, n, "int32_data", dtype);
  switch (dtype_size(dtype)) {
    case 4: {
      int32_t* dst = out.data<int32_t>();
      for (int64_t i = 0; i < n; ++i) dst[i] = field[static_cast<int>(i)];
      return;
    }
    case 2: {
      uint16_t* dst = out.data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<uint16_t>(field[static_cast<int>(i)]);
      return;
    }
    case 1: {
      uint8_t* dst = out.data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) {
        const int32_t v = field[static_cast<int>(i)];
        dst[i] = dtype == DType::kBool ? (v != 0 ? 1 : 0) : static_cast<uint8_t>(v);
      }
      return;
    }
    default:
      fail(proto, fmt::format("int32_data cannot hold {}", dtype_name(dtype)));
  }
}

void fill_from_typed_fields(const onnx::TensorProto& proto, Tensor& out) {
  const DType dtype = out.dtype();
  const int64_t n = out.numel();
  switch (dtype) {
    case DType::kFloat32:
    case DType::kComplex64: {
      const int64_t want = dtype == DType::kComplex64 ? checked_mul(n, 2) : n;
      check_count(proto, proto.float_data(), want, "float_data", dtype);
      if (want > 0)
        std::memcpy(out.raw(), proto.float_data().data(), static_cast<size_t>(want) * 4);
      return;
    }
    case DType::kFloat64:
    case DType::kComplex128: {
      const int64_t want = dtype == DType::kComplex128 ? checked_mul(n, 2) : n;
      check_count(proto, proto.double_data(), want, "double_data", dtype);
      if (want > 0)
        std::memcpy(out.raw(), proto.double_data().data(), static_cast<size_t>(want) * 8);
      return;
    }
    case DType::kInt64:
      check_count(proto, proto.int64_data(), n, "int64_data", dtype);
      if (n > 0) std::memcpy(out.raw(), proto.int64_data().data(), static_cast<size_t>(n) * 8);
      return;
    case DType::kUint64:
      check_count(proto, proto.uint64_data(), n, "uint64_data", dtype);
      if (n > 0) std::memcpy(out.raw(), proto.uint64_data().data(), static_cast<size_t>(n) * 8);
      return;
    case DType::kUint32: {
      check_count(proto, proto.uint64_data(), n, "uint64_data", dtype);
      uint32_t* dst = out.data<uint32_t>();
      for (int64_t i = 0; i < n; ++i) {
        dst[i] = static_cast<uint32_t>(proto.uint64_data(static_cast<int>(i)));
      }
      return;
    }
    case DType::kString: {
      check_count(proto, proto.string_data(), n, "string_data", dtype);
      std::vector<std::string>& dst = out.strings();
      for (int64_t i = 0; i < n; ++i)
        dst[static_cast<size_t>(i)] = proto.string_data(static_cast<int>(i));
      return;
    }
    default:
      fill_from_int32_data(proto, out);
      return;
  }
}

// Zeroed storage mapped from the system for this tensor alone (anonymous mmap) where it is large:
// a weight released once it is packed (CpuProvider::prepack) then gives its pages back at once,
// where a freed heap block stays in the process (glibc's mmap threshold grows to 32 MiB as
// blocks are freed, so later weights would come from the heap).
Tensor mapped_tensor(DType dtype, Shape shape) {
  // Below this a block of its own wastes most of a page and the heap gives it back as well.
  constexpr size_t kMinMappedBytes = size_t{1} << 20;
  constexpr size_t kSlack = 64;  // what a heap tensor has after its end (tensor.cpp)
  if (dtype == DType::kString) return Tensor(dtype, std::move(shape));
  const size_t bytes =
      checked_mul_size(static_cast<size_t>(checked_numel(shape)), dtype_size(dtype));
  if (bytes < kMinMappedBytes) return Tensor(dtype, std::move(shape));
  const size_t padded = bytes + kSlack;
  void* p = mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw Error(ErrorCategory::kIo, fmt::format("out of memory mapping {} bytes for {} tensor {}",
                                                bytes, dtype_name(dtype), shape_to_string(shape)));
  }
  std::shared_ptr<void> owner(p, [padded](void* q) { munmap(q, padded); });
  return Tensor::adopt(dtype, std::move(shape), Device::kCpu, std::move(owner));
}

// A read-only private mapping of [offset, offset + length) of `path`.
struct MappedBytes {
  std::shared_ptr<void> mapping;  // munmaps the pages when released
  std::string_view bytes;
};

MappedBytes map_file_range(const onnx::TensorProto& proto, const fs::path& path,
                           const std::string& location, int64_t offset, int64_t length) {
  if (length == 0) return {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCategory::kIo,
                fmt::format("tensor '{}': cannot open external data '{}': {}", display_name(proto),
                            location, std::strerror(errno)));
  }
  const auto page = static_cast<int64_t>(sysconf(_SC_PAGESIZE));
  const int64_t base = offset / page * page;
  const auto span = static_cast<size_t>(offset - base + length);
  void* p = mmap(nullptr, span, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(base));
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    throw Error(ErrorCategory::kIo, fmt::format("tensor '{}': cannot map external data '{}': {}",
                                                display_name(proto), location, std::strerror(err)));
  }
  MappedBytes m;
  m.mapping = std::shared_ptr<void>(p, [span](void* q) { munmap(q, span); });
  m.bytes =
      std::string_view(static_cast<const char*>(p) + (offset - base), static_cast<size_t>(length));
  return m;
}

// The tensor's range of its external-data file, memory-mapped (read only, private) rather than
// read into a buffer, so loading holds the bytes once (the tensor), not twice; unmapped when the
// returned owner goes.
MappedBytes map_external(const onnx::TensorProto& proto, const fs::path& model_dir) {
  if (model_dir.empty()) fail(proto, "external data is not allowed here (no model directory)");
  std::string location;
  bool has_location = false;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& entry : proto.external_data()) {
    try {
      if (entry.key() == "location") {
        location = entry.value();
        has_location = true;
      } else if (entry.key() == "offset") {
        offset = std::stoll(entry.value());
      } else if (entry.key() == "length") {
        length = std::stoll(entry.value());
      }
    } catch (const std::exception&) {
      fail(proto,
           fmt::format("external data '{}' is not a number: '{}'", entry.key(), entry.value()));
    }
  }
  if (!has_location) fail(proto, "external data without a 'location'");
  if (offset < 0 || length < -1) {
    fail(proto, fmt::format("external data offset {} / length {} is negative", offset, length));
  }
  const fs::path path = resolve_external_path(model_dir, location);
  std::error_code ec;
  const auto file_size = static_cast<int64_t>(fs::file_size(path, ec));
  if (ec) {
    throw Error(ErrorCategory::kIo, fmt::format("tensor '{}': cannot stat external data '{}': {}",
                                                display_name(proto), location, ec.message()));
  }
  if (length < 0) length = file_size - offset;
  int64_t end = 0;
  if (__builtin_add_overflow(offset, length, &end) || offset > file_size || end > file_size) {
    fail(proto, fmt::format("external data '{}' range [{}, +{}) exceeds its {} bytes", location,
                            offset, length, file_size));
  }
  return map_file_range(proto, path, location, offset, length);
}

}  // namespace

fs::path resolve_external_path(const fs::path& model_dir, std::string_view location) {
  const fs::path rel(location);
  auto reject = [&](const std::string& why) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("external data location '{}' rejected: {}", location, why));
  };
  if (location.empty()) reject("empty path");
  if (location.find('\0') != std::string_view::npos) reject("contains a NUL byte");
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
    reject("absolute paths are not allowed");
  }
  for (const fs::path& part : rel) {
    if (part == "..") reject("'..' leaves the model directory");
  }
  std::error_code ec;
  const fs::path dir = fs::canonical(model_dir.empty() ? fs::path(".") : model_dir, ec);
  if (ec) {
    throw Error(ErrorCategory::kIo, fmt::format("model directory '{}' not accessible: {}",
                                                model_dir.string(), ec.message()));
  }
  const fs::path joined = dir / rel;
  const fs::file_status link_status = fs::symlink_status(joined, ec);
  if (ec || !fs::exists(link_status)) {
    throw Error(ErrorCategory::kIo,
                fmt::format("external data file '{}' not found in the model directory", location));
  }
  if (fs::is_symlink(link_status)) reject("symbolic links are not allowed");
  const fs::path real = fs::canonical(joined, ec);
  if (ec) {
    throw Error(ErrorCategory::kIo,
                fmt::format("external data file '{}' not accessible: {}", location, ec.message()));
  }
  // Containment on the canonical path catches symlinked directories on the way.
  const auto [dir_end, real_it] = std::mismatch(dir.begin(), dir.end(), real.begin(), real.end());
  if (dir_end != dir.end()) reject("resolves outside the model directory");
  if (!fs::is_regular_file(real, ec)) reject("not a regular file");
  // A hard link can make a file outside the directory appear inside it.
  struct stat st {};
  if (::stat(real.c_str(), &st) == 0 && st.st_nlink > 1) reject("hard links are not allowed");
  return real;
}

Tensor tensor_from_proto(const onnx::TensorProto& proto, const fs::path& model_dir) {
  if (!is_known_dtype(proto.data_type())) {
    fail(proto, fmt::format("unknown data_type {}", proto.data_type()));
  }
  const auto dtype = static_cast<DType>(proto.data_type());
  if (proto.has_segment())
    throw Error(
        ErrorCategory::kUnsupported,
        fmt::format("tensor '{}': segmented tensors are not supported", display_name(proto)));
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (const int64_t d : shape) {
    if (d < 0) fail(proto, fmt::format("negative dimension in {}", shape_to_string(shape)));
  }
  int64_t n = 0;
  try {
    n = checked_numel(shape);
    (void)serialized_bytes(dtype, n);
  } catch (const Error&) {
    fail(proto, fmt::format("element count of shape {} overflows", shape_to_string(shape)));
  }
  // The allocation must not be a way to exhaust memory: cap at what a 64-bit size can address
  // sensibly, then let the byte checks below decide.
  if (dtype != DType::kString && serialized_bytes(dtype, n) > (size_t{1} << 40)) {
    fail(proto, fmt::format("shape {} needs more than 1 TiB", shape_to_string(shape)));
  }
  const bool external = proto.data_location() == onnx::TensorProto::EXTERNAL;
  if (dtype == DType::kString && (proto.has_raw_data() || external)) {
    fail(proto, "string tensors must use string_data");
  }
  // Check the byte count before allocating, so a huge declared shape with little data is an
  // error rather than a giant allocation.
  if (!external && dtype != DType::kString) {
    const size_t want = serialized_bytes(dtype, n);
    size_t have = 0;
    if (proto.has_raw_data()) {
      have = proto.raw_data().size();
    } else {
      const size_t counts = static_cast<size_t>(proto.float_data_size()) * 4 +
                            static_cast<size_t>(proto.double_data_size()) * 8 +
                            static_cast<size_t>(proto.int64_data_size()) * 8 +
                            static_cast<size_t>(proto.uint64_data_size()) * 8 +
                            static_cast<size_t>(proto.int32_data_size()) * 4;
      have = counts;
    }
    if (want > 0 && have == 0) {
      fail(proto, fmt::format("holds no data but {}{} needs {} bytes", dtype_name(dtype),
                              shape_to_string(shape), want));
    }
    if (proto.has_raw_data() && have != want) {
      fail(proto, fmt::format("holds {} bytes but {}{} needs {}", have, dtype_name(dtype),
                              shape_to_string(shape), want));
    }
    // Typed fields are checked per field below; this cap only stops absurd allocations.
    if (!proto.has_raw_data() && want > have * 8 + 64) {
      fail(proto, fmt::format("holds {} bytes of typed data but {}{} needs {}", have,
                              dtype_name(dtype), shape_to_string(shape), want));
    }
  } else if (dtype == DType::kString && static_cast<int64_t>(proto.string_data_size()) != n) {
    fail(proto, fmt::format("string_data holds {} values but shape {} needs {}",
                            proto.string_data_size(), shape_to_string(shape), n));
  }

  Tensor out = mapped_tensor(dtype, std::move(shape));
  if (external) {
    const MappedBytes mapped = map_external(proto, model_dir);
    fill_from_bytes(proto, mapped.bytes, out);
  } else if (proto.has_raw_data()) {
    fill_from_bytes(proto, proto.raw_data(), out);
  } else {
    fill_from_typed_fields(proto, out);
  }
  return out;
}

onnx::TensorProto tensor_to_proto(const Tensor& tensor, std::string_view name) {
  onnx::TensorProto proto;
  if (!name.empty()) proto.set_name(std::string(name));
  proto.set_data_type(static_cast<int32_t>(tensor.dtype()));
  for (const int64_t d : tensor.shape()) proto.add_dims(d);
  const DType dtype = tensor.dtype();
  if (!tensor.defined()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("tensor '{}' is undefined and cannot be serialized", name));
  }
  if (dtype == DType::kString) {
    for (const std::string& s : tensor.strings()) proto.add_string_data(s);
    return proto;
  }
  const int per_byte = elements_per_byte(dtype);
  if (per_byte > 0) {
    const int bits = 8 / per_byte;
    const uint8_t mask = static_cast<uint8_t>((1u << bits) - 1);
    std::string packed(serialized_bytes(dtype, tensor.numel()), '\0');
    const uint8_t* src = tensor.data<uint8_t>();
    for (int64_t i = 0; i < tensor.numel(); ++i) {
      const int shift = static_cast<int>(i % per_byte) * bits;
      packed[static_cast<size_t>(i / per_byte)] =
          static_cast<char>(static_cast<uint8_t>(packed[static_cast<size_t>(i / per_byte)]) |
                            static_cast<uint8_t>((src[i] & mask) << shift));
    }
    proto.set_raw_data(std::move(packed));
    return proto;
  }
  if (tensor.nbytes() == 0) {
    proto.set_raw_data(std::string());
  } else {
    proto.set_raw_data(std::string(static_cast<const char*>(tensor.raw()), tensor.nbytes()));
  }
  return proto;
}

}  // namespace bog::runtime
