// TensorProto <-> Tensor: typed fields, raw data, packed sub-byte types, external data and the
// errors for data that does not match its shape.
#include "onnx_runtime/tensor_proto.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "onnx_runtime/proto_io.h"

namespace bog::runtime {
namespace {
namespace fs = std::filesystem;

ErrorCategory category_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.category();
  }
  ADD_FAILURE() << "no bog::Error thrown";
  return ErrorCategory::kInternal;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("bog_tp_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

TEST(TensorProto, ReadsFloatData) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.add_dims(3);
  for (int i = 0; i < 6; ++i) p.add_float_data(static_cast<float>(i) * 0.5f);
  const Tensor t = tensor_from_proto(p);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.data<float>()[5], 2.5f);
}

TEST(TensorProto, ReadsNarrowTypesFromInt32Data) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::INT8);
  p.add_dims(3);
  p.add_int32_data(-1);
  p.add_int32_data(127);
  p.add_int32_data(-128);
  const Tensor t = tensor_from_proto(p);
  EXPECT_EQ(t.data<int8_t>()[0], -1);
  EXPECT_EQ(t.data<int8_t>()[2], -128);

  onnx::TensorProto h;
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(1);
  h.add_int32_data(to_float16(1.5f).bits);
  EXPECT_EQ(to_float(tensor_from_proto(h).data<Float16>()[0]), 1.5f);

  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(2);
  b.add_int32_data(0);
  b.add_int32_data(5);
  EXPECT_EQ(tensor_from_proto(b).data<uint8_t>()[1], 1);
}

TEST(TensorProto, ReadsWideTypedFields) {
  onnx::TensorProto i;
  i.set_data_type(onnx::TensorProto::INT64);
  i.add_dims(2);
  i.add_int64_data(-5);
  i.add_int64_data(int64_t{1} << 40);
  EXPECT_EQ(tensor_from_proto(i).data<int64_t>()[1], int64_t{1} << 40);

  onnx::TensorProto u;
  u.set_data_type(onnx::TensorProto::UINT32);
  u.add_dims(1);
  u.add_uint64_data(4000000000u);
  EXPECT_EQ(tensor_from_proto(u).data<uint32_t>()[0], 4000000000u);

  onnx::TensorProto d;
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_double_data(0.25);  // scalar
  const Tensor dt = tensor_from_proto(d);
  EXPECT_EQ(dt.rank(), 0);
  EXPECT_EQ(dt.data<double>()[0], 0.25);

  onnx::TensorProto s;
  s.set_data_type(onnx::TensorProto::STRING);
  s.add_dims(2);
  s.add_string_data("a");
  s.add_string_data(std::string("b\0c", 3));
  EXPECT_EQ(tensor_from_proto(s).strings()[1].size(), 3u);
}

TEST(TensorProto, UnpacksInt4AndUint2LowBitsFirst) {
  onnx::TensorProto p;
  p.set_data_type(22);  // INT4
  p.add_dims(3);
  p.set_raw_data(std::string("\xF7\x08", 2));  // 7, -1, -8
  const Tensor t = tensor_from_proto(p);
  EXPECT_EQ(t.data<int8_t>()[0], 7);
  EXPECT_EQ(t.data<int8_t>()[1], -1);
  EXPECT_EQ(t.data<int8_t>()[2], -8);

  onnx::TensorProto q;
  q.set_data_type(25);  // UINT2
  q.add_dims(5);
  q.set_raw_data(std::string("\xE4\x03", 2));  // 0,1,2,3 then 3
  const Tensor u = tensor_from_proto(q);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(u.data<uint8_t>()[i], i);
  EXPECT_EQ(u.data<uint8_t>()[4], 3);
}

TEST(TensorProto, RoundTripsEveryFixedSizeDtypeThroughRawData) {
  for (int dt = 1; dt <= 26; ++dt) {
    const auto dtype = static_cast<DType>(dt);
    if (dtype == DType::kString) continue;
    for (const Shape& shape : {Shape{}, Shape{1}, Shape{3, 5}, Shape{2, 0, 3}, Shape{7}}) {
      const uint32_t seed = static_cast<uint32_t>(dt * 100 + shape.size());
      SCOPED_TRACE(testing::Message() << "dtype=" << dtype_name(dtype) << " seed=" << seed
                                      << " shape=" << shape_to_string(shape));
      Tensor t(dtype, shape);
      std::mt19937 rng(seed);
      uint8_t* bytes = static_cast<uint8_t*>(t.raw());
      for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<uint8_t>(rng());
      // Keep the one-byte-per-element invariants of bool and sub-byte types.
      for (int64_t i = 0; i < t.numel(); ++i) {
        if (dtype == DType::kBool) bytes[i] &= 1;
        if (dtype == DType::kUint4 || dtype == DType::kFloat4E2M1) bytes[i] &= 0xF;
        if (dtype == DType::kInt4)
          bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(bytes[i]) >> 4);
        if (dtype == DType::kUint2) bytes[i] &= 3;
        if (dtype == DType::kInt2)
          bytes[i] = static_cast<uint8_t>(static_cast<int8_t>(bytes[i]) >> 6);
      }
      const onnx::TensorProto p = tensor_to_proto(t, "x");
      const Tensor back = tensor_from_proto(p);
      ASSERT_EQ(back.dtype(), dtype);
      ASSERT_EQ(back.shape(), shape);
      ASSERT_EQ(back.nbytes(), t.nbytes());
      if (t.nbytes() > 0) {
        EXPECT_EQ(std::memcmp(back.raw(), t.raw(), t.nbytes()), 0);
      }
    }
  }
}

TEST(TensorProto, RejectsByteSizeNotMatchingShape) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(4);
  p.set_raw_data(std::string(12, '\0'));
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(p); }), ErrorCategory::kInvalidModel);
  p.clear_raw_data();
  p.add_float_data(1.0f);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(p); }), ErrorCategory::kInvalidModel);
}

TEST(TensorProto, RejectsNegativeAndOverflowingDims) {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(-2);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(p); }), ErrorCategory::kInvalidModel);
  onnx::TensorProto q;
  q.set_data_type(onnx::TensorProto::FLOAT);
  q.add_dims(int64_t{1} << 40);
  q.add_dims(int64_t{1} << 40);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(q); }), ErrorCategory::kInvalidModel);
  onnx::TensorProto r;  // huge declared shape, no data: must not allocate
  r.set_data_type(onnx::TensorProto::FLOAT);
  r.add_dims(int64_t{1} << 36);
  r.add_float_data(1.0f);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(r); }), ErrorCategory::kInvalidModel);
}

TEST(TensorProto, RejectsUnknownDtype) {
  onnx::TensorProto p;
  p.set_data_type(99);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(p); }), ErrorCategory::kInvalidModel);
  p.set_data_type(0);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(p); }), ErrorCategory::kInvalidModel);
}

onnx::TensorProto external_tensor(const std::string& location, int64_t n, int64_t offset = -1,
                                  int64_t length = -1) {
  onnx::TensorProto p;
  p.set_name("w");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(n);
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = p.add_external_data();
  e->set_key("location");
  e->set_value(location);
  if (offset >= 0) {
    e = p.add_external_data();
    e->set_key("offset");
    e->set_value(std::to_string(offset));
  }
  if (length >= 0) {
    e = p.add_external_data();
    e->set_key("length");
    e->set_value(std::to_string(length));
  }
  return p;
}

TEST(TensorProto, ReadsExternalDataWithOffset) {
  TempDir dir;
  std::string bytes(4, 'x');
  const float vals[2] = {1.5f, -2.0f};
  bytes.append(reinterpret_cast<const char*>(vals), 8);
  write_bytes(dir.path() / "w.bin", bytes);
  const Tensor t = tensor_from_proto(external_tensor("w.bin", 2, 4, 8), dir.path());
  EXPECT_EQ(t.data<float>()[1], -2.0f);
}

TEST(TensorProto, RejectsExternalDataOutsideModelDir) {
  TempDir dir;
  fs::create_directories(dir.path() / "m");
  write_bytes(dir.path() / "outside.bin", std::string(8, '\0'));
  const fs::path m = dir.path() / "m";
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(external_tensor("../outside.bin", 2), m); }),
            ErrorCategory::kInvalidModel);
  EXPECT_EQ(category_of([&] {
              (void)tensor_from_proto(external_tensor((dir.path() / "outside.bin").string(), 2), m);
            }),
            ErrorCategory::kInvalidModel);
  fs::create_symlink(dir.path() / "outside.bin", m / "link.bin");
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(external_tensor("link.bin", 2), m); }),
            ErrorCategory::kInvalidModel);
  fs::create_directory_symlink(dir.path(), m / "up");
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(external_tensor("up/outside.bin", 2), m); }),
            ErrorCategory::kInvalidModel);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(external_tensor("missing.bin", 2), m); }),
            ErrorCategory::kIo);
}

TEST(TensorProto, RejectsExternalRangeBeyondFile) {
  TempDir dir;
  write_bytes(dir.path() / "w.bin", std::string(8, '\0'));
  EXPECT_EQ(
      category_of([&] { (void)tensor_from_proto(external_tensor("w.bin", 2, 4, 8), dir.path()); }),
      ErrorCategory::kInvalidModel);
  EXPECT_EQ(category_of([&] {
              (void)tensor_from_proto(external_tensor("w.bin", 2, INT64_MAX - 2, 8), dir.path());
            }),
            ErrorCategory::kInvalidModel);
  EXPECT_EQ(category_of([&] { (void)tensor_from_proto(external_tensor("w.bin", 3), dir.path()); }),
            ErrorCategory::kInvalidModel);
}

TEST(ProtoIo, RoundTripsTensorSequenceAndOptionalFiles) {
  TempDir dir;
  Value seq = Value::from_sequence({}, DType::kFloat32);
  seq.sequence.push_back(Tensor::from_vector<float>({2}, {1, 2}));
  seq.sequence.push_back(Tensor::from_vector<float>({1, 3}, {3, 4, 5}));
  TypeInfo seq_type;
  seq_type.kind = ValueKind::kSequence;
  seq_type.element = std::make_shared<TypeInfo>();
  seq_type.element->elem_type = DType::kFloat32;
  write_value_file(dir.path() / "s.pb", seq, "s");
  const NamedValue s = read_named_value_file(dir.path() / "s.pb", seq_type);
  EXPECT_EQ(s.name, "s");
  ASSERT_EQ(s.value.kind, ValueKind::kSequence);
  ASSERT_EQ(s.value.sequence.size(), 2u);
  EXPECT_EQ(s.value.sequence[1].data<float>()[2], 5.0f);

  TypeInfo opt_type;
  opt_type.kind = ValueKind::kOptional;
  opt_type.element = std::make_shared<TypeInfo>();
  write_value_file(dir.path() / "o.pb", Value::none(), "o");
  EXPECT_EQ(read_value_file(dir.path() / "o.pb", opt_type).optional, nullptr);
  write_value_file(dir.path() / "o.pb",
                   Value::some(Value::from_tensor(Tensor::from_vector<int64_t>({1}, {9}))), "o");
  const Value o = read_value_file(dir.path() / "o.pb", opt_type);
  ASSERT_NE(o.optional, nullptr);
  EXPECT_EQ(o.optional->tensor.data<int64_t>()[0], 9);

  const Tensor t = parse_tensor_proto(
      serialize_value(Value::from_tensor(Tensor::from_vector<int32_t>({3}, {1, -2, 3})), "t"));
  EXPECT_EQ(t.data<int32_t>()[1], -2);
}

TEST(ProtoIo, RejectsGarbageBytes) {
  EXPECT_EQ(category_of([] { (void)parse_tensor_proto(std::string("\xff\xff\xff\xff", 4)); }),
            ErrorCategory::kInvalidModel);
  EXPECT_EQ(category_of([] { (void)read_value_file("/nonexistent/x.pb", TypeInfo{}); }),
            ErrorCategory::kIo);
}

}  // namespace
}  // namespace bog::runtime
