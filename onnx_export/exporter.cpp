#include "onnx_export/exporter.h"

#include <fmt/format.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/data/sha256.h"
#include "onnx_export/graph_builder.h"

namespace bog::onnx_export {
namespace fs = std::filesystem;
using model::ModelConfig;

namespace {

// Additive mask value: exp(score - 1e9 - max) is exactly 0 in float32, like skipping the key.
constexpr float kMaskValue = -1e9f;

class TransformerExporter {
 public:
  TransformerExporter(const ModelConfig& config, const model::ParamList& params,
                      onnx::GraphProto* graph)
      : c_(config), b_(graph) {
    for (const model::Param* p : params) params_[p->name] = p;
  }

  // The decoder LM with past/present (optimum / ONNX Runtime GenAI naming): RoPE angles from
  // position_ids, causal + padding bias from attention_mask over past and new keys, present =
  // Concat(past, new) per layer, logits [B, T, vocab].
  void build_lm() {
    lm_ = true;
    const std::string ids = "input_ids";
    std::string x = b_.op("Gather", {weight("tok_embeddings"), ids}, {}, "embed");
    const std::string seq = b_.op("Shape", {ids}, {attr_int("start", 1), attr_int("end", 2)}, "seq_len");
    const std::string total =
        b_.op("Shape", {"attention_mask"}, {attr_int("start", 1), attr_int("end", 2)}, "total_len");
    mask_f_ = b_.op("Cast", {"attention_mask"}, {attr_int("to", onnx::TensorProto::FLOAT)}, "mask_f");
    // Key padding bias [B, 1, 1, S] plus the causal bias [T, S]: query i (cache position
    // past + i) sees key j iff j <= past + i.
    const std::string inv = b_.op("Sub", {b_.scalar(1.0f), mask_f_}, {}, "mask_inv");
    const std::string key = b_.op("Mul", {inv, b_.scalar(kMaskValue)}, {}, "key_bias");
    const std::string key4 = b_.op("Unsqueeze", {key, b_.ints({1, 2})}, {}, "key_bias4d");
    const std::string total_s = b_.op("Squeeze", {total, b_.ints({0})}, {}, "total_scalar");
    const std::string past = b_.op("Sub", {total, seq}, {}, "past_len");
    const std::string past_s = b_.op("Squeeze", {past, b_.ints({0})}, {}, "past_scalar");
    const std::string one = int_scalar(1), zero = int_scalar(0);
    const std::string q_pos = b_.op("Range", {past_s, total_s, one}, {}, "query_pos");
    const std::string k_pos = b_.op("Range", {zero, total_s, one}, {}, "key_pos");
    const std::string q_col = b_.op("Unsqueeze", {q_pos, b_.ints({1})}, {}, "query_pos_col");
    const std::string k_row = b_.op("Unsqueeze", {k_pos, b_.ints({0})}, {}, "key_pos_row");
    const std::string future = b_.op("Greater", {k_row, q_col}, {}, "future");
    const std::string future_f = b_.op("Cast", {future}, {attr_int("to", onnx::TensorProto::FLOAT)}, "future_f");
    const std::string causal = b_.op("Mul", {future_f, b_.scalar(kMaskValue)}, {}, "causal_bias");
    attn_bias_ = b_.op("Add", {key4, causal}, {}, "attn_bias");
    build_rope_tables();
    for (int i = 0; i < c_.n_layers; ++i) {
      layer_ = i;
      x = block(x, fmt::format("blocks.{}", i));
    }
    x = norm(x, "final_norm");
    std::string head;
    if (has_param("lm_head.weight")) {
      head = weight("lm_head.weight");
    } else {
      // Tied: the embedding's transpose as its own [d_model, vocab] initializer, so the head is
      // a MatMul by a constant like every other projection.
      const model::Param& e = param("tok_embeddings");
      const Eigen::MatrixXf t = e.value.transpose();
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major = t;
      head = b_.weight("lm_head.weight",
                       std::span<const float>(row_major.data(), static_cast<size_t>(row_major.size())),
                       {e.value.cols(), e.value.rows()});
    }
    const std::string logits = b_.op("MatMul", {x, head}, {}, "lm_head.matmul");
    b_.rename_output(logits, "logits");
  }

  void build() {
    const std::string ids = "input_ids";
    const std::string mask = "attention_mask";
    std::string x = b_.op("Gather", {weight("tok_embeddings"), ids}, {}, "embed");
    // [T] as a 1-D tensor: Shape(input_ids)[1:2].
    seq_len_ = b_.op("Shape", {ids}, {attr_int("start", 1), attr_int("end", 2)}, "seq_len");
    if (c_.positions == model::PositionKind::kLearned) {
      const std::string pos = b_.op("Slice", {weight("pos_embeddings"), b_.ints({0}), seq_len_,
                                              b_.ints({0})}, {}, "positions");
      x = b_.op("Add", {x, pos}, {}, "embed_pos");
    }
    mask_f_ = b_.op("Cast", {mask}, {attr_int("to", onnx::TensorProto::FLOAT)}, "mask_f");
    build_attention_bias();
    if (c_.positions == model::PositionKind::kRope) build_rope_tables();
    for (int i = 0; i < c_.n_layers; ++i) x = block(x, fmt::format("blocks.{}", i));
    x = norm(x, "final_norm");
    const std::string pooled = pool(x);
    const std::string logits = linear(pooled, "head");
    b_.rename_output(logits, "logits");
  }

 private:
  const model::Param& param(const std::string& name) const {
    const auto it = params_.find(name);
    if (it == params_.end()) {
      throw Error(ErrorCategory::kInvalidModel, fmt::format("export: model has no parameter '{}'", name));
    }
    return *it->second;
  }
  bool has_param(const std::string& name) const { return params_.count(name) > 0; }

  std::string int_scalar(int64_t v) {
    const std::string name = fmt::format("int_scalar_{}", v);
    if (added_.insert(name).second) {
      onnx::TensorProto* t = b_.graph()->add_initializer();
      t->set_name(name);
      t->set_data_type(onnx::TensorProto::INT64);
      t->add_int64_data(v);
    }
    return name;
  }

  // Initializer from a parameter: 1 x n vectors become 1-D [n].
  std::string weight(const std::string& name) {
    if (added_.count(name)) return name;
    const model::Param& p = param(name);
    std::vector<int64_t> dims;
    if (p.value.rows() == 1 && name.find("embeddings") == std::string::npos) {
      dims = {p.value.cols()};
    } else {
      dims = {p.value.rows(), p.value.cols()};
    }
    added_.insert(name);
    return b_.weight(name, std::span<const float>(p.value.data(), static_cast<size_t>(p.value.size())),
                     dims);
  }

  std::string linear(const std::string& x, const std::string& prefix) {
    std::string y = b_.op("MatMul", {x, weight(prefix + ".weight")}, {}, prefix + ".matmul");
    if (has_param(prefix + ".bias")) y = b_.op("Add", {y, weight(prefix + ".bias")}, {}, prefix + ".add");
    return y;
  }

  std::string norm(const std::string& x, const std::string& prefix) {
    if (c_.norm == model::NormKind::kLayer) {
      return b_.op("LayerNormalization", {x, weight(prefix + ".weight"), weight(prefix + ".bias")},
                   {attr_int("axis", -1), attr_float("epsilon", c_.norm_eps)}, prefix);
    }
    // RMSNorm in the Div(X, Sqrt(.)) form that ONNX Runtime's fuser recognises.
    const std::string sq = b_.op("Pow", {x, b_.scalar(2.0f)}, {}, prefix + ".pow");
    const std::string ms = b_.op("ReduceMean", {sq}, {attr_ints("axes", {-1}), attr_int("keepdims", 1)},
                                 prefix + ".mean");
    const std::string var = b_.op("Add", {ms, b_.scalar(c_.norm_eps)}, {}, prefix + ".add_eps");
    const std::string rms = b_.op("Sqrt", {var}, {}, prefix + ".sqrt");
    const std::string xn = b_.op("Div", {x, rms}, {}, prefix + ".div");
    return b_.op("Mul", {xn, weight(prefix + ".weight")}, {}, prefix);
  }

  // [B,1,1,T] key padding bias, plus the [T,T] causal bias when the model is causal.
  void build_attention_bias() {
    const std::string inv = b_.op("Sub", {b_.scalar(1.0f), mask_f_}, {}, "mask_inv");
    const std::string key = b_.op("Mul", {inv, b_.scalar(kMaskValue)}, {}, "key_bias");
    attn_bias_ = b_.op("Unsqueeze", {key, b_.ints({1, 2})}, {}, "key_bias4d");
    if (!c_.causal) return;
    const int64_t n = c_.max_len;
    std::vector<float> table(static_cast<size_t>(n * n), 0.0f);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = i + 1; j < n; ++j) table[static_cast<size_t>(i * n + j)] = kMaskValue;
    }
    const std::string causal = b_.weight("causal_bias", table, {n, n});
    const std::string t2 = b_.op("Concat", {seq_len_, seq_len_}, {attr_int("axis", 0)}, "tt");
    const std::string sliced =
        b_.op("Slice", {causal, b_.ints({0, 0}), t2, b_.ints({0, 1})}, {}, "causal_bias_t");
    attn_bias_ = b_.op("Add", {attn_bias_, sliced}, {}, "attn_bias");
  }

  // cos/sin tables [max_len, head_dim] (each half-table repeated, rotate-half layout), sliced
  // to [T, head_dim] once for all layers. Same angles as model/layers/rotary.cpp.
  void build_rope_tables() {
    const int hd = c_.head_dim();
    const int half = hd / 2;
    double base = c_.rope_theta;
    double position_scale = 1.0;
    if (c_.rope_scaling == model::RopeScaling::kLinear) position_scale = 1.0 / c_.rope_scaling_factor;
    if (c_.rope_scaling == model::RopeScaling::kNtk && hd > 2) {
      base = c_.rope_theta * std::pow(static_cast<double>(c_.rope_scaling_factor),
                                      static_cast<double>(hd) / (hd - 2));
    }
    std::vector<float> cos_t(static_cast<size_t>(c_.max_len) * hd);
    std::vector<float> sin_t(cos_t.size());
    for (int p = 0; p < c_.max_len; ++p) {
      for (int i = 0; i < half; ++i) {
        const double angle = p * position_scale * std::pow(base, -2.0 * i / hd);
        const float cs = static_cast<float>(std::cos(angle));
        const float sn = static_cast<float>(std::sin(angle));
        for (const int k : {i, i + half}) {
          cos_t[static_cast<size_t>(p) * hd + k] = cs;
          sin_t[static_cast<size_t>(p) * hd + k] = sn;
        }
      }
    }
    const std::string cos_full = b_.weight("rope_cos", cos_t, {c_.max_len, hd});
    const std::string sin_full = b_.weight("rope_sin", sin_t, {c_.max_len, hd});
    if (lm_) {
      // Per token: Gather by position_ids [B, T] -> [B, T, hd] -> [B, 1, T, hd].
      const std::string c = b_.op("Gather", {cos_full, "position_ids"}, {}, "rope_cos_pos");
      const std::string s = b_.op("Gather", {sin_full, "position_ids"}, {}, "rope_sin_pos");
      cos_ = b_.op("Unsqueeze", {c, b_.ints({1})}, {}, "rope_cos_b");
      sin_ = b_.op("Unsqueeze", {s, b_.ints({1})}, {}, "rope_sin_b");
      return;
    }
    cos_ = b_.op("Slice", {cos_full, b_.ints({0}), seq_len_, b_.ints({0})}, {}, "rope_cos_t");
    sin_ = b_.op("Slice", {sin_full, b_.ints({0}), seq_len_, b_.ints({0})}, {}, "rope_sin_t");
  }

  // x [B,H,T,hd] -> x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x2, x1).
  std::string rope(const std::string& x, const std::string& name) {
    const int64_t hd = c_.head_dim();
    const std::string x1 = b_.op("Slice", {x, b_.ints({0}), b_.ints({hd / 2}), b_.ints({3})}, {}, name + ".x1");
    const std::string x2 = b_.op("Slice", {x, b_.ints({hd / 2}), b_.ints({hd}), b_.ints({3})}, {}, name + ".x2");
    const std::string neg = b_.op("Neg", {x2}, {}, name + ".neg");
    const std::string rot = b_.op("Concat", {neg, x1}, {attr_int("axis", 3)}, name + ".rot");
    const std::string a = b_.op("Mul", {x, cos_}, {}, name + ".cos");
    const std::string b = b_.op("Mul", {rot, sin_}, {}, name + ".sin");
    return b_.op("Add", {a, b}, {}, name);
  }

  // [B,T,heads*hd] -> [B,heads,T,hd]
  std::string split_heads(const std::string& x, int64_t heads, const std::string& name) {
    const std::string r = b_.op("Reshape", {x, b_.ints({0, 0, heads, c_.head_dim()})}, {}, name + ".reshape");
    return b_.op("Transpose", {r}, {attr_ints("perm", {0, 2, 1, 3})}, name);
  }

  // [B,Hkv,T,hd] -> [B,H,T,hd], query head h reading kv head h / group.
  std::string expand_kv(const std::string& x, const std::string& name) {
    const int64_t group = c_.n_heads / c_.n_kv_heads;
    if (group == 1) return x;
    const std::string u = b_.op("Unsqueeze", {x, b_.ints({2})}, {}, name + ".unsqueeze");
    const std::string e = b_.op("Expand", {u, b_.ints({1, 1, group, 1, 1})}, {}, name + ".expand");
    return b_.op("Reshape", {e, b_.ints({0, c_.n_heads, -1, c_.head_dim()})}, {}, name);
  }

  std::string attention(const std::string& x, const std::string& p) {
    std::string q = split_heads(linear(x, p + ".wq"), c_.n_heads, p + ".q");
    std::string k = split_heads(linear(x, p + ".wk"), c_.n_kv_heads, p + ".k");
    std::string v = split_heads(linear(x, p + ".wv"), c_.n_kv_heads, p + ".v");
    if (c_.positions == model::PositionKind::kRope) {
      q = rope(q, p + ".q_rope");
      k = rope(k, p + ".k_rope");
    }
    if (lm_) {
      // present = Concat(past, new) along the sequence axis: the graph's KV cache.
      k = b_.op("Concat", {fmt::format("past_key_values.{}.key", layer_), k}, {attr_int("axis", 2)},
                p + ".present_k");
      v = b_.op("Concat", {fmt::format("past_key_values.{}.value", layer_), v},
                {attr_int("axis", 2)}, p + ".present_v");
      b_.rename_output(k, fmt::format("present.{}.key", layer_));
      b_.rename_output(v, fmt::format("present.{}.value", layer_));
      k = fmt::format("present.{}.key", layer_);
      v = fmt::format("present.{}.value", layer_);
    }
    k = expand_kv(k, p + ".k_expand");
    v = expand_kv(v, p + ".v_expand");
    const std::string kt = b_.op("Transpose", {k}, {attr_ints("perm", {0, 1, 3, 2})}, p + ".kt");
    std::string s = b_.op("MatMul", {q, kt}, {}, p + ".scores");
    const float scale = 1.0f / std::sqrt(static_cast<float>(c_.head_dim()));
    s = b_.op("Mul", {s, b_.scalar(scale)}, {}, p + ".scaled");
    s = b_.op("Add", {s, attn_bias_}, {}, p + ".masked");
    const std::string probs = b_.op("Softmax", {s}, {attr_int("axis", -1)}, p + ".probs");
    const std::string ctx = b_.op("MatMul", {probs, v}, {}, p + ".ctx");
    const std::string t = b_.op("Transpose", {ctx}, {attr_ints("perm", {0, 2, 1, 3})}, p + ".ctx_t");
    const std::string merged = b_.op("Reshape", {t, b_.ints({0, 0, int64_t{c_.n_heads} * c_.head_dim()})}, {},
                                     p + ".merge");
    return linear(merged, p + ".wo");
  }

  std::string gelu(const std::string& a, const std::string& p) {
    if (c_.mlp == model::MlpKind::kGelu) {
      const std::string d = b_.op("Div", {a, b_.scalar(std::sqrt(2.0f))}, {}, p + ".div");
      const std::string e = b_.op("Erf", {d}, {}, p + ".erf");
      const std::string one = b_.op("Add", {e, b_.scalar(1.0f)}, {}, p + ".add1");
      const std::string m = b_.op("Mul", {a, one}, {}, p + ".mul");
      return b_.op("Mul", {m, b_.scalar(0.5f)}, {}, p);
    }
    const std::string cube = b_.op("Pow", {a, b_.scalar(3.0f)}, {}, p + ".cube");
    const std::string c3 = b_.op("Mul", {cube, b_.scalar(0.044715f)}, {}, p + ".c3");
    const std::string inner = b_.op("Add", {a, c3}, {}, p + ".inner");
    const std::string sc = b_.op("Mul", {inner, b_.scalar(0.7978845608028654f)}, {}, p + ".scale");
    const std::string th = b_.op("Tanh", {sc}, {}, p + ".tanh");
    const std::string one = b_.op("Add", {th, b_.scalar(1.0f)}, {}, p + ".add1");
    const std::string m = b_.op("Mul", {a, one}, {}, p + ".mul");
    return b_.op("Mul", {m, b_.scalar(0.5f)}, {}, p);
  }

  std::string mlp(const std::string& x, const std::string& p) {
    if (c_.mlp == model::MlpKind::kSwiglu) {
      const std::string a = linear(x, p + ".gate");
      const std::string u = linear(x, p + ".up");
      const std::string sig = b_.op("Sigmoid", {a}, {}, p + ".sigmoid");
      const std::string silu = b_.op("Mul", {a, sig}, {}, p + ".silu");
      const std::string h = b_.op("Mul", {silu, u}, {}, p + ".swiglu");
      return linear(h, p + ".down");
    }
    return linear(gelu(linear(x, p + ".fc1"), p + ".gelu"), p + ".fc2");
  }

  std::string block(const std::string& x, const std::string& p) {
    const std::string a = attention(norm(x, p + ".attn_norm"), p + ".attn");
    const std::string h = b_.op("Add", {x, a}, {}, p + ".resid1");
    const std::string m = mlp(norm(h, p + ".mlp_norm"), p + ".mlp");
    return b_.op("Add", {h, m}, {}, p + ".resid2");
  }

  std::string pool(const std::string& x) {
    switch (c_.pooling) {
      case model::PoolingKind::kCls: {
        onnx::TensorProto* zero = b_.graph()->add_initializer();
        zero->set_name("cls_index");
        zero->set_data_type(onnx::TensorProto::INT64);
        zero->add_int64_data(0);
        return b_.op("Gather", {x, "cls_index"}, {attr_int("axis", 1)}, "pool_cls");
      }
      case model::PoolingKind::kMean: {
        const std::string m3 = b_.op("Unsqueeze", {mask_f_, b_.ints({2})}, {}, "mask3d");
        const std::string masked = b_.op("Mul", {x, m3}, {}, "pool_masked");
        const std::string sum = b_.op("ReduceSum", {masked, b_.ints({1})}, {attr_int("keepdims", 0)}, "pool_sum");
        const std::string cnt = b_.op("ReduceSum", {mask_f_, b_.ints({1})}, {attr_int("keepdims", 1)}, "pool_count");
        return b_.op("Div", {sum, cnt}, {}, "pool_mean");
      }
      case model::PoolingKind::kLast:
        break;
    }
    throw Error(ErrorCategory::kUnsupported, "export: last-token pooling is not exported yet");
  }

  const ModelConfig& c_;
  GraphBuilder b_;
  std::map<std::string, const model::Param*> params_;
  std::set<std::string> added_;
  std::string seq_len_, mask_f_, attn_bias_, cos_, sin_;
  bool lm_ = false;
  int layer_ = 0;
};

void add_io(onnx::ValueInfoProto* v, const std::string& name, int elem_type,
            const std::vector<std::string>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  for (const std::string& d : dims) {
    auto* dim = t->mutable_shape()->add_dim();
    if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0]))) {
      dim->set_dim_value(std::stoll(d));
    } else {
      dim->set_dim_param(d);
    }
  }
}

void add_meta(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

std::string tokenizer_sha(const nlohmann::json& manifest) {
  return manifest.contains("files") && manifest["files"].contains("tokenizer.model")
             ? manifest["files"]["tokenizer.model"].value("sha256", "")
             : "";
}

// An empty IR 8 / opset 17 model with the producer set.
onnx::ModelProto start_model(const ExportOptions& options) {
  if (options.opset != 17) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("export: opset {} requested; this exporter writes opset 17", options.opset));
  }
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("bayesoptgpt");
  m.set_producer_version(kExporterVersion);
  m.add_opset_import()->set_version(17);
  return m;
}

}  // namespace

onnx::ModelProto export_model(const model::LoadedBundle& bundle, const std::string& bundle_sha256,
                              const ExportOptions& options) {
  onnx::ModelProto m = start_model(options);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name(bundle.config.architecture);
  add_io(g->add_input(), "input_ids", onnx::TensorProto::INT64, {"batch", "sequence"});
  add_io(g->add_input(), "attention_mask", onnx::TensorProto::INT64, {"batch", "sequence"});
  add_io(g->add_output(), "logits", onnx::TensorProto::FLOAT,
         {"batch", std::to_string(bundle.config.n_classes)});
  TransformerExporter(bundle.config, bundle.model->params(), g).build();

  nlohmann::json labels = bundle.labels;
  add_meta(m, "architecture", bundle.config.architecture);
  add_meta(m, "label_map", labels.dump());
  add_meta(m, "bundle_sha256", bundle_sha256);
  add_meta(m, "tokenizer_sha256", tokenizer_sha(bundle.manifest));
  add_meta(m, "exporter_version", kExporterVersion);
  add_meta(m, "model_config", model::to_json(bundle.config).dump());
  return m;
}

onnx::ModelProto export_lm_model(const model::LoadedLmBundle& bundle,
                                 const std::string& bundle_sha256, const ExportOptions& options) {
  const ModelConfig& c = bundle.config;
  onnx::ModelProto m = start_model(options);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name(c.architecture);
  const std::string kv = std::to_string(c.n_kv_heads), hd = std::to_string(c.head_dim());
  add_io(g->add_input(), "input_ids", onnx::TensorProto::INT64, {"batch", "sequence"});
  add_io(g->add_input(), "attention_mask", onnx::TensorProto::INT64, {"batch", "total_sequence"});
  add_io(g->add_input(), "position_ids", onnx::TensorProto::INT64, {"batch", "sequence"});
  for (int i = 0; i < c.n_layers; ++i) {
    for (const char* kind : {"key", "value"}) {
      add_io(g->add_input(), fmt::format("past_key_values.{}.{}", i, kind), onnx::TensorProto::FLOAT,
             {"batch", kv, "past_sequence", hd});
    }
  }
  add_io(g->add_output(), "logits", onnx::TensorProto::FLOAT,
         {"batch", "sequence", std::to_string(c.vocab_size)});
  for (int i = 0; i < c.n_layers; ++i) {
    for (const char* kind : {"key", "value"}) {
      add_io(g->add_output(), fmt::format("present.{}.{}", i, kind), onnx::TensorProto::FLOAT,
             {"batch", kv, "total_sequence", hd});
    }
  }
  TransformerExporter(c, bundle.model->params(), g).build_lm();
  add_meta(m, "architecture", c.architecture);
  add_meta(m, "bundle_sha256", bundle_sha256);
  add_meta(m, "tokenizer_sha256", tokenizer_sha(bundle.manifest));
  add_meta(m, "exporter_version", kExporterVersion);
  add_meta(m, "model_config", model::to_json(c).dump());
  return m;
}

nlohmann::json genai_config(const ModelConfig& c, const std::string& decoder_file) {
  return {
      {"model",
       {{"type", "llama"},
        {"context_length", c.max_len},
        {"bos_token_id", model::Tokenizer::kBosId},
        {"eos_token_id", model::Tokenizer::kEosId},
        {"pad_token_id", model::Tokenizer::kPadId},
        {"vocab_size", c.vocab_size},
        {"decoder",
         {{"session_options", {{"log_id", "onnxruntime-genai"}, {"provider_options", nlohmann::json::array()}}},
          {"filename", decoder_file},
          {"head_size", c.head_dim()},
          {"hidden_size", c.d_model},
          {"num_attention_heads", c.n_heads},
          {"num_key_value_heads", c.n_kv_heads},
          {"num_hidden_layers", c.n_layers},
          {"inputs",
           {{"input_ids", "input_ids"},
            {"attention_mask", "attention_mask"},
            {"position_ids", "position_ids"},
            {"past_key_names", "past_key_values.%d.key"},
            {"past_value_names", "past_key_values.%d.value"}}},
          {"outputs",
           {{"logits", "logits"},
            {"present_key_names", "present.%d.key"},
            {"present_value_names", "present.%d.value"}}}}}}},
      {"search",
       {{"diversity_penalty", 0.0},
        {"do_sample", false},
        {"early_stopping", true},
        {"length_penalty", 1.0},
        {"max_length", c.max_len},
        {"min_length", 0},
        {"no_repeat_ngram_size", 0},
        {"num_beams", 1},
        {"num_return_sequences", 1},
        {"past_present_share_buffer", false},
        {"repetition_penalty", 1.0},
        {"temperature", 1.0},
        {"top_k", 1},
        {"top_p", 1.0}}}};
}

namespace {

// Moves every initializer of at least 1 KiB into one side file (ONNX external data
// convention: location relative to the model, offset and length in bytes).
std::string externalize(onnx::ModelProto& m, const std::string& data_name) {
  std::string blob;
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer()) {
    if (!t.has_raw_data() || t.raw_data().size() < 1024) continue;
    // Keep offsets 4 KiB aligned, as ONNX's own writer does for mmap-friendly files.
    blob.resize((blob.size() + 4095) / 4096 * 4096, '\0');
    const size_t offset = blob.size();
    blob += t.raw_data();
    t.clear_raw_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    const std::pair<const char*, std::string> entries[] = {
        {"location", data_name},
        {"offset", std::to_string(offset)},
        {"length", std::to_string(blob.size() - offset)}};
    for (const auto& [k, v] : entries) {
      auto* e = t.add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
  }
  return blob;
}

}  // namespace

namespace {

ExportSummary check_and_write(onnx::ModelProto& m, const fs::path& out,
                              const ExportOptions& options, int64_t parameters) {

  // Full check: the checker, then strict shape inference (type errors and inference failures
  // are errors), on a copy so the written file stays as exported.
  try {
    onnx::checker::check_model(m);
    onnx::ModelProto inferred = m;
    onnx::ShapeInferenceOptions strict;
    strict.check_type = true;
    strict.error_mode = 1;
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict);
  } catch (const std::exception& e) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("export: onnx checker rejected the graph: {}", e.what()));
  }
  ExportSummary s;
  s.file = out;
  s.nodes = m.graph().node_size();
  s.parameters = parameters;
  if (options.external_data) {
    const std::string data_name = out.filename().string() + ".data";
    const std::string blob = externalize(m, data_name);
    s.data_file = out.parent_path() / data_name;
    write_file_atomic(s.data_file, blob);
    s.bytes += static_cast<int64_t>(blob.size());
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw Error(ErrorCategory::kInternal, "export: serialization failed");
  write_file_atomic(out, bytes);
  s.bytes += static_cast<int64_t>(bytes.size());
  if (options.external_data) {
    try {
      onnx::checker::check_model(out.string());
    } catch (const std::exception& e) {
      throw Error(ErrorCategory::kInvalidModel, fmt::format("export: checker rejected '{}': {}", out.string(), e.what()));
    }
  }
  return s;
}

}  // namespace

ExportSummary export_bundle(const fs::path& bundle_dir, const fs::path& out,
                            const ExportOptions& options) {
  const std::string bundle_sha = model::sha256_file_hex(bundle_dir / "manifest.json");
  if (model::bundle_architecture(bundle_dir) == "tiny_llama_lm") {
    const model::LoadedLmBundle bundle = model::load_lm_bundle(bundle_dir);
    onnx::ModelProto m = export_lm_model(bundle, bundle_sha, options);
    ExportSummary s = check_and_write(m, out, options, bundle.model->num_params());
    s.genai_config = out.parent_path() / "genai_config.json";
    write_file_atomic(s.genai_config,
                      genai_config(bundle.config, out.filename().string()).dump(2) + "\n");
    return s;
  }
  const model::LoadedBundle bundle = model::load_bundle(bundle_dir);
  onnx::ModelProto m = export_model(bundle, bundle_sha, options);
  return check_and_write(m, out, options, bundle.model->num_params());
}

}  // namespace bog::onnx_export
