// `bog eval`: scores a bundle on AG News test.csv (or the validation split of train.csv).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "model/train/eval_report.h"
#include "parity/onnx_accuracy.h"
#include "parity/onnx_perplexity.h"
#include "parity/precision_report.h"

namespace bog::cli {

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Accuracy, macro-F1, ECE, NLL and confusion of a bundle");
  struct Args {
    std::string bundle;
    std::optional<std::string> data;
    std::string split = "test";
    bool json = false;
    std::optional<std::string> onnx;
    std::string provider = "cpu";
    int threads = 1;
    std::string precision = "fp32";
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--bundle", args->bundle, "Bundle directory")->required();
  cmd->add_option("--data", args->data, "AG News directory (default: $BOG_DATA_DIR)");
  cmd->add_option("--split", args->split, "test or valid")->check(CLI::IsMember({"test", "valid"}));
  cmd->add_option(
      "--onnx", args->onnx,
      "Evaluate this ONNX file (fp32 or quantized) instead of the bundle's Eigen model");
  cmd->add_option("--provider", args->provider, "With --onnx: cpu, reference or ort (cpu)");
  cmd->add_option("--threads", args->threads, "With --onnx: threads (1)");
  cmd->add_option("--precision", args->precision,
                  "With --onnx: fp32 (default) or bf16 GEMMs on the cpu provider (fp32 with the "
                  "reason where the CPU has no bf16)");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    if (args->onnx && model::bundle_architecture(args->bundle) == "tiny_llama_lm") {
      const parity::OnnxPerplexity p = parity::evaluate_onnx_perplexity(
          args->bundle, *args->onnx, model::resolve_data_dir(args->data), args->split,
          args->provider, args->threads);
      if (args->json) {
        std::cout << p.report.dump() << "\n";
      } else {
        fmt::print(
            "{} on {} split via {}: {} documents, {} predicted tokens, perplexity {:.3f} "
            "(nll {:.4f})\n",
            *args->onnx, args->split, p.provider_used, p.documents, p.tokens, p.perplexity, p.nll);
      }
      return;
    }
    if (args->onnx) {
      const parity::OnnxEval e =
          parity::evaluate_onnx(args->bundle, *args->onnx, model::resolve_data_dir(args->data),
                                args->split, args->provider, args->threads, 32, args->precision);
      if (args->json) {
        std::cout << e.report.dump() << "\n";
      } else {
        fmt::print("{} on {} split via {}: n = {}  accuracy {:.4f}  macro-F1 {:.4f}  NLL {:.4f}\n",
                   *args->onnx, args->split, e.provider_used, e.metrics.n, e.metrics.accuracy,
                   e.metrics.macro_f1, e.metrics.nll);
        if (args->precision != "fp32") fmt::print("{}\n", parity::precision_line(args->precision));
      }
      return;
    }
    if (model::bundle_architecture(args->bundle) == "tiny_llama_lm") {
      const nlohmann::json r =
          model::evaluate_lm_bundle(args->bundle, model::resolve_data_dir(args->data), args->split);
      if (args->json) {
        std::cout << r.dump() << "\n";
      } else {
        fmt::print(
            "bundle {} on {} split: {} documents, {} predicted tokens, perplexity {:.3f} "
            "(nll {:.4f})\n",
            args->bundle, args->split, r["documents"].get<int64_t>(), r["tokens"].get<int64_t>(),
            r["perplexity"].get<double>(), r["nll"].get<double>());
      }
      return;
    }
    const model::BundleEval e =
        model::evaluate_bundle(args->bundle, model::resolve_data_dir(args->data), args->split);
    const auto& m = e.metrics;
    if (args->json) {
      std::cout << e.report.dump() << "\n";
      return;
    }
    fmt::print("bundle {} on {} split: n = {}\n", args->bundle, args->split, m.n);
    fmt::print("accuracy {:.4f}  macro-F1 {:.4f}  NLL {:.4f}  ECE(15 bins) {:.4f}\n", m.accuracy,
               m.macro_f1, m.nll, m.ece);
    fmt::print("{:>10} {:>9} {:>9}   confusion (rows true, columns predicted)\n", "class",
               "precision", "recall");
    for (int i = 0; i < m.num_classes; ++i) {
      std::string row;
      for (auto v : m.confusion[i]) row += fmt::format(" {:6}", v);
      fmt::print("{:>10} {:9.4f} {:9.4f}  {}\n", e.labels[i], m.precision[i], m.recall[i], row);
    }
  });
}

}  // namespace bog::cli
