// `fetch_files` against a cpp-httplib server on 127.0.0.1: a good download lands, and a corrupt
// body, a truncated body or an HTTP error leaves nothing behind in the destination.
// Without cpp-httplib (see tests/CMakeLists.txt) every test still exists and reports a skip
// with the reason instead of vanishing from the run.
#include <gtest/gtest.h>
#include <unistd.h>
#ifdef BOG_HAVE_HTTPLIB
#include <httplib.h>
#endif

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "model/data/fetch.h"
#include "model/data/sha256.h"

namespace bog::model {
namespace {

const std::string kTrain = "\"1\",\"t\",\"train row\"\n\"2\",\"u\",\"another\"\n";
const std::string kTest = "\"3\",\"x\",\"test row\"\n";

#ifdef BOG_HAVE_HTTPLIB
constexpr const char* kNoServer = nullptr;
class LoopbackServer {
 public:
  LoopbackServer() {
    server_.Get("/good/train.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kTrain, "text/csv");
    });
    server_.Get("/good/test.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kTest, "text/csv");
    });
    // Same length as the good file, one byte changed.
    server_.Get("/corrupt/train.csv", [](const httplib::Request&, httplib::Response& res) {
      std::string body = kTrain;
      body[5] = 'X';
      res.set_content(body, "text/csv");
    });
    server_.Get("/corrupt/test.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kTest, "text/csv");
    });
    // Announces the full length, sends half, then drops the connection.
    server_.Get("/truncated/train.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(kTrain.size(), "text/csv",
                               [](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset > 0) return false;
                                 sink.write(kTrain.data(), kTrain.size() / 2);
                                 return true;
                               });
    });
    server_.Get("/truncated/test.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kTest, "text/csv");
    });
    // test.csv good, train.csv missing (404): the good file must not be published alone.
    server_.Get("/half/test.csv", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kTest, "text/csv");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      listen_returned_ = true;
    });
    // bind_to_any_port already listens: early connections wait in the backlog until accept.
  }
  ~LoopbackServer() {
    // httplib's stop() does nothing until listen_after_bind() has marked the server running; a
    // test that never connects can get here first, and the join would then wait forever.
    while (!server_.is_running() && !listen_returned_)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server_.stop();
    thread_.join();
  }
  std::string base(const std::string& dir) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + dir + "/";
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::atomic<bool> listen_returned_{false};
  std::thread thread_;
};
#else
constexpr const char* kNoServer =
    "cpp-httplib not found at configure time: these tests serve files from a loopback "
    "cpp-httplib server (Debian: libcpp-httplib-dev)";
class LoopbackServer {
 public:
  std::string base(const std::string& dir) const { return "http://127.0.0.1:1/" + dir + "/"; }
  int port() const { return -1; }
};
#endif

class FetchTest : public testing::Test {
 protected:
  void SetUp() override {
    if (kNoServer != nullptr) GTEST_SKIP() << kNoServer;
    ASSERT_GT(server_.port(), 0) << "could not bind a loopback port";
    std::filesystem::remove_all(dest_);
  }
  void TearDown() override { std::filesystem::remove_all(dest_); }

  FetchOptions options(const std::string& dir) const {
    FetchOptions o;
    o.url_base = server_.base(dir);
    o.expected_sha256 = {{"train.csv", sha256_hex(kTrain)}, {"test.csv", sha256_hex(kTest)}};
    o.connect_timeout_s = 5;
    o.low_speed_timeout_s = 5;
    return o;
  }
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dest_)) ++n;
    return n;
  }
  void expect_nothing_left(const std::string& dir, const std::string& message_part) {
    SCOPED_TRACE(dir);
    try {
      (void)fetch_files(dest_, options(dir));
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kIo);
      EXPECT_NE(std::string(e.what()).find(message_part), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dest_)) << "a failed fetch must leave nothing behind";
  }

  LoopbackServer server_;
  std::filesystem::path dest_ =
      std::filesystem::temp_directory_path() / ("bog_fetch_test_" + std::to_string(::getpid()));
};

TEST_F(FetchTest, GoodDownloadIsVerifiedAndPublished) {
  const auto files = fetch_files(dest_, options("good"));
  ASSERT_EQ(files.size(), 2u);
  for (const auto& f : files) {
    EXPECT_FALSE(f.already_present);
    EXPECT_EQ(sha256_file_hex(f.path), f.sha256);
  }
  EXPECT_EQ(sha256_file_hex(dest_ / "train.csv"), sha256_hex(kTrain));
  EXPECT_EQ(sha256_file_hex(dest_ / "test.csv"), sha256_hex(kTest));
  EXPECT_EQ(entries(), 2u) << "no temp files may remain";
  // A second run finds verified copies and downloads nothing.
  const auto again = fetch_files(dest_, options("good"));
  for (const auto& f : again) EXPECT_TRUE(f.already_present) << f.name;
}

TEST_F(FetchTest, CorruptBodyFailsTheHashCheckAndLeavesNothing) {
  expect_nothing_left("corrupt", "sha256");
}

TEST_F(FetchTest, TruncatedBodyLeavesNothing) { expect_nothing_left("truncated", "failed"); }

TEST_F(FetchTest, HttpErrorOnOneFileLeavesNothingEvenIfTheOtherWasGood) {
  expect_nothing_left("half", "404");
}

TEST_F(FetchTest, UnreachableServerIsAnIoError) {
  FetchOptions o = options("good");
  o.url_base = "http://127.0.0.1:1/";
  EXPECT_THROW((void)fetch_files(dest_, o), Error);
  EXPECT_FALSE(std::filesystem::exists(dest_));
}

TEST_F(FetchTest, PublishedHashesAreTheDefaults) {
  const FetchOptions o = default_ag_news_fetch_options();
  EXPECT_EQ(o.expected_sha256.at("train.csv"),
            "76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e");
  EXPECT_EQ(o.expected_sha256.at("test.csv"),
            "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699");
  // Serving files that are not the published ones is refused.
  FetchOptions wrong = o;
  wrong.url_base = server_.base("good");
  EXPECT_THROW((void)fetch_files(dest_, wrong), Error);
  EXPECT_FALSE(std::filesystem::exists(dest_));
}

}  // namespace
}  // namespace bog::model
