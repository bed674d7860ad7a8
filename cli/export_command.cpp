// `bog export`: bundle -> ONNX (opset 17), checked by libonnx and written atomically.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/error.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "serve/triton_repo.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;

// OUT/<name>/1/model.onnx through the ordinary export (checked, atomic), then config.pbtxt and
// labels.txt from the written graph's inputs and outputs.
void export_triton(const fs::path& bundle, const fs::path& repo, std::string name,
                   int max_batch, const onnx_export::ExportOptions& options, bool json) {
  if (name.empty()) name = fs::absolute(bundle).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(bundle).lexically_normal().parent_path().filename().string();
  serve::check_triton_model_name(name);
  const fs::path model_dir = repo / name;
  std::error_code ec;
  fs::create_directories(model_dir / "1", ec);
  if (ec) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot create {}: {}", (model_dir / "1").string(), ec.message()));
  }
  const onnx_export::ExportSummary s =
      onnx_export::export_bundle(bundle, model_dir / "1" / "model.onnx", options);
  const runtime::Model model = runtime::load_model(s.file);
  const model::LoadedBundle loaded = model::load_bundle(bundle);
  const serve::TritonModelConfig config =
      serve::triton_config_for(model, name, max_batch, !loaded.labels.empty());
  serve::write_triton_files(model_dir, config, loaded.labels);
  if (json) {
    std::cout << nlohmann::json{{"repository", repo.string()},
                                {"model", name},
                                {"files", {"config.pbtxt", "labels.txt", "1/model.onnx"}},
                                {"max_batch_size", max_batch},
                                {"checker", "passed"}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << fmt::format("wrote Triton model repository {}: {}/config.pbtxt, {}/labels.txt, "
                           "{}/1/model.onnx ({} nodes); onnx checker passed\n",
                           repo.string(), name, name, name, s.nodes);
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
  cmd->add_option("--bundle", a->bundle, "Bundle directory")->required()->check(CLI::ExistingDirectory);
  auto* out_opt = cmd->add_option("--out", a->out, "Output .onnx file");
  auto* triton_opt = cmd->add_option(
      "--triton-repo", a->triton_repo,
      "Write a Triton model repository here instead: <dir>/<name>/{config.pbtxt,1/model.onnx}");
  out_opt->excludes(triton_opt);
  cmd->add_option("--triton-name", a->triton_name, "Model name in the repository (default: the "
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
                                  {"data_file", s.data_file.empty() ? "" : s.data_file.filename().string()},
                                  {"nodes", s.nodes},
                                  {"parameters", s.parameters},
                                  {"bytes", s.bytes},
                                  {"opset", a->opset},
                                  {"checker", "passed"}}
                       .dump()
                << "\n";
      return;
    }
    std::cout << fmt::format("exported {} ({} nodes, {} parameters, {:.2f} MB{}); onnx checker and "
                             "shape inference passed\n",
                             s.file.string(), s.nodes, s.parameters, s.bytes / 1e6,
                             s.data_file.empty() ? "" : ", weights in " + s.data_file.filename().string());
  });
}

}  // namespace bog::cli
