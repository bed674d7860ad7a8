// A W3C WebDriver client for the page tests: Debian's chromedriver (package chromium-driver)
// drives headless Chromium, so a test types into the page and clicks its buttons as a person
// does, then reads the DOM. Commands go over loopback HTTP (cpp-httplib).
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {

class WebDriver {
 public:
  // chromedriver and chromium paths, or "" when either is absent (the test then skips).
  static std::string chromedriver_path();
  static std::string chromium_path();

  // Starts chromedriver on a free loopback port and opens a headless Chromium session.
  // Throws std::runtime_error with chromedriver's answer when it cannot.
  WebDriver();
  ~WebDriver();  // ends the session and chromedriver
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;

  void navigate(const std::string& url);
  // The element id of the first match of a CSS selector; "" when nothing matches.
  std::string find(const std::string& css);
  std::string text(const std::string& element);
  void type(const std::string& element, const std::string& keys);
  void click(const std::string& element);
  // The page as it is now, as a PNG file.
  void screenshot(const std::filesystem::path& png);
  // Runs JavaScript in the page and returns its value.
  nlohmann::json execute(const std::string& script);
  // Polls the visible text of `css` until pred(text) holds; returns the last text read.
  template <typename Pred>
  std::string wait_for_text(const std::string& css, Pred pred, double timeout_s);

 private:
  nlohmann::json command(const std::string& method, const std::string& path,
                         const nlohmann::json& body = nlohmann::json::object());
  std::unique_ptr<Child> driver_;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
};

double monotonic_seconds();

template <typename Pred>
std::string WebDriver::wait_for_text(const std::string& css, Pred pred, double timeout_s) {
  const double end = monotonic_seconds() + timeout_s;
  std::string last;
  do {
    const std::string e = find(css);
    last = e.empty() ? "" : text(e);
    if (pred(last)) return last;
  } while (monotonic_seconds() < end);
  return last;
}

}  // namespace bog::serve_test
