// `bog doctor`: what this build and machine can do, and what it cannot and why: compiler, build
// type, CPU features, threads, providers, CUDA, the ONNX Runtime reference, data paths and the
// ONNX node tests.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace bog::bench {

// {"compiler", "build_type", "sanitizers", "hardware_threads", "cpu", "providers", "cuda",
//  "onnxruntime_reference", "data_paths", "conformance"}. Folders are looked for relative to
// `source_dir` (the source tree the binary was built from) and to the current directory.
[[nodiscard]] nlohmann::json doctor_report(const std::filesystem::path& source_dir);

}  // namespace bog::bench
