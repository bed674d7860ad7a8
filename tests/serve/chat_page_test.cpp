// The chat page (/chat) in a real browser, driven as a person uses it: headless Chromium under
// chromedriver (W3C WebDriver) loads the page from a server with the shipped LM, a message is
// typed and sent, the answer streams in token by token, the stop button stops it — on the page
// and on the server, whose sequence is cancelled and whose row is freed — and the conversation
// goes on with a second message. Decode steps are slowed to 40 ms so that the stream is
// still running when the test presses stop. Writes build/chat_page.png.
// Skipped, saying so, where Debian's chromium or chromium-driver (installed by `make deps`) is
// absent.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"
#include "tests/serve/serve_test_util.h"
#include "tests/serve/webdriver.h"

namespace bog::serve_test {
namespace {

namespace fs = std::filesystem;

// A metric's value in a Prometheus text page (the first sample of that name), or -1.
double metric(const std::string& page, const std::string& name) {
  const std::regex re("(^|\\n)" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)");
  std::smatch m;
  return std::regex_search(page, m, re) ? std::stod(m[3].str()) : -1;
}

std::string metrics_page(int port) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/metrics");
  return r ? r->body : "";
}

TEST(ChatPage, TypedMessageStreamsAndStopCancelsOnTheServer) {
  if (WebDriver::chromium_path().empty() || WebDriver::chromedriver_path().empty()) {
    GTEST_SKIP() << "SKIPPED: chromium and chromedriver (Debian packages 'chromium' and "
                    "'chromium-driver', installed by `make deps`) are needed; the chat page "
                    "test did not run";
  }
  RunningServer s = start_lm(lm_test_config(),
                             [] { std::this_thread::sleep_for(std::chrono::milliseconds(40)); });
  const std::string base = "http://127.0.0.1:" + std::to_string(s.port);
  WebDriver wd;
  wd.navigate(base + "/chat");
  ASSERT_EQ(wd.wait_for_text(
                "#status", [](const std::string& t) { return t == "ready"; }, 30),
            "ready");
  EXPECT_EQ(wd.text(wd.find("#model")), "agnews-lm");
  // The longest answer the context allows, so that only the stop button ends it.
  wd.execute("document.getElementById('max-tokens').value = '200';");
  wd.type(wd.find("#prompt"), "Stocks rallied on Wall Street as");
  wd.click(wd.find("#send"));

  // The answer appears token by token while the state says streaming.
  const auto words = [](const std::string& t) { return std::count(t.begin(), t.end(), ' ') >= 3; };
  const std::string early = wd.wait_for_text(".msg.assistant .text", words, 60);
  ASSERT_TRUE(words(early)) << "no streamed answer: '" << early << "'";
  EXPECT_EQ(wd.text(wd.find("#state")), "streaming");
  const std::string later = wd.wait_for_text(
      ".msg.assistant .text", [&](const std::string& t) { return t.size() > early.size(); }, 30);
  EXPECT_GT(later.size(), early.size()) << "the answer did not grow: '" << later << "'";
  EXPECT_EQ(later.rfind(early, 0), 0u) << "tokens are appended, not replaced";

  wd.click(wd.find("#stop"));
  ASSERT_EQ(wd.wait_for_text(
                "#state", [](const std::string& t) { return t == "stopped"; }, 10),
            "stopped");
  const std::string stopped = wd.text(wd.find(".msg.assistant .text"));
  // The server cancels the sequence at its next step and frees its row.
  double active = -1, cancelled = -1;
  for (int i = 0; i < 100; ++i) {
    const std::string page = metrics_page(s.port);
    active = metric(page, "bog_generation_active_sequences");
    cancelled = metric(page, "bog_generation_requests_total\\{finish_reason=\"cancelled\"\\}");
    if (active == 0 && cancelled >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(active, 0);
  EXPECT_GE(cancelled, 1);
  const double generated = metric(metrics_page(s.port), "bog_generation_tokens_total");
  EXPECT_LT(generated, 200) << "the server generated the whole answer despite the stop";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(wd.text(wd.find(".msg.assistant .text")), stopped) << "text arrived after stop";
  EXPECT_NE(wd.text(wd.find("#rate")), "–");  // tokens/s shown

  // The conversation goes on: a short second answer ends on its own ("length").
  wd.execute("document.getElementById('max-tokens').value = '4';");
  wd.type(wd.find("#prompt"), "And oil prices?");
  wd.click(wd.find("#send"));
  EXPECT_EQ(wd.wait_for_text(
                "#state", [](const std::string& t) { return t.rfind("done", 0) == 0; }, 60),
            "done: length");
  EXPECT_EQ(wd.execute("return document.querySelectorAll('.msg.user').length;"), 2);
  EXPECT_EQ(wd.execute("return document.querySelectorAll('.msg.assistant').length;"), 2);
  EXPECT_EQ(
      wd.execute("return document.querySelector('.msg.assistant:last-child').dataset.tokens;"),
      "4");

  const fs::path shot = fs::path(bog::binary_dir()) / "chat_page.png";
  wd.screenshot(shot);
  ASSERT_TRUE(fs::is_regular_file(shot));
  EXPECT_EQ(cli_test::read_bytes(shot).substr(1, 3), "PNG");
}

}  // namespace
}  // namespace bog::serve_test
