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

}  // namespace bog::test_data
