#include "parity/step_comparer.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::parity {

StepComparer::StepComparer(const std::vector<EagerGeneration>& eager, const Tolerance& tolerance)
    : eager_(eager),
      tolerance_(tolerance),
      in_step_(eager.size(), true),
      tokens_seen_(eager.size(), 0) {
  result_.prompts = static_cast<int>(eager.size());
}

void StepComparer::logits(int step, std::span<const float> data, int64_t seq, int64_t vocab) {
  const auto prompts = static_cast<int64_t>(eager_.size());
  if (static_cast<int64_t>(data.size()) != prompts * seq * vocab) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("step {}: the logits hold {} values; expected [{}, {}, {}]", step,
                            data.size(), prompts, seq, vocab));
  }
  for (int64_t p = 0; p < prompts; ++p) {
    const EagerGeneration& e = eager_[static_cast<size_t>(p)];
    if (!in_step_[static_cast<size_t>(p)]) continue;
    const model::Mat& want = step == 0 ? e.prefill : e.decode;
    const int64_t rows = step == 0 ? want.rows() : 1;
    const int64_t first = step == 0 ? 0 : step - 1;
    if (want.cols() != vocab || rows != seq || first >= want.rows()) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("step {}: logits [{}, {}] per prompt; the Eigen model has [{}, {}]",
                              step, seq, vocab, rows, want.cols()));
    }
    const Comparison c = compare(
        data.subspan(static_cast<size_t>(p * seq * vocab), static_cast<size_t>(rows * vocab)),
        std::span<const float>(want.data() + first * vocab, static_cast<size_t>(rows * vocab)),
        rows, vocab, tolerance_);
    double& worst = step == 0 ? result_.max_abs_diff_prefill : result_.max_abs_diff_decode;
    worst = std::max(worst, c.max_abs_diff);
    (step == 0 ? result_.prefill_positions : result_.steps_compared) += rows;
    if (compared_) {
      merge_into(result_.comparison, c, tolerance_);
    } else {
      result_.comparison = c;
      compared_ = true;
    }
  }
}

void StepComparer::token(size_t prompt, int step, int64_t id) {
  if (prompt >= eager_.size() || step != tokens_seen_[prompt]) {
    throw Error(
        ErrorCategory::kInternal,
        fmt::format("generation parity: token of prompt {} step {} out of order", prompt, step));
  }
  ++tokens_seen_[prompt];
  const std::vector<int64_t>& want = eager_[prompt].tokens;
  if (!in_step_[prompt]) return;
  if (static_cast<size_t>(step) >= want.size() || want[static_cast<size_t>(step)] != id) {
    in_step_[prompt] = false;
    const int64_t expected =
        static_cast<size_t>(step) < want.size() ? want[static_cast<size_t>(step)] : -1;
    const Divergence d{static_cast<int>(prompt), step, expected, id};
    // The earliest step over all prompts; the lower prompt index on a tie.
    if (!result_.first_divergence || d.step < result_.first_divergence->step ||
        (d.step == result_.first_divergence->step && d.prompt < result_.first_divergence->prompt))
      result_.first_divergence = d;
  }
}

GenerationParity StepComparer::finish() const {
  GenerationParity r = result_;
  r.tokens_identical = !r.first_divergence.has_value();
  for (size_t p = 0; p < eager_.size(); ++p) {
    if (tokens_seen_[p] != static_cast<int>(eager_[p].tokens.size())) r.tokens_identical = false;
  }
  return r;
}

nlohmann::json GenerationParity::to_json() const {
  nlohmann::json div = nullptr;
  if (first_divergence) {
    div = {{"prompt", first_divergence->prompt},
           {"step", first_divergence->step},
           {"tokens", {{"expected", first_divergence->expected}, {"got", first_divergence->got}}}};
  }
  return {{"max_abs_diff_prefill", max_abs_diff_prefill},
          {"max_abs_diff_decode", max_abs_diff_decode},
          {"prefill_positions", prefill_positions},
          {"steps_compared", steps_compared},
          {"prompts", prompts},
          {"tokens_identical", tokens_identical},
          {"first_divergence", div}};
}

}  // namespace bog::parity
