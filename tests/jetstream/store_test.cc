// Both stores behind one set of tests: the memory store, the file store
// with large blocks, and the file store with tiny blocks that also flushes
// after every change (so loads come from disk and blocks roll and die).
// A randomised run checks each store against a plain std::map model.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "jetstream/store.h"
#include "proto/subject.h"

namespace ringnats::js {
namespace {

enum class Kind { Mem, File, FileTinyFlushed };

std::string kind_name(const testing::TestParamInfo<Kind>& i) {
  switch (i.param) {
    case Kind::Mem: return "Mem";
    case Kind::File: return "File";
    default: return "FileTinyFlushed";
  }
}

class StoreTest : public testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::Mem) {
      s_ = make_memory_store();
      return;
    }
    char tmpl[] = "/tmp/js_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::string err;
    s_ = open_file_store(dir_, GetParam() == Kind::File ? (1u << 20) : 200, err);
    ASSERT_TRUE(s_) << err;
  }
  void TearDown() override {
    if (s_) s_->destroy();
    if (!dir_.empty()) {
      EXPECT_FALSE(std::filesystem::exists(dir_));
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  uint64_t bytes(std::string_view subj, std::string_view hdr, std::string_view data) const {
    return GetParam() == Kind::Mem ? mem_msg_bytes(subj.size(), hdr.size(), data.size())
                                   : file_msg_bytes(subj.size(), hdr.size(), data.size());
  }
  void settle() {
    if (GetParam() == Kind::FileTinyFlushed) {
      ASSERT_TRUE(s_->flush_blocking());
    }
  }
  uint64_t add(std::string_view subj, std::string_view data = "x", std::string_view hdr = "", int64_t ts = 0) {
    uint64_t seq = s_->append(subj, hdr, data, ts ? ts : 1000 + static_cast<int64_t>(s_->state().last_seq));
    settle();
    return seq;
  }
  uint64_t next_seq(std::string_view filter, uint64_t start) {
    StoredMsg m;
    return s_->load_next(filter, start, m) ? m.seq : 0;
  }
  uint64_t last_seq(std::string_view filter) {
    StoredMsg m;
    return s_->load_last(filter, m) ? m.seq : 0;
  }

  std::string dir_;
  std::unique_ptr<Store> s_;
};

TEST(MsgBytes, MatchNats29) {
  EXPECT_EQ(mem_msg_bytes(3, 0, 5), 24u);
  EXPECT_EQ(mem_msg_bytes(3, 12, 5), 36u);
  EXPECT_EQ(file_msg_bytes(3, 0, 5), 38u);
  EXPECT_EQ(file_msg_bytes(3, 12, 5), 54u);
}

TEST_P(StoreTest, EmptyState) {
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.first_seq, 0u);
  EXPECT_EQ(st.last_seq, 0u);
  EXPECT_EQ(st.num_deleted, 0u);
  StoredMsg m;
  EXPECT_FALSE(s_->load(1, m));
  EXPECT_FALSE(s_->load_next("", 0, m));
  EXPECT_FALSE(s_->load_last("", m));
}

TEST_P(StoreTest, AppendLoad) {
  EXPECT_EQ(s_->append("foo", "", "hello", 111), 1u);
  EXPECT_EQ(s_->append("bar", "NATS/1.0\r\nA: b\r\n\r\n", "world", 222), 2u);
  EXPECT_EQ(s_->append("foo", "", "", 333), 3u);
  StoredMsg m;
  ASSERT_TRUE(s_->load(2, m));
  EXPECT_EQ(m.seq, 2u);
  EXPECT_EQ(m.ts_ns, 222);
  EXPECT_EQ(m.subject, "bar");
  EXPECT_EQ(m.hdr, "NATS/1.0\r\nA: b\r\n\r\n");
  EXPECT_EQ(m.data, "world");
  ASSERT_TRUE(s_->load(3, m));
  EXPECT_EQ(m.subject, "foo");
  EXPECT_EQ(m.hdr, "");
  EXPECT_EQ(m.data, "");
  EXPECT_FALSE(s_->load(0, m));
  EXPECT_FALSE(s_->load(4, m));
  settle();
  ASSERT_TRUE(s_->load(1, m));
  EXPECT_EQ(m.data, "hello");

  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 3u);
  EXPECT_EQ(st.first_seq, 1u);
  EXPECT_EQ(st.last_seq, 3u);
  EXPECT_EQ(st.first_ts_ns, 111);
  EXPECT_EQ(st.last_ts_ns, 333);
  EXPECT_EQ(st.num_subjects, 2u);
  EXPECT_EQ(st.num_deleted, 0u);
  EXPECT_EQ(st.bytes, bytes("foo", "", "hello") + bytes("bar", "NATS/1.0\r\nA: b\r\n\r\n", "world") + bytes("foo", "", ""));
}

TEST_P(StoreTest, LargeMessage) {
  std::string big(5000, 'z');  // larger than a tiny block
  add("big", big);
  add("small", "s");
  StoredMsg m;
  ASSERT_TRUE(s_->load(1, m));
  EXPECT_EQ(m.data, big);
  ASSERT_TRUE(s_->load(2, m));
  EXPECT_EQ(m.data, "s");
}

TEST_P(StoreTest, LoadNextFilters) {
  add("a.1");  // 1
  add("b.1");  // 2
  add("a.2");  // 3
  add("a.1");  // 4
  add("c");    // 5
  EXPECT_EQ(next_seq("", 0), 1u);
  EXPECT_EQ(next_seq("", 1), 1u);
  EXPECT_EQ(next_seq(">", 3), 3u);
  EXPECT_EQ(next_seq("a.*", 2), 3u);
  EXPECT_EQ(next_seq("a.>", 4), 4u);
  EXPECT_EQ(next_seq("a.>", 5), 0u);
  EXPECT_EQ(next_seq("a.1", 2), 4u);
  EXPECT_EQ(next_seq("a.1", 0), 1u);
  EXPECT_EQ(next_seq("b.1", 1), 2u);
  EXPECT_EQ(next_seq("b.1", 3), 0u);
  EXPECT_EQ(next_seq("*", 1), 5u);
  EXPECT_EQ(next_seq("zz", 1), 0u);
  EXPECT_EQ(next_seq("", 6), 0u);
  StoredMsg m;
  ASSERT_TRUE(s_->load_next("*.2", 1, m));
  EXPECT_EQ(m.subject, "a.2");
  EXPECT_TRUE(s_->remove(1));
  settle();
  EXPECT_EQ(next_seq("a.1", 0), 4u);
  EXPECT_EQ(next_seq("", 0), 2u);
}

TEST_P(StoreTest, LoadLast) {
  add("a.1");  // 1
  add("b.1");  // 2
  add("a.2");  // 3
  add("a.1");  // 4
  add("c");    // 5
  EXPECT_EQ(last_seq("a.1"), 4u);
  EXPECT_EQ(last_seq("a.*"), 4u);
  EXPECT_EQ(last_seq(""), 5u);
  EXPECT_EQ(last_seq(">"), 5u);
  EXPECT_EQ(last_seq("b.*"), 2u);
  EXPECT_EQ(last_seq("x"), 0u);
  EXPECT_TRUE(s_->remove(4));
  settle();
  EXPECT_EQ(last_seq("a.1"), 1u);
  EXPECT_EQ(last_seq("a.*"), 3u);
  EXPECT_TRUE(s_->remove(5));
  settle();
  EXPECT_EQ(last_seq(""), 3u);
  // Many messages on few subjects takes the per-subject path for wildcards.
  for (int i = 0; i < 20; ++i) add(i % 2 ? "w.x" : "w.y");
  EXPECT_EQ(last_seq("w.*"), 25u);
  EXPECT_EQ(last_seq("w.y"), 24u);
}

TEST_P(StoreTest, Remove) {
  for (int i = 0; i < 5; ++i) add("s", "abc");
  uint64_t one = bytes("s", "", "abc");
  EXPECT_TRUE(s_->remove(2));
  EXPECT_FALSE(s_->remove(2));
  EXPECT_FALSE(s_->remove(99));
  EXPECT_FALSE(s_->remove(0));
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 4u);
  EXPECT_EQ(st.bytes, 4 * one);
  EXPECT_EQ(st.num_deleted, 1u);
  StoredMsg m;
  EXPECT_FALSE(s_->load(2, m));
  EXPECT_TRUE(s_->remove(1));
  settle();
  st = s_->state();
  EXPECT_EQ(st.first_seq, 3u);
  EXPECT_EQ(st.num_deleted, 0u);
  EXPECT_EQ(st.first_ts_ns, 1002);
  EXPECT_TRUE(s_->remove(5));
  settle();
  st = s_->state();
  EXPECT_EQ(st.last_seq, 5u);
  EXPECT_EQ(st.num_deleted, 1u);
  EXPECT_TRUE(s_->remove(3));
  EXPECT_TRUE(s_->remove(4));
  settle();
  st = s_->state();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.first_seq, 6u);
  EXPECT_EQ(st.last_seq, 5u);
  EXPECT_EQ(st.num_deleted, 0u);
  EXPECT_EQ(st.num_subjects, 0u);
  EXPECT_EQ(add("s"), 6u);
}

TEST_P(StoreTest, SubjectCounts) {
  add("a");  // 1
  add("b");  // 2
  add("a");  // 3
  add("a");  // 4
  EXPECT_EQ(s_->subject_msgs("a"), 3u);
  EXPECT_EQ(s_->subject_first_seq("a"), 1u);
  EXPECT_EQ(s_->subject_first_seq("b"), 2u);
  EXPECT_EQ(s_->subject_msgs("zz"), 0u);
  EXPECT_EQ(s_->subject_first_seq("zz"), 0u);
  s_->remove(1);
  settle();
  EXPECT_EQ(s_->subject_msgs("a"), 2u);
  EXPECT_EQ(s_->subject_first_seq("a"), 3u);
  s_->remove(3);
  s_->remove(2);
  settle();
  EXPECT_EQ(s_->subject_first_seq("a"), 4u);
  EXPECT_EQ(s_->subject_msgs("b"), 0u);
  EXPECT_EQ(s_->state().num_subjects, 1u);
}

TEST_P(StoreTest, PurgeAll) {
  for (int i = 0; i < 10; ++i) add(i % 2 ? "a" : "b");
  EXPECT_EQ(s_->purge("", 0, 0), 10u);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.bytes, 0u);
  EXPECT_EQ(st.first_seq, 11u);
  EXPECT_EQ(st.last_seq, 10u);
  EXPECT_EQ(st.first_ts_ns, 0);
  EXPECT_EQ(st.num_subjects, 0u);
  EXPECT_EQ(s_->purge("", 0, 0), 0u);
  EXPECT_EQ(add("c"), 11u);
  EXPECT_EQ(s_->state().first_seq, 11u);
  EXPECT_EQ(s_->purge(">", 0, 0), 1u);
  EXPECT_EQ(s_->state().first_seq, 12u);
}

TEST_P(StoreTest, PurgeUpTo) {
  for (int i = 0; i < 10; ++i) add("a");
  EXPECT_EQ(s_->purge("", 5, 0), 4u);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 6u);
  EXPECT_EQ(st.first_seq, 5u);
  EXPECT_EQ(st.last_seq, 10u);
  EXPECT_EQ(s_->subject_first_seq("a"), 5u);
  EXPECT_EQ(s_->purge("", 5, 0), 0u);
}

TEST_P(StoreTest, PurgeUpToPastEnd) {
  for (int i = 0; i < 10; ++i) add("a");
  EXPECT_EQ(s_->purge("", 20, 0), 10u);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 20u);
  EXPECT_EQ(st.last_seq, 19u);
  EXPECT_EQ(add("a"), 20u);
}

TEST_P(StoreTest, PurgeKeep) {
  for (int i = 0; i < 10; ++i) add(i % 2 ? "a" : "b");
  EXPECT_EQ(s_->purge("", 0, 20), 0u);
  EXPECT_EQ(s_->purge("", 0, 3), 7u);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 3u);
  EXPECT_EQ(st.first_seq, 8u);
  // Keep counts messages, not sequences, when there are gaps.
  s_->remove(9);
  EXPECT_EQ(s_->purge("", 0, 1), 1u);
  EXPECT_EQ(s_->state().first_seq, 10u);
}

TEST_P(StoreTest, PurgeFilter) {
  for (int i = 0; i < 10; ++i) add(i % 2 ? "a" : "b");  // b on odd seqs, a on even
  EXPECT_EQ(s_->purge("a", 0, 0), 5u);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 5u);
  EXPECT_EQ(st.first_seq, 1u);
  EXPECT_EQ(st.last_seq, 10u);
  EXPECT_EQ(st.num_deleted, 5u);  // 2,4,6,8,10: last_seq stays 10
  EXPECT_EQ(s_->subject_msgs("a"), 0u);
  EXPECT_EQ(s_->subject_msgs("b"), 5u);
  EXPECT_EQ(s_->purge("nothing", 0, 0), 0u);
}

TEST_P(StoreTest, PurgeFilterKeepAndUpTo) {
  for (int i = 0; i < 12; ++i) add(i % 3 == 0 ? "x.a" : (i % 3 == 1 ? "x.b" : "y"));
  // x.a: 1,4,7,10  x.b: 2,5,8,11  y: 3,6,9,12
  EXPECT_EQ(s_->purge("x.a", 0, 2), 2u);
  settle();
  EXPECT_EQ(s_->subject_first_seq("x.a"), 7u);
  EXPECT_EQ(s_->purge("x.b", 6, 0), 2u);  // 2 and 5
  settle();
  EXPECT_EQ(s_->subject_first_seq("x.b"), 8u);
  EXPECT_EQ(s_->purge("x.*", 0, 1), 3u);  // 7,8,10 go; 11 stays
  settle();
  EXPECT_EQ(s_->subject_msgs("x.a"), 0u);
  EXPECT_EQ(s_->subject_msgs("x.b"), 1u);
  EXPECT_EQ(s_->subject_msgs("y"), 4u);
  EXPECT_EQ(s_->state().first_seq, 3u);
  EXPECT_EQ(s_->purge("", 1, 0), 5u);  // up_to 1 means no bound, as in nats
  EXPECT_EQ(s_->state().msgs, 0u);
}

TEST_P(StoreTest, ForEachSubject) {
  add("a.1");
  add("a.2");
  add("a.1");
  add("b.1");
  std::map<std::string, uint64_t> got;
  auto collect = [&](std::string_view f) {
    got.clear();
    s_->for_each_subject(f, [&](std::string_view s, uint64_t n) { got[std::string(s)] = n; });
  };
  collect("");
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"a.1", 2}, {"a.2", 1}, {"b.1", 1}}));
  collect("a.*");
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"a.1", 2}, {"a.2", 1}}));
  collect("*.1");
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"a.1", 2}, {"b.1", 1}}));
  collect("b.1");
  EXPECT_EQ(got, (std::map<std::string, uint64_t>{{"b.1", 1}}));
  collect("c");
  EXPECT_TRUE(got.empty());
}

TEST_P(StoreTest, SkipTo) {
  s_->skip_to(9);
  settle();
  StoreState st = s_->state();
  EXPECT_EQ(st.last_seq, 9u);
  EXPECT_EQ(st.first_seq, 10u);
  EXPECT_EQ(add("a"), 10u);
  s_->skip_to(20);
  settle();
  st = s_->state();
  EXPECT_EQ(st.first_seq, 10u);
  EXPECT_EQ(st.last_seq, 20u);
  EXPECT_EQ(st.num_deleted, 10u);
  s_->skip_to(5);  // never backwards
  EXPECT_EQ(s_->state().last_seq, 20u);
  EXPECT_EQ(add("a"), 21u);
  EXPECT_EQ(next_seq("a", 11), 21u);
}

// A std::map model of what a store should hold, driven by random operations.
TEST_P(StoreTest, RandomAgainstModel) {
  struct M { std::string subj, data; };
  std::map<uint64_t, M> model;
  uint64_t last = 0;
  std::mt19937_64 rng(42);
  const char* subjects[] = {"a.1", "a.2", "b.1", "b.2.x", "c"};
  const char* filters[] = {"", "a.*", "b.>", "c", "*.1", "a.1", "zz"};
  for (int step = 0; step < 1500; ++step) {
    int op = static_cast<int>(rng() % 100);
    if (op < 60) {
      std::string subj = subjects[rng() % 5];
      std::string data(rng() % 40, static_cast<char>('a' + step % 26));
      uint64_t seq = s_->append(subj, "", data, step);
      ASSERT_EQ(seq, last + 1);
      last = seq;
      model[seq] = {subj, data};
    } else if (op < 85) {
      uint64_t seq = last ? 1 + rng() % last : 1;
      ASSERT_EQ(s_->remove(seq), model.erase(seq) == 1) << seq;
    } else if (op < 95) {
      std::string f = filters[rng() % 7];
      uint64_t up_to = rng() % 3 == 0 ? rng() % (last + 3) : 0;
      uint64_t keep = rng() % 3 == 0 ? rng() % 5 : 0;
      if (rng() % 4) {  // keep purges rare enough that the store fills
        up_to = up_to ? up_to : (model.empty() ? 0 : model.begin()->first + 2);
      }
      // Model: matching messages, oldest first; spare the newest `keep`,
      // then only below up_to (1 means none).
      std::vector<uint64_t> match;
      for (auto& [seq, m] : model)
        if (f.empty() || proto::subject_matches(f, m.subj)) match.push_back(seq);
      if (keep) match.resize(match.size() > keep ? match.size() - keep : 0);
      uint64_t bound = up_to > 1 ? up_to : 0;
      std::vector<uint64_t> gone;
      for (uint64_t s : match)
        if (!bound || s < bound) gone.push_back(s);
      ASSERT_EQ(s_->purge(f, up_to, keep), gone.size()) << f << " " << up_to << " " << keep;
      for (uint64_t s : gone) model.erase(s);
      if (f.empty() && keep == 0 && bound > last + 1) last = bound - 1;
    } else {
      settle();
      if (GetParam() != Kind::Mem && rng() % 2) {
        ASSERT_TRUE(s_->flush_blocking());
      }
    }
    settle();
    // Check.
    StoreState st = s_->state();
    ASSERT_EQ(st.msgs, model.size());
    ASSERT_EQ(st.last_seq, last);
    ASSERT_EQ(st.first_seq, model.empty() ? last + 1 : model.begin()->first);
    uint64_t b = 0;
    for (auto& [seq, m] : model) b += bytes(m.subj, "", m.data);
    ASSERT_EQ(st.bytes, b);
    if (step % 50 == 0) {
      for (auto& [seq, m] : model) {
        StoredMsg got;
        ASSERT_TRUE(s_->load(seq, got));
        ASSERT_EQ(got.subject, m.subj);
        ASSERT_EQ(got.data, m.data);
      }
      for (const char* f : filters) {
        uint64_t start = last ? rng() % (last + 1) : 0;
        uint64_t want = 0, want_last = 0;
        for (auto& [seq, m] : model) {
          bool ok = !*f || proto::subject_matches(f, m.subj);
          if (ok && !want && seq >= start) want = seq;
          if (ok) want_last = seq;
        }
        ASSERT_EQ(next_seq(f, start), want) << f << " from " << start;
        ASSERT_EQ(last_seq(f), want_last) << f;
      }
      for (const char* sj : subjects) {
        uint64_t n = 0, first = 0;
        for (auto& [seq, m] : model)
          if (m.subj == sj) {
            if (!first) first = seq;
            ++n;
          }
        ASSERT_EQ(s_->subject_msgs(sj), n);
        ASSERT_EQ(s_->subject_first_seq(sj), first);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest,
                         testing::Values(Kind::Mem, Kind::File, Kind::FileTinyFlushed), kind_name);

}  // namespace
}  // namespace ringnats::js
