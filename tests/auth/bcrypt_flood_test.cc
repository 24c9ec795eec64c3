// A flood of CONNECTs with bcrypt passwords must not delay anyone else on the
// same shard: the checks run on the auth workers, the shard only parks those
// connections. A client on the one shard keeps doing PING/PONG round trips
// while 200 bcrypt CONNECTs arrive; its worst round trip stays small. Then
// every flooder closes with its check still queued or in flight.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "auth/password.h"
#include "harness.h"

namespace {

using namespace itest;
using Clock = std::chrono::steady_clock;

TEST(BcryptFlood, OtherClientsKeepTheirLatency) {
  std::string hash = ringnats::auth::bcrypt_hash("floodpw", 11);
  ASSERT_FALSE(hash.empty());
  hash[2] = 'a';  // $2a$, as nats' tooling writes them
  TempConfig cfg("authorization {\n  users: [\n    {user: b, password: \"" + hash +
                 "\"}\n    {user: p, password: plain}\n  ]\n}\n");
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 1, {"-c", cfg.path()}, &err)) << err;  // one shard: everyone shares it

  RawConn pinger;
  ASSERT_TRUE(pinger.connect(srv.port()));
  std::string line, out;
  ASSERT_TRUE(pinger.read_line(line));
  ASSERT_TRUE(pinger.send("CONNECT {\"user\":\"p\",\"pass\":\"plain\",\"verbose\":false}\r\nSUB echo 1\r\n"));
  ASSERT_TRUE(pinger.ping_pong(out));

  // The first flooder's check is timed alone, to know what one costs here.
  {
    RawConn one;
    ASSERT_TRUE(one.connect(srv.port()));
    ASSERT_TRUE(one.read_line(line));
    auto t0 = Clock::now();
    ASSERT_TRUE(one.send("CONNECT {\"user\":\"b\",\"pass\":\"floodpw\",\"verbose\":false}\r\n"));
    ASSERT_TRUE(one.ping_pong(out, 10000)) << escape(out);
    EXPECT_EQ(out, "PONG\r\n");
    std::printf("one bcrypt login: %lld ms\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count()));
  }

  std::atomic<bool> sent{false};
  std::vector<RawConn> flood(200);
  std::thread t([&] {
    for (auto& c : flood) {
      if (!c.connect(srv.port())) continue;
      c.send("CONNECT {\"user\":\"b\",\"pass\":\"floodpw\",\"verbose\":false}\r\nPING\r\n");
    }
    sent = true;
  });
  // Round trips (with a message through the shard each time) during the
  // flood and for a while after the last CONNECT went out.
  int64_t worst_us = 0;
  int n = 0;
  auto after = Clock::time_point::max();
  while (Clock::now() < after && n < 200000) {
    auto t0 = Clock::now();
    ASSERT_TRUE(pinger.send("PUB echo 2\r\nhi\r\n"));
    ASSERT_TRUE(pinger.ping_pong(out, 5000));
    ASSERT_EQ(out, "MSG echo 1 2\r\nhi\r\nPONG\r\n");
    int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    worst_us = std::max(worst_us, us);
    ++n;
    if (sent && after == Clock::time_point::max()) after = Clock::now() + std::chrono::milliseconds(1000);
  }
  t.join();
  std::printf("%d round trips during the flood, worst %lld us\n", n, static_cast<long long>(worst_us));
  // Sanitizer builds run the shard several times slower (ThreadSanitizer
  // most): looser bounds there. A shard that ran the checks itself would
  // still miss them by far (200 checks of ~150 ms each).
  const std::string san = server_sanitizer();
  const int64_t bound_us = san == "thread" ? 500'000 : !san.empty() ? 200'000 : 50'000;
  EXPECT_LT(worst_us, bound_us);

  // The first flooders are logged in by now (their checks ran first).
  std::string got;
  ASSERT_TRUE(flood[0].read_until("PONG\r\n", got, 10000)) << escape(got);
  EXPECT_EQ(got.find("-ERR"), std::string::npos) << escape(got);

  // Everyone closes with checks still queued: the results must find them
  // gone, and the server must go on serving.
  for (auto& c : flood) c.close();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(pinger.ping_pong(out));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // pacing while the queue drains
  }
  RawConn late;
  ASSERT_TRUE(late.connect(srv.port()));
  ASSERT_TRUE(late.read_line(line));
  ASSERT_TRUE(late.send("CONNECT {\"user\":\"p\",\"pass\":\"plain\",\"verbose\":false}\r\n"));
  ASSERT_TRUE(late.ping_pong(out));
  EXPECT_EQ(out, "PONG\r\n");
}

}  // namespace
