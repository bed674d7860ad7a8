// `bog quantize`: fp32 ONNX -> quantized ONNX (quant/), and with --report the figures that judge
// it: size, accuracy in the interpreter and in ONNX Runtime, agreement with fp32, speed.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "quant/quant_report.h"
#include "quant/quantizer.h"

namespace bog::cli {
namespace fs = std::filesystem;
namespace {

struct Args {
  std::string onnx, method, out;
  std::optional<std::string> config, report, bundle, data;
  bool keep_embeddings = false;
  bool json = false;
  int threads = 2;
};

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "quantize", "Quantize an fp32 ONNX file (dynamic-int8, weight-int8, weight-int4)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--onnx", a->onnx, "Input fp32 ONNX file")->required();
  cmd->add_option("--method", a->method, "dynamic-int8, weight-int8 or weight-int4")->required();
  cmd->add_option("--out", a->out, "Output ONNX file")->required();
  cmd->add_option("--config", a->config,
                  "Compression config (default configs/compression.yaml when present)");
  cmd->add_option("--report", a->report, "Write the quantization report into this folder");
  cmd->add_option("--bundle", a->bundle,
                  "Bundle of the model (with --report: measure accuracy and speed)");
  cmd->add_option("--data", a->data, "AG News directory (default: $BOG_DATA_DIR)");
  cmd->add_option("--threads", a->threads, "Threads for the timing runs (2)");
  cmd->add_flag("--keep-embeddings", a->keep_embeddings, "Leave the embedding table in float32");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a] {
    quant::QuantizeOptions o;
    o.method = quant::parse_method(a->method);
    if (a->config) {
      o.config = quant::load_compression_config(*a->config);
    } else if (fs::is_regular_file("configs/compression.yaml")) {
      o.config = quant::load_compression_config("configs/compression.yaml");
    }
    if (a->keep_embeddings) o.config.quantize_embeddings = false;
    if (!fs::is_regular_file(a->onnx)) {
      throw Error(ErrorCategory::kIo, fmt::format("ONNX file '{}' not found", a->onnx));
    }
    std::optional<fs::path> data_dir;
    if (a->report) {
      std::error_code ec;
      fs::create_directories(*a->report, ec);
      if (ec || !fs::is_directory(*a->report)) {
        throw Error(ErrorCategory::kIo,
                    fmt::format("cannot create report folder '{}': {}", *a->report, ec.message()));
      }
      if (a->bundle) data_dir = model::resolve_data_dir(a->data);
    }
    const quant::QuantizeResult r = quant::quantize_file(a->onnx, a->out, o);
    nlohmann::json summary = r.to_json();
    if (a->report) {
      const fs::path file = quant::write_quant_report(*a->report, r, a->onnx, a->out, a->bundle,
                                                      data_dir, a->threads);
      summary["report"] = file.filename().string();
    }
    if (a->json) {
      std::cout << summary.dump() << "\n";
      return;
    }
    int q = 0, kept = 0;
    for (const auto& d : r.decisions) (d.quantized ? q : kept)++;
    fmt::print(
        "quantized {} -> {} ({}): {:.2f} MB -> {:.2f} MB ({:.3f}x); {} tensors quantized, {} kept; "
        "onnx checker passed\n",
        a->onnx, a->out, r.method, r.input_bytes / 1e6, r.output_bytes / 1e6,
        static_cast<double>(r.output_bytes) / static_cast<double>(r.input_bytes), q, kept);
    for (const auto& d : r.decisions) {
      fmt::print("  {:<28} {:<7} {:<40} {}\n", d.node, d.op, d.quantized ? d.form : "kept float32",
                 d.reason);
    }
  });
}

}  // namespace bog::cli
