// ONNX test data folders (test_data_set_N/input_K.pb, output_K.pb), shared by `bog run --data`
// and `bog conformance`. Inputs bind to graph inputs by the name stored in the file, or by
// position among the inputs that are not initializers when that name is empty.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::conformance {

struct TestDataSet {
  std::filesystem::path dir;
  std::map<std::string, runtime::Value> feeds;  // graph input name -> value
  // Graph output name -> expected value, for each output_K.pb present, in graph output order.
  std::vector<std::pair<std::string, runtime::Value>> expected;
};

// `dir` is one test_data_set_N folder, or a folder holding test_data_set_* (a conformance
// case); returns the data set folders sorted by N. Error(kInvalidArgument) when there is none.
std::vector<std::filesystem::path> find_data_sets(const std::filesystem::path& dir);

// Reads every input_K.pb / output_K.pb of one data set. `inputs` are the graph inputs that
// must be fed (no initializers), `outputs` the graph outputs. Error(kInvalidArgument) when a
// file names no graph input/output or an input is left without a file.
TestDataSet load_data_set(const std::filesystem::path& dir,
                          const std::vector<runtime::ValueInfo>& inputs,
                          const std::vector<runtime::ValueInfo>& outputs);

}  // namespace bog::conformance
