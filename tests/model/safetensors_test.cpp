// safetensors writer/reader: round trip and every kind of corrupt file.
#include "model/io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bog::model {
namespace {

StFile sample() {
  StFile f;
  f.metadata["step"] = "12";
  f.tensors["a.weight"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  f.tensors["b"] = {{1}, {-0.5f}};
  f.tensors["empty"] = {{0, 4}, {}};
  return f;
}

void expect_corrupt(const std::string& bytes, const std::string& needle) {
  try {
    (void)parse_safetensors(bytes, "x.safetensors");
    FAIL() << "accepted a corrupt file; expected " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

std::string with_header(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}

TEST(Safetensors, RoundTripKeepsValuesShapesAndMetadata) {
  const StFile f = sample();
  const std::string bytes = serialize_safetensors(f);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ((8 + header_len) % 8, 0u);  // data aligned
  const StFile g = parse_safetensors(bytes, "mem");
  EXPECT_EQ(g.metadata, f.metadata);
  ASSERT_EQ(g.tensors.size(), 3u);
  for (const auto& [name, t] : f.tensors) {
    EXPECT_EQ(g.tensors.at(name).shape, t.shape) << name;
    EXPECT_EQ(g.tensors.at(name).data, t.data) << name;
  }
}

TEST(Safetensors, HeaderIsStandardJson) {
  const std::string bytes = serialize_safetensors(sample());
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["a.weight"]["dtype"], "F32");
  EXPECT_EQ(header["a.weight"]["data_offsets"][1].get<int>() -
                header["a.weight"]["data_offsets"][0].get<int>(),
            24);
}

TEST(Safetensors, RejectsCorruptFiles) {
  const std::string good = serialize_safetensors(sample());
  expect_corrupt(good.substr(0, 5), "too short");
  expect_corrupt(good.substr(0, good.size() - 4), "outside");
  std::string huge = good;
  const uint64_t big = 1ULL << 40;
  std::memcpy(huge.data(), &big, 8);
  expect_corrupt(huge, "runs past the end");
  expect_corrupt(with_header("{not json", ""), "not valid JSON");
  expect_corrupt(with_header("[1,2]", ""), "not a JSON object");
  expect_corrupt(with_header(R"({"t":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", "abcd"),
                 "dtype");
  expect_corrupt(
      with_header(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "abcdefgh"),
      "shape needs");
  expect_corrupt(with_header(R"({"t":{"dtype":"F32","shape":[2]}})", "abcdefgh"), "lacks");
  expect_corrupt(
      with_header(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "abcdefgh"),
      "bad dimension");
  expect_corrupt(with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                             "abcdefgh"),
                 "overlap");
}

TEST(Safetensors, WriterRejectsDataThatDoesNotMatchTheShape) {
  StFile f;
  f.tensors["x"] = {{2, 2}, {1, 2, 3}};
  EXPECT_THROW((void)serialize_safetensors(f), Error);
}

}  // namespace
}  // namespace bog::model
