// `bog doctor`: what this build and machine can do, and what it cannot and why: compiler,
// build type, CPU features, threads, providers, CUDA, the ONNX Runtime reference, data paths.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "bench/doctor_report.h"
#include "cli/commands.h"
#include "common/build_paths.h"

namespace bog::cli {
namespace {

using nlohmann::json;

const char* yes_no(const json& b) { return b.get<bool>() ? "yes" : "no"; }

void print_human(const json& j) {
  std::cout << fmt::format(
      "compiler      {}\nbuild type    {} (sanitizers: {})\nthreads       {}\n",
      j["compiler"].get<std::string>(), j["build_type"].get<std::string>(),
      j["sanitizers"].get<std::string>(), j["hardware_threads"].get<unsigned>());
  const json& cpu = j["cpu"];
  std::cout << fmt::format("cpu           {}", cpu["arch"].get<std::string>());
  for (const char* f : {"avx2", "fma", "avx512f", "avx512vnni", "avx512bf16"}) {
    if (cpu.contains(f)) std::cout << fmt::format("  {} {}", f, yes_no(cpu[f]));
  }
  std::cout << fmt::format("  (compiled for {})\n", cpu["compiled_for"].get<std::string>());
  for (const auto& p : j["providers"]) {
    std::cout << fmt::format("provider      {:<10} {}\n", p["name"].get<std::string>(),
                             p["available"].get<bool>()
                                 ? "available"
                                 : "unavailable: " + p["unavailable_reason"].get<std::string>());
  }
  const json& cuda = j["cuda"];
  const std::string toolkit =
      cuda["built"].get<bool>()
          ? cuda["toolkit_version"].get<std::string>() + " (sm " +
                cuda["architectures"].get<std::string>() + ")"
          : yes_no(cuda["toolkit_found"]) + std::string(", provider not built");
  const std::string driver =
      cuda["driver_found"].get<bool>() ? cuda["driver_version"].get<std::string>() : "none";
  std::cout << fmt::format("cuda          toolkit {}, driver {}, devices {}{}\n", toolkit, driver,
                           cuda["devices"].size(),
                           cuda["reason"].get<std::string>().empty()
                               ? ""
                               : " (unavailable: " + cuda["reason"].get<std::string>() + ")");
  for (const auto& d : cuda["devices"]) {
    std::cout << fmt::format("cuda device   {}: {} (compute {}, {} MiB)\n", d["index"].get<int>(),
                             d["name"].get<std::string>(),
                             d["compute_capability"].get<std::string>(),
                             d["memory_mib"].get<int64_t>());
  }
  const json& ort = j["onnxruntime_reference"];
  std::cout << fmt::format("onnxruntime   {}\n",
                           ort["found"].get<bool>()
                               ? "onnxruntime-node " + ort["version"].get<std::string>()
                               : "not found: " + ort["reason"].get<std::string>());
  for (const auto& d : j["data_paths"]) {
    std::cout << fmt::format("data          {} ({}): {}\n", d["path"].get<std::string>(),
                             d["source"].get<std::string>(),
                             d["found"].get<bool>() ? "found" : "not found");
  }
  const json& conf = j["conformance"];
  std::cout << fmt::format(
      "conformance   {}\n",
      conf["found"].get<bool>()
          ? fmt::format("{} ({} cases)", conf["path"].get<std::string>(), conf["cases"].get<int>())
          : "not found: " + conf["reason"].get<std::string>());
}

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("doctor", "Report compiler, CPU features, providers and data paths");
  auto json_flag = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_flag, "Print one JSON object");
  cmd->callback([json_flag] {
    const json j = bench::doctor_report(bog::source_dir());
    if (*json_flag) {
      std::cout << j.dump() << "\n";
    } else {
      print_human(j);
    }
  });
}

}  // namespace bog::cli
