// Micro-benchmarks of the hot functions: parser throughput per operation,
// subscription matching at 1M subscriptions, the cross-shard ring hop, and
// outbound append + gathered flush.
#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/outbuf.h"
#include "core/qsbr.h"
#include "core/spsc.h"
#include "core/sublist.h"
#include "proto/parser.h"

using namespace ringnats;
using namespace ringnats::proto;

namespace {

struct CountingHandler {
  size_t ops = 0, bytes = 0;
  Flow on_op(Op, std::string_view a) { ++ops; bytes += a.size(); return Flow::Continue; }
  Flow on_msg_args(const MsgArgs&) { return Flow::Continue; }
  std::string store;
  char* payload_storage(const MsgArgs& m) { store.resize(static_cast<size_t>(m.size)); return store.data(); }
  Flow on_msg(const MsgArgs&, std::string_view p, bool) { ++ops; bytes += p.size(); return Flow::Continue; }
};

std::string repeat(const std::string& one, size_t target) {
  std::string s;
  while (s.size() < target) s += one;
  return s;
}

void parse_stream(benchmark::State& st, ConnKind kind, const std::string& one) {
  std::string buf = repeat(one, 64 * 1024);
  size_t per = buf.size() / one.size();
  Parser p(kind);
  CountingHandler h;
  for (auto _ : st) {
    p.feed(buf.data(), buf.size(), h);
    benchmark::DoNotOptimize(h.ops);
  }
  st.SetBytesProcessed(static_cast<int64_t>(st.iterations() * buf.size()));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * per));
}

void BM_ParsePub16(benchmark::State& st) {
  parse_stream(st, ConnKind::Client, "PUB bench.subject 16\r\n0123456789abcdef\r\n");
}
void BM_ParsePub1K(benchmark::State& st) {
  parse_stream(st, ConnKind::Client, "PUB bench.subject 1024\r\n" + std::string(1024, 'x') + "\r\n");
}
void BM_ParseHpub(benchmark::State& st) {
  parse_stream(st, ConnKind::Client, "HPUB bench.subject 18 34\r\nNATS/1.0\r\nK: v\r\n\r\n0123456789abcdef\r\n");
}
void BM_ParseRmsg(benchmark::State& st) {
  parse_stream(st, ConnKind::Route, "RMSG $G bench.subject reply.x 16\r\n0123456789abcdef\r\n");
}
BENCHMARK(BM_ParsePub16);
BENCHMARK(BM_ParsePub1K);
BENCHMARK(BM_ParseHpub);
BENCHMARK(BM_ParseRmsg);

struct Index {
  Qsbr q{1};
  RetireList rl;
  SubPartition part{q, rl};
  Index(size_t n) {
    q.online(0);
    for (size_t i = 0; i < n; ++i) {
      SubRef r;
      r.slot = static_cast<uint32_t>(i);
      r.sid = "1";
      part.insert("a.b." + std::to_string(i), "", r);
      if (i % 1000 == 0) part.insert("w." + std::to_string(i / 1000) + ".*", "", r);
    }
    part.insert("w.>", "", SubRef{});
  }
};

Index& big_index() {
  static Index idx(1'000'000);
  return idx;
}

void BM_MatchLiteralHit(benchmark::State& st) {
  Index& idx = big_index();
  std::vector<const SubSet*> out;
  std::vector<std::string> subs;
  for (int i = 0; i < 1024; ++i) subs.push_back("a.b." + std::to_string(i * 977));
  size_t k = 0;
  for (auto _ : st) {
    out.clear();
    const std::string& s = subs[k++ & 1023];
    idx.part.match_literal(s, hash_subject(s), out);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()));
}
void BM_MatchLiteralMiss(benchmark::State& st) {
  Index& idx = big_index();
  std::vector<const SubSet*> out;
  std::string s = "no.such.subject";
  for (auto _ : st) {
    out.clear();
    idx.part.match_literal(s, hash_subject(s), out);
    benchmark::DoNotOptimize(out.data());
  }
}
void BM_MatchWildcard(benchmark::State& st) {
  Index& idx = big_index();
  std::vector<const SubSet*> out;
  std::string_view tok[3] = {"w", "42", "x"};
  for (auto _ : st) {
    out.clear();
    idx.part.match_wildcards(tok, 3, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_MatchLiteralHit);

// Per-publish cost against the size of the index: a literal match (one
// subscriber) among N other subscriptions, N = 1 .. 1,000,000. The cost must
// stay flat as N grows (issue #7).
void BM_MatchOneAmongN(benchmark::State& st) {
  static std::vector<std::unique_ptr<Index>> sized(8);
  size_t n = static_cast<size_t>(st.range(0));
  size_t k = 0;
  for (size_t v = n; v > 1; v /= 10) ++k;
  if (!sized[k]) sized[k] = std::make_unique<Index>(n);
  Index& idx = *sized[k];
  std::vector<const SubSet*> out;
  std::string s = "a.b." + std::to_string(n / 2);
  uint64_t h = hash_subject(s);
  size_t refs = 0;
  for (auto _ : st) {
    out.clear();
    idx.part.match_literal(s, h, out);
    for (const SubSet* set : out)
      for (const SubRef& r : set->plain) refs += r.slot;
    benchmark::DoNotOptimize(refs);
  }
}
BENCHMARK(BM_MatchOneAmongN)->Arg(1)->Arg(1000)->Arg(1000000);

// Cost of one SUB and its UNSUB on a subject that already has N subscribers:
// O(1), where a copy-on-write set would cost O(N).
void BM_SubUnsubOnAudienceOfN(benchmark::State& st) {
  Qsbr q{1};
  RetireList rl;
  SubPartition part{q, rl};
  q.online(0);
  for (int64_t i = 0; i < st.range(0); ++i) {
    SubRef r;
    r.slot = static_cast<uint32_t>(i);
    part.insert("fan", "", r);
  }
  SubRef me;
  me.slot = 1u << 30;
  for (auto _ : st) {
    part.insert("fan", "", me);
    part.remove("fan", "", me);
    ++me.gen;
    if ((me.gen & 1023) == 0) {
      q.offline(0);
      rl.reclaim(q);
      q.online(0);
    }
  }
  q.offline(0);
  rl.reclaim(q);
}
BENCHMARK(BM_SubUnsubOnAudienceOfN)->Arg(1)->Arg(1000)->Arg(100000);
BENCHMARK(BM_MatchLiteralMiss);
BENCHMARK(BM_MatchWildcard);

// Producer and consumer on two threads; batches published like a loop turn.
void BM_RingHop(benchmark::State& st) {
  SpscRing<uint64_t> ring(8192);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> seen{0};
  std::thread consumer([&] {
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) n += ring.drain([](uint64_t&) {});
    n += ring.drain([](uint64_t&) {});
    seen.store(n);
  });
  uint64_t sent = 0;
  for (auto _ : st) {
    for (int i = 0; i < 64; ++i) {
      while (!ring.push(sent)) ring.publish();
      ++sent;
    }
    ring.publish();
  }
  stop.store(true);
  consumer.join();
  st.SetItemsProcessed(static_cast<int64_t>(sent));
}
BENCHMARK(BM_RingHop)->UseRealTime();

void BM_OutbufAppendFlush(benchmark::State& st) {
  OutBuf ob;
  std::string msg = "MSG bench.subject 1 16\r\n0123456789abcdef\r\n";
  iovec iov[64];
  for (auto _ : st) {
    for (int i = 0; i < 32; ++i) ob.append(msg);
    int n = ob.fill_iov(iov, 64);
    size_t total = 0;
    for (int i = 0; i < n; ++i) total += iov[i].iov_len;
    ob.consume(total);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * 32));
}
BENCHMARK(BM_OutbufAppendFlush);

}  // namespace

BENCHMARK_MAIN();
