#include "bench/doctor_report.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <system_error>
#include <thread>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"

namespace bog::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json cpu_features() {
  json j;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  j["arch"] = "x86_64";
  j["avx2"] = static_cast<bool>(__builtin_cpu_supports("avx2"));
  j["fma"] = static_cast<bool>(__builtin_cpu_supports("fma"));
  j["avx512f"] = static_cast<bool>(__builtin_cpu_supports("avx512f"));
  j["avx512vnni"] = static_cast<bool>(__builtin_cpu_supports("avx512vnni"));
  j["avx512bf16"] = static_cast<bool>(__builtin_cpu_supports("avx512bf16"));
#elif defined(__aarch64__)
  j["arch"] = "aarch64";
#else
  j["arch"] = "unknown";
#endif
#if defined(__AVX512F__)
  j["compiled_for"] = "avx512f";
#elif defined(__AVX2__)
  j["compiled_for"] = "avx2";
#else
  j["compiled_for"] = "baseline";
#endif
  return j;
}

json providers() {
  json list = json::array();
  for (const std::string& name : runtime::known_provider_names()) {
    const auto p = runtime::make_provider(name);
    list.push_back({{"name", name},
                    {"available", p->available()},
                    {"unavailable_reason", p->unavailable_reason()}});
  }
  return list;
}

// What this build and machine offer CUDA: the toolkit the provider was built with, the driver
// and devices found at run time, and why the provider cannot run when it cannot.
json cuda(const json& provider_list) {
  std::string reason = "no cuda provider registered";
  bool available = false;
  for (const json& p : provider_list) {
    if (p["name"] == "cuda") {
      reason = p["unavailable_reason"].get<std::string>();
      available = p["available"].get<bool>();
    }
  }
  const runtime::CudaBuildInfo build = runtime::cuda_build_info();
  const runtime::CudaProbe& probe = runtime::probe_cuda();
  std::error_code ec;
  json devices = json::array();
  for (const runtime::CudaDeviceInfo& d : probe.devices) {
    devices.push_back({{"index", d.index},
                       {"name", d.name},
                       {"compute_capability", fmt::format("{}.{}", d.cc_major, d.cc_minor)},
                       {"memory_mib", d.total_memory_bytes / (1024 * 1024)}});
  }
  return {{"built", build.built},
          {"toolkit_version", build.built ? build.toolkit_version : ""},
          {"architectures", build.architectures},
          {"toolkit_found", build.built || fs::exists("/usr/local/cuda/bin/nvcc", ec)},
          {"driver_found", probe.driver_found},
          {"driver_version",
           probe.driver_found ? runtime::cuda_version_string(probe.driver_version) : ""},
          {"device_found", !probe.devices.empty()},
          {"devices", devices},
          {"available", available},
          {"allow_tf32", runtime::allow_tf32()},
          {"reason", reason}};
}

// Candidate folders: relative to the source tree this binary was built from, and to cwd.
std::vector<fs::path> candidates(const fs::path& source_dir, const fs::path& relative) {
  std::vector<fs::path> out = {source_dir / relative};
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (!ec) out.push_back(cwd / relative);
  return out;
}

json path_entry(const fs::path& p, const std::string& source) {
  std::error_code ec;
  const bool found = fs::is_directory(p, ec);
  return {{"path", fs::weakly_canonical(p, ec).string()}, {"source", source}, {"found", found}};
}

json data_paths(const fs::path& source_dir) {
  json list = json::array();
  if (const char* env = std::getenv("BOG_DATA_DIR"); env != nullptr && *env != '\0') {
    list.push_back(path_entry(env, "BOG_DATA_DIR"));
  }
  for (const fs::path& p : candidates(source_dir, fs::path("..") / "shared" / "data" / "ag_news")) {
    json e = path_entry(p, "default");
    bool seen = false;
    for (const json& x : list) seen = seen || x["path"] == e["path"];
    if (!seen) list.push_back(std::move(e));
  }
  return list;
}

json conformance_dir(const fs::path& source_dir) {
  for (const fs::path& p :
       candidates(source_dir, fs::path("..") / "shared" / "onnx-conformance" / "node")) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) continue;
    int cases = 0;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      if (fs::is_regular_file(entry.path() / "model.onnx", ec)) ++cases;
    }
    return {{"found", true}, {"path", fs::weakly_canonical(p, ec).string()}, {"cases", cases}};
  }
  return {{"found", false},
          {"reason", "no ../shared/onnx-conformance/node next to the source tree or cwd"}};
}

json onnxruntime_reference(const fs::path& source_dir) {
  const fs::path pkg =
      source_dir / "bench" / "ort" / "node_modules" / "onnxruntime-node" / "package.json";
  std::ifstream in(pkg);
  if (!in) {
    return {{"found", false},
            {"reason", "bench/ort/node_modules/onnxruntime-node is not installed"}};
  }
  const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("version") || !j["version"].is_string()) {
    return {{"found", false}, {"reason", fmt::format("{} has no version", pkg.string())}};
  }
  return {{"found", true}, {"version", j["version"]}, {"package", pkg.parent_path().string()}};
}

}  // namespace

json doctor_report(const fs::path& source_dir) {
  json j;
  j["compiler"] = fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#ifdef NDEBUG
  j["build_type"] = "Release";
#else
  j["build_type"] = "Debug";
#endif
#if defined(__SANITIZE_ADDRESS__)
  j["sanitizers"] = "address,undefined";
#else
  j["sanitizers"] = "none";
#endif
  j["hardware_threads"] = std::thread::hardware_concurrency();
  j["cpu"] = cpu_features();
  j["providers"] = providers();
  j["cuda"] = cuda(j["providers"]);
  j["onnxruntime_reference"] = onnxruntime_reference(source_dir);
  j["data_paths"] = data_paths(source_dir);
  j["conformance"] = conformance_dir(source_dir);
  return j;
}

}  // namespace bog::bench
