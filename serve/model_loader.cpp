#include "serve/model_loader.h"

#include <fmt/format.h>

#include "common/error.h"
#include "model/data/sha256.h"
#include "onnx_runtime/loader.h"

namespace bog::serve {

std::unique_ptr<Classifier> load_classifier(const ServingConfig& config,
                                            std::string_view onnx_bytes,
                                            const std::filesystem::path& onnx_dir) {
  model::LoadedBundle bundle = model::load_bundle(config.bundle);
  const std::string bundle_sha =
      model::sha256_file_hex(std::filesystem::path(config.bundle) / "manifest.json");
  runtime::Model onnx = runtime::load_model_from_bytes(onnx_bytes, onnx_dir);
  for (const auto& [key, value] : onnx.metadata) {
    if (key == "bundle_sha256" && !value.empty() && value != bundle_sha) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("serve: the ONNX file was exported from bundle {}…, not from {} "
                              "({}…)",
                              value.substr(0, 12), config.bundle, bundle_sha.substr(0, 12)));
    }
  }
  return std::make_unique<Classifier>(std::move(bundle), std::move(onnx),
                                      model::sha256_hex(onnx_bytes), config);
}

}  // namespace bog::serve
