// Subscription partition: literal and wildcard matching, removal and
// pruning, queue groups, interest counting, and readers racing the writer.
#include "core/sublist.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "proto/subject.h"

using namespace ringnats;

namespace {

struct Fixture {
  Qsbr q{1};
  RetireList rl;
  SubPartition part{q, rl};
  Fixture() { q.online(0); }
  ~Fixture() { q.offline(0); rl.reclaim(q); }

  static SubRef ref(uint32_t slot, const std::string& sid = "") {
    SubRef r;
    r.slot = slot;
    r.gen = 1;
    r.sid = sid.empty() ? std::to_string(slot) : sid;
    return r;
  }
  // Sids of every plain sub matching `subject`, sorted.
  std::vector<std::string> match(const std::string& subject) {
    std::vector<const SubSet*> out;
    part.match_literal(subject, hash_subject(subject), out);
    std::vector<std::string_view> tok;
    size_t start = 0;
    for (;;) {
      size_t d = subject.find('.', start);
      if (d == std::string::npos) { tok.push_back(std::string_view(subject).substr(start)); break; }
      tok.push_back(std::string_view(subject).substr(start, d - start));
      start = d + 1;
    }
    part.match_wildcards(tok.data(), tok.size(), out);
    std::vector<std::string> sids;
    for (auto* s : out) {
      for (auto& r : s->plain) sids.push_back(r.sid);
      for (auto* g : s->groups.snapshot())
        for (auto& r : g->members) sids.push_back(g->name + ":" + r.sid);
    }
    std::sort(sids.begin(), sids.end());
    return sids;
  }
};

using V = std::vector<std::string>;

}  // namespace

TEST(Sublist, LiteralAndWildcards) {
  Fixture f;
  f.part.insert("foo.bar", "", Fixture::ref(1, "lit"));
  f.part.insert("foo.*", "", Fixture::ref(2, "star"));
  f.part.insert("foo.>", "", Fixture::ref(3, "fwc"));
  f.part.insert(">", "", Fixture::ref(4, "all"));
  f.part.insert("*.bar", "", Fixture::ref(5, "starbar"));
  f.part.insert("foo.*.baz", "", Fixture::ref(6, "mid"));
  EXPECT_EQ(f.match("foo.bar"), (V{"all", "fwc", "lit", "star", "starbar"}));
  EXPECT_EQ(f.match("foo.x.baz"), (V{"all", "fwc", "mid"}));
  EXPECT_EQ(f.match("foo"), (V{"all"}));
  EXPECT_EQ(f.match("bar"), (V{"all"}));
  EXPECT_EQ(f.match("x.bar"), (V{"all", "starbar"}));
}

TEST(Sublist, WildcardCharactersInsideTokensAreLiteral) {
  Fixture f;
  f.part.insert("foo*", "", Fixture::ref(1, "a"));
  f.part.insert("foo.b>", "", Fixture::ref(2, "b"));
  EXPECT_EQ(f.match("foo*"), (V{"a"}));
  EXPECT_EQ(f.match("foox"), V{});
  EXPECT_EQ(f.match("foo.b>"), (V{"b"}));
  EXPECT_EQ(f.match("foo.bx"), V{});
}

TEST(Sublist, RemoveAndPrune) {
  Fixture f;
  f.part.insert("a.b.c", "", Fixture::ref(1));
  f.part.insert("a.*.c", "", Fixture::ref(2));
  f.part.insert("a.>", "", Fixture::ref(3));
  f.part.remove("a.*.c", "", Fixture::ref(2));
  EXPECT_EQ(f.match("a.b.c"), (V{"1", "3"}));
  f.part.remove("a.>", "", Fixture::ref(3));
  EXPECT_EQ(f.match("a.b.c"), (V{"1"}));
  EXPECT_EQ(f.part.wildcard_patterns(), 0u);
  f.part.remove("a.b.c", "", Fixture::ref(1));
  EXPECT_EQ(f.match("a.b.c"), V{});
  EXPECT_EQ(f.part.literal_subjects(), 0u);
  // Removing what is not there is harmless.
  f.part.remove("a.b.c", "", Fixture::ref(1));
  f.part.remove("x.*", "", Fixture::ref(9));
}

TEST(Sublist, QueueGroupsAndInterestCounts) {
  Fixture f;
  InterestChange c1 = f.part.insert("qq", "grp", Fixture::ref(1));
  InterestChange c2 = f.part.insert("qq", "grp", Fixture::ref(2));
  EXPECT_EQ(c1.before, 0); EXPECT_EQ(c1.after, 1);
  EXPECT_EQ(c2.before, 1); EXPECT_EQ(c2.after, 2);
  f.part.insert("qq", "other", Fixture::ref(3));
  f.part.insert("qq", "", Fixture::ref(4));
  EXPECT_EQ(f.match("qq"), (V{"4", "grp:1", "grp:2", "other:3"}));
  InterestChange c3 = f.part.remove("qq", "grp", Fixture::ref(1));
  EXPECT_EQ(c3.before, 2); EXPECT_EQ(c3.after, 1);
  // Route interest does not count as local.
  SubRef route = Fixture::ref(7, "r");
  route.flags = kSubRoute;
  route.weight = 3;
  InterestChange c4 = f.part.insert("qq", "grp", route);
  EXPECT_EQ(c4.before, 1); EXPECT_EQ(c4.after, 1);
  route.weight = 5;  // a re-announced weight replaces the old one
  f.part.insert("qq", "grp", route);
  std::vector<const SubSet*> out;
  f.part.match_literal("qq", hash_subject("qq"), out);
  ASSERT_EQ(out.size(), 1u);
  for (auto* g : out[0]->groups.snapshot())
    if (g->name == "grp") {
      std::vector<uint32_t> weights;
      for (auto& r : g->members) weights.push_back(r.weight);
      std::sort(weights.begin(), weights.end());
      EXPECT_EQ(weights, (std::vector<uint32_t>{1, 5}));
    }
}

TEST(Sublist, ManySubjectsGrowTheTable) {
  Fixture f;
  for (uint32_t i = 0; i < 20000; ++i) f.part.insert("s." + std::to_string(i), "", Fixture::ref(i));
  for (uint32_t i = 0; i < 20000; i += 997) EXPECT_EQ(f.match("s." + std::to_string(i)), (V{std::to_string(i)}));
  for (uint32_t i = 0; i < 20000; i += 2) f.part.remove("s." + std::to_string(i), "", Fixture::ref(i));
  EXPECT_EQ(f.part.literal_subjects(), 10000u);
  EXPECT_EQ(f.match("s.2"), V{});
  EXPECT_EQ(f.match("s.3"), (V{"3"}));
  f.rl.reclaim(f.q);
}

TEST(Sublist, SubjectMatchesHelper) {
  using ringnats::proto::subject_matches;
  EXPECT_TRUE(subject_matches("_INBOX.abc.*", "_INBOX.abc.1"));
  EXPECT_TRUE(subject_matches(">", "a.b"));
  EXPECT_TRUE(subject_matches("a.>", "a.b.c"));
  EXPECT_FALSE(subject_matches("a.>", "a"));
  EXPECT_FALSE(subject_matches("a.*", "a.b.c"));
  EXPECT_TRUE(subject_matches("a", "a"));
}

// One writer churns subscriptions while a reader on another thread matches
// continuously; a stable subscription must be seen by every match.
TEST(Sublist, ReadersNeverMissStableSubscriptions) {
  Qsbr q(2);
  RetireList rl;
  SubPartition part(q, rl);
  q.online(0);
  part.insert("stable.x", "", Fixture::ref(1, "S"));
  part.insert("stable.*", "", Fixture::ref(2, "W"));
  q.offline(0);
  std::atomic<bool> stop{false};
  std::atomic<long> misses{0}, reads{0};
  std::thread reader([&] {
    std::string_view tok[2] = {"stable", "x"};
    while (!stop.load()) {
      q.online(1);
      for (int i = 0; i < 100; ++i) {
        std::vector<const SubSet*> out;
        part.match_literal("stable.x", hash_subject("stable.x"), out);
        part.match_wildcards(tok, 2, out);
        bool s = false, w = false;
        for (auto* set : out)
          for (auto& r : set->plain) { s |= r.sid == "S"; w |= r.sid == "W"; }
        if (!s || !w) misses.fetch_add(1);
        reads.fetch_add(1);
      }
      q.offline(1);
    }
  });
  for (int round = 0; round < 200; ++round) {
    q.online(0);
    for (uint32_t i = 0; i < 100; ++i) {
      part.insert("stable.x", "", Fixture::ref(100 + i));
      part.insert("churn." + std::to_string(i), "", Fixture::ref(100 + i));
      part.insert("stable.*.z" + std::to_string(i % 7), "", Fixture::ref(100 + i));
    }
    for (uint32_t i = 0; i < 100; ++i) {
      part.remove("stable.x", "", Fixture::ref(100 + i));
      part.remove("churn." + std::to_string(i), "", Fixture::ref(100 + i));
      part.remove("stable.*.z" + std::to_string(i % 7), "", Fixture::ref(100 + i));
    }
    rl.reclaim(q);
    q.offline(0);
  }
  stop.store(true);
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(misses.load(), 0);
  rl.reclaim(q);
}

// A client entry and a route entry with the same numbers are different
// subscribers: neither hides nor removes the other.
TEST(Sublist, ClientAndRouteEntriesNeverCollide) {
  Fixture f;
  SubRef client = Fixture::ref(5, "c");
  SubRef route = Fixture::ref(5, "r");
  route.flags = kSubRoute;
  f.part.insert("foo", "", route);
  InterestChange ch = f.part.insert("foo", "", client);
  EXPECT_EQ(ch.before, 0);
  EXPECT_EQ(ch.after, 1);
  EXPECT_EQ(f.match("foo"), (V{"c", "r"}));
  f.part.remove("foo", "", route);
  EXPECT_EQ(f.match("foo"), (V{"c"}));
  f.part.insert("foo", "", route);
  f.part.remove("foo", "", client);
  EXPECT_EQ(f.match("foo"), (V{"r"}));
}

// A SUB costs the same whatever the audience: 200k subscribers on one
// subject, then all removed, with everything seen exactly once in between.
TEST(Sublist, HugeAudienceOnOneSubject) {
  Fixture f;
  const uint32_t n = 200000;
  for (uint32_t i = 0; i < n; ++i) f.part.insert("fan", "", Fixture::ref(i));
  std::vector<const SubSet*> out;
  f.part.match_literal("fan", hash_subject("fan"), out);
  ASSERT_EQ(out.size(), 1u);
  std::vector<bool> seen(n);
  size_t count = 0;
  for (auto& r : out[0]->plain) {
    ASSERT_FALSE(seen[r.slot]);
    seen[r.slot] = true;
    ++count;
  }
  EXPECT_EQ(count, n);
  // Remove all but every 1000th: the array compacts as it empties.
  for (uint32_t i = 0; i < n; ++i)
    if (i % 1000) f.part.remove("fan", "", Fixture::ref(i));
  EXPECT_EQ(f.match("fan").size(), n / 1000);
  EXPECT_EQ(f.part.entries(), n / 1000);
  for (uint32_t i = 0; i < n; i += 1000) f.part.remove("fan", "", Fixture::ref(i));
  EXPECT_EQ(f.match("fan"), V{});
  EXPECT_EQ(f.part.literal_subjects(), 0u);
  f.rl.reclaim(f.q);
}
