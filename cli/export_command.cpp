// `bog export`: bundle -> ONNX (opset 17), checked by libonnx and written atomically.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "serve/oip_v2.h"
#include "serve/triton_ensemble.h"
#include "serve/triton_repo.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;

// The ensemble under bog serve's v2 names (serve/triton_ensemble.h): the ordinary export
// (checked, atomic) into OUT/<name>_onnx/1/model.onnx, its config from the written graph's inputs
// and outputs, then the tokenizer and postprocess steps and the ensemble around it.
void export_triton(const fs::path& bundle, const fs::path& repo, std::string name, int max_batch,
                   const onnx_export::ExportOptions& options, bool json) {
  if (name.empty()) name = serve::v2_model_name(bundle.string());
  serve::check_triton_model_name(name);
  const std::string onnx_name = serve::triton_step_name(name, "onnx");
  serve::check_triton_model_name(serve::triton_step_name(name, "postprocess"));
  const model::LoadedBundle loaded = model::load_bundle(bundle);
  if (max_batch < 1) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("triton: max batch size {} must be at least 1", max_batch));
  }
  const fs::path onnx_dir = repo / onnx_name / "1";
  std::error_code ec;
  fs::create_directories(onnx_dir, ec);
  if (ec) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot create {}: {}", onnx_dir.string(), ec.message()));
  }
  const onnx_export::ExportSummary s =
      onnx_export::export_bundle(bundle, onnx_dir / "model.onnx", options);
  const runtime::Model model = runtime::load_model(s.file);
  const serve::TritonModelConfig onnx =
      serve::triton_config_for(model, onnx_name, max_batch, !loaded.labels.empty());
  const serve::TritonTextModel text{name, loaded.config.max_len, loaded.config.prepend_cls,
                                    loaded.labels};
  serve::write_triton_repository(repo, text, onnx, loaded.tokenizer->model_bytes());
  const std::vector<std::string> models = {name, serve::triton_step_name(name, "tokenize"),
                                           onnx_name, serve::triton_step_name(name, "postprocess")};
  if (json) {
    std::cout << nlohmann::json{{"repository", repo.string()},
                                {"model", name},
                                {"models", models},
                                {"files",
                                 {models[0] + "/config.pbtxt", models[1] + "/config.pbtxt",
                                  models[1] + "/1/model.py", models[1] + "/1/tokenizer.model",
                                  models[2] + "/config.pbtxt", models[2] + "/labels.txt",
                                  models[2] + "/1/model.onnx", models[3] + "/config.pbtxt",
                                  models[3] + "/labels.txt", models[3] + "/1/model.py"}},
                                {"inputs", {serve::kV2Input}},
                                {"outputs", {serve::kV2Probabilities, serve::kV2Label}},
                                {"max_batch_size", max_batch},
                                {"checker", "passed"}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << fmt::format(
      "wrote Triton model repository {}: ensemble {} (text -> probabilities, label) over {}, "
      "{} ({} nodes; onnx checker passed) and {}\n",
      repo.string(), models[0], models[1], models[2], s.nodes, models[3]);
}

}  // namespace

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Export a bundle to ONNX (IR 8, opset 17)");
  struct Args {
    std::string bundle, out, triton_repo, triton_name;
    int triton_max_batch = 64;
    bool external_data = false;
    int opset = 17;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "Bundle directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* out_opt = cmd->add_option("--out", a->out, "Output .onnx file");
  auto* triton_opt = cmd->add_option(
      "--triton-repo", a->triton_repo,
      "Write a Triton model repository here instead: the ensemble <dir>/<name> (text -> "
      "probabilities, label) over <name>_tokenize, <name>_onnx, <name>_postprocess");
  out_opt->excludes(triton_opt);
  cmd->add_option("--triton-name", a->triton_name,
                  "Model name in the repository (default: the "
                  "bundle directory's name)");
  cmd->add_option("--triton-max-batch", a->triton_max_batch, "max_batch_size in config.pbtxt (64)");
  cmd->add_flag("--external-data", a->external_data,
                "Write weights to <file>.data (ONNX external data convention)");
  cmd->add_option("--opset", a->opset, "Default-domain opset (17)");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a] {
    onnx_export::ExportOptions o;
    o.opset = a->opset;
    o.external_data = a->external_data;
    if (a->out.empty() && a->triton_repo.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "export: give --out FILE or --triton-repo DIR");
    }
    if (!a->triton_repo.empty()) {
      return export_triton(a->bundle, a->triton_repo, a->triton_name, a->triton_max_batch, o,
                           a->json);
    }
    const onnx_export::ExportSummary s = onnx_export::export_bundle(a->bundle, a->out, o);
    if (a->json) {
      std::cout << nlohmann::json{{"file", s.file.filename().string()},
                                  {"data_file",
                                   s.data_file.empty() ? "" : s.data_file.filename().string()},
                                  {"nodes", s.nodes},
                                  {"parameters", s.parameters},
                                  {"bytes", s.bytes},
                                  {"opset", a->opset},
                                  {"checker", "passed"}}
                       .dump()
                << "\n";
      return;
    }
    std::cout << fmt::format(
        "exported {} ({} nodes, {} parameters, {:.2f} MB{}); onnx checker and "
        "shape inference passed\n",
        s.file.string(), s.nodes, s.parameters, s.bytes / 1e6,
        s.data_file.empty() ? "" : ", weights in " + s.data_file.filename().string());
  });
}

}  // namespace bog::cli
