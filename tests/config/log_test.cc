// Tests for core/log: nats-server's line format with and without timestamps,
// level gating for -D/-V, appending to a file, and whole lines under
// concurrent writers.
#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/config/test_util.h"

using namespace ringnats;
using ringnats::testing::TempDir;

namespace {

std::vector<std::string> lines(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(ringnats::testing::read_file(path));
  std::string l;
  while (std::getline(ss, l)) out.push_back(l);
  return out;
}

std::string pid_prefix() { return "\\[" + std::to_string(getpid()) + "\\] "; }

TEST(Log, FormatWithTime) {
  TempDir dir;
  Options o;
  o.log_file = dir.path() + "/a.log";
  ASSERT_TRUE(log::init(o));
  log::notice("Starting %s", "ringnats");
  log::warn("careful %d", 1);
  log::error("bad %s", "thing");
  log::fatal("dead");
  log::debug("hidden");
  log::trace("hidden");
  auto got = lines(o.log_file);
  ASSERT_EQ(got.size(), 4u);
  const std::string ts = R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} )";
  EXPECT_TRUE(std::regex_match(got[0], std::regex(pid_prefix() + ts + R"(\[INF\] Starting ringnats)"))) << got[0];
  EXPECT_TRUE(std::regex_match(got[1], std::regex(pid_prefix() + ts + R"(\[WRN\] careful 1)"))) << got[1];
  EXPECT_TRUE(std::regex_match(got[2], std::regex(pid_prefix() + ts + R"(\[ERR\] bad thing)"))) << got[2];
  EXPECT_TRUE(std::regex_match(got[3], std::regex(pid_prefix() + ts + R"(\[FTL\] dead)"))) << got[3];
}

TEST(Log, TimestampIsLocalTimeNow) {
  TempDir dir;
  Options o;
  o.log_file = dir.path() + "/t.log";
  ASSERT_TRUE(log::init(o));
  time_t before = time(nullptr);
  log::notice("x");
  auto got = lines(o.log_file);
  ASSERT_EQ(got.size(), 1u);
  struct tm tm;
  localtime_r(&before, &tm);
  char day[16];
  strftime(day, sizeof day, "%Y/%m/%d", &tm);
  EXPECT_NE(got[0].find(day), std::string::npos) << got[0];
}

TEST(Log, NoTimeAndLevels) {
  TempDir dir;
  Options o;
  o.log_file = dir.path() + "/b.log";
  o.logtime = false;
  o.debug = true;
  o.trace = true;
  ASSERT_TRUE(log::init(o));
  EXPECT_TRUE(log::debug_enabled());
  EXPECT_TRUE(log::trace_enabled());
  log::debug("d %d", 2);
  log::trace("<<- [PING]");
  log::notice("line already ends\n");
  auto got = lines(o.log_file);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(std::regex_match(got[0], std::regex(pid_prefix() + R"(\[DBG\] d 2)"))) << got[0];
  EXPECT_TRUE(std::regex_match(got[1], std::regex(pid_prefix() + R"(\[TRC\] <<- \[PING\])"))) << got[1];
  EXPECT_TRUE(std::regex_match(got[2], std::regex(pid_prefix() + R"(\[INF\] line already ends)"))) << got[2];
}

TEST(Log, GatesFollowInit) {
  Options o;
  o.log_file = "/dev/null";
  ASSERT_TRUE(log::init(o));
  EXPECT_FALSE(log::debug_enabled());
  EXPECT_FALSE(log::trace_enabled());
  o.debug = true;
  ASSERT_TRUE(log::init(o));
  EXPECT_TRUE(log::debug_enabled());
  EXPECT_FALSE(log::trace_enabled());
}

TEST(Log, AppendsAndLongLines) {
  TempDir dir;
  std::string path = dir.write("c.log", "previous line\n");
  Options o;
  o.log_file = path;
  o.logtime = false;
  ASSERT_TRUE(log::init(o));
  std::string big(5000, 'z');
  log::notice("%s", big.c_str());
  auto got = lines(path);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "previous line");
  EXPECT_EQ(got[1].size(), big.size() + std::to_string(getpid()).size() + 3 + 6);
}

TEST(Log, OpenFailureIsReported) {
  Options o;
  o.log_file = "/nonexistent-dir/x.log";
  std::string err;
  EXPECT_FALSE(log::init(o, &err));
  EXPECT_EQ(err, "error opening file: open /nonexistent-dir/x.log: no such file or directory");
}

TEST(Log, ConcurrentWritersKeepLinesWhole) {
  TempDir dir;
  Options o;
  o.log_file = dir.path() + "/d.log";
  ASSERT_TRUE(log::init(o));
  constexpr int kThreads = 4, kLines = 300;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([t] {
      for (int n = 0; n < kLines; ++n) log::notice("thread %d line %d %s", t, n, "payload-payload-payload");
    });
  for (auto& t : ts) t.join();
  auto got = lines(o.log_file);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kLines));
  std::regex re(pid_prefix() + R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} \[INF\] thread \d line \d+ payload-payload-payload)");
  for (const auto& l : got) ASSERT_TRUE(std::regex_match(l, re)) << l;
}

}  // namespace
