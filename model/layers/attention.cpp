#include "model/layers/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace bog::model {

Attention::Attention(std::string name, int d_model, int n_heads, int n_kv_heads, bool causal,
                     bool bias, const Rotary* rotary, std::mt19937_64& rng, float out_init_std)
    : n_heads_(n_heads),
      n_kv_heads_(n_kv_heads),
      head_dim_(d_model / n_heads),
      causal_(causal),
      rotary_(rotary),
      wq_(name + ".wq", d_model, n_heads * (d_model / n_heads), bias, rng),
      wk_(name + ".wk", d_model, n_kv_heads * (d_model / n_heads), bias, rng),
      wv_(name + ".wv", d_model, n_kv_heads * (d_model / n_heads), bias, rng),
      wo_(name + ".wo", n_heads * (d_model / n_heads), d_model, bias, rng, out_init_std) {}

Mat Attention::forward(const Mat& x, const SeqLayout& layout) {
  layout_ = layout;
  q_ = wq_.forward(x);
  k_ = wk_.forward(x);
  v_ = wv_.forward(x);
  if (rotary_ != nullptr) {
    rotary_->apply(q_, n_heads_, layout, false);
    rotary_->apply(k_, n_kv_heads_, layout, false);
  }
  const int T = layout.seq_len;
  const int hd = head_dim_;
  const int group = n_heads_ / n_kv_heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  Mat ctx = Mat::Zero(x.rows(), n_heads_ * hd);
  probs_.assign(static_cast<size_t>(layout.batch) * n_heads_, Mat());
  // Each (sequence, head) writes its own block of ctx, so the loop is race-free and its result
  // does not depend on the thread count.
#pragma omp parallel for schedule(static)
  for (int bh = 0; bh < layout.batch * n_heads_; ++bh) {
    const int b = bh / n_heads_;
    const int h = bh % n_heads_;
    const int g = h / group;
    const int len = layout.lengths[b];
    const Mat q = q_.block(b * T, h * hd, len, hd);
    const Mat k = k_.block(b * T, g * hd, len, hd);
    const Mat v = v_.block(b * T, g * hd, len, hd);
    Mat p = (q * k.transpose()) * scale;
    for (int i = 0; i < len; ++i) {
      const int last = causal_ ? i : len - 1;
      float mx = -std::numeric_limits<float>::infinity();
      for (int j = 0; j <= last; ++j) mx = std::max(mx, p(i, j));
      float sum = 0;
      for (int j = 0; j <= last; ++j) {
        p(i, j) = std::exp(p(i, j) - mx);
        sum += p(i, j);
      }
      for (int j = 0; j <= last; ++j) p(i, j) /= sum;
      for (int j = last + 1; j < len; ++j) p(i, j) = 0;
    }
    ctx.block(b * T, h * hd, len, hd) = p * v;
    probs_[bh] = std::move(p);
  }
  return wo_.forward(ctx);
}

Mat Attention::backward(const Mat& dy) {
  const Mat dctx = wo_.backward(dy);
  const int T = layout_.seq_len;
  const int hd = head_dim_;
  const int group = n_heads_ / n_kv_heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  Mat dq = Mat::Zero(q_.rows(), q_.cols());
  Mat dk = Mat::Zero(k_.rows(), k_.cols());
  Mat dv = Mat::Zero(v_.rows(), v_.cols());
  // One task per (sequence, kv head): the query heads sharing a kv head add into the same dk
  // and dv block in a fixed order, which keeps the sums deterministic.
#pragma omp parallel for schedule(static)
  for (int bg = 0; bg < layout_.batch * n_kv_heads_; ++bg) {
    const int b = bg / n_kv_heads_;
    const int g = bg % n_kv_heads_;
    const int len = layout_.lengths[b];
    const Mat k = k_.block(b * T, g * hd, len, hd);
    const Mat v = v_.block(b * T, g * hd, len, hd);
    Mat dk_acc = Mat::Zero(len, hd);
    Mat dv_acc = Mat::Zero(len, hd);
    for (int h = g * group; h < (g + 1) * group; ++h) {
      const Mat& p = probs_[static_cast<size_t>(b) * n_heads_ + h];
      const Mat d_out = dctx.block(b * T, h * hd, len, hd);
      const Mat q = q_.block(b * T, h * hd, len, hd);
      dv_acc.noalias() += p.transpose() * d_out;
      const Mat dp = d_out * v.transpose();
      const Eigen::VectorXf row_dot = (dp.array() * p.array()).rowwise().sum();
      const Mat ds = (p.array() * (dp.array().colwise() - row_dot.array())).matrix() * scale;
      dq.block(b * T, h * hd, len, hd) = ds * k;
      dk_acc.noalias() += ds.transpose() * q;
    }
    dk.block(b * T, g * hd, len, hd) = dk_acc;
    dv.block(b * T, g * hd, len, hd) = dv_acc;
  }
  if (rotary_ != nullptr) {
    rotary_->apply(dq, n_heads_, layout_, true);
    rotary_->apply(dk, n_kv_heads_, layout_, true);
  }
  Mat dx = wq_.backward(dq);
  dx += wk_.backward(dk);
  dx += wv_.backward(dv);
  return dx;
}

Mat Attention::forward_cached(const Mat& x, KvCache& cache) {
  Mat q = wq_.forward(x);
  Mat k = wk_.forward(x);
  Mat v = wv_.forward(x);
  const int n = static_cast<int>(x.rows());
  const int start = cache.length;
  if (rotary_ != nullptr) {
    rotary_->apply_at(q, n_heads_, start);
    rotary_->apply_at(k, n_kv_heads_, start);
  }
  const int total = start + n;
  if (cache.k.rows() < total) {
    const Eigen::Index rows = std::max<Eigen::Index>(total, 2 * cache.k.rows());
    cache.k.conservativeResize(rows, k.cols());
    cache.v.conservativeResize(rows, v.cols());
  }
  cache.k.middleRows(start, n) = k;
  cache.v.middleRows(start, n) = v;
  cache.length = total;
  const int hd = head_dim_;
  const int group = n_heads_ / n_kv_heads_;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  Mat ctx(n, n_heads_ * hd);
  for (int h = 0; h < n_heads_; ++h) {
    const int g = h / group;
    const auto keys = cache.k.block(0, g * hd, total, hd);
    const auto values = cache.v.block(0, g * hd, total, hd);
    Mat p = (q.block(0, h * hd, n, hd) * keys.transpose()) * scale;
    for (int i = 0; i < n; ++i) {
      const int last = causal_ ? start + i : total - 1;
      const float mx = p.row(i).head(last + 1).maxCoeff();
      float sum = 0;
      for (int j = 0; j <= last; ++j) {
        p(i, j) = std::exp(p(i, j) - mx);
        sum += p(i, j);
      }
      for (int j = 0; j <= last; ++j) p(i, j) /= sum;
      for (int j = last + 1; j < total; ++j) p(i, j) = 0;
    }
    ctx.block(0, h * hd, n, hd) = p * values;
  }
  return wo_.forward(ctx);
}

void Attention::collect(ParamList& out) {
  wq_.collect(out);
  wk_.collect(out);
  wv_.collect(out);
  wo_.collect(out);
}

}  // namespace bog::model
