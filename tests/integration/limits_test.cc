// Limits against the real binary: a subscriber that stops reading is closed
// as a slow consumer once max_pending is passed, while a subscriber that
// keeps up loses nothing and the publisher is never stalled by it.
#include <gtest/gtest.h>

#include <string>
#include <chrono>
#include <functional>
#include <thread>

#include "harness.h"

using namespace itest;


// Counts the bytes of MSG frames (control line, payload, CRLF) read from `c`
// until `want`, skipping the server's own PINGs (like nats-server it sends
// the first 2 s after connect, to measure the RTT). `on_read(n)` runs after
// each read of n bytes (for pacing).
size_t read_msg_bytes(RawConn& c, size_t want, size_t payload,
                      const std::function<void(size_t)>& on_read = {}) {
  std::string& b = c.buffer();
  size_t got = 0, skip = 0;  // skip: payload bytes of the current MSG still to come
  while (got < want) {
    if (skip == 0 && b.rfind("PING\r\n", 0) == 0) {
      b.erase(0, 6);
      continue;
    }
    if (skip == 0 && b.rfind("MSG ", 0) == 0) {
      size_t eol = b.find("\r\n");
      if (eol != std::string::npos) {
        got += eol + 2;
        skip = payload + 2;
        b.erase(0, eol + 2);
        continue;
      }
    }
    if (skip > 0 && !b.empty()) {
      size_t n = std::min(skip, b.size());
      got += n;
      skip -= n;
      b.erase(0, n);
      continue;
    }
    long n = c.read_some(10000);
    if (n <= 0) break;
    if (on_read) on_read(static_cast<size_t>(n));
  }
  return got;
}

TEST(Limits, SlowConsumerIsCutOffOthersKeepEverything) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;

  RawConn pub, slow, fast;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  ASSERT_TRUE(connect_quiet(slow, srv.port(), "SUB flood 1\r\n"));
  ASSERT_TRUE(connect_quiet(fast, srv.port(), "SUB flood 1\r\n"));

  // 96 MiB to each subscriber: more than max_pending (64 MiB) plus what the
  // kernel's socket buffers can hold for the one that never reads.
  const size_t kMsg = 64 * 1024, kCount = 1536;
  std::string payload(kMsg, 'z');
  std::string one = "PUB flood " + std::to_string(kMsg) + "\r\n" + payload + "\r\n";

  size_t fast_bytes = 0;
  const size_t want = kCount * (std::string("MSG flood 1 65536\r\n").size() + kMsg + 2);
  std::thread reader([&] { fast_bytes = read_msg_bytes(fast, want, kMsg); });
  for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(pub.send(one)) << "publisher stalled at " << i;
  std::string out;
  EXPECT_TRUE(pub.ping_pong(out, 20000)) << "publisher not answered";
  reader.join();
  EXPECT_EQ(fast_bytes, want) << "the subscriber that keeps up lost data";
  // The one that never read is closed without an -ERR (nats has none for it).
  EXPECT_TRUE(slow.expect_closed(20000));
}

TEST(Limits, OversizeControlLineAndPayloadDoNotStallOthers) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;
  RawConn good, bad;
  ASSERT_TRUE(connect_quiet(good, srv.port(), "SUB ok 1\r\n"));
  ASSERT_TRUE(bad.connect(srv.port()));
  ASSERT_TRUE(bad.send("PUB " + std::string(8192, 'x')));  // no newline yet
  EXPECT_TRUE(bad.expect_closed());
  std::string out;
  ASSERT_TRUE(good.send("PUB ok 2\r\nhi\r\n"));
  ASSERT_TRUE(good.ping_pong(out));
  EXPECT_NE(out.find("MSG ok 1 2\r\nhi\r\n"), std::string::npos) << escape(out);
}

// A subscriber slower than its publisher is not a slow consumer while it
// keeps reading: like nats-server, ringnats stalls the publisher instead, so
// nothing is lost (bench/pubsub found the opposite once).
TEST(Limits, SlowerSubscriberStallsPublisherAndLosesNothing) {
  for (int shards : {1, 2}) {
    ServerProcess srv;
    std::string err;
    ASSERT_TRUE(srv.start(ringnats_bin(), shards, {}, &err)) << err;
    RawConn pub, sub;
    ASSERT_TRUE(connect_quiet(pub, srv.port()));
    ASSERT_TRUE(connect_quiet(sub, srv.port(), "SUB s 1\r\n"));
    // 160 MiB total: far more than max_pending (64 MiB).
    const size_t kMsg = 32 * 1024, kCount = 5120;
    std::string one = "PUB s " + std::to_string(kMsg) + "\r\n" + std::string(kMsg, 'q') + "\r\n";
    const size_t want = kCount * (std::string("MSG s 1 32768\r\n").size() + kMsg + 2);
    size_t got = 0;
    std::thread reader([&] {
      size_t since_pause = 0;
      got = read_msg_bytes(sub, want, kMsg, [&](size_t n) {
        since_pause += n;
        if (since_pause > (1u << 20)) {  // read slower than the publisher writes
          since_pause = 0;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
    });
    for (size_t i = 0; i < kCount; ++i) ASSERT_TRUE(pub.send(one)) << "publisher cut off at " << i;
    std::string out;
    EXPECT_TRUE(pub.ping_pong(out, 30000));
    reader.join();
    EXPECT_EQ(got, want) << "shards=" << shards << ": the subscriber lost messages";
  }
}
