// Unit tests of the benchmark client's pieces that must be exact: the server
// op parser (every op, split at every offset) and the histogram's percentiles.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/client/histogram.h"
#include "bench/client/net.h"
#include "bench/client/server_parser.h"

using namespace ringnats::bench;

namespace {

// Feeds `wire` in two pieces split at `cut`, keeping unparsed bytes like a
// connection's read buffer does; returns a compact trace of the ops.
std::string run(const std::string& wire, size_t cut) {
  std::string buf, trace;
  for (const std::string& piece : {wire.substr(0, cut), wire.substr(cut)}) {
    buf += piece;
    size_t off = 0;
    ServerEvent ev;
    while (off < buf.size()) {
      ParseResult r = parse_server_op(buf.data() + off, buf.size() - off, ev);
      if (r.status == ParseStatus::NeedMore) break;
      if (r.status == ParseStatus::Error) return trace + "ERROR";
      off += r.consumed;
      switch (ev.op) {
        case ServerOp::Msg:
          trace += "MSG(" + std::string(ev.subject) + "," + std::to_string(ev.sid_num) + "," + std::string(ev.reply) +
                   ",h=" + std::string(ev.headers.size() ? "y" : "n") + "," + std::string(ev.payload) + ")";
          break;
        case ServerOp::Ping: trace += "PING;"; break;
        case ServerOp::Pong: trace += "PONG;"; break;
        case ServerOp::Ok: trace += "OK;"; break;
        case ServerOp::Err: trace += "ERR(" + std::string(ev.text) + ");"; break;
        case ServerOp::Info: trace += "INFO(" + std::string(ev.text) + ");"; break;
      }
    }
    buf.erase(0, off);
  }
  return trace + (buf.empty() ? "" : "LEFTOVER");
}

TEST(ServerParser, AllOpsAtEverySplit) {
  const std::string wire =
      "INFO {\"server_id\":\"x\",\"max_payload\":1048576} \r\n+OK\r\nPING\r\nPONG\r\n"
      "MSG foo 1 5\r\nhello\r\nMSG foo.bar  22 _INBOX.a 0\r\n\r\n"
      "HMSG h 3 r 12 14\r\nNATS/1.0\r\n\r\nhi\r\nMSG bin 4 4\r\n\r\n\r\n\r\n-ERR 'Stale Connection'\r\n";
  const std::string want =
      "INFO({\"server_id\":\"x\",\"max_payload\":1048576});OK;PING;PONG;MSG(foo,1,,h=n,hello)"
      "MSG(foo.bar,22,_INBOX.a,h=n,)MSG(h,3,r,h=y,hi)MSG(bin,4,,h=n,\r\n\r\n)ERR(Stale Connection);";
  for (size_t cut = 0; cut <= wire.size(); ++cut) ASSERT_EQ(run(wire, cut), want) << "cut at " << cut;
}

TEST(ServerParser, NeedMoreReportsTotal) {
  ServerEvent ev;
  const std::string s = "MSG a 1 10\r\n0123";
  ParseResult r = parse_server_op(s.data(), s.size(), ev);
  EXPECT_EQ(r.status, ParseStatus::NeedMore);
  EXPECT_EQ(r.need, 12u + 10 + 2);
}

TEST(ServerParser, RejectsBrokenFraming) {
  ServerEvent ev;
  for (std::string s : {"MSG a 1 2\r\nabXY", "MSG a\r\n", "HMSG a 1 5 3\r\n", "WHAT\r\n", "MSG a 1 x\r\n"}) {
    EXPECT_EQ(parse_server_op(s.data(), s.size(), ev).status, ParseStatus::Error) << s;
  }
}

TEST(Histogram, BucketsRoundTrip) {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, 1ull << 40, ~0ull}) {
    const size_t i = Histogram::index_of(v);
    EXPECT_LE(Histogram::lowest_of(i), v);
    EXPECT_GE(Histogram::highest_of(i), v);
    // Relative width below 1%.
    if (v > 256) {
      EXPECT_LT(static_cast<double>(Histogram::highest_of(i) - Histogram::lowest_of(i)) / static_cast<double>(v), 0.01);
    }
  }
}

TEST(Histogram, Percentiles) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_EQ(h.percentile(100), h.max());
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 50e6, 50e6 * 0.01);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 99e6, 99e6 * 0.01);
  EXPECT_NEAR(static_cast<double>(h.percentile(99.9)), 99.9e6, 99.9e6 * 0.01);
  Histogram g;
  g.record(5);
  g.merge(h);
  EXPECT_EQ(g.count(), 100001u);
  EXPECT_EQ(g.min(), 5u);
}

TEST(ServerList, Parses) {
  std::vector<ServerUrl> v;
  std::string err;
  ASSERT_TRUE(parse_server_list("nats://127.0.0.1:4222, localhost:5000,h,nats://u:p@x:1", v, err)) << err;
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].port, 4222);
  EXPECT_EQ(v[1].host, "localhost");
  EXPECT_EQ(v[1].port, 5000);
  EXPECT_EQ(v[2].port, 4222);
  EXPECT_EQ(v[3].host, "x");
  v.clear();
  EXPECT_FALSE(parse_server_list("nats://h:99999", v, err));
}

}  // namespace
