// `bog doctor`: what this build and machine can do, and what it cannot and why.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "onnx_runtime/execution_provider.h"

namespace bog::cli {
namespace {

nlohmann::json gather() {
  nlohmann::json j;
  j["compiler"] = fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#ifdef NDEBUG
  j["build_type"] = "Release";
#else
  j["build_type"] = "Debug";
#endif
  j["hardware_threads"] = std::thread::hardware_concurrency();
  nlohmann::json providers = nlohmann::json::array();
  for (const std::string& name : runtime::known_provider_names()) {
    const auto p = runtime::make_provider(name);
    providers.push_back({{"name", name},
                         {"available", p->available()},
                         {"unavailable_reason", p->unavailable_reason()}});
  }
  j["providers"] = providers;
  return j;
}

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor", "Report compiler, CPU features, providers and data paths");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print one JSON object");
  cmd->callback([json] {
    const nlohmann::json j = gather();
    if (*json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << fmt::format("compiler    {}\nbuild type  {}\nthreads     {}\n",
                             j["compiler"].get<std::string>(), j["build_type"].get<std::string>(),
                             j["hardware_threads"].get<unsigned>());
    for (const auto& p : j["providers"]) {
      std::cout << fmt::format("provider    {:<10} {}\n", p["name"].get<std::string>(),
                               p["available"].get<bool>()
                                   ? "available"
                                   : "unavailable: " + p["unavailable_reason"].get<std::string>());
    }
  });
}

}  // namespace bog::cli
