// The partitioned index as a publish sees it: subscriptions placed with
// partition_of over 1..64 partitions, matched with match_subject, must give
// exactly the sets a brute-force walk of every pattern gives, in nats'
// walk order, whatever the shard count.
#include "core/subject_match.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "proto/subject.h"

using namespace ringnats;

namespace {

std::string random_subject(std::mt19937& rng, bool pattern) {
  static const char* toks[] = {"a", "b", "c", "foo", "bar", "_INBOX"};
  int n = 1 + static_cast<int>(rng() % 4);
  std::string s;
  for (int i = 0; i < n; ++i) {
    if (i) s.push_back('.');
    unsigned r = rng() % 10;
    if (pattern && r == 0) s.append("*");
    else if (pattern && r == 1 && i == n - 1) s.append(">");
    else s.append(toks[rng() % 6]);
  }
  return s;
}

TEST(SubjectMatch, PartitionedMatchEqualsBruteForceAtEveryShardCount) {
  for (int nshards : {1, 2, 3, 7, 32, 64}) {
    Qsbr q{1};
    RetireList rl;
    q.online(0);
    {
      std::vector<std::unique_ptr<SubPartition>> parts;
      for (int i = 0; i < nshards; ++i) parts.push_back(std::make_unique<SubPartition>(q, rl));
      std::mt19937 rng(static_cast<unsigned>(nshards));
      std::set<std::string> subscribed;
      for (int i = 0; i < 400; ++i) {
        std::string s = random_subject(rng, true);
        if (!subscribed.insert(s).second) continue;
        SubRef r;
        r.slot = static_cast<uint32_t>(i);
        r.sid = s;
        parts[partition_of(s, nshards)]->insert(s, "", r);
      }
      auto part = [&](int p) -> const SubPartition& { return *parts[static_cast<size_t>(p)]; };
      std::vector<std::string_view> tokens;
      std::vector<const SubSet*> out;
      for (int i = 0; i < 2000; ++i) {
        std::string subject = random_subject(rng, false);
        match_subject(part, nshards, subject, tokens, out);
        std::set<std::string> got, want;
        for (const SubSet* set : out)
          for (const SubRef& r : set->plain) EXPECT_TRUE(got.insert(r.sid).second) << "twice: " << r.sid;
        for (const std::string& p : subscribed)
          if (proto::subject_matches(p, subject)) want.insert(p);
        ASSERT_EQ(got, want) << subject << " over " << nshards << " shards";
        for (size_t k = 1; k < out.size(); ++k)
          EXPECT_FALSE(walk_before(out[k], out[k - 1], tokens.size())) << subject;
      }
    }
    q.offline(0);
    rl.reclaim(q);
  }
}

TEST(SubjectMatch, PatternsLiveByTheirFirstToken) {
  for (int n : {2, 8, 64}) {
    EXPECT_EQ(partition_of("foo.*", n), partition_of("foo.>", n));
    EXPECT_EQ(partition_of("foo.*.bar", n), partition_of("foo", n) == partition_of("foo.*", n)
                                                ? partition_of("foo", n) : partition_of("foo.*.bar", n));
    EXPECT_EQ(partition_of("*.x", n), wildcard_first_partition(n));
    EXPECT_EQ(partition_of(">", n), wildcard_first_partition(n));
    EXPECT_EQ(partition_of("a.b", n), partition_of_hash(hash_subject("a.b"), n));
    EXPECT_EQ(partition_of("a.*", n), partition_of_hash(hash_subject("a"), n));
    // A token that merely contains '*' or '>' is literal.
    EXPECT_EQ(partition_of("a.b*", n), partition_of_hash(hash_subject("a.b*"), n));
  }
}

}  // namespace
