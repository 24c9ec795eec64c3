// Micro-benchmarks of the hot functions: parser throughput per operation,
// subscription matching at 1M subscriptions and across shard counts, the cross-shard ring hop, and
// outbound append + gathered flush.
#include <benchmark/benchmark.h>

#include <atomic>
#include <random>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/outbuf.h"
#include "core/qsbr.h"
#include "core/spsc.h"
#include "core/subject_match.h"
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

// A publish's match against one account's index split over `nshards`
// partitions, with `nsubs` subscriptions of which 10% are patterns
// ("t.j.*", "t.>", "*.j.i"). Mode 0: patterns placed by partition_of and
// matched with match_subject (the server's way: at most two tries walked).
// Mode 1: the former placement (a pattern in the partition of its own hash)
// and walk (every partition's trie), for comparison. Flat across shard
// counts is the goal (issue #10).
struct ShardedIndex {
  Qsbr q{1};
  RetireList rl;
  std::vector<std::unique_ptr<SubPartition>> parts;
  std::vector<std::string> published;
  ShardedIndex(int nshards, size_t nsubs, bool by_first_token) {
    q.online(0);
    for (int i = 0; i < nshards; ++i) parts.push_back(std::make_unique<SubPartition>(q, rl));
    std::mt19937 rng(42);
    for (size_t i = 0; i < nsubs; ++i) {
      SubRef r;
      r.slot = static_cast<uint32_t>(i);
      r.sid = "1";
      // Built with append: GCC 12 warns falsely (-Wrestrict) on chained +.
      std::string t = "t", j = std::to_string((i / 100) % 100);
      t.append(std::to_string(i % 100));
      std::string subj;
      if (i % 10 == 0 && (i / 10) % 3 == 2) {
        subj.append("*.").append(j).append(".").append(std::to_string(i));
      } else {
        subj.append(t).append(".");
        if (i % 10 == 0 && (i / 10) % 3 == 1) subj.append(">");
        else subj.append(j).append(".").append(i % 10 == 0 ? std::string("*") : std::to_string(i));
      }
      uint64_t owner = by_first_token ? partition_of(subj, nshards)
                                      : hash_subject(subj) % static_cast<uint64_t>(nshards);  // the former rule
      parts[owner]->insert(subj, "", r);
    }
    for (int k = 0; k < 1024; ++k) {
      size_t i = rng() % (nsubs ? nsubs : 1);
      std::string p = "t";
      p.append(std::to_string(i % 100)).append(".").append(std::to_string((i / 100) % 100)).append(".");
      published.push_back(p.append(std::to_string(i)));
    }
  }
  ~ShardedIndex() {
    parts.clear();
    q.offline(0);
    rl.reclaim(q);
  }
};

void BM_MatchAcrossShards(benchmark::State& st) {
  int nshards = static_cast<int>(st.range(0));
  size_t nsubs = static_cast<size_t>(st.range(1));
  bool old_way = st.range(2) == 1;
  static std::unique_ptr<ShardedIndex> idx;
  static int64_t built[3] = {-1, -1, -1};
  if (built[0] != st.range(0) || built[1] != st.range(1) || built[2] != st.range(2)) {
    idx.reset();
    idx = std::make_unique<ShardedIndex>(nshards, nsubs, !old_way);
    built[0] = st.range(0), built[1] = st.range(1), built[2] = st.range(2);
  }
  auto part = [&](int p) -> const SubPartition& { return *idx->parts[static_cast<size_t>(p)]; };
  std::vector<std::string_view> tokens;
  std::vector<const SubSet*> out;
  size_t k = 0, sets = 0;
  for (auto _ : st) {
    const std::string& s = idx->published[k++ & 1023];
    if (!old_way) {
      match_subject(part, nshards, s, tokens, out);
    } else {
      out.clear();
      uint64_t h = hash_subject(s);
      part(static_cast<int>(h % static_cast<uint64_t>(nshards))).match_literal(s, h, out);
      tokens.clear();
      size_t start = 0;
      for (;;) {
        size_t dot = s.find('.', start);
        if (dot == std::string::npos) {
          tokens.push_back(std::string_view(s).substr(start));
          break;
        }
        tokens.push_back(std::string_view(s).substr(start, dot - start));
        start = dot + 1;
      }
      for (int p = 0; p < nshards; ++p) part(p).match_wildcards(tokens.data(), tokens.size(), out);
    }
    sets += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["sets/match"] = static_cast<double>(sets) / static_cast<double>(st.iterations());
}
BENCHMARK(BM_MatchAcrossShards)
    ->ArgNames({"shards", "subs", "old"})
    ->ArgsProduct({{1, 2, 8, 32, 64}, {10, 10000, 1000000}, {0, 1}});

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
