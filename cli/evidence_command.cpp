// `bog evidence collect|validate`: the sanitized docs/evidence/ folder and its checks.
#include <fmt/format.h>

#include <iostream>

#include "bench/evidence.h"
#include "cli/commands.h"

namespace bog::cli {

void add_evidence_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("evidence", "Collect and validate docs/evidence/");
  cmd->require_subcommand(1);

  struct CollectArgs {
    std::string from, out = "docs/evidence";
  };
  auto c = std::make_shared<CollectArgs>();
  auto* collect = cmd->add_subcommand("collect", "Run outputs -> sanitized evidence files");
  collect->add_option("--from", c->from, "Folder with bench, parity, eval JSON outputs")
      ->required()
      ->check(CLI::ExistingDirectory);
  collect->add_option("--out", c->out, "Evidence folder (docs/evidence)");
  collect->callback([c] {
    const bench::CollectSummary s = bench::collect_evidence(c->from, c->out);
    std::cout << fmt::format(
        "evidence: {} files in {} ({} bench rows, {} results, {} parity "
        "reports, {} warnings)\n",
        s.files.size(), c->out, s.bench_rows, s.result_rows, s.parity_reports, s.warnings.size());
  });

  struct ValidateArgs {
    std::string dir = "docs/evidence", readme;
    std::vector<std::string> forbid;
  };
  auto v = std::make_shared<ValidateArgs>();
  auto* validate = cmd->add_subcommand("validate", "Check an evidence folder (and the README)");
  validate->add_option("dir", v->dir, "Evidence folder (docs/evidence)");
  validate->add_option("--readme", v->readme, "README whose results section must match")
      ->check(CLI::ExistingFile);
  validate->add_option("--forbid", v->forbid, "Extra names that must not appear");
  validate->callback([v] {
    bench::ValidateOptions o;
    o.dir = v->dir;
    if (!v->readme.empty()) o.readme = v->readme;
    o.forbidden_names = v->forbid;
    const std::vector<bench::EvidenceIssue> issues = bench::validate_evidence(o);
    for (const bench::EvidenceIssue& i : issues) {
      std::cout << fmt::format("{}: {}\n", i.file, i.problem);
    }
    if (!issues.empty()) {
      throw CommandFailed(fmt::format("evidence validate: {} problem(s)", issues.size()));
    }
    std::cout << fmt::format("evidence validate: {} passed{}\n", v->dir,
                             v->readme.empty() ? "" : " (README figures included)");
  });
}

}  // namespace bog::cli
