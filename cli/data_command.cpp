// `bog data info DIR` and `bog data fetch ag_news --dest DIR`: what a data directory holds,
// and getting the original split where there is network access.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "model/data/ag_news_files.h"
#include "model/data/fetch.h"

namespace bog::cli {
namespace {

void add_info(CLI::App& data) {
  auto* cmd =
      data.add_subcommand("info", "Rows per split and class; is each file the official one");
  struct Args {
    std::string dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("DIR", args->dir, "AG News directory (train.csv, test.csv)")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    std::error_code ec;
    if (!std::filesystem::is_directory(args->dir, ec)) {
      throw Error(ErrorCategory::kIo, fmt::format("'{}' is not a directory", args->dir));
    }
    const auto info = model::describe_ag_news_dir(args->dir);
    if (args->json) {
      std::cout << info.to_json().dump() << "\n";
    } else {
      std::cout << info.to_text();
    }
  });
}

void add_fetch(CLI::App& data) {
  auto* cmd = data.add_subcommand(
      "fetch", "Download the original AG News split (libcurl) and verify its sha256");
  struct Args {
    std::string dataset;
    std::string dest;
    std::string url_base = model::kAgNewsDefaultUrlBase;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("DATASET", args->dataset, "Dataset name (ag_news)")
      ->required()
      ->check(CLI::IsMember({"ag_news"}));
  cmd->add_option("--dest", args->dest, "Directory to write train.csv and test.csv into")
      ->required();
  cmd->add_option("--url-base", args->url_base, "Where train.csv and test.csv are served")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    model::FetchOptions options = model::default_ag_news_fetch_options();
    options.url_base = args->url_base;
    const auto files = model::fetch_files(args->dest, options);
    nlohmann::json j = nlohmann::json::array();
    for (const auto& f : files) {
      j.push_back({{"name", f.name},
                   {"path", f.path.string()},
                   {"sha256", f.sha256},
                   {"bytes", f.bytes},
                   {"already_present", f.already_present}});
      if (!args->json) {
        fmt::print("{:<10} {} {} bytes, sha256 {} (verified)\n", f.name,
                   f.already_present ? "already present," : "downloaded,", f.bytes, f.sha256);
      }
    }
    if (args->json) std::cout << nlohmann::json{{"files", j}}.dump() << "\n";
  });
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Inspect or fetch the AG News data");
  data->require_subcommand(1);
  add_info(*data);
  add_fetch(*data);
}

}  // namespace bog::cli
