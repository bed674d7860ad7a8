// What `bog parity --first-divergence` runs when parity fails: the first node whose output
// differs between the first two interpreter providers of the list, on one input.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "onnx_runtime/tensor.h"
#include "parity/tolerance.h"

namespace bog::parity {

// The probe text a bundle's divergence search runs (batch 1).
inline constexpr const char* kDivergenceText = "stocks rallied after the central bank cut rates";

// input_ids / attention_mask of `text` through the bundle's tokenizer, batch 1, full mask.
[[nodiscard]] std::map<std::string, runtime::Tensor> bundle_text_feeds(
    const std::filesystem::path& bundle, const std::string& text = kDivergenceText);

using FeedsMaker = std::function<std::map<std::string, runtime::Tensor>()>;

// first_divergence(...).to_json() for the first two of `providers` that are not "ort", on
// make_feeds() (only called then); without two of them the string
// "needs two interpreter providers (reference, cpu, cuda)".
[[nodiscard]] nlohmann::json first_divergence_json(const std::filesystem::path& onnx,
                                                   const std::vector<std::string>& providers,
                                                   const FeedsMaker& make_feeds,
                                                   const Tolerance& tolerance, int threads);

}  // namespace bog::parity
