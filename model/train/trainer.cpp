#include "model/train/trainer.h"

#include <fmt/format.h>
#include <omp.h>
#include <unistd.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/data/ag_news.h"
#include "model/data/sha256.h"
#include "model/model_config.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/checkpoint.h"
#include "model/train/train_config.h"
#include "model/train/train_task.h"

namespace bog::model {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
  return fmt::format("{}m{:02}s", s / 60, s % 60);
}

fs::path step_checkpoint_path(const fs::path& out_dir, int64_t step) {
  return out_dir / "checkpoints" / fmt::format("step_{:08}.safetensors", step);
}

std::vector<fs::path> step_checkpoints(const fs::path& out_dir) {
  std::vector<fs::path> found;
  const fs::path dir = out_dir / "checkpoints";
  if (!fs::is_directory(dir)) return found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("step_") && name.ends_with(".safetensors")) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

void append_line(const fs::path& path, const nlohmann::json& line) {
  std::ofstream out(path, std::ios::app);
  out << line.dump() << '\n';
  if (!out) throw Error(ErrorCategory::kIo, fmt::format("cannot append to {}", path.string()));
}

}  // namespace

std::optional<fs::path> latest_checkpoint(const fs::path& out_dir) {
  auto all = step_checkpoints(out_dir);
  if (all.empty()) return std::nullopt;
  return all.back();
}

TrainSummary run_training(const TrainOptions& options) {
  const fs::path& out = options.out_dir;
  ModelConfig model_config;
  TrainConfig train_config;
  CheckpointState state;
  std::optional<StFile> resume_file;
  std::string resume_source;
  if (options.resume) {
    const auto latest = latest_checkpoint(out);
    if (!latest) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--resume: no checkpoint in {}", (out / "checkpoints").string()));
    }
    resume_source = latest->string();
    resume_file = read_safetensors(*latest);
    state = read_checkpoint_state(*resume_file, resume_source);
    model_config = parse_model_config(state.model_config.dump(), resume_source + " model_config");
    train_config = parse_train_config(state.train_config.dump(), resume_source + " train_config");
  } else {
    if (latest_checkpoint(out)) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("{} already holds checkpoints; pass --resume or choose another --out",
                              out.string()));
    }
    model_config = load_model_config(options.model_config);
    train_config = load_train_config(options.train_config);
  }
  // Eigen's GEMM follows this thread's OpenMP thread count (Eigen::setNbThreads would pin a
  // process-wide value that the interpreter's kernels could not bound).
  if (train_config.threads > 0) omp_set_num_threads(train_config.threads);

  // Data: the training file's validation split is held out for model selection.
  const fs::path train_csv = options.data_dir / "train.csv";
  const std::string data_sha = sha256_file_hex(train_csv);
  auto examples = read_ag_news_csv(train_csv);
  const int64_t data_rows = static_cast<int64_t>(examples.size());
  if (options.resume && state.info.value("data_sha256", "") != data_sha) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("--resume: {} is not the file this run started with", train_csv.string()));
  }
  Split split =
      stratified_split(std::move(examples), train_config.valid_fraction, train_config.split_seed);
  if (split.train.empty() || split.valid.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: too few rows for a train/valid split", train_csv.string()));
  }

  // Only now that the data is known good: a failed start leaves no run folder behind.
  fs::create_directories(out / "checkpoints");
  const fs::path tokenizer_path = out / "tokenizer.model";
  auto tokenizer = [&] {
    if (fs::exists(tokenizer_path)) return Tokenizer::load(tokenizer_path);
    if (!train_config.tokenizer_model.empty()) {
      const Tokenizer given = Tokenizer::load(train_config.tokenizer_model);
      write_file_atomic(tokenizer_path, given.model_bytes());
      return Tokenizer::load(tokenizer_path);
    }
    TokenizerConfig tc;
    tc.model_type = train_config.tokenizer_type;
    tc.vocab_size = model_config.vocab_size;
    tc.normalization = train_config.tokenizer_normalization;
    tc.seed = train_config.seed;
    std::vector<std::string> texts;
    texts.reserve(split.train.size());
    for (const auto& e : split.train) texts.push_back(e.text());
    return Tokenizer::train(texts, tc, tokenizer_path);
  }();
  if (tokenizer.vocab_size() > model_config.vocab_size) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("tokenizer has {} pieces, more than the model config's vocab_size {}",
                            tokenizer.vocab_size(), model_config.vocab_size));
  }
  const std::unique_ptr<TrainTask> task = make_train_task(model_config, train_config.seed);
  const TokenizedSet train_set = task->tokenize(split.train, tokenizer);
  const TokenizedSet valid_set = task->tokenize(split.valid, tokenizer);

  AdamW optimizer(task->params(), {train_config.adam_beta1, train_config.adam_beta2,
                                   train_config.adam_eps, train_config.weight_decay});
  std::mt19937_64 dropout_rng(train_config.seed + 0x5DEECE66DULL);
  double prior_seconds = 0;
  int64_t prior_tokens = 0;
  // Higher is better; a classifier's "none yet" is accuracy -1, as its checkpoints record it.
  std::optional<double> best_score;
  if (resume_file) {
    load_weights(*resume_file, "param/", task->params(), resume_source);
    load_optimizer(*resume_file, task->params(), optimizer, resume_source);
    optimizer.set_steps(state.step);
    std::istringstream rng_in(state.rng_state);
    rng_in >> dropout_rng;
    prior_seconds = state.info.value("train_seconds", 0.0);
    prior_tokens = state.info.value("train_tokens", int64_t{0});
    const nlohmann::json& best = state.info.value(task->best_key(), nlohmann::json());
    const bool none_yet = !best.is_number() || (!model_config.is_lm() && best.get<double>() < 0);
    if (!none_yet) best_score = task->score_of(best.get<double>());
    resume_file.reset();
  }

  const int64_t steps_per_epoch =
      (static_cast<int64_t>(train_set.ids.size()) + train_config.batch_size - 1) /
      train_config.batch_size;
  const int64_t total_steps = steps_per_epoch * train_config.epochs;
  int64_t stop_at =
      options.stop_after_steps > 0 ? std::min(total_steps, options.stop_after_steps) : total_steps;

  nlohmann::json base_info = {
      {"data_file", train_csv.string()},  {"data_sha256", data_sha},
      {"data_rows", data_rows},           {"train_rows", split.train.size()},
      {"valid_rows", split.valid.size()}, {"num_params", task->num_params()},
      {"threads", omp_get_max_threads()}, {"tokenizer", "tokenizer.model"},
      {"total_steps", total_steps}};
  base_info["command"] =
      options.resume ? state.info.value("command", options.command) : options.command;
  if (options.resume)
    base_info["resume_commands"] = state.info.value("resume_commands", nlohmann::json::array());
  if (options.resume) base_info["resume_commands"].push_back(options.command);
  if (!options.resume) {
    const nlohmann::json resolved = {
        {"model", to_json(model_config)}, {"train", to_json(train_config)}, {"data", base_info}};
    write_file_atomic(out / "config.json", resolved.dump(2) + "\n");
  }
  const fs::path metrics_path = out / "metrics.jsonl";
  nlohmann::json last_valid = state.info.value("valid_metrics", nlohmann::json());

  const auto start = Clock::now();
  int64_t run_tokens = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto make_state = [&](int64_t step) {
    CheckpointState s;
    s.step = step;
    std::ostringstream rng_out;
    rng_out << dropout_rng;
    s.rng_state = rng_out.str();
    s.model_config = to_json(model_config);
    s.train_config = to_json(train_config);
    s.info = base_info;
    s.info["train_seconds"] = prior_seconds + elapsed();
    s.info["train_tokens"] = prior_tokens + run_tokens;
    s.info["tokens_per_second"] =
        (prior_tokens + run_tokens) / std::max(1e-9, prior_seconds + elapsed());
    s.info[task->best_key()] =
        best_score ? nlohmann::json(task->best_value(*best_score))
                   : (model_config.is_lm() ? nlohmann::json() : nlohmann::json(-1.0));
    s.info["valid_metrics"] = last_valid;
    s.info["epoch"] = static_cast<double>(step) / steps_per_epoch;
    return s;
  };
  auto save_step_checkpoint = [&](int64_t step) {
    save_checkpoint(step_checkpoint_path(out, step), task->params(), &optimizer, make_state(step));
    auto all = step_checkpoints(out);
    for (size_t i = 0; i + train_config.keep_last < all.size(); ++i) fs::remove(all[i]);
  };

  const bool tty = isatty(2) != 0;
  TrainSummary summary;
  std::vector<std::vector<int>> batches;
  int batches_epoch = -1;
  double loss_sum = 0;
  int loss_count = 0;
  const ParamList& params = task->params();
  for (int64_t step = state.step; step < stop_at; ++step) {
    const int epoch = static_cast<int>(step / steps_per_epoch);
    if (epoch != batches_epoch) {
      batches = epoch_batches(train_set, train_config.batch_size, train_config.bucket_batches,
                              train_config.seed, epoch);
      batches_epoch = epoch;
    }
    const Batch batch = make_batch(train_set, batches[step % steps_per_epoch], Tokenizer::kPadId);
    const double loss = task->train_step(batch, train_config.label_smoothing, dropout_rng);
    const double grad_norm = clip_grad_norm(params, train_config.grad_clip);
    const float lr = warmup_cosine_lr(step, train_config.warmup_steps, total_steps, train_config.lr,
                                      train_config.min_lr_ratio);
    optimizer.step(lr);
    ++summary.steps_run;
    run_tokens += batch.tokens;
    loss_sum += loss;
    ++loss_count;
    const int64_t done = step + 1;

    if (done % train_config.log_every == 0 || done == stop_at) {
      const double secs = elapsed();
      const double tps = run_tokens / std::max(1e-9, secs);
      const double eta = secs / static_cast<double>(done - state.step) * (stop_at - done);
      const double mean_loss = loss_sum / std::max(1, loss_count);
      append_line(metrics_path, {{"type", "step"},
                                 {"step", done},
                                 {"epoch", double(done) / steps_per_epoch},
                                 {"loss", mean_loss},
                                 {"lr", lr},
                                 {"grad_norm", grad_norm},
                                 {"tokens_per_second", tps}});
      if (!options.quiet) {
        std::fprintf(
            stderr, "%sstep %lld/%lld  epoch %.2f  loss %.4f  lr %.2e  tok/s %.0f  ETA %s%s",
            tty ? "\r" : "", static_cast<long long>(done), static_cast<long long>(total_steps),
            static_cast<double>(done) / steps_per_epoch, mean_loss, lr, tps,
            format_duration(eta).c_str(), tty ? "   " : "\n");
        std::fflush(stderr);
      }
      loss_sum = 0;
      loss_count = 0;
    }
    const bool epoch_done = done % steps_per_epoch == 0 || done == total_steps;
    if (epoch_done) {
      const Validation eval = task->validate(valid_set);
      last_valid = eval.metrics;
      const bool best = !best_score || eval.score > *best_score;
      if (best) best_score = eval.score;
      append_line(metrics_path, {{"type", "epoch"},
                                 {"epoch", done / steps_per_epoch},
                                 {"step", done},
                                 {"valid", last_valid},
                                 {"seconds", prior_seconds + elapsed()}});
      if (!options.quiet) {
        std::fprintf(stderr, "%sepoch %lld  %s%s\n", tty ? "\n" : "",
                     static_cast<long long>(done / steps_per_epoch), eval.summary.c_str(),
                     best ? "  (best)" : "");
      }
      if (best) {
        save_checkpoint(out / "checkpoints" / "best.safetensors", task->params(), &optimizer,
                        make_state(done));
      }
    }
    if (done % train_config.checkpoint_every == 0 || done == stop_at) save_step_checkpoint(done);
    if (epoch_done && options.on_epoch &&
        !options.on_epoch(static_cast<int>(done / steps_per_epoch), last_valid)) {
      summary.stopped_by_callback = true;
      if (done != stop_at) save_step_checkpoint(done);
      stop_at = done;
    }
  }
  if (!options.quiet && tty) std::fprintf(stderr, "\n");

  summary.steps = stop_at;
  summary.train_seconds = prior_seconds + elapsed();
  summary.tokens_per_second = (prior_tokens + run_tokens) / std::max(1e-9, summary.train_seconds);
  summary.is_lm = model_config.is_lm();
  if (summary.is_lm) {
    summary.best_valid_perplexity = best_score ? -*best_score : 0.0;
  } else {
    summary.best_valid_accuracy = best_score ? *best_score : -1.0;
  }
  if (best_score) summary.best_checkpoint = out / "checkpoints" / "best.safetensors";
  summary.last_checkpoint = step_checkpoint_path(out, stop_at);
  return summary;
}

}  // namespace bog::model
