// `bog predict`: labels and class probabilities for texts given on the command line or a file.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/train/predict.h"

namespace bog::cli {

void add_predict_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "Classify texts with a bundle");
  struct Args {
    std::string bundle;
    std::vector<std::string> texts;
    std::optional<std::string> file;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--bundle", args->bundle, "Bundle directory")->required();
  cmd->add_option("texts", args->texts, "Texts to classify");
  cmd->add_option("--file", args->file, "File with one text per line");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    std::vector<std::string> texts = args->texts;
    if (args->file) {
      std::ifstream in(*args->file);
      if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot read {}", *args->file));
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) texts.push_back(line);
      }
    }
    if (texts.empty())
      throw Error(ErrorCategory::kInvalidArgument, "predict: no texts (give TEXT... or --file)");
    auto bundle = model::load_bundle(args->bundle);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& text : texts) {
      const model::TextPrediction pred = model::predict_text(bundle, text);
      const size_t best = static_cast<size_t>(pred.label);
      nlohmann::json p = nlohmann::json::object();
      for (size_t j = 0; j < bundle.labels.size(); ++j) p[bundle.labels[j]] = pred.probs[j];
      out.push_back({{"text", text}, {"label", bundle.labels[best]}, {"probs", p}});
      if (!args->json) {
        std::string line = fmt::format("{:<9}", bundle.labels[best]);
        for (size_t j = 0; j < bundle.labels.size(); ++j) {
          line += fmt::format("  {} {:.3f}", bundle.labels[j], pred.probs[j]);
        }
        fmt::print("{}  | {}\n", line, text.size() > 60 ? text.substr(0, 57) + "..." : text);
      }
    }
    if (args->json) std::cout << nlohmann::json{{"predictions", out}}.dump() << "\n";
  });
}

}  // namespace bog::cli
