// The page in a real browser: headless Chromium loads "/?text=<headline>", the page's own form
// code submits it to /predict, and the DOM it leaves shows the predicted label. Also writes a
// screenshot (build/serve_page.png; docs/evidence/serve_page.png is a copy of one).
// Skipped, saying so, where Debian's chromium (installed by `make deps`) is absent.
#include <gtest/gtest.h>

#include <regex>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"
#include "tests/serve/serve_test_util.h"
#include "tests/serve/webdriver.h"

namespace bog::serve_test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> chromium_args(const std::string& url) {
  return {"--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--no-first-run",
          "--disable-extensions",
          "--hide-scrollbars",
          "--virtual-time-budget=20000",
          "--window-size=1280,1000",
          url};
}

TEST(Browser, PageShowsThePredictedLabelForASubmittedHeadline) {
  const std::string chromium = WebDriver::chromium_path();
  if (chromium.empty()) {
    GTEST_SKIP() << "SKIPPED: no chromium in PATH (Debian package 'chromium', installed by "
                    "`make deps`); the browser test did not run";
  }
  RunningServer s = start_server(test_config());
  const std::string headline = "Striker scores twice as United win the derby";
  httplib::Client client("127.0.0.1", s.port);
  auto api = client.Post("/predict", nlohmann::json{{"text", headline}}.dump(), "application/json");
  ASSERT_TRUE(api);
  const std::string expected = nlohmann::json::parse(api->body)["label"];

  const std::string url = "http://127.0.0.1:" + std::to_string(s.port) +
                          "/?text=Striker%20scores%20twice%20as%20United%20win%20the%20derby";
  std::vector<std::string> args = chromium_args(url);
  args.insert(args.end() - 1, "--dump-dom");
  const Output dom = run_program(chromium, args, 180);
  ASSERT_EQ(dom.exit_code, 0) << dom.text;
  const std::regex label_re(R"re(<strong id="label">([^<]*)</strong>)re");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dom.text, m, label_re)) << dom.text;
  EXPECT_EQ(m[1].str(), expected);
  EXPECT_EQ(expected, "Sports");
  // The bar chart has one bar per class and the model panel was filled from /metadata.
  EXPECT_NE(dom.text.find("<dd>tiny_llama</dd>"), std::string::npos);
  const std::regex bar_re(R"(class="bar( top)?")");
  const std::ptrdiff_t bars = std::distance(
      std::sregex_iterator(dom.text.begin(), dom.text.end(), bar_re), std::sregex_iterator());
  EXPECT_EQ(bars, 4);

  const fs::path shot = fs::path(bog::binary_dir()) / "serve_page.png";
  fs::remove(shot);
  args = chromium_args(url);
  args.insert(args.end() - 1, "--screenshot=" + shot.string());
  const Output png = run_program(chromium, args, 180);
  ASSERT_EQ(png.exit_code, 0) << png.text;
  ASSERT_TRUE(fs::is_regular_file(shot)) << png.text;
  EXPECT_EQ(cli_test::read_bytes(shot).substr(1, 3), "PNG");
}

}  // namespace
}  // namespace bog::serve_test
