// Elementwise-pattern fusions of the cpu provider: RMSNorm, GELU (erf and tanh forms) and SiLU,
// as this project exports them and as torch.onnx.export (opset 14-17) writes them. Every
// matched intermediate value has exactly one reader and is not a graph output, so removing it
// changes nothing observable.
#include <cmath>
#include <set>

#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

// The scalar-initializer operand of a binary node and its other input.
bool split_scalar(const Graph& g, const Node& n, std::optional<double>* c, std::string* other) {
  if (n.inputs.size() != 2) return false;
  for (int k = 0; k < 2; ++k) {
    const auto v = scalar_initializer(g, n.inputs[static_cast<size_t>(k)]);
    if (v) {
      *c = v;
      *other = n.inputs[static_cast<size_t>(1 - k)];
      return true;
    }
  }
  return false;
}

// After `one_plus` (= 1 + f(x)), the GELU tail 0.5 * x * one_plus in either order:
//   Mul(x, one_plus) -> Mul(., 0.5)      or      Mul(Mul(x, 0.5), one_plus)
// Returns the last node's index and adds the matched nodes to `dead`.
std::optional<size_t> gelu_tail(const Graph& g, const GraphIndex& idx, const Node& one_plus,
                                size_t one_plus_i, const std::string& x, std::set<size_t>* dead) {
  size_t mul_i = 0;
  const Node* mul = sole_consumer(g, idx, one_plus.outputs[0], "Mul", &mul_i);
  if (!mul) return std::nullopt;
  const std::string partner = other_input(*mul, one_plus.outputs[0]);
  if (partner == x) {
    size_t half_i = 0;
    const Node* half = sole_consumer(g, idx, mul->outputs[0], "Mul", &half_i);
    if (!half || !near(scalar_initializer(g, other_input(*half, mul->outputs[0])), 0.5)) {
      return std::nullopt;
    }
    dead->insert({one_plus_i, mul_i, half_i});
    return half_i;
  }
  size_t pre_i = 0;
  const Node* pre = single_use_producer(g, idx, partner, "Mul", &pre_i);
  std::optional<double> c;
  std::string px;
  if (!pre || !split_scalar(g, *pre, &c, &px) || px != x || !near(c, 0.5)) return std::nullopt;
  dead->insert({one_plus_i, mul_i, pre_i});
  return mul_i;
}

// The value cubed by Pow(x, 3) or Mul(Mul(x, x), x) producing `value`.
std::optional<std::string> cube_of(const Graph& g, const GraphIndex& idx, const std::string& value,
                                   std::set<size_t>* dead) {
  size_t i = 0;
  if (const Node* p = single_use_producer(g, idx, value, "Pow", &i)) {
    if (!near(scalar_initializer(g, p->inputs[1]), 3.0)) return std::nullopt;
    dead->insert(i);
    return p->inputs[0];
  }
  if (const Node* m = single_use_producer(g, idx, value, "Mul", &i)) {
    for (int k = 0; k < 2; ++k) {
      size_t j = 0;
      const Node* sq = single_use_producer(g, idx, m->inputs[static_cast<size_t>(k)], "Mul", &j);
      const std::string& x = m->inputs[static_cast<size_t>(1 - k)];
      if (sq && sq->inputs[0] == x && sq->inputs[1] == x) {
        dead->insert({i, j});
        return x;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

// Fuses RMSNorm written as
//   X -> Pow(2) -> ReduceMean(axes=[-1]) -> Add(eps) -> Sqrt -> Div(X, .)        -> Mul(scale)?
//   X -> Pow(2) -> ReduceMean(axes=[-1]) -> Add(eps) -> Sqrt -> Div(1, .) -> Mul(X, .) ->
//   Mul(scale)?
// (the second is torch's x * rsqrt(mean(x^2) + eps)) into RmsNorm(X, scale) (bog.cpu).
int fuse_rms_norm(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& sqrt = g.nodes[i];
      if (sqrt.op_type != "Sqrt" || !sqrt.domain.empty() || !idx.owns(sqrt)) continue;
      size_t add_i = 0, mean_i = 0, pow_i = 0, div_i = 0;
      const Node* add = single_use_producer(g, idx, sqrt.inputs[0], "Add", &add_i);
      if (!add) continue;
      std::optional<double> eps;
      std::string reduced;
      if (!split_scalar(g, *add, &eps, &reduced)) continue;
      const Node* mean = single_use_producer(g, idx, reduced, "ReduceMean", &mean_i);
      if (!mean || mean->attr_int("keepdims", 1) != 1) continue;
      const auto axes = reduce_axes(g, *mean);
      if (!axes || axes->size() != 1 || (*axes)[0] != -1) continue;
      const Node* pw = single_use_producer(g, idx, mean->inputs[0], "Pow", &pow_i);
      if (!pw || !near(scalar_initializer(g, pw->inputs[1]), 2.0)) continue;
      const std::string& x = pw->inputs[0];
      const Node* div = sole_consumer(g, idx, sqrt.outputs[0], "Div", &div_i);
      if (!div || div->inputs[1] != sqrt.outputs[0]) continue;
      std::set<size_t> dead = {pow_i, mean_i, add_i, i, div_i};
      const Node* last = div;
      if (div->inputs[0] != x) {
        // torch form: Div(1, sqrt) then Mul(x, .)
        size_t mx_i = 0;
        if (!near(scalar_initializer(g, div->inputs[0]), 1.0)) continue;
        const Node* mx = sole_consumer(g, idx, div->outputs[0], "Mul", &mx_i);
        if (!mx || other_input(*mx, div->outputs[0]) != x) continue;
        dead.insert(mx_i);
        last = mx;
      }
      std::vector<std::string> inputs = {x};
      size_t mul_i = 0;
      if (const Node* mul = sole_consumer(g, idx, last->outputs[0], "Mul", &mul_i)) {
        const std::string scale = other_input(*mul, last->outputs[0]);
        const auto s = g.initializers.find(scale);
        if (s != g.initializers.end() && s->second.rank() == 1 &&
            s->second.dtype() == DType::kFloat32) {
          inputs.push_back(scale);
          dead.insert(mul_i);
          last = mul;
        }
      }
      Node rms = fused_node("RmsNorm", *last, inputs);
      rms.attributes.push_back(float_attr("epsilon", static_cast<float>(*eps)));
      apply(g, dead, std::move(rms));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

// Fuses GELU into Gelu(X) (bog.cpu), both forms, with the 0.5 * X * (.) tail in either order:
//   erf:  X -> Div(sqrt 2) | Mul(1/sqrt 2) -> Erf -> Add(1) -> tail
//   tanh: X -> Pow(3) | Mul(Mul(X,X),X) -> Mul(0.044715) -> Add(X, .) -> Mul(sqrt(2/pi)) -> Tanh
//           -> Add(1) -> tail                                       (approximate="tanh")
int fuse_gelu(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& f = g.nodes[i];
      const bool is_erf = f.op_type == "Erf";
      if ((!is_erf && f.op_type != "Tanh") || !f.domain.empty() || !idx.owns(f)) continue;
      std::set<size_t> dead = {i};
      std::string x;
      size_t j = 0;
      if (is_erf) {
        if (const Node* d = single_use_producer(g, idx, f.inputs[0], "Div", &j)) {
          if (near(scalar_initializer(g, d->inputs[1]), std::sqrt(2.0))) x = d->inputs[0];
        } else if (const Node* m = single_use_producer(g, idx, f.inputs[0], "Mul", &j)) {
          std::optional<double> c;
          std::string other;
          if (split_scalar(g, *m, &c, &other) && near(c, std::sqrt(0.5))) x = other;
        }
        if (x.empty()) continue;
        dead.insert(j);
      } else {
        const Node* sc = single_use_producer(g, idx, f.inputs[0], "Mul", &j);
        std::optional<double> c;
        std::string inner_v;
        if (!sc || !split_scalar(g, *sc, &c, &inner_v) || !near(c, std::sqrt(2.0 / M_PI))) continue;
        dead.insert(j);
        const Node* inner = single_use_producer(g, idx, inner_v, "Add", &j);
        if (!inner) continue;
        dead.insert(j);
        bool ok = false;
        for (int k = 0; k < 2 && !ok; ++k) {
          const std::string& cand_x = inner->inputs[static_cast<size_t>(k)];
          size_t c3_i = 0;
          const Node* c3 =
              single_use_producer(g, idx, inner->inputs[static_cast<size_t>(1 - k)], "Mul", &c3_i);
          std::optional<double> a;
          std::string cube_v;
          if (!c3 || !split_scalar(g, *c3, &a, &cube_v) || !near(a, 0.044715)) continue;
          std::set<size_t> cube_dead;
          const auto cx = cube_of(g, idx, cube_v, &cube_dead);
          if (!cx || *cx != cand_x) continue;
          dead.insert(c3_i);
          dead.insert(cube_dead.begin(), cube_dead.end());
          x = cand_x;
          ok = true;
        }
        if (!ok) continue;
      }
      size_t one_i = 0;
      const Node* one = sole_consumer(g, idx, f.outputs[0], "Add", &one_i);
      if (!one || !near(scalar_initializer(g, other_input(*one, f.outputs[0])), 1.0)) continue;
      const auto last_i = gelu_tail(g, idx, *one, one_i, x, &dead);
      if (!last_i) continue;
      Node gelu = fused_node("Gelu", g.nodes[*last_i], {x});
      if (!is_erf) gelu.attributes.push_back(string_attr("approximate", "tanh"));
      apply(g, dead, std::move(gelu));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

// Fuses SiLU, X -> Sigmoid -> Mul(X, .), into Silu(X) (bog.cpu).
int fuse_silu(Graph& g, const std::string& provider) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    for (size_t i = 0; i < g.nodes.size() && !changed; ++i) {
      const Node& sig = g.nodes[i];
      if (sig.op_type != "Sigmoid" || !sig.domain.empty() || !idx.owns(sig)) continue;
      size_t mul_i = 0;
      const Node* mul = sole_consumer(g, idx, sig.outputs[0], "Mul", &mul_i);
      if (!mul || other_input(*mul, sig.outputs[0]) != sig.inputs[0]) continue;
      apply(g, {i, mul_i}, fused_node("Silu", *mul, {sig.inputs[0]}));
      ++fused;
      changed = true;
    }
  }
  return fused;
}

}  // namespace bog::runtime::cpu
