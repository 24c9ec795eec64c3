// Idle means idle: a server with nothing to do sleeps in the kernel on every
// shard, and one whose publisher is stalled by a subscriber that stopped
// reading waits for it rather than spinning. CPU is read from
// /proc/<pid>/stat over a fixed window (the window is the bound, not a
// performance figure).
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"

using namespace itest;

namespace {

// utime + stime of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t rp = all.rfind(')');
  if (rp == std::string::npos) return -1;
  std::istringstream in(all.substr(rp + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

long ticks_over_one_second(pid_t pid) {
  long before = cpu_ticks(pid);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the measuring window
  return cpu_ticks(pid) - before;
}

}  // namespace

TEST(Idle, ShardsSleepWhenThereIsNothingToDo) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 4, {}, &err)) << err;
  RawConn c;
  ASSERT_TRUE(connect_quiet(c, srv.port(), "SUB x 1\r\n"));
  long hz = sysconf(_SC_CLK_TCK);
  long t = ticks_over_one_second(srv.pid());
  EXPECT_LE(t, hz / 20) << "an idle server used " << t << " ticks in 1 s";
}

TEST(Idle, StalledPublisherDoesNotSpin) {
  TempConfig conf("max_pending: 1000000000\nwrite_deadline: \"60s\"\n");
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {"-c", conf.path()}, &err)) << err;
  RawConn pub, slow;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(connect_stalled_reader(slow, srv.port(), "foo"));
  {
    // Publish for two seconds (the server soon stops reading us, far past
    // what the slow reader holds). Then nothing more is sent while we measure.
    Flooder flood(pub, "foo");
    flood.wait_for_bytes(1u << 30, 2000);
  }
  // A spin takes every window; a server still working through what it had
  // already read takes the first (30 ticks, under TSan), then none.
  long hz = sysconf(_SC_CLK_TCK);
  long least = hz;
  for (int window = 0; window < 3 && least > hz / 2; ++window) least = std::min(least, ticks_over_one_second(srv.pid()));
  EXPECT_LE(least, hz / 2) << "a server whose only publisher is stalled used " << least
                           << " ticks or more in each of three seconds";
}

// The default shard count: one per CPU the process may run on, but one on
// a machine (or an affinity mask) of two, where a second shard mostly adds
// a hop between shards to each message. Counted by thread name.
TEST(Idle, DefaultShardCountFollowsTheCpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  const int ncpu = CPU_COUNT(&set);
  const int want = ncpu <= 2 ? 1 : ncpu;
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), -1, {}, &err)) << err;  // no --shards
  RawConn c;
  std::string out;
  ASSERT_TRUE(connect_quiet(c, srv.port()));
  ASSERT_TRUE(c.ping_pong(out));  // every shard is up once a client is answered
  int shards = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(srv.pid()) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    if (comm && std::getline(comm, name) && name.rfind("shard-", 0) == 0) ++shards;
  }
  EXPECT_EQ(shards, want) << ncpu << " CPUs";
}
