// `bog bundle`: packs a training checkpoint into a self-checking bundle directory.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/commands.h"
#include "model/bundle.h"

namespace bog::cli {

void add_bundle_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bundle",
                                 "Pack a checkpoint into a bundle (manifest, weights, tokenizer)");
  auto checkpoint = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("--checkpoint", *checkpoint,
                  "Checkpoint file (runs/NAME/checkpoints/best.safetensors)")
      ->required();
  cmd->add_option("--out", *out, "Bundle directory")->required();
  cmd->callback([checkpoint, out] {
    const auto manifest = model::write_bundle(*checkpoint, *out);
    fmt::print("wrote bundle {} ({}, {} parameters, {} steps)\n", *out,
               manifest["architecture"].get<std::string>(), manifest["num_params"].get<int64_t>(),
               manifest["provenance"]["steps"].get<int64_t>());
  });
}

}  // namespace bog::cli
