// `bog parity --generate`: generation parity of a decoder LM bundle (parity/generate_parity.h)
// from parity_command.cpp's flags: export when no --onnx is given, progress on stderr, the
// report beside the ONNX file, a table (or --json) on stdout.
#pragma once

#include <string>
#include <vector>

namespace bog::cli {

struct GenerateParityArgs {
  std::string bundle, onnx, data, out;
  std::vector<std::string> providers;
  int prompts = 32, prompt_len = 32, new_tokens = 64, threads = 1;
  double atol = 1e-4;  // the export config's float32 atol
  bool json = false;
};

// Error(kParityFailed) after the report is written and printed when any provider failed.
void run_generate_parity_command(const GenerateParityArgs& args);

}  // namespace bog::cli
