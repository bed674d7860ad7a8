// The graph rewrites behind `bog quantize`. Works on onnx::ModelProto directly: the output is an
// ordinary ONNX file (default domain + com.microsoft), never a session-internal graph.
#include "quant/quantizer.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::quant {
namespace fs = std::filesystem;
namespace {

constexpr const char* kMsDomain = "com.microsoft";

int64_t numel(const onnx::TensorProto& t) {
  int64_t n = 1;
  for (int64_t d : t.dims()) n *= d;
  return n;
}

std::vector<float> read_floats(const onnx::TensorProto& t) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("quantize: initializer '{}' uses external data; export without "
                            "--external-data first",
                            t.name()));
  }
  const int64_t n = numel(t);
  std::vector<float> v(static_cast<size_t>(n));
  if (t.has_raw_data()) {
    if (t.raw_data().size() != v.size() * sizeof(float)) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("quantize: initializer '{}' holds {} bytes, want {}", t.name(),
                              t.raw_data().size(), v.size() * sizeof(float)));
    }
    std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    if (t.float_data_size() != n) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("quantize: initializer '{}' holds {} floats, want {}", t.name(),
                              t.float_data_size(), n));
    }
    std::copy(t.float_data().begin(), t.float_data().end(), v.begin());
  }
  return v;
}

template <typename T>
onnx::TensorProto make_tensor(const std::string& name, int32_t dtype, std::vector<int64_t> dims,
                              const std::vector<T>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(dtype);
  for (int64_t d : dims) t.add_dims(d);
  t.set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

onnx::AttributeProto int_attr(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

onnx::NodeProto make_node(const std::string& op, const std::string& name,
                          std::vector<std::string> inputs, std::vector<std::string> outputs,
                          std::vector<onnx::AttributeProto> attrs = {},
                          const std::string& domain = "") {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  if (!domain.empty()) n.set_domain(domain);
  for (auto& i : inputs) n.add_input(i);
  for (auto& o : outputs) n.add_output(o);
  for (auto& a : attrs) *n.add_attribute() = a;
  return n;
}

// Symmetric int8 (ORT's default for dynamic weights): q = round(w / s) in [-127, 127],
// s = max|w| / 127 per column (or over the tensor); s = 1 for an all-zero column.
struct Int8Weights {
  std::vector<int8_t> q;
  std::vector<float> scale;
};
Int8Weights quantize_int8(const std::vector<float>& w, int64_t rows, int64_t cols,
                          bool per_column) {
  Int8Weights out;
  out.q.resize(w.size());
  const int64_t groups = per_column ? cols : 1;
  std::vector<float> absmax(static_cast<size_t>(groups), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      float& m = absmax[static_cast<size_t>(per_column ? c : 0)];
      m = std::max(m, std::fabs(w[static_cast<size_t>(r * cols + c)]));
    }
  }
  for (float m : absmax) out.scale.push_back(m > 0.0f ? m / 127.0f : 1.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float s = out.scale[static_cast<size_t>(per_column ? c : 0)];
      const float q = std::nearbyint(w[static_cast<size_t>(r * cols + c)] / s);
      out.q[static_cast<size_t>(r * cols + c)] =
          static_cast<int8_t>(std::clamp(q, -127.0f, 127.0f));
    }
  }
  return out;
}

// Blocked symmetric codes without zero points (GGUF Q4_0 / Q8_0 style, ORT's default zero
// point 2^(bits-1)): per block, m = the value of largest magnitude (sign kept), scale = m /
// -2^(bits-1), code = clamp(round(v / scale) + 2^(bits-1), 0, 2^bits - 1). `get(i)` yields the
// block's i-th value. Codes past `len` up to `padded` (K padding inside the last block) get the
// zero point, i.e. 0.0.
template <typename Get>
float quantize_block(int64_t len, int64_t padded, int bits, const Get& get, uint8_t* out) {
  float m = 0.0f;
  for (int64_t i = 0; i < len; ++i) {
    if (std::fabs(get(i)) > std::fabs(m)) m = get(i);
  }
  const int zp = 1 << (bits - 1);
  const float scale = m / static_cast<float>(-zp);
  const int per_byte = 8 / bits;
  for (int64_t i = 0; i < padded; ++i) {
    int code = zp;
    if (scale != 0.0f && i < len) {
      code = static_cast<int>(std::clamp(std::nearbyint(get(i) / scale) + zp, 0.0f,
                                         static_cast<float>((1 << bits) - 1)));
    }
    out[i / per_byte] |= static_cast<uint8_t>(code << ((i % per_byte) * bits));
  }
  return scale;
}

bool skipped(const std::vector<std::string>& skip, const std::string& node,
             const std::string& weight) {
  for (const std::string& p : skip) {
    if (!p.empty() && (node.rfind(p, 0) == 0 || weight.rfind(p, 0) == 0)) return true;
  }
  return false;
}

class Rewriter {
 public:
  Rewriter(onnx::ModelProto& m, const QuantizeOptions& o, QuantizeResult& r)
      : m_(m), o_(o), r_(r) {}

  void run() {
    onnx::GraphProto& g = *m_.mutable_graph();
    if (g.node_size() == 0)
      throw Error(ErrorCategory::kInvalidModel, "quantize: the graph has no nodes");
    int64_t opset = 0;
    for (const auto& op : m_.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") opset = op.version();
    }
    if (o_.method == Method::kDynamicInt8 && opset < 11) {
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("quantize: dynamic-int8 needs default-domain opset >= 11 "
                              "(DynamicQuantizeLinear); the model has {}",
                              opset));
    }
    for (int i = 0; i < g.initializer_size(); ++i) init_[g.initializer(i).name()] = i;
    for (const auto& n : g.node()) {
      for (const auto& in : n.input()) ++uses_[in];
      for (const auto& o : n.output()) names_.insert(o);
    }
    for (const auto& in : g.input()) names_.insert(in.name());
    for (const auto& out : g.output()) ++uses_[out.name()];

    std::vector<onnx::NodeProto> nodes;
    for (const onnx::NodeProto& n : g.node()) {
      if (n.domain().empty() && n.op_type() == "MatMul") {
        rewrite_matmul(n, nodes);
      } else if (n.domain().empty() && n.op_type() == "Gather") {
        rewrite_gather(n, nodes);
      } else {
        nodes.push_back(n);
      }
    }
    int quantized = 0;
    for (const Decision& d : r_.decisions) quantized += d.quantized && d.op == "MatMul";
    if (quantized == 0) {
      throw Error(ErrorCategory::kInvalidArgument,
                  "quantize: no MatMul with a constant float32 2-D weight to quantize");
    }
    g.clear_node();
    for (auto& n : nodes) *g.add_node() = std::move(n);
    // Initializers: drop the float weights nothing reads any more, add the quantized ones.
    std::vector<onnx::TensorProto> keep;
    for (const auto& t : g.initializer()) {
      if (!dropped_.count(t.name())) keep.push_back(t);
    }
    g.clear_initializer();
    for (auto& t : keep) *g.add_initializer() = std::move(t);
    for (auto& t : added_) *g.add_initializer() = std::move(t);
    if (o_.method != Method::kDynamicInt8) {
      bool has_ms = false;
      for (const auto& op : m_.opset_import()) has_ms |= op.domain() == kMsDomain;
      if (!has_ms) {
        auto* op = m_.add_opset_import();
        op->set_domain(kMsDomain);
        op->set_version(1);
      }
    }
    auto* meta = m_.add_metadata_props();
    meta->set_key("quantization");
    meta->set_value(method_name(o_.method));
  }

 private:
  const onnx::TensorProto* float_weight(const std::string& name) const {
    const auto it = init_.find(name);
    if (it == init_.end()) return nullptr;
    const onnx::TensorProto& t = m_.graph().initializer(it->second);
    if (t.data_type() != onnx::TensorProto::FLOAT || t.dims_size() != 2) return nullptr;
    return &t;
  }

  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int i = 1; names_.count(name) || init_.count(name); ++i)
      name = fmt::format("{}_{}", base, i);
    names_.insert(name);
    return name;
  }

  void drop_if_unused(const std::string& w) {
    if (uses_[w] == 1) dropped_.insert(w);
  }

  int64_t add(onnx::TensorProto t) {
    const int64_t bytes = static_cast<int64_t>(t.raw_data().size());
    added_.push_back(std::move(t));
    return bytes;
  }

  void rewrite_matmul(const onnx::NodeProto& n, std::vector<onnx::NodeProto>& nodes) {
    Decision d;
    d.node = n.name();
    d.op = "MatMul";
    const onnx::TensorProto* w = n.input_size() == 2 ? float_weight(n.input(1)) : nullptr;
    if (w == nullptr) {
      d.reason = "both operands are activations (no constant weight)";
      r_.decisions.push_back(d);
      nodes.push_back(n);
      return;
    }
    d.weight = w->name();
    const int64_t k = w->dims(0), cols = w->dims(1);
    d.parameters = k * cols;
    d.bytes_before = d.parameters * 4;
    if (skipped(o_.config.skip, n.name(), w->name())) {
      d.reason = "named in the config's skip list";
      d.bytes_after = d.bytes_before;
      r_.decisions.push_back(d);
      nodes.push_back(n);
      return;
    }
    const std::vector<float> wv = read_floats(*w);
    const std::string& a = n.input(0);
    const std::string& y = n.output(0);
    d.quantized = true;
    if (o_.method == Method::kDynamicInt8) {
      const bool per_col = o_.config.per_channel;
      const Int8Weights q = quantize_int8(wv, k, cols, per_col);
      const std::string wq = fresh(w->name() + "_quantized");
      const std::string ws = fresh(w->name() + "_scale");
      const std::string wz = fresh(w->name() + "_zero_point");
      const std::vector<int64_t> pdims =
          per_col ? std::vector<int64_t>{cols} : std::vector<int64_t>{};
      d.bytes_after = add(make_tensor(wq, onnx::TensorProto::INT8, {k, cols}, q.q)) +
                      add(make_tensor(ws, onnx::TensorProto::FLOAT, pdims, q.scale)) +
                      add(make_tensor(wz, onnx::TensorProto::INT8, pdims,
                                      std::vector<int8_t>(q.scale.size(), 0)));
      auto dq = dql_.find(a);
      if (dq == dql_.end()) {
        const std::array<std::string, 3> outs = {fresh(a + "_quantized"), fresh(a + "_scale"),
                                                 fresh(a + "_zero_point")};
        nodes.push_back(make_node("DynamicQuantizeLinear", fresh(a + "_QuantizeLinear"), {a},
                                  {outs[0], outs[1], outs[2]}));
        dq = dql_.emplace(a, outs).first;
      }
      const auto& [aq, as, az] = dq->second;
      const std::string acc = fresh(y + "_output_quantized");
      const std::string accf = fresh(y + "_output_quantized_cast");
      const std::string scale = fresh(y + "_scales_mul");
      nodes.push_back(
          make_node("MatMulInteger", fresh(n.name() + "_quant"), {aq, wq, az, wz}, {acc}));
      nodes.push_back(make_node("Cast", fresh(n.name() + "_cast"), {acc}, {accf},
                                {int_attr("to", onnx::TensorProto::FLOAT)}));
      nodes.push_back(make_node("Mul", fresh(n.name() + "_scales_mul"), {as, ws}, {scale}));
      nodes.push_back(make_node("Mul", fresh(n.name() + "_output_scale_mul"), {accf, scale}, {y}));
      d.form = fmt::format("DynamicQuantizeLinear + MatMulInteger (int8 weights, {})",
                           per_col ? "per column" : "per tensor");
      d.reason = "constant float32 weight";
    } else {
      const int bits = o_.method == Method::kWeightInt4 ? 4 : 8;
      const int64_t block = o_.config.block_size;
      const int64_t k_blocks = (k + block - 1) / block;
      const int64_t blob = block * bits / 8;
      std::vector<uint8_t> packed(static_cast<size_t>(cols * k_blocks * blob), 0);
      std::vector<float> scales(static_cast<size_t>(cols * k_blocks));
      for (int64_t c = 0; c < cols; ++c) {
        for (int64_t kb = 0; kb < k_blocks; ++kb) {
          const int64_t k0 = kb * block;
          const int64_t len = std::min(block, k - k0);
          scales[static_cast<size_t>(c * k_blocks + kb)] = quantize_block(
              len, block, bits,
              [&](int64_t i) { return wv[static_cast<size_t>((k0 + i) * cols + c)]; },
              packed.data() + (c * k_blocks + kb) * blob);
        }
      }
      const std::string wq = fresh(w->name() + "_Q" + std::to_string(bits));
      const std::string ws = fresh(w->name() + "_scales");
      d.bytes_after =
          add(make_tensor(wq, onnx::TensorProto::UINT8, {cols, k_blocks, blob}, packed)) +
          add(make_tensor(ws, onnx::TensorProto::FLOAT, {cols, k_blocks}, scales));
      nodes.push_back(make_node("MatMulNBits", fresh(n.name() + "_Q" + std::to_string(bits)),
                                {a, wq, ws}, {y},
                                {int_attr("K", k), int_attr("N", cols), int_attr("bits", bits),
                                 int_attr("block_size", block)},
                                kMsDomain));
      d.form = fmt::format("MatMulNBits bits={} block={}", bits, block);
      d.reason = "constant float32 weight";
    }
    drop_if_unused(w->name());
    r_.decisions.push_back(d);
  }

  void rewrite_gather(const onnx::NodeProto& n, std::vector<onnx::NodeProto>& nodes) {
    const onnx::TensorProto* e = n.input_size() == 2 ? float_weight(n.input(0)) : nullptr;
    if (e == nullptr) {
      nodes.push_back(n);  // not a table lookup (e.g. Gather on an activation): nothing to say
      return;
    }
    Decision d;
    d.node = n.name();
    d.op = "Gather";
    d.weight = e->name();
    const int64_t rows = e->dims(0), cols = e->dims(1);
    d.parameters = rows * cols;
    d.bytes_before = d.parameters * 4;
    d.bytes_after = d.bytes_before;
    int64_t axis = 0;
    for (const auto& a : n.attribute()) {
      if (a.name() == "axis") axis = a.i();
    }
    const int bits = o_.method == Method::kWeightInt4 ? 4 : 8;
    if (!o_.config.quantize_embeddings) {
      d.reason = "embeddings kept in float32 (--keep-embeddings or quantize_embeddings: false)";
    } else if (skipped(o_.config.skip, n.name(), e->name())) {
      d.reason = "named in the config's skip list";
    } else if (axis != 0) {
      d.reason = fmt::format("Gather along axis {} (only row lookups are quantized)", axis);
    } else if (o_.method != Method::kDynamicInt8 && (cols * bits) % 8 != 0) {
      d.reason = fmt::format("row length {} does not pack into whole bytes at {} bits", cols, bits);
    }
    if (!d.reason.empty()) {
      r_.decisions.push_back(d);
      nodes.push_back(n);
      return;
    }
    const std::vector<float> ev = read_floats(*e);
    const std::string& ids = n.input(1);
    const std::string& y = n.output(0);
    d.quantized = true;
    d.reason = "constant float32 table";
    if (o_.method == Method::kDynamicInt8) {
      // ORT's dynamic form for Gather: int8 table (per tensor), Gather, DequantizeLinear.
      const Int8Weights q = quantize_int8(ev, rows, cols, false);
      const std::string eq = fresh(e->name() + "_quantized");
      const std::string es = fresh(e->name() + "_scale");
      const std::string ez = fresh(e->name() + "_zero_point");
      d.bytes_after = add(make_tensor(eq, onnx::TensorProto::INT8, {rows, cols}, q.q)) +
                      add(make_tensor(es, onnx::TensorProto::FLOAT, {}, q.scale)) +
                      add(make_tensor(ez, onnx::TensorProto::INT8, {}, std::vector<int8_t>{0}));
      const std::string gq = fresh(y + "_quantized");
      nodes.push_back(make_node("Gather", n.name(), {eq, ids}, {gq}));
      nodes.push_back(
          make_node("DequantizeLinear", fresh(n.name() + "_dequantize"), {gq, es, ez}, {y}));
      d.form = "Gather on int8 (per tensor) + DequantizeLinear";
    } else {
      const int64_t block = o_.config.block_size;
      const int64_t blocks = (cols + block - 1) / block;
      const int64_t row_bytes = cols * bits / 8;
      std::vector<uint8_t> packed(static_cast<size_t>(rows * row_bytes), 0);
      std::vector<float> scales(static_cast<size_t>(rows * blocks));
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t b = 0; b < blocks; ++b) {
          const int64_t c0 = b * block;
          // Blocks start on whole bytes: block_size * bits is a multiple of 8 (block >= 16).
          scales[static_cast<size_t>(r * blocks + b)] = quantize_block(
              std::min(block, cols - c0), std::min(block, cols - c0), bits,
              [&](int64_t i) { return ev[static_cast<size_t>(r * cols + c0 + i)]; },
              packed.data() + r * row_bytes + c0 * bits / 8);
        }
      }
      const std::string eq = fresh(e->name() + "_Q" + std::to_string(bits));
      const std::string es = fresh(e->name() + "_scales");
      d.bytes_after = add(make_tensor(eq, onnx::TensorProto::UINT8, {rows, row_bytes}, packed)) +
                      add(make_tensor(es, onnx::TensorProto::FLOAT, {rows, blocks}, scales));
      nodes.push_back(make_node("GatherBlockQuantized", n.name(), {eq, ids, es}, {y},
                                {int_attr("gather_axis", 0), int_attr("quantize_axis", 1),
                                 int_attr("block_size", block), int_attr("bits", bits)},
                                kMsDomain));
      d.form = fmt::format("GatherBlockQuantized bits={} block={}", bits, block);
    }
    drop_if_unused(e->name());
    r_.decisions.push_back(d);
  }

  onnx::ModelProto& m_;
  const QuantizeOptions& o_;
  QuantizeResult& r_;
  std::map<std::string, int> init_;
  std::map<std::string, int> uses_;
  std::set<std::string> names_;
  std::set<std::string> dropped_;
  std::vector<onnx::TensorProto> added_;
  std::map<std::string, std::array<std::string, 3>> dql_;
};

}  // namespace

Method parse_method(std::string_view name) {
  if (name == "dynamic-int8") return Method::kDynamicInt8;
  if (name == "weight-int8") return Method::kWeightInt8;
  if (name == "weight-int4") return Method::kWeightInt4;
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("unknown quantization method '{}' (known: dynamic-int8, weight-int8, "
                          "weight-int4)",
                          name));
}

std::string method_name(Method method) {
  switch (method) {
    case Method::kDynamicInt8:
      return "dynamic-int8";
    case Method::kWeightInt8:
      return "weight-int8";
    default:
      return "weight-int4";
  }
}

CompressionConfig load_compression_config(const fs::path& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("compression config '{}': {}", path.string(), e.what()));
  }
  CompressionConfig c;
  try {
    if (root["block_size"]) c.block_size = root["block_size"].as<int64_t>();
    if (root["per_channel"]) c.per_channel = root["per_channel"].as<bool>();
    if (root["quantize_embeddings"]) c.quantize_embeddings = root["quantize_embeddings"].as<bool>();
    if (root["skip"]) c.skip = root["skip"].as<std::vector<std::string>>();
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("compression config '{}': {}", path.string(), e.what()));
  }
  if (c.block_size < 16 || (c.block_size & (c.block_size - 1)) != 0) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("compression config '{}': block_size {} is not a power of 2 >= 16 "
                            "(MatMulNBits needs one)",
                            path.string(), c.block_size));
  }
  return c;
}

std::string quantize_bytes(const std::string& model_bytes, const QuantizeOptions& options,
                           QuantizeResult& result) {
  onnx::ModelProto m;
  if (model_bytes.empty() || !m.ParseFromString(model_bytes) || !m.has_graph()) {
    throw Error(ErrorCategory::kInvalidModel, "quantize: input is not an ONNX model");
  }
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("quantize: input fails the ONNX checker: {}", e.what()));
  }
  result.method = method_name(options.method);
  Rewriter(m, options, result).run();
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error(
        ErrorCategory::kInternal,
        fmt::format("quantize: the ONNX checker rejected the quantized graph: {}", e.what()));
  }
  std::string out;
  if (!m.SerializeToString(&out))
    throw Error(ErrorCategory::kInternal, "quantize: serialization failed");
  return out;
}

QuantizeResult quantize_file(const fs::path& in, const fs::path& out,
                             const QuantizeOptions& options) {
  QuantizeResult r;
  const std::string bytes = read_file(in);
  const std::string q = quantize_bytes(bytes, options, r);
  r.input_file = in.filename().string();
  r.output_file = out.filename().string();
  r.input_bytes = static_cast<int64_t>(bytes.size());
  r.output_bytes = static_cast<int64_t>(q.size());
  write_file_atomic(out, q);
  return r;
}

nlohmann::json QuantizeResult::to_json() const {
  nlohmann::json ds = nlohmann::json::array();
  for (const Decision& d : decisions) {
    ds.push_back({{"node", d.node},
                  {"op", d.op},
                  {"weight", d.weight},
                  {"quantized", d.quantized},
                  {"form", d.form},
                  {"reason", d.reason},
                  {"parameters", d.parameters},
                  {"bytes_before", d.bytes_before},
                  {"bytes_after", d.bytes_after}});
  }
  return {{"method", method},
          {"input", input_file},
          {"output", output_file},
          {"input_bytes", input_bytes},
          {"output_bytes", output_bytes},
          {"ratio", input_bytes > 0 ? static_cast<double>(output_bytes) / input_bytes : 0.0},
          {"checker", "passed"},
          {"decisions", ds}};
}

}  // namespace bog::quant
