// ONNX test data folders and random feeds (conformance/test_data.h, random_inputs.h,
// feed_sets.h): what `bog run --data/--random` and `bog conformance` feed a model.
#include "conformance/test_data.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "conformance/feed_sets.h"
#include "conformance/random_inputs.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "tests/cli/cli_test_util.h"

namespace bog::conformance {
namespace {

namespace fs = std::filesystem;
using cli_test::TempDir;

struct Io {
  std::vector<runtime::ValueInfo> inputs, outputs;
};

Io io_of(const fs::path& model) {
  runtime::Session s(runtime::load_model(model), runtime::SessionOptions{});
  return {s.input_infos(), s.output_infos()};
}

TEST(TestData, BindsByStoredNameAndReadsExpectedOutputs) {
  const TempDir tmp;
  const fs::path dir = cli_test::make_add_case(tmp.path(), "good");
  const Io io = io_of(dir / "model.onnx");
  const std::vector<fs::path> sets = find_data_sets(dir);
  ASSERT_EQ(sets.size(), 1u);
  const TestDataSet set = load_data_set(sets[0], io.inputs, io.outputs);
  ASSERT_EQ(set.feeds.count("a"), 1u);
  ASSERT_EQ(set.feeds.count("b"), 1u);
  EXPECT_FLOAT_EQ(set.feeds.at("b").tensor.data<float>()[1], -1.0f);
  ASSERT_EQ(set.expected.size(), 1u);
  EXPECT_EQ(set.expected[0].first, "c");
  EXPECT_FLOAT_EQ(set.expected[0].second.tensor.data<float>()[0], 1.5f);
}

// Moved from the CLI tests (RunBindsUnnamedInputsByPosition): files without a stored name bind
// by position among the inputs that are not initializers.
TEST(TestData, BindsUnnamedFilesByPosition) {
  const TempDir tmp;
  const fs::path dir = cli_test::make_add_case(tmp.path(), "unnamed");
  for (const char* file : {"input_0.pb", "input_1.pb", "output_0.pb"}) {
    onnx::TensorProto t;
    ASSERT_TRUE(t.ParseFromString(cli_test::read_bytes(dir / "test_data_set_0" / file)));
    t.clear_name();
    cli_test::write_tensor(dir / "test_data_set_0" / file, t);
  }
  const Io io = io_of(dir / "model.onnx");
  const TestDataSet set = load_data_set(dir / "test_data_set_0", io.inputs, io.outputs);
  EXPECT_FLOAT_EQ(set.feeds.at("a").tensor.data<float>()[0], 1.0f);
  EXPECT_FLOAT_EQ(set.feeds.at("b").tensor.data<float>()[0], 0.5f);
  ASSERT_EQ(set.expected.size(), 1u);
  EXPECT_EQ(set.expected[0].first, "c");
}

// Moved from the CLI tests (RunRejectsADataFileNamingNoInput).
TEST(TestData, RejectsAFileNamingNoInput) {
  const TempDir tmp;
  const fs::path dir = cli_test::make_add_case(tmp.path(), "misnamed");
  cli_test::write_tensor(dir / "test_data_set_0" / "input_1.pb",
                         cli_test::float_tensor("zzz", {2, 3}, {1, 2, 3, 4, 5, 6}));
  const Io io = io_of(dir / "model.onnx");
  try {
    (void)load_data_set(dir / "test_data_set_0", io.inputs, io.outputs);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("zzz"), std::string::npos) << e.what();
  }
}

TEST(TestData, FindsDataSetsInOrderAndRejectsAFolderWithoutOne) {
  const TempDir tmp;
  for (const char* name : {"test_data_set_10", "test_data_set_2", "not_a_set"}) {
    fs::create_directories(tmp / "case" / name);
  }
  const std::vector<fs::path> sets = find_data_sets(tmp / "case");
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].filename(), "test_data_set_2");
  EXPECT_EQ(sets[1].filename(), "test_data_set_10");
  fs::create_directories(tmp / "empty");
  EXPECT_THROW((void)find_data_sets(tmp / "empty"), Error);
  EXPECT_THROW((void)find_data_sets(tmp / "missing"), Error);
}

TEST(RandomInputs, ParsesDimBindings) {
  EXPECT_EQ(parse_dim_binding("batch=2"), (std::pair<std::string, int64_t>{"batch", 2}));
  for (const char* bad : {"batch", "=2", "batch=", "batch=x", "batch=-1", "batch=99999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW((void)parse_dim_binding(bad), Error);
  }
}

// The binding half of the CLI's RunRandomBindsSymbolicDims: --dim sizes a symbolic dim,
// unbound ones become 1, and a name no input has is an error (a typo, not a silent 1).
TEST(RandomInputs, BindsSymbolicDimsAndRejectsUnknownNames) {
  const TempDir tmp;
  cli_test::write_model(cli_test::relu_matmul_model(), tmp / "m.onnx");
  const Io io = io_of(tmp / "m.onnx");
  for (const int64_t batch : {1, 5}) {
    const RandomFeeds f = make_random_feeds(io.inputs, {{"batch", batch}}, 3);
    EXPECT_EQ(f.feeds.at("x").tensor.shape(), (runtime::Shape{batch, 4}));
    EXPECT_EQ(f.dims_used.at("batch"), batch);
  }
  EXPECT_EQ(make_random_feeds(io.inputs, {}, 3).feeds.at("x").tensor.shape(),
            (runtime::Shape{1, 4}));
  EXPECT_THROW((void)make_random_feeds(io.inputs, {{"btach", 2}}, 3), Error);
  const FeedSet a = random_feed_set(io.inputs, {"batch=2"}, 7);
  const FeedSet b = random_feed_set(io.inputs, {"batch=2"}, 7);
  EXPECT_EQ(a.name, "random_seed_7");
  const runtime::Tensor& ta = a.feeds.at("x").tensor;
  const runtime::Tensor& tb = b.feeds.at("x").tensor;
  ASSERT_EQ(ta.numel(), 8);
  for (int64_t i = 0; i < ta.numel(); ++i) {
    EXPECT_EQ(ta.data<float>()[i], tb.data<float>()[i]) << "same seed, same feeds";
    EXPECT_GE(ta.data<float>()[i], -1.0f);
    EXPECT_LT(ta.data<float>()[i], 1.0f);
  }
}

}  // namespace
}  // namespace bog::conformance
