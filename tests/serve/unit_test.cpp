// The serving pieces on their own: config parsing and env overrides, request validation,
// the dynamic batcher (grouping, bounded queue, errors, drain), metrics text.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <thread>

#include "common/build_paths.h"
#include "common/error.h"
#include "serve/api_request.h"
#include "serve/batcher.h"
#include "serve/length_buckets.h"
#include "serve/load_generator.h"
#include "serve/metrics.h"
#include "serve/serving_config.h"

namespace bog::serve {
namespace {

TEST(ServingConfig, ParsesEveryKeyAndRejectsUnknownOnes) {
  const ServingConfig c = parse_serving_config(
      "bundle: b\nhost: 0.0.0.0\nport: 9000\nprovider: reference\nmax_batch: 8\n"
      "max_wait_ms: 5\nqueue_capacity: 100\nmax_texts: 10\noverlong: reject\nbatching: false\n"
      "run_overhead_tokens: 40\n",
      "t.yaml");
  EXPECT_EQ(c.bundle, "b");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.provider, "reference");
  EXPECT_EQ(c.max_batch, 8);
  EXPECT_EQ(c.max_wait_ms, 5);
  EXPECT_EQ(c.queue_capacity, 100);
  EXPECT_EQ(c.max_texts, 10);
  EXPECT_EQ(c.overlong, OverlongPolicy::kReject);
  EXPECT_FALSE(c.batching);
  EXPECT_EQ(c.run_overhead_tokens, 40);
  for (const char* bad : {"nosuch: 1", "port: 70000", "port: abc", "max_batch: [1]",
                          "overlong: cut", "- a list", "host: {a: 1}", "a: [unclosed"}) {
    SCOPED_TRACE(bad);
    try {
      (void)parse_serving_config(bad, "t.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("t.yaml"), std::string::npos) << e.what();
    }
  }
}

TEST(ServingConfig, ShippedConfigIsValid) {
  ServingConfig c = load_serving_config(std::string(bog::source_dir()) + "/configs/serving.yaml");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_NO_THROW(validate(c));
}

TEST(ServingConfig, EnvironmentOverridesTheFile) {
  ServingConfig c = parse_serving_config("bundle: a\nport: 1\n", "t");
  apply_env_overrides(c, {{"BOG_BUNDLE_DIR", "b"},
                          {"BOG_SERVE_HOST", "0.0.0.0"},
                          {"BOG_SERVE_PORT", "8181"},
                          {"BOG_SERVE_PROVIDER", "reference"},
                          {"UNRELATED", "x"}});
  EXPECT_EQ(c.bundle, "b");
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 8181);
  EXPECT_EQ(c.provider, "reference");
  EXPECT_THROW(apply_env_overrides(c, {{"BOG_SERVE_PORT", "http"}}), Error);
  apply_env_overrides(c, {{"BOG_SERVE_HOST", ""}});  // empty means unset
  EXPECT_EQ(c.host, "0.0.0.0");
}

TEST(ServingConfig, ValidateRejectsImpossibleSettings) {
  ServingConfig ok;
  ok.bundle = "b";
  EXPECT_NO_THROW(validate(ok));
  const std::vector<std::function<void(ServingConfig&)>> breakers = {
      [](ServingConfig& c) { c.bundle = ""; },
      [](ServingConfig& c) { c.provider = "tpu"; },
      [](ServingConfig& c) { c.max_batch = 0; },
      [](ServingConfig& c) { c.queue_capacity = 0; },
      [](ServingConfig& c) { c.max_texts = c.queue_capacity + 1; },
      [](ServingConfig& c) { c.max_wait_ms = -1; },
      [](ServingConfig& c) { c.max_tokens = -5; },
      [](ServingConfig& c) { c.http_threads = 0; },
  };
  for (size_t i = 0; i < breakers.size(); ++i) {
    ServingConfig c = ok;
    breakers[i](c);
    EXPECT_THROW(validate(c), Error) << i;
  }
}

TEST(ApiRequest, ParsesTextAndTexts) {
  const auto one = parse_predict(R"({"text": "hello", "extra": 1})");
  ASSERT_TRUE(std::holds_alternative<std::string>(one));
  EXPECT_EQ(std::get<std::string>(one), "hello");
  const auto many = parse_predict_batch(R"({"texts": ["a", "b"]})", 2);
  ASSERT_TRUE((std::holds_alternative<std::vector<std::string>>(many)));
  EXPECT_EQ(std::get<std::vector<std::string>>(many).size(), 2u);
}

TEST(ApiRequest, EachProblemHasItsStatusAndCode) {
  struct Case {
    const char* body;
    bool batch;
    int status;
    const char* code;
  };
  const Case cases[] = {
      {"", false, 400, "invalid_json"},
      {"{", false, 400, "invalid_json"},
      {"[1]", false, 400, "invalid_request"},
      {"null", true, 400, "invalid_request"},
      {"{}", false, 422, "missing_field"},
      {R"({"text": null})", false, 422, "wrong_type"},
      {R"({"text": {"a": 1}})", false, 422, "wrong_type"},
      {R"({"text": "\n\t "})", false, 422, "empty_text"},
      {"{}", true, 422, "missing_field"},
      {R"({"texts": {"a": "b"}})", true, 422, "wrong_type"},
      {R"({"texts": []})", true, 422, "empty_texts"},
      {R"({"texts": ["a", "b", "c"]})", true, 422, "too_many_texts"},
      {R"({"texts": ["a", false]})", true, 422, "wrong_type"},
      {R"({"texts": ["a", " "]})", true, 422, "empty_text"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    const ApiError* e = nullptr;
    const auto one = parse_predict(c.body);
    const auto many = parse_predict_batch(c.body, 2);
    e = c.batch ? std::get_if<ApiError>(&many) : std::get_if<ApiError>(&one);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->status, c.status);
    EXPECT_EQ(e->code, c.code);
    const auto body = nlohmann::json::parse(error_body(*e));
    EXPECT_EQ(body["error"]["code"], c.code);
  }
}

Encoded encoded(int64_t id) {
  Encoded e;
  e.ids = {id};
  e.tokens = 1;
  return e;
}

// A run function that echoes each input's first id as its label and records batch sizes.
struct EchoRun {
  std::mutex mu;
  std::vector<int> sizes;
  std::vector<Probabilities> operator()(std::span<const Encoded* const> batch) {
    {
      const std::lock_guard lock(mu);
      sizes.push_back(static_cast<int>(batch.size()));
    }
    std::vector<Probabilities> out;
    for (const Encoded* e : batch) out.push_back({{1.0f}, static_cast<int>(e->ids[0])});
    return out;
  }
};

TEST(Batcher, GroupsTextsQueuedTogetherIntoOneRun) {
  EchoRun echo;
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<bool> first{true};
  // The first run blocks until the other texts are queued, so they must form one batch.
  Batcher b(
      [&](std::span<const Encoded* const> batch) {
        if (first.exchange(false)) open.wait();
        return echo(batch);
      },
      {4, std::chrono::microseconds(0), 100});
  auto head = b.submit({encoded(0)});
  ASSERT_TRUE(head);
  while (b.depth() != 0) std::this_thread::yield();  // the worker took it and is blocked
  std::vector<std::future<Probabilities>> rest;
  for (int i = 1; i <= 6; ++i) {
    auto f = b.submit({encoded(i)});
    ASSERT_TRUE(f);
    rest.push_back(std::move((*f)[0]));
  }
  EXPECT_EQ(b.depth(), 6);
  gate.set_value();
  EXPECT_EQ((*head)[0].get().label, 0);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(rest[static_cast<size_t>(i)].get().label, i + 1);
  b.stop();
  EXPECT_EQ(echo.sizes, (std::vector<int>{1, 4, 2}));
}

TEST(Batcher, RefusesWhatDoesNotFitAndNeverGrowsPastCapacity) {
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  EchoRun echo;
  Batcher b(
      [&](std::span<const Encoded* const> batch) {
        open.wait();
        return echo(batch);
      },
      {1, std::chrono::microseconds(0), 3});
  auto running = b.submit({encoded(9)});
  ASSERT_TRUE(running);
  while (b.depth() != 0) std::this_thread::yield();
  auto queued = b.submit({encoded(1), encoded(2)});
  ASSERT_TRUE(queued);
  EXPECT_FALSE(b.submit({encoded(3), encoded(4)})) << "2 more would exceed capacity 3";
  EXPECT_EQ(b.depth(), 2) << "a refused submit queues nothing";
  auto last = b.submit({encoded(5)});
  ASSERT_TRUE(last);
  EXPECT_FALSE(b.submit({encoded(6)}));
  EXPECT_EQ(b.depth(), 3);
  gate.set_value();
  EXPECT_EQ((*last)[0].get().label, 5);
}

TEST(Batcher, AFailedRunFailsOnlyItsOwnTexts) {
  std::atomic<int> runs{0};
  Batcher b(
      [&](std::span<const Encoded* const> batch) -> std::vector<Probabilities> {
        if (runs++ == 0) throw std::runtime_error("boom");
        return {Probabilities{{1.0f}, static_cast<int>(batch[0]->ids[0])}};
      },
      {1, std::chrono::microseconds(0), 10});
  auto bad = b.submit({encoded(1)});
  ASSERT_TRUE(bad);
  EXPECT_THROW((*bad)[0].get(), std::runtime_error);
  auto good = b.submit({encoded(2)});
  ASSERT_TRUE(good);
  EXPECT_EQ((*good)[0].get().label, 2);
}

TEST(Batcher, StopRunsWhatIsQueuedThenRefuses) {
  EchoRun echo;
  auto b =
      std::make_unique<Batcher>(std::ref(echo), BatcherOptions{8, std::chrono::seconds(30), 64});
  auto f = b->submit({encoded(1), encoded(2), encoded(3)});
  ASSERT_TRUE(f);
  b->stop();  // does not wait the 30 s for company
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*f)[static_cast<size_t>(i)].get().label, i + 1);
  EXPECT_FALSE(b->submit({encoded(4)}));
}

// The cost a plan minimises, recomputed from its runs.
int64_t plan_cost(const std::vector<int64_t>& lengths, const std::vector<std::vector<size_t>>& runs,
                  int64_t overhead) {
  int64_t cost = 0;
  for (const auto& run : runs) {
    int64_t longest = 1;
    for (const size_t i : run) longest = std::max(longest, lengths[i]);
    cost += overhead + static_cast<int64_t>(run.size()) * longest;
  }
  return cost;
}

TEST(LengthRuns, SimilarLengthsShareARunAndOutliersGetTheirOwn) {
  // Equal lengths: one run, whatever the overhead.
  EXPECT_EQ(plan_length_runs({12, 12, 12, 12}, 0).size(), 1u);
  EXPECT_TRUE(plan_length_runs({}, 16).empty());
  // 30 headlines of ~12 tokens and two articles of 120: two runs, the articles apart.
  std::vector<int64_t> mixed(30, 12);
  mixed[3] = 11;
  mixed.push_back(120);
  mixed.insert(mixed.begin() + 7, 118);
  const auto runs = plan_length_runs(mixed, 16);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].size(), 2u);
  for (const size_t i : runs[1]) EXPECT_GE(mixed[i], 118);
  // A huge overhead keeps everything in one run; none splits texts one per run.
  EXPECT_EQ(plan_length_runs(mixed, 100000).size(), 1u);
  EXPECT_EQ(plan_length_runs(mixed, 0).size(), 4u);  // 11, 12, 118, 120: no padding at all
}

TEST(LengthRuns, EveryTextOnceAndNoPlanCostsLessThanTheChosenOne) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> len(1, 128);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + trial % 9;  // small enough to try every split
    std::vector<int64_t> lengths(static_cast<size_t>(n));
    for (auto& l : lengths) l = len(rng);
    const int64_t overhead = trial % 3 == 0 ? 0 : 16 * (trial % 4);
    const auto runs = plan_length_runs(lengths, overhead);
    std::vector<int> seen(static_cast<size_t>(n), 0);
    for (const auto& run : runs) {
      ASSERT_FALSE(run.empty());
      for (const size_t i : run) ++seen.at(i);
    }
    for (const int s : seen) EXPECT_EQ(s, 1);
    // Brute force over the cuts of the sorted order (2^(n-1) plans).
    std::vector<size_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
    int64_t best = std::numeric_limits<int64_t>::max();
    for (uint32_t cuts = 0; cuts < (1u << (n - 1)); ++cuts) {
      std::vector<std::vector<size_t>> plan(1);
      for (int i = 0; i < n; ++i) {
        if (i > 0 && (cuts >> (i - 1)) & 1u) plan.emplace_back();
        plan.back().push_back(order[static_cast<size_t>(i)]);
      }
      best = std::min(best, plan_cost(lengths, plan, overhead));
    }
    EXPECT_EQ(plan_cost(lengths, runs, overhead), best) << "trial " << trial;
  }
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m(8);
  m.count_request("/predict", 200);
  m.count_request("/predict", 200);
  m.count_request("other", 404);
  m.observe_latency("/predict", 0.003);
  m.observe_batch(1);
  m.observe_batch(5);
  m.observe_batch(8);
  m.set_session_runs(5);
  const std::string t = m.render(2, 256, true);
  EXPECT_NE(t.find("bog_session_runs_total 5\n"), std::string::npos);
  EXPECT_NE(t.find("bog_requests_total{route=\"/predict\",status=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("bog_requests_total{route=\"other\",status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("bog_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(t.find("bog_request_duration_seconds_bucket{route=\"/predict\",le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("bog_queue_depth 2\n"), std::string::npos);
  EXPECT_NE(t.find("bog_batch_size_bucket{le=\"1\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("bog_batch_size_bucket{le=\"4\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("bog_batch_size_bucket{le=\"8\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("bog_batch_size_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("bog_batch_size_sum 14\n"), std::string::npos);
  EXPECT_EQ(route_label("/predict/batch"), "/predict/batch");
  EXPECT_EQ(route_label("/static/app.js"), "/static");
  EXPECT_EQ(route_label("/wp-admin"), "other");

  // The load tester reads the same histogram back.
  const BatchHistogram h = parse_batch_histogram(t);
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.sum, 14);
  EXPECT_EQ(h.cumulative.at(8), 3u);
  m.observe_batch(2);
  const BatchHistogram d = histogram_delta(parse_batch_histogram(m.render(0, 1, true)), h);
  EXPECT_EQ(d.count, 1u);
  EXPECT_EQ(d.cumulative.at(2), 1u);
  EXPECT_EQ(d.cumulative.at(1), 0u);
}

}  // namespace
}  // namespace bog::serve
