#include "tests/serve/webdriver.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace bog::serve_test {
namespace {

// The key under which W3C WebDriver returns an element reference.
constexpr const char* kElementKey = "element-6066-11e4-a52e-4f735466cecf";

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("webdriver: no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string base64_decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;  // padding and anything else ends the data
  };
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : in) {
    const int v = value(c);
    if (v < 0) break;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

}  // namespace

double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string WebDriver::chromedriver_path() { return find_in_path({"chromedriver"}); }

std::string WebDriver::chromium_path() {
  return find_in_path({"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"});
}

WebDriver::WebDriver() {
  const int port = free_loopback_port();
  driver_ = std::make_unique<Child>(chromedriver_path(),
                                    std::vector<std::string>{"--port=" + std::to_string(port)});
  // chromedriver says when it listens; the line names the port.
  std::string said;
  for (int i = 0; i < 20; ++i) {
    const std::string line = driver_->read_line(10);
    said += line + "\n";
    if (line.find("started successfully") != std::string::npos) break;
    if (line.empty()) throw std::runtime_error("chromedriver did not start:\n" + said);
  }
  client_ = std::make_unique<httplib::Client>("127.0.0.1", port);
  client_->set_read_timeout(120, 0);
  const nlohmann::json caps = {
      {"capabilities",
       {{"alwaysMatch",
         {{"browserName", "chrome"},
          {"goog:chromeOptions",
           {{"binary", chromium_path()},
            {"args",
             {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-extensions", "--window-size=1280,1000"}}}}}}}}};
  session_ = command("POST", "/session", caps).at("sessionId").get<std::string>();
}

WebDriver::~WebDriver() {
  if (!session_.empty()) {
    try {
      command("DELETE", "/session/" + session_);
    } catch (const std::exception&) {
      // chromedriver is killed below either way
    }
  }
}

nlohmann::json WebDriver::command(const std::string& method, const std::string& path,
                                  const nlohmann::json& body) {
  httplib::Result r = method == "GET"      ? client_->Get(path)
                      : method == "DELETE" ? client_->Delete(path)
                                           : client_->Post(path, body.dump(), "application/json");
  if (!r) throw std::runtime_error("webdriver: no answer to " + method + " " + path);
  nlohmann::json answer = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || answer.is_discarded()) {
    throw std::runtime_error("webdriver: " + method + " " + path + " -> " +
                             std::to_string(r->status) + ": " + r->body.substr(0, 2000));
  }
  return answer.at("value");
}

void WebDriver::navigate(const std::string& url) {
  command("POST", "/session/" + session_ + "/url", {{"url", url}});
}

std::string WebDriver::find(const std::string& css) {
  const nlohmann::json found = command("POST", "/session/" + session_ + "/elements",
                                       {{"using", "css selector"}, {"value", css}});
  if (found.empty()) return "";
  return found.at(0).at(kElementKey).get<std::string>();
}

std::string WebDriver::text(const std::string& element) {
  return command("GET", "/session/" + session_ + "/element/" + element + "/text")
      .get<std::string>();
}

void WebDriver::type(const std::string& element, const std::string& keys) {
  command("POST", "/session/" + session_ + "/element/" + element + "/value", {{"text", keys}});
}

void WebDriver::click(const std::string& element) {
  command("POST", "/session/" + session_ + "/element/" + element + "/click");
}

void WebDriver::screenshot(const std::filesystem::path& png) {
  const std::string data =
      base64_decode(command("GET", "/session/" + session_ + "/screenshot").get<std::string>());
  std::ofstream(png, std::ios::binary) << data;
}

nlohmann::json WebDriver::execute(const std::string& script) {
  return command("POST", "/session/" + session_ + "/execute/sync",
                 {{"script", script}, {"args", nlohmann::json::array()}});
}

}  // namespace bog::serve_test
