#include "parity/graph_parity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/error.h"
#include "model/data/sha256.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/proto_io.h"
#include "onnx_runtime/session.h"
#include "parity/compare.h"
#include "parity/ort_runner.h"

namespace bog::parity {
namespace fs = std::filesystem;
using runtime::DType;
using runtime::Tensor;

namespace {

// Float tensors (as float32) for comparison; nullopt for other dtypes.
std::optional<std::vector<float>> as_floats(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kFloat32:
      std::copy(t.data<float>(), t.data<float>() + t.numel(), v.begin());
      return v;
    case DType::kFloat64:
      for (int64_t i = 0; i < t.numel(); ++i)
        v[static_cast<size_t>(i)] = static_cast<float>(t.data<double>()[i]);
      return v;
    case DType::kFloat16:
      for (int64_t i = 0; i < t.numel(); ++i)
        v[static_cast<size_t>(i)] = runtime::to_float(t.data<runtime::Float16>()[i]);
      return v;
    default:
      return std::nullopt;
  }
}

// Compares two tensors; floats under the tolerance (rows = all but the last dim), other dtypes
// exactly.
Comparison compare_tensors(const Tensor& got, const Tensor& want, const Tolerance& tol) {
  Comparison c;
  if (got.shape() != want.shape() || got.dtype() != want.dtype()) {
    c.within_tolerance = c.passed = false;
    c.max_abs_diff = INFINITY;
    return c;
  }
  const int64_t cols = got.rank() == 0 ? 1 : std::max<int64_t>(1, got.shape().back());
  const int64_t rows = got.numel() == 0 ? 0 : got.numel() / cols;
  const auto a = as_floats(got);
  const auto b = as_floats(want);
  if (a && b) return compare(*a, *b, rows, cols, tol);
  c.rows = rows;
  c.cols = cols;
  const bool same = got.dtype() == DType::kString
                        ? got.strings() == want.strings()
                        : std::equal(static_cast<const char*>(got.raw()),
                                     static_cast<const char*>(got.raw()) + got.nbytes(),
                                     static_cast<const char*>(want.raw()));
  c.within_tolerance = c.passed = same;
  c.max_abs_diff = same ? 0 : INFINITY;
  return c;
}

}  // namespace

std::map<std::string, Tensor> read_feeds(const fs::path& onnx, const fs::path& inputs_dir) {
  runtime::Model model = runtime::load_model(onnx);
  std::vector<runtime::ValueInfo> feed_infos;
  for (const runtime::ValueInfo& v : model.graph.inputs) {
    if (!model.graph.is_initializer(v.name)) feed_infos.push_back(v);
  }
  std::map<std::string, Tensor> feeds;
  for (size_t k = 0; k < feed_infos.size(); ++k) {
    const fs::path f = inputs_dir / fmt::format("input_{}.pb", k);
    runtime::NamedValue nv = runtime::read_named_value_file(f, feed_infos[k].type);
    if (!nv.value.is_tensor()) {
      throw Error(ErrorCategory::kUnsupported, "parity --inputs supports tensor inputs only");
    }
    const std::string name =
        !nv.name.empty() && model.graph.find_input(nv.name) ? nv.name : feed_infos[k].name;
    feeds[name] = std::move(nv.value.tensor);
  }
  return feeds;
}

std::vector<fs::path> test_data_sets(const fs::path& inputs) {
  std::error_code ec;
  if (fs::is_regular_file(inputs / "input_0.pb", ec)) return {inputs};
  std::vector<fs::path> sets;
  if (fs::is_directory(inputs, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(inputs, ec)) {
      if (e.is_directory(ec) && fs::is_regular_file(e.path() / "input_0.pb", ec)) {
        sets.push_back(e.path());
      }
    }
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("--inputs {}: no input_0.pb in it or in any folder inside it",
                            inputs.string()));
  }
  return sets;
}

std::string output_mismatch(const std::vector<std::string>& declared,
                            const std::vector<std::string>& returned) {
  if (returned.size() != declared.size()) {
    return fmt::format("returned {} outputs, the graph declares {} ({})", returned.size(),
                       declared.size(), fmt::join(declared, ", "));
  }
  for (size_t k = 0; k < declared.size(); ++k) {
    if (returned[k] != declared[k]) {
      return fmt::format("output {} is named '{}', the graph declares '{}'", k, returned[k],
                         declared[k]);
    }
  }
  return {};
}

ParityReport run_graph_parity(const GraphParityRequest& req) {
  const runtime::Model model = runtime::load_model(req.onnx);
  std::vector<runtime::ValueInfo> feed_infos;
  for (const runtime::ValueInfo& v : model.graph.inputs) {
    if (!model.graph.is_initializer(v.name)) feed_infos.push_back(v);
  }
  const std::vector<fs::path> sets = test_data_sets(req.inputs);
  const Tolerance& tol = req.tolerance;

  ParityReport report;
  report.artifact = req.onnx.filename().string();
  report.artifact_sha256 = model::sha256_file_hex(req.onnx);
  for (const auto& [k, v] : model.metadata) {
    if (k == "bundle_sha256") report.bundle_sha256 = v;
  }
  report.tolerance = tol;
  report.optimize = req.optimize;
  report.precision = std::string(runtime::precision_name(req.precision));
  report.texts =
      fmt::format("{} test data set(s) from {}", sets.size(), req.inputs.filename().string());

  // Sessions are made once and reused across the data sets (dynamic axes).
  std::vector<std::optional<runtime::Session>> sessions(req.providers.size());
  std::optional<OrtRunner> ort;
  std::vector<bool> started(req.providers.size(), false);
  for (size_t p = 0; p < req.providers.size(); ++p) {
    ProviderParity r;
    r.provider_requested = req.providers[p];
    try {
      if (req.providers[p] == "ort") {
        ort = OrtRunner::find();
        if (!ort) {
          throw Error(ErrorCategory::kProviderUnavailable,
                      "ONNX Runtime unavailable: " + OrtRunner::why_unavailable());
        }
        report.ort_version = ort->version();
      } else {
        runtime::SessionOptions so;
        so.providers = {req.providers[p]};
        if (req.providers[p] != "reference") so.providers.push_back("reference");
        so.threads = req.threads;
        so.optimize = req.optimize;
        so.precision = req.precision;
        sessions[p].emplace(runtime::load_model(req.onnx), so);
        r.provider_used = fmt::format("{}", fmt::join(sessions[p]->placement().used, "+"));
        r.fallback_reasons = sessions[p]->placement().fallback_reasons();
      }
    } catch (const Error& e) {
      r.error = e.what();
    }
    report.results.push_back(std::move(r));
  }

  std::vector<std::string> declared;
  for (const runtime::ValueInfo& v : model.graph.outputs) declared.push_back(v.name);
  bool all_expected = true;
  for (const fs::path& set : sets) {
    std::map<std::string, Tensor> feeds = read_feeds(req.onnx, set);
    // Expected outputs: output_0.pb, output_1.pb, ... as many as there are. A folder holding more
    // or fewer than the graph declares is an output-count mismatch, not a smaller comparison.
    size_t expected_files = 0;
    for (std::error_code ec; fs::exists(set / fmt::format("output_{}.pb", expected_files), ec);) {
      ++expected_files;
    }
    if (expected_files != 0 && expected_files != declared.size()) {
      for (ProviderParity& r : report.results) {
        if (r.error.empty()) {
          r.error =
              fmt::format("{} holds {} expected outputs (output_K.pb) but the graph declares {}",
                          set.filename().string(), expected_files, declared.size());
        }
      }
      continue;
    }
    std::vector<Tensor> expected;
    for (size_t k = 0; k < expected_files; ++k) {
      const fs::path f = set / fmt::format("output_{}.pb", k);
      expected.push_back(runtime::read_value_file(f, model.graph.outputs[k].type).tensor);
    }
    const bool have_expected = !expected.empty();
    all_expected = all_expected && have_expected;
    int64_t rows = 1;
    if (!feed_infos.empty() && feeds.count(feed_infos[0].name) &&
        feeds.at(feed_infos[0].name).rank() > 0) {
      rows = feeds.at(feed_infos[0].name).dim(0);
    }
    report.samples += static_cast<int>(rows);
    report.batch_sizes.push_back(static_cast<int>(rows));

    std::vector<std::vector<Tensor>> all_outputs(req.providers.size());
    for (size_t p = 0; p < req.providers.size(); ++p) {
      ProviderParity& r = report.results[p];
      if (!r.error.empty()) continue;
      std::vector<Tensor>& outs = all_outputs[p];
      try {
        if (req.providers[p] == "ort") {
          std::vector<std::pair<std::string, const Tensor*>> in;
          for (const runtime::ValueInfo& v : feed_infos) in.emplace_back(v.name, &feeds.at(v.name));
          OrtRunResult o = ort->run(req.onnx, in, {});
          r.provider_used = "ort:" + o.provider;
          outs = std::move(o.outputs);
        } else {
          std::map<std::string, runtime::Value> f;
          for (const auto& [k, t] : feeds) f[k] = runtime::Value::from_tensor(t.clone());
          auto out = sessions[p]->run(std::move(f));
          std::vector<std::string> returned;
          for (const auto& [name, value] : out) returned.push_back(name);
          std::vector<std::string> sorted_declared = declared;
          std::sort(sorted_declared.begin(), sorted_declared.end());
          if (const std::string why = output_mismatch(sorted_declared, returned); !why.empty()) {
            throw Error(ErrorCategory::kParityFailed, why);
          }
          for (const runtime::ValueInfo& v : model.graph.outputs) {
            outs.push_back(std::move(out.at(v.name).tensor));
          }
        }
      } catch (const Error& e) {
        r.error = fmt::format("{}: {}", set.filename().string(), e.what());
        continue;
      }
      size_t base_index = p;  // without expected outputs, the first provider that ran
      for (size_t q = 0; q < p && !have_expected; ++q) {
        if (!all_outputs[q].empty()) {
          base_index = q;
          break;
        }
      }
      const std::vector<Tensor>& base = have_expected ? expected : all_outputs[base_index];
      if (outs.size() != base.size() || outs.size() != declared.size()) {
        r.error = fmt::format("{}: {} outputs, expected {}", set.filename().string(), outs.size(),
                              base.size());
        continue;
      }
      for (size_t k = 0; k < base.size(); ++k) {
        const Comparison c = compare_tensors(outs[k], base[k], tol);
        if (!started[p]) {
          r.comparison = c;
          started[p] = true;
        } else {
          merge_into(r.comparison, c, tol);
        }
      }
    }
  }
  report.reference = all_expected ? "expected outputs (output_K.pb)" : req.providers.front();
  report.passed = !report.results.empty();
  for (size_t p = 0; p < report.results.size(); ++p) {
    ProviderParity& r = report.results[p];
    r.passed = r.error.empty() && started[p] && r.comparison.passed;
    report.passed = report.passed && r.passed;
  }
  return report;
}

nlohmann::json Divergence::to_json() const {
  return {{"found", found},
          {"provider_a", provider_a},
          {"provider_b", provider_b},
          {"node", node},
          {"op_type", op_type},
          {"value", value},
          {"max_abs_diff", max_abs_diff},
          {"values_compared", values_compared}};
}

Divergence first_divergence(const fs::path& onnx, const std::map<std::string, Tensor>& feeds,
                            const std::string& a, const std::string& b, const Tolerance& tol,
                            int threads) {
  if (a == "ort" || b == "ort") {
    throw Error(ErrorCategory::kInvalidArgument,
                "--first-divergence compares interpreter providers (reference, cpu, cuda); ONNX "
                "Runtime does not expose intermediate values to this runner");
  }
  struct Trace {
    std::vector<std::pair<const runtime::Node*, std::string>> order;  // (node, value) in run order
    std::map<std::string, Tensor> values;
    std::map<std::string, std::pair<std::string, std::string>> producer;  // value -> (node, op)
  };
  const auto trace = [&](const std::string& provider, Trace& t) {
    runtime::SessionOptions so;
    so.providers = {provider};
    if (provider != "reference") so.providers.push_back("reference");
    so.threads = threads;
    runtime::Session s(runtime::load_model(onnx), so);
    s.set_node_observer([&t](const runtime::Node& n, const std::vector<runtime::Value>& outs) {
      for (size_t i = 0; i < outs.size() && i < n.outputs.size(); ++i) {
        if (n.outputs[i].empty() || !outs[i].is_tensor()) continue;
        t.order.emplace_back(nullptr, n.outputs[i]);
        t.values[n.outputs[i]] = outs[i].tensor.clone();
        t.producer[n.outputs[i]] = {n.name,
                                    n.domain.empty() ? n.op_type : n.domain + ":" + n.op_type};
      }
    });
    std::map<std::string, runtime::Value> f;
    for (const auto& [k, v] : feeds) f[k] = runtime::Value::from_tensor(v.clone());
    (void)s.run(std::move(f));
  };
  Trace ta, tb;
  trace(a, ta);
  trace(b, tb);
  Divergence d;
  d.provider_a = a;
  d.provider_b = b;
  for (const auto& [node, value] : ta.order) {
    const auto it = tb.values.find(value);
    if (it == tb.values.end()) continue;
    ++d.values_compared;
    const Comparison c = compare_tensors(it->second, ta.values.at(value), tol);
    if (!c.within_tolerance) {
      d.found = true;
      d.value = value;
      d.node = ta.producer[value].first;
      d.op_type = ta.producer[value].second;
      d.max_abs_diff = c.max_abs_diff;
      return d;
    }
  }
  return d;
}

}  // namespace bog::parity
