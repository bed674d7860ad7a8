// A tiny AG News-format data folder whose class is given away by its topic words: enough for a
// one-epoch model to learn, small enough for a test to train on in a second.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace bog::test_data {

inline constexpr const char* kTopicWords[4][3] = {{"war", "minister", "treaty"},
                                                  {"match", "goal", "coach"},
                                                  {"shares", "profit", "bank"},
                                                  {"software", "chip", "robot"}};

// Writes dir/train.csv and dir/test.csv (class 1-4, title, description), labels round-robin.
inline void write_topic_csvs(const std::filesystem::path& dir, int train_rows, int test_rows,
                             uint64_t seed) {
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(seed);
  for (const auto& [name, rows] :
       {std::pair{"train.csv", train_rows}, std::pair{"test.csv", test_rows}}) {
    std::ofstream out(dir / name);
    for (int i = 0; i < rows; ++i) {
      const int label = i % 4;
      std::string desc;
      for (int w = 0; w < 2 + static_cast<int>(rng() % 4); ++w) {
        desc += std::string(w ? " " : "") + kTopicWords[label][rng() % 3];
      }
      out << '"' << label + 1 << "\",\"" << kTopicWords[label][i % 3] << "\",\"" << desc << "\"\n";
    }
  }
}

// A tiny tiny_llama and one epoch of training on the data above: a bundle in about a second.
inline constexpr const char* kTinyModelYaml =
    "architecture: tiny_llama\nvocab_size: 40\nd_model: 8\nn_heads: 2\nn_kv_heads: 1\nd_ff: 12\n"
    "max_len: 16\ndropout: 0.0\n";
inline constexpr const char* kOneEpochTrainYaml =
    "epochs: 1\nbatch_size: 8\nlr: 0.01\nwarmup_steps: 1\nvalid_fraction: 0.2\n"
    "checkpoint_every: 100\nkeep_last: 1\nlog_every: 100\nthreads: 1\n";

}  // namespace bog::test_data
