// Regressions found reviewing the publish-path changes (02f4ab0, cbc6e33,
// f3ff11d), each checked against the real binary and, where it applies,
// stock nats-server as the reference.
//
//  - Receive buffers handed out 16 at a time: with more than ~32 connections
//    that always have bytes queued on one shard, the same ~32 get the
//    provided buffers every turn; the rest (and any light client there) get
//    ENOBUFS, are re-armed behind them and starve for as long as the flood
//    lasts.
//  - Queue redirect's visited bitmask aliases shards beyond 64: with 128
//    shards a message is dropped although a member stays subscribed.
//  - hash_subject is unseeded and one 8-byte block can cancel the state: any
//    client constructs thousands of distinct subjects with one hash, and
//    every SUB and every publish to them walks one chain. Seeding the
//    initial state does not help: a difference in bit 63 alone survives the
//    multiply and the xorshift the same way for every state (bits 63 and 34),
//    so 2^k subjects of 8k+8 bytes share one hash whatever the seed.
//    Removing them is worse than adding them: RcuMap::erase copies every node
//    in front of the victim, so UNSUBs in subscription order (or a close)
//    allocate O(N^2) nodes in one turn (3,000 subjects: ~1 GB).
//    The hash is keyed now (wyhash's shape, random keys per process): the
//    constructions below no longer collide and their tests skip; they stay
//    as the record of the attack and fail again if a weak hash comes back.
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "core/rcu_map.h"
#include "harness.h"

using namespace itest;
using Clock = std::chrono::steady_clock;

namespace {

double secs_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One thread keeps every connection's socket full of PUBs (to subjects nobody
// subscribes to), writing to whichever is writable, until stopped.
class PollFlood {
 public:
  explicit PollFlood(std::vector<RawConn>& conns, size_t payload = 16) {
    for (size_t i = 0; i < conns.size(); ++i) {
      std::string one =
          "PUB nosub." + std::to_string(i) + " " + std::to_string(payload) + "\r\n" + std::string(payload, 'f') + "\r\n";
      std::string blob;
      while (blob.size() < 65536) blob += one;
      blobs_.push_back(blob);
      fds_.push_back(conns[i].fd());
    }
    th_ = std::thread([this] {
      std::vector<pollfd> p(fds_.size());
      std::vector<size_t> off(fds_.size(), 0);
      for (size_t i = 0; i < fds_.size(); ++i) p[i] = {fds_[i], POLLOUT, 0};
      while (!stop_.load()) {
        if (::poll(p.data(), p.size(), 50) <= 0) continue;
        for (size_t i = 0; i < p.size(); ++i) {
          if (!(p[i].revents & POLLOUT)) continue;
          const std::string& b = blobs_[i];
          ssize_t n = ::send(fds_[i], b.data() + off[i], b.size() - off[i], MSG_DONTWAIT | MSG_NOSIGNAL);
          if (n > 0) off[i] = (off[i] + static_cast<size_t>(n)) % b.size();
        }
      }
    });
  }
  ~PollFlood() {
    stop_ = true;
    th_.join();
  }

 private:
  std::vector<std::string> blobs_;
  std::vector<int> fds_;
  std::atomic<bool> stop_{false};
  std::thread th_;
};

// `kFlooders` connections flood one shard; a light client on that shard
// must still get its PONGs promptly.
// `gate`: whether the worst round trip must stay under the bound (nats-server
// as the reference only reports its own: its timing on a noisy machine is
// not ours to gate on).
void light_client_case(const std::string& bin, int kFlooders = 64, size_t payload = 16, bool gate = true) {
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(bin, 1, {}, &err)) << err;
  std::vector<RawConn> fl(kFlooders);
  for (auto& c : fl) ASSERT_TRUE(connect_quiet(c, srv.port()));
  RawConn light;
  ASSERT_TRUE(connect_quiet(light, srv.port()));
  PollFlood flood(fl, payload);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  double worst = 0;
  int answered = 0;
  for (int i = 0; i < 5; ++i) {
    auto t = Clock::now();
    std::string out;
    // Under TSan one turn over 64 flooders' receives takes about 2 s.
    const int timeout_ms = sanitized() ? 8000 : 4000;
    if (!light.ping_pong(out, timeout_ms)) {
      worst = timeout_ms / 1000.0;
      break;
    }
    ++answered;
    worst = std::max(worst, secs_since(t));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(answered, 5) << "a PING of a light client got no PONG in time while " << kFlooders
                         << " connections published on its shard";
  std::printf("worst PING round trip of a light client beside %d flooders: %.3f s\n", kFlooders, worst);
  ::testing::Test::RecordProperty("worst_pong_ms", static_cast<int>(worst * 1000));
  if (gate) {
    EXPECT_LT(worst, sanitized() ? 6.0 : 1.0) << "worst PING round trip " << worst << " s";
  }
}

// 128 shards: 127 members that each take one message, one member that stays
// (on shard 65, whose bit aliases shard 1's), a publisher on shard 0. Every
// message must reach a member. Connections are handed to shards round-robin
// from shard 0, in connect order.
size_t lost_with_128_shards(const std::string& bin) {
  ServerProcess srv;
  std::string err;
  EXPECT_TRUE(srv.start(bin, 128, {}, &err)) << err;
  if (!srv.running()) return 0;
  constexpr int kMembers = 127, kN = 3000;
  std::vector<RawConn> members(kMembers);
  RawConn stable, pub;
  for (int i = 0; i < kMembers; ++i) {
    if (i == 65) {
      EXPECT_TRUE(connect_quiet(stable, srv.port(), "SUB work g 1\r\n"));
    }
    EXPECT_TRUE(connect_quiet(members[static_cast<size_t>(i)], srv.port(), "SUB work g 1\r\nUNSUB 1 1\r\n"));
  }
  EXPECT_TRUE(connect_quiet(pub, srv.port()));
  std::string burst;
  for (int i = 0; i < kN; ++i) {
    char p[16];
    std::snprintf(p, sizeof p, "%07d", i);
    burst += std::string("PUB work 7\r\n") + p + "\r\n";
  }
  EXPECT_TRUE(pub.send(burst));
  std::string out;
  EXPECT_TRUE(pub.ping_pong(out));
  std::set<std::string> got;
  auto collect = [&](RawConn& c) {
    std::string all;
    for (int r = 0; r < 3; ++r) {
      if (!c.ping_pong(out)) break;
      all += out;
    }
    std::vector<std::string> frames;
    split_frames(all, frames);
    for (auto& f : frames)
      if (f.rfind("MSG ", 0) == 0) got.insert(f.substr(f.find("\r\n") + 2, 7));
  };
  for (int round = 0; round < 5 && got.size() < static_cast<size_t>(kN); ++round) {
    collect(stable);
    for (auto& m : members) collect(m);
  }
  return static_cast<size_t>(kN) - got.size();
}

// Distinct printable 16-byte subjects with one hash_subject value, built
// from its structure (the state after the first 8 bytes is cancelled by
// the last 8). Empty if hash_subject no longer works that way.
std::vector<std::string> colliding_subjects(size_t want) {
  constexpr uint64_t kMul = 0x9ddfea08eb382d69ull;
  auto ok = [](unsigned char c) { return c > 0x20 && c < 0x7f && c != '.' && c != '*' && c != '>'; };
  auto h1 = [&](const unsigned char* b) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (16 * kMul), v;
    std::memcpy(&v, b, 8);
    h = (h ^ v) * kMul;
    return h ^ (h >> 29);
  };
  unsigned char b[16];
  for (int i = 0; i < 16; ++i) b[i] = static_cast<unsigned char>('a' + i);
  uint64_t tail;
  std::memcpy(&tail, b + 8, 8);
  const uint64_t t = h1(b) ^ tail;
  const uint64_t target = ringnats::hash_subject(std::string_view(reinterpret_cast<char*>(b), 16));
  std::mt19937_64 r(42);
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  while (out.size() < want) {
    uint64_t x = r();
    bool good = true;
    for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(0x21 + ((x >> (8 * i)) & 0xff) % 94);
    for (int i = 0; i < 8; ++i) good = good && ok(b[i]);
    if (!good) continue;
    uint64_t v = t ^ h1(b);
    std::memcpy(b + 8, &v, 8);
    for (int i = 8; i < 16; ++i) good = good && ok(b[i]);
    if (!good) continue;
    std::string s(reinterpret_cast<char*>(b), 16);
    if (ringnats::hash_subject(s) != target) return {};
    if (seen.insert(s).second) out.push_back(s);
  }
  return out;
}

// 2^k subjects of 8k+8 bytes with one hash_subject value for any initial
// state (see the top of this file); empty if they do not collide here.
std::vector<std::string> seedless_colliding_subjects(int k) {
  const std::string base = std::string("subject") + std::string(static_cast<size_t>(8 * k + 1), 'a');
  std::vector<std::string> out;
  uint64_t want = 0;
  for (uint64_t c = 0; c < (uint64_t(1) << k); ++c) {
    std::string s = base;
    for (int i = 0; i <= k; ++i) {
      bool carry_out = i < k && ((c >> i) & 1);
      bool carry_in = i > 0 && ((c >> (i - 1)) & 1);
      char* b = &s[static_cast<size_t>(8 * i)];
      if (carry_out) b[7] = static_cast<char>(b[7] ^ 0x80);
      if (carry_in) {
        b[7] = static_cast<char>(b[7] ^ 0x80);
        b[4] = static_cast<char>(b[4] ^ 0x04);
      }
    }
    uint64_t h = ringnats::hash_subject(s);
    if (c == 0) want = h;
    if (h != want) return {};
    out.push_back(s);
  }
  return out;
}

// SUB to every subject on one connection, then 20,000 PUBs to the first one
// (subscribed by a second connection). Seconds for each phase.
std::pair<double, double> sub_and_publish(const std::vector<std::string>& subjects) {
  ServerProcess srv;
  std::string err;
  EXPECT_TRUE(srv.start(ringnats_bin(), 2, {}, &err)) << err;
  RawConn a, b;
  EXPECT_TRUE(connect_quiet(a, srv.port()));
  auto t0 = Clock::now();
  std::string batch, out;
  for (size_t i = 0; i < subjects.size(); ++i) {
    batch += "SUB " + subjects[i] + " " + std::to_string(i + 1) + "\r\n";
    if (batch.size() > 65536) {
      EXPECT_TRUE(a.send(batch));
      batch.clear();
    }
  }
  EXPECT_TRUE(a.send(batch));
  EXPECT_TRUE(a.ping_pong(out, 120000));
  double t_sub = secs_since(t0);
  EXPECT_TRUE(connect_quiet(b, srv.port(), "SUB " + subjects[0] + " 1\r\n"));
  constexpr int kPubs = 20000;
  std::string burst;
  for (int i = 0; i < kPubs; ++i) burst += "PUB " + subjects[0] + " 2\r\nhi\r\n";
  auto t1 = Clock::now();
  EXPECT_TRUE(b.send(burst));
  EXPECT_TRUE(b.ping_pong(out, 120000));
  double t_pub = secs_since(t1);
  return {t_sub, t_pub};
}

}  // namespace

TEST(ReviewBreak, StockLightClientAnsweredDuringFlood) { light_client_case(stock_bin(), 64, 16, false); }
TEST(ReviewBreak, LightClientAnsweredDuringFlood) { light_client_case(ringnats_bin()); }
// More flooders than a shard has receive buffers (Reactor::kBufCount, 64):
// the light client's receive that found none must not wait behind flooders
// that take every buffer again each turn.
// Under a sanitizer a turn over 300 flooders' receives takes seconds of its
// own; 100 still outnumber the buffers.
TEST(ReviewBreak, LightClientAnsweredWhenFloodersOutnumberBuffers) {
  light_client_case(ringnats_bin(), sanitized() ? 100 : 300);
}
// As many flooders as buffers, with fuller receives: flooders whose
// receives completed before the light client's empty one in the same batch
// must not be re-armed ahead of it (they were, every turn, for seconds).
TEST(ReviewBreak, LightClientAnsweredWhenFloodersMatchBuffers) {
  for (int flooders : {64, 72}) light_client_case(ringnats_bin(), flooders, 1000);
}

// Connections closed by the server while their receive waits for a buffer
// (slow consumers among more flooders than buffers), their slots taken by
// new connections at once: the stale places in the wait queue must be
// skipped, never armed for the connection that now holds the slot.
TEST(ReviewBreak, ClosedWhileWaitingForABufferThenSlotReused) {
  TempConfig conf("max_pending: 65536\nmax_payload: 4096\n");
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 1, {"-c", conf.path()}, &err)) << err;
  const int kFlooders = sanitized() ? 100 : 200;
  std::vector<RawConn> fl(kFlooders);
  for (int i = 0; i < kFlooders; ++i) {
    if (i % 2) {  // a reader that never reads, its window small from the first byte
      std::string info, out;
      ASSERT_TRUE(fl[i].connect(srv.port(), kTimeoutMs, 4096) && fl[i].read_line(info));
      ASSERT_TRUE(fl[i].send("CONNECT {\"verbose\":false}\r\nSUB sc 1\r\n") && fl[i].ping_pong(out));
    } else {
      ASSERT_TRUE(connect_quiet(fl[i], srv.port()));
    }
  }
  RawConn pub;
  ASSERT_TRUE(connect_quiet(pub, srv.port()));
  {
    PollFlood flood(fl, 1000);
    // Every stalled reader passes max_pending and is closed, most of them
    // while queued for a buffer; new connections take their slots.
    std::string msg = "PUB sc 1000\r\n" + std::string(1000, 'x') + "\r\n";
    std::string burst;
    for (int i = 0; i < 100; ++i) burst += msg;
    int churned = 0;
    for (int round = 0; round < 40; ++round) {
      ASSERT_TRUE(pub.send(burst));
      for (int k = 0; k < 2; ++k) {
        RawConn c;
        ASSERT_TRUE(connect_quiet(c, srv.port())) << "new connection " << churned << " got no PONG";
        ++churned;
      }
    }
    std::string out;
    ASSERT_TRUE(pub.ping_pong(out, 10000)) << "the publisher got no PONG";
  }
  int closed = 0;
  for (int i = 1; i < kFlooders; i += 2) closed += fl[i].expect_closed(200) ? 1 : 0;
  EXPECT_GT(closed, kFlooders / 4) << "too few slow consumers were closed for the case to be tried";
  RawConn after;
  ASSERT_TRUE(connect_quiet(after, srv.port()));
  ASSERT_TRUE(after.send("SUB a 1\r\nPUB a 2\r\nhi\r\n"));
  std::string got;
  EXPECT_TRUE(after.read_until("MSG a 1 2\r\nhi\r\n", got)) << got;
  int status = 0;
  EXPECT_FALSE(srv.wait_exit(0, &status)) << "the server exited, status " << status;
}

TEST(ReviewBreak, QueueNoLossWith128Shards) {
  // 128 threads of a TSan server do not start within the harness's 5 s on
  // two cores; the release and ASan runs cover it.
  if (server_sanitizer() == "thread") GTEST_SKIP() << "128 shards under TSan";
  // Each round is a fresh server; the loss depends on how redirect chains
  // race the index (seen: 9, 69, 0 of 3,000 in three runs).
  size_t lost = 0;
  for (int round = 0; round < 4 && lost == 0; ++round) lost = lost_with_128_shards(ringnats_bin());
  EXPECT_EQ(lost, 0u) << lost << " queue messages lost while a member stayed subscribed (128 shards)";
}

TEST(ReviewBreak, CollidingSubjectsStayCheap) {
  constexpr size_t kN = 30000;
  std::vector<std::string> coll = colliding_subjects(kN);
  if (coll.empty()) GTEST_SKIP() << "hash_subject changed: this construction no longer collides";
  std::vector<std::string> rnd;
  std::mt19937_64 r(7);
  for (size_t i = 0; i < kN; ++i) {
    std::string s;
    for (int k = 0; k < 16; ++k) s += static_cast<char>('a' + r() % 26);
    rnd.push_back(s);
  }
  auto [rs, rp] = sub_and_publish(rnd);
  auto [cs, cp] = sub_and_publish(coll);
  EXPECT_LT(cs, std::max(1.0, 5 * rs)) << kN << " SUBs: " << cs << " s with one hash, " << rs << " s random";
  EXPECT_LT(cp, std::max(1.0, 5 * rp)) << "20k PUBs: " << cp << " s to a colliding subject, " << rp << " s random";
}

TEST(ReviewBreak, CollidingSubjectsWhateverTheSeedStayCheap) {
  constexpr int kBits = 16;  // 65,536 subjects of 136 bytes
  std::vector<std::string> coll = seedless_colliding_subjects(kBits);
  if (coll.empty()) GTEST_SKIP() << "hash_subject changed: this construction no longer collides";
  std::vector<std::string> rnd;
  std::mt19937_64 r(7);
  for (size_t i = 0; i < coll.size(); ++i) {
    std::string s = "subject";
    while (s.size() < coll[0].size()) s += static_cast<char>('a' + r() % 26);
    rnd.push_back(s);
  }
  auto [rs, rp] = sub_and_publish(rnd);
  auto [cs, cp] = sub_and_publish(coll);
  EXPECT_LT(cs, std::max(1.0, 5 * rs)) << coll.size() << " SUBs: " << cs << " s with one hash, " << rs << " s random";
  EXPECT_LT(cp, std::max(1.0, 5 * rp)) << "20k PUBs: " << cp << " s to a colliding subject, " << rp << " s random";
}

// UNSUB of N colliding subjects in subscription order: each erase copies the
// nodes in front of its victim (every later subscription), all in one turn.
TEST(ReviewBreak, UnsubscribingCollidingSubjectsStaysBounded) {
  std::vector<std::string> coll = seedless_colliding_subjects(12);  // 4,096 subjects
  if (coll.empty()) GTEST_SKIP() << "hash_subject changed: this construction no longer collides";
  coll.resize(3000);
  ServerProcess srv;
  std::string err;
  ASSERT_TRUE(srv.start(ringnats_bin(), 1, {}, &err)) << err;
  RawConn a;
  ASSERT_TRUE(connect_quiet(a, srv.port()));
  std::string batch, out;
  for (size_t i = 0; i < coll.size(); ++i) batch += "SUB " + coll[i] + " " + std::to_string(i + 1) + "\r\n";
  ASSERT_TRUE(a.send(batch));
  ASSERT_TRUE(a.ping_pong(out, 60000));
  long before = srv.peak_rss_kib();
  batch.clear();
  for (size_t i = 0; i < coll.size(); ++i) batch += "UNSUB " + std::to_string(i + 1) + "\r\n";
  auto t0 = Clock::now();
  ASSERT_TRUE(a.send(batch));
  bool answered = a.ping_pong(out, 120000);
  double t = secs_since(t0);
  long after = srv.peak_rss_kib();
  EXPECT_TRUE(answered);
  EXPECT_LT(t, 2.0) << "3,000 UNSUBs took " << t << " s";
  if (!sanitized()) {
    EXPECT_LT(after - before, 64 * 1024) << "peak RSS grew from " << before / 1024 << " MB to " << after / 1024
                                         << " MB removing 3,000 subscriptions";
  }
}
