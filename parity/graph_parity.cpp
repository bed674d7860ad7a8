#include "parity/graph_parity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "common/error.h"
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
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(t.data<double>()[i]);
      return v;
    case DType::kFloat16:
      for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = runtime::to_float(t.data<runtime::Float16>()[i]);
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
  const bool same = got.dtype() == DType::kString ? got.strings() == want.strings()
                                                    : std::equal(static_cast<const char*>(got.raw()),
                                                                 static_cast<const char*>(got.raw()) + got.nbytes(),
                                                                 static_cast<const char*>(want.raw()));
  c.within_tolerance = c.passed = same;
  c.max_abs_diff = same ? 0 : INFINITY;
  return c;
}

}  // namespace

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

nlohmann::json run_graph_parity(const fs::path& onnx, const fs::path& inputs_dir,
                                 const std::vector<std::string>& providers,
                                 const Tolerance& tol, int threads) {
  runtime::Model model = runtime::load_model(onnx);
  std::vector<runtime::ValueInfo> feed_infos;
  for (const runtime::ValueInfo& v : model.graph.inputs) {
    if (!model.graph.is_initializer(v.name)) feed_infos.push_back(v);
  }
  std::map<std::string, Tensor> feeds = read_feeds(onnx, inputs_dir);
  std::vector<std::string> declared;
  for (const runtime::ValueInfo& v : model.graph.outputs) declared.push_back(v.name);
  // Expected outputs: output_0.pb, output_1.pb, ... as many as there are. A folder holding more
  // or fewer than the graph declares is an output-count mismatch, not a smaller comparison.
  size_t expected_files = 0;
  for (std::error_code ec;
       fs::exists(inputs_dir / fmt::format("output_{}.pb", expected_files), ec);) {
    ++expected_files;
  }
  if (expected_files != 0 && expected_files != declared.size()) {
    return {{"passed", false},
            {"artifact", onnx.filename().string()},
            {"baseline", "expected"},
            {"error", fmt::format("{} holds {} expected outputs (output_K.pb) but the graph "
                                  "declares {}",
                                  inputs_dir.filename().string(), expected_files, declared.size())},
            {"results", nlohmann::json::array()}};
  }
  std::vector<Tensor> expected;
  for (size_t k = 0; k < expected_files; ++k) {
    const fs::path f = inputs_dir / fmt::format("output_{}.pb", k);
    expected.push_back(runtime::read_value_file(f, model.graph.outputs[k].type).tensor);
  }
  const bool have_expected = !expected.empty();

  nlohmann::json results = nlohmann::json::array();
  std::vector<std::vector<Tensor>> all_outputs;
  bool passed = true;
  for (const std::string& p : providers) {
    nlohmann::json r = {{"provider_requested", p}};
    std::vector<Tensor> outs;
    try {
      if (p == "ort") {
        const auto ort = OrtRunner::find();
        if (!ort) throw Error(ErrorCategory::kProviderUnavailable, "ONNX Runtime unavailable: " + OrtRunner::why_unavailable());
        std::vector<std::pair<std::string, const Tensor*>> in;
        for (const runtime::ValueInfo& v : feed_infos) in.emplace_back(v.name, &feeds.at(v.name));
        OrtRunResult o = ort->run(onnx, in, {});
        r["provider_used"] = "ort:" + o.provider;
        r["ort_version"] = o.version;
        std::vector<std::string> names = o.output_names;
        names.resize(std::max(names.size(), o.outputs.size()));  // unnamed extras still count
        if (const std::string why = output_mismatch(declared, names); !why.empty()) {
          throw Error(ErrorCategory::kParityFailed, why);
        }
        outs = std::move(o.outputs);
      } else {
        runtime::SessionOptions so;
        so.providers = {p};
        if (p != "reference") so.providers.push_back("reference");
        so.threads = threads;
        runtime::Session s(runtime::load_model(onnx), so);
        r["provider_used"] = fmt::format("{}", fmt::join(s.placement().used, "+"));
        r["fallback_reasons"] = s.placement().fallback_reasons();
        std::map<std::string, runtime::Value> f;
        for (const auto& [k, t] : feeds) f[k] = runtime::Value::from_tensor(t.clone());
        auto out = s.run(std::move(f));
        // The session returns a map sorted by name: compare with the declared names sorted.
        std::vector<std::string> returned, declared_sorted = declared;
        for (const auto& [name, v] : out) returned.push_back(name);
        std::sort(declared_sorted.begin(), declared_sorted.end());
        if (const std::string why = output_mismatch(declared_sorted, returned); !why.empty()) {
          throw Error(ErrorCategory::kParityFailed, why);
        }
        for (const runtime::ValueInfo& v : model.graph.outputs) outs.push_back(std::move(out.at(v.name).tensor));
      }
    } catch (const Error& e) {
      r["error"] = e.what();
      r["passed"] = false;
      passed = false;
      results.push_back(r);
      all_outputs.emplace_back();
      continue;
    }
    const std::vector<Tensor>* base = have_expected ? &expected : (all_outputs.empty() ? nullptr : &all_outputs[0]);
    bool ok = true;
    double max_abs = 0, agree = 1;
    nlohmann::json per_output = nlohmann::json::array();
    if (base != nullptr && !base->empty() && base->size() != outs.size()) {
      ok = false;  // never compare only the shorter list
      r["error"] = fmt::format("{} outputs, the baseline has {}", outs.size(), base->size());
    } else if (base != nullptr && !base->empty()) {
      for (size_t k = 0; k < outs.size(); ++k) {
        const Comparison c = compare_tensors(outs[k], (*base)[k], tol);
        ok = ok && c.passed;
        max_abs = std::max(max_abs, c.max_abs_diff);
        agree = std::min(agree, c.argmax_agreement);
        nlohmann::json cj = c.to_json();
        cj["name"] = model.graph.outputs[k].name;
        per_output.push_back(cj);
      }
    }
    r["max_abs_diff"] = max_abs;
    r["argmax_agreement"] = agree;
    r["passed"] = ok;
    r["outputs"] = per_output;
    passed = passed && ok;
    results.push_back(r);
    all_outputs.push_back(std::move(outs));
  }
  return {{"passed", passed},
          {"artifact", onnx.filename().string()},
          {"baseline", have_expected ? std::string("expected") : providers.front()},
          {"results", results}};
}

nlohmann::json Divergence::to_json() const {
  return {{"found", found},          {"provider_a", provider_a}, {"provider_b", provider_b},
          {"node", node},            {"op_type", op_type},       {"value", value},
          {"max_abs_diff", max_abs_diff}, {"values_compared", values_compared}};
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
        t.producer[n.outputs[i]] = {n.name, n.domain.empty() ? n.op_type : n.domain + ":" + n.op_type};
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
