// `bog export`: bundle -> ONNX (opset 17), checked by libonnx and written atomically.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "onnx_export/exporter.h"

namespace bog::cli {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Export a bundle to ONNX (IR 8, opset 17)");
  struct Args {
    std::string bundle, out;
    bool external_data = false;
    int opset = 17;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "Bundle directory")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Output .onnx file")->required();
  cmd->add_flag("--external-data", a->external_data,
                "Write weights to <file>.data (ONNX external data convention)");
  cmd->add_option("--opset", a->opset, "Default-domain opset (17)");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a] {
    onnx_export::ExportOptions o;
    o.opset = a->opset;
    o.external_data = a->external_data;
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
