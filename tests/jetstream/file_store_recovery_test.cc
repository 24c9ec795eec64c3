// File store restarts: what was flushed comes back exactly (messages,
// removes, purges, skips), a torn or corrupt tail is cut at every possible
// offset and appends continue after it, blocks roll and emptied ones go,
// and what was never flushed is lost without taking anything else along.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "jetstream/store.h"

namespace ringnats::js {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class FileStoreRecovery : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/js_recovery_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    s_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void open(uint64_t block_size = 1 << 20) {
    block_size_ = block_size;
    s_.reset();
    std::string err;
    s_ = open_file_store(dir_, block_size, err);
    ASSERT_TRUE(s_) << err;
  }
  void reopen() { open(block_size_); }
  std::vector<std::string> blocks() const {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator(dir_ + "/msgs")) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string block_path(uint32_t idx) const { return dir_ + "/msgs/" + std::to_string(idx) + ".blk"; }
  std::map<uint64_t, std::string> contents() const {
    std::map<uint64_t, std::string> out;
    StoredMsg m;
    uint64_t seq = 0;
    while (s_->load_next("", seq, m)) {
      out[m.seq] = m.subject + "|" + m.hdr + "|" + m.data + "|" + std::to_string(m.ts_ns);
      seq = m.seq + 1;
    }
    return out;
  }
  static void expect_same(const StoreState& a, const StoreState& b) {
    EXPECT_EQ(a.msgs, b.msgs);
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_EQ(a.first_seq, b.first_seq);
    EXPECT_EQ(a.last_seq, b.last_seq);
    EXPECT_EQ(a.first_ts_ns, b.first_ts_ns);
    EXPECT_EQ(a.last_ts_ns, b.last_ts_ns);
    EXPECT_EQ(a.num_deleted, b.num_deleted);
    EXPECT_EQ(a.num_subjects, b.num_subjects);
  }
  // Flush, restart, and expect the same state and messages.
  void check_restart() {
    ASSERT_TRUE(s_->flush_blocking());
    StoreState before = s_->state();
    auto msgs = contents();
    reopen();
    expect_same(s_->state(), before);
    EXPECT_EQ(contents(), msgs);
  }

  std::string dir_;
  uint64_t block_size_ = 0;
  std::unique_ptr<Store> s_;
};

TEST_F(FileStoreRecovery, ReopenAfterFlushKeepsEverything) {
  open();
  s_->append("a.1", "", "one", 10);
  s_->append("a.2", "NATS/1.0\r\nX: y\r\n\r\n", "two", 20);
  s_->append("b", "", "", 30);
  s_->append("a.1", "", std::string(3000, 'q'), 40);
  check_restart();
  EXPECT_EQ(s_->state().msgs, 4u);
  EXPECT_EQ(s_->subject_msgs("a.1"), 2u);
  StoredMsg m;
  ASSERT_TRUE(s_->load(2, m));
  EXPECT_EQ(m.hdr, "NATS/1.0\r\nX: y\r\n\r\n");
  EXPECT_EQ(s_->append("c", "", "x", 50), 5u);
  check_restart();
}

TEST_F(FileStoreRecovery, EmptyStoreReopens) {
  open();
  check_restart();
  StoreState st = s_->state();
  EXPECT_EQ(st.first_seq, 0u);
  EXPECT_EQ(st.last_seq, 0u);
}

TEST_F(FileStoreRecovery, RemovesSurvive) {
  open(200);
  for (int i = 1; i <= 12; ++i) s_->append(i % 3 ? "x" : "y", "", "payload", i);
  ASSERT_TRUE(s_->flush_blocking());
  EXPECT_TRUE(s_->remove(1));
  EXPECT_TRUE(s_->remove(5));
  EXPECT_TRUE(s_->remove(12));
  check_restart();
  StoredMsg m;
  EXPECT_FALSE(s_->load(5, m));
  EXPECT_FALSE(s_->load(12, m));
  EXPECT_EQ(s_->state().first_seq, 2u);
  EXPECT_EQ(s_->state().last_seq, 12u);
  EXPECT_EQ(s_->subject_first_seq("x"), 2u);
  // Removing the newest then restarting does not hand its sequence out again.
  EXPECT_EQ(s_->append("x", "", "p", 13), 13u);
}

TEST_F(FileStoreRecovery, PurgesSurvive) {
  open(300);
  for (int i = 1; i <= 20; ++i) s_->append(i % 2 ? "odd" : "even", "", "data", i);
  EXPECT_EQ(s_->purge("odd", 0, 2), 8u);
  check_restart();
  EXPECT_EQ(s_->subject_msgs("odd"), 2u);
  EXPECT_EQ(s_->purge("", 9, 0), 4u);  // 2,4,6,8
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 10u);
  EXPECT_EQ(s_->purge("", 0, 3), 5u);  // of 10,12,14,16,17,18,19,20
  check_restart();
  EXPECT_EQ(s_->state().msgs, 3u);
  EXPECT_EQ(s_->purge("", 0, 0), 3u);
  check_restart();
  StoreState st = s_->state();
  EXPECT_EQ(st.msgs, 0u);
  EXPECT_EQ(st.first_seq, 21u);
  EXPECT_EQ(st.last_seq, 20u);
  EXPECT_EQ(st.last_ts_ns, 20);
  EXPECT_EQ(blocks().size(), 1u);  // every old block went
  EXPECT_EQ(s_->append("n", "", "", 21), 21u);
  EXPECT_EQ(s_->purge("", 50, 0), 1u);  // past the end
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 50u);
  EXPECT_EQ(s_->state().last_seq, 49u);
  EXPECT_EQ(s_->append("n", "", "", 22), 50u);
  check_restart();
}

TEST_F(FileStoreRecovery, SkipSurvives) {
  open();
  s_->skip_to(99);
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 100u);
  EXPECT_EQ(s_->append("a", "", "", 1), 100u);
  s_->skip_to(200);
  check_restart();
  EXPECT_EQ(s_->state().num_deleted, 100u);
  EXPECT_EQ(s_->append("a", "", "", 2), 201u);
}

// Writes N messages (the last one `last_kind`), then for every length the
// block could have been cut to inside the last record, restarts from that
// prefix: everything before the last record is back, and appends go on.
class TornTail : public FileStoreRecovery {
 protected:
  void run(bool last_is_delete) {
    open();
    const int n = 6;
    for (int i = 1; i <= n; ++i) s_->append("t." + std::to_string(i), i % 2 ? "NATS/1.0\r\n\r\n" : "", std::string(i * 7, 'a' + i), i);
    ASSERT_TRUE(s_->flush_blocking());
    uint64_t good = fs::file_size(block_path(1));
    if (last_is_delete) {
      s_->remove(3);
    } else {
      s_->append("t.last", "", "the last one", 99);
    }
    ASSERT_TRUE(s_->flush_blocking());
    StoreState full = s_->state();
    s_.reset();
    std::string bytes = read_all(block_path(1));
    ASSERT_GT(bytes.size(), good);

    for (size_t cut = good; cut < bytes.size(); ++cut) {
      SCOPED_TRACE("cut at " + std::to_string(cut));
      write_all(block_path(1), bytes.substr(0, cut));
      reopen();
      StoreState st = s_->state();
      EXPECT_EQ(st.msgs, static_cast<uint64_t>(n));
      EXPECT_EQ(st.last_seq, static_cast<uint64_t>(n));
      StoredMsg m;
      for (int i = 1; i <= n; ++i) {
        ASSERT_TRUE(s_->load(i, m)) << i;
        EXPECT_EQ(m.data, std::string(i * 7, 'a' + i));
      }
      EXPECT_EQ(fs::file_size(block_path(1)), good);  // tail cut
      EXPECT_EQ(s_->append("after", "", "cut", 100), static_cast<uint64_t>(n + 1));
      ASSERT_TRUE(s_->flush_blocking());
      reopen();
      EXPECT_EQ(s_->state().msgs, static_cast<uint64_t>(n + 1));
      ASSERT_TRUE(s_->load(n + 1, m));
      EXPECT_EQ(m.data, "cut");
      s_.reset();
    }
    // The whole file again: the last record is back.
    write_all(block_path(1), bytes);
    reopen();
    expect_same(s_->state(), full);
  }
};

TEST_F(TornTail, CutInsideLastMessage) { run(false); }
TEST_F(TornTail, CutInsideLastDelete) { run(true); }

TEST_F(FileStoreRecovery, CorruptByteInLastRecord) {
  open();
  for (int i = 1; i <= 4; ++i) s_->append("c", "", "body" + std::to_string(i), i);
  ASSERT_TRUE(s_->flush_blocking());
  uint64_t good = fs::file_size(block_path(1));
  s_->append("c", "hdr", "final", 5);
  ASSERT_TRUE(s_->flush_blocking());
  s_.reset();
  std::string bytes = read_all(block_path(1));
  for (size_t at = good; at < bytes.size(); ++at) {
    SCOPED_TRACE("flip at " + std::to_string(at));
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    write_all(block_path(1), bad);
    reopen();
    EXPECT_EQ(s_->state().msgs, 4u);
    EXPECT_EQ(s_->state().last_seq, 4u);
    StoredMsg m;
    ASSERT_TRUE(s_->load(4, m));
    EXPECT_EQ(m.data, "body4");
    EXPECT_EQ(s_->append("c", "", "again", 6), 5u);
    ASSERT_TRUE(s_->flush_blocking());
    reopen();
    ASSERT_TRUE(s_->load(5, m));
    EXPECT_EQ(m.data, "again");
    s_.reset();
  }
}

TEST_F(FileStoreRecovery, CorruptMiddleCutsFromThere) {
  open();
  for (int i = 1; i <= 5; ++i) s_->append("c", "", "body", i);
  ASSERT_TRUE(s_->flush_blocking());
  s_.reset();
  std::string bytes = read_all(block_path(1));
  size_t rec = bytes.size() / 5;
  bytes[2 * rec + 30] ^= 1;  // inside record 3's payload
  write_all(block_path(1), bytes);
  reopen();
  EXPECT_EQ(s_->state().msgs, 2u);  // records after a bad one are not trusted
  EXPECT_EQ(s_->state().last_seq, 2u);
}

TEST_F(FileStoreRecovery, BlocksRollAndEmptiedOnesGo) {
  open(150);  // about three 40-byte records per block
  for (int i = 1; i <= 30; ++i) s_->append("r", "", "0123456789", i);
  ASSERT_TRUE(s_->flush_blocking());
  auto files = blocks();
  ASSERT_GE(files.size(), 8u);
  for (auto& f : files) EXPECT_LE(fs::file_size(dir_ + "/msgs/" + f), 150u);
  // Empty the first block: its file goes once the writes before are done.
  StoredMsg m;
  uint64_t seq = 1;
  while (fs::exists(block_path(1))) {
    ASSERT_TRUE(s_->remove(seq++));
    ASSERT_TRUE(s_->flush_blocking());
  }
  EXPECT_LE(seq, 5u);
  check_restart();
  // Empty everything but the last message: only its block stays.
  for (uint64_t s = seq; s < 30; ++s) ASSERT_TRUE(s_->remove(s));
  check_restart();
  EXPECT_EQ(blocks().size(), 1u);
  EXPECT_EQ(s_->state().msgs, 1u);
  ASSERT_TRUE(s_->load(30, m));
  // Remove that one too: the newest block stays (it holds last_seq).
  ASSERT_TRUE(s_->remove(30));
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 31u);
  EXPECT_EQ(s_->append("r", "", "", 31), 31u);
}

TEST_F(FileStoreRecovery, WorkQueueKeepsFewBlocks) {
  open(4096);
  for (int i = 1; i <= 2000; ++i) {
    uint64_t seq = s_->append("wq", "", "job", i);
    ASSERT_TRUE(s_->flush_blocking());
    ASSERT_TRUE(s_->remove(seq));
    ASSERT_TRUE(s_->flush_blocking());
  }
  EXPECT_LE(blocks().size(), 2u);
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 2001u);
}

TEST_F(FileStoreRecovery, UnflushedChangesAreLostNothingElse) {
  open(200);
  for (int i = 1; i <= 8; ++i) s_->append("u", "", "kept", i);
  ASSERT_TRUE(s_->flush_blocking());
  auto kept = contents();
  StoreState st = s_->state();
  for (int i = 9; i <= 12; ++i) s_->append("u", "", "lost", i);
  s_->remove(2);
  s_->remove(7);
  s_->purge("", 0, 0);
  s_.reset();  // kill -9: nothing more is written
  reopen();
  expect_same(s_->state(), st);
  EXPECT_EQ(contents(), kept);
  EXPECT_EQ(s_->append("u", "", "next", 13), 9u);
  check_restart();
}

TEST_F(FileStoreRecovery, TakeWritesProtocol) {
  open();
  s_->append("p", "", "one", 1);
  s_->append("p", "", "two", 2);
  std::vector<WriteOp> ops;
  s_->take_writes(ops);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].offset, 0u);
  // In flight: nothing more is handed out; loads still work.
  s_->append("p", "", "three", 3);
  std::vector<WriteOp> more;
  s_->take_writes(more);
  EXPECT_TRUE(more.empty());
  StoredMsg m;
  ASSERT_TRUE(s_->load(1, m));
  ASSERT_TRUE(s_->load(3, m));
  EXPECT_EQ(m.data, "three");
  // A failed batch is handed out again, the same bytes at the same offset,
  // followed by what came after.
  std::string first(ops[0].data, ops[0].len);
  s_->writes_done(false);
  ops.clear();
  s_->take_writes(ops);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].offset, 0u);
  ASSERT_GT(ops[0].len, first.size());
  EXPECT_EQ(std::string(ops[0].data, first.size()), first);
  for (auto& op : ops) ASSERT_EQ(::pwrite(op.fd, op.data, op.len, static_cast<off_t>(op.offset)), static_cast<ssize_t>(op.len));
  s_->writes_done(true);
  ASSERT_TRUE(s_->load(2, m));
  EXPECT_EQ(m.data, "two");
  s_->sync();
  ops.clear();
  s_->take_writes(ops);
  EXPECT_TRUE(ops.empty());
  s_->writes_done(true);  // harmless with nothing in flight
  reopen();
  EXPECT_EQ(s_->state().msgs, 3u);
}

TEST_F(FileStoreRecovery, PurgeUnlinksOnlyAfterNewRecordIsWritten) {
  open(100);
  for (int i = 1; i <= 10; ++i) s_->append("q", "", "0123456789", i);
  ASSERT_TRUE(s_->flush_blocking());
  size_t before = blocks().size();
  ASSERT_GT(before, 1u);
  s_->purge("", 0, 0);
  std::vector<WriteOp> ops;
  s_->take_writes(ops);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(blocks().size(), before + 1);  // old ones still there
  for (auto& op : ops) ASSERT_EQ(::pwrite(op.fd, op.data, op.len, static_cast<off_t>(op.offset)), static_cast<ssize_t>(op.len));
  s_->writes_done(true);
  EXPECT_EQ(blocks().size(), 1u);
  reopen();
  EXPECT_EQ(s_->state().first_seq, 11u);
  EXPECT_EQ(s_->state().last_seq, 10u);
}

// The writes of a batch completed but the process died before
// writes_done: the block files the batch made redundant are all still
// there. Whatever the batch recorded must hold anyway.
class CrashBeforeUnlinks : public FileStoreRecovery {
 protected:
  void write_then_crash() {
    std::vector<WriteOp> ops;
    s_->take_writes(ops);
    for (auto& op : ops)
      ASSERT_EQ(::pwrite(op.fd, op.data, op.len, static_cast<off_t>(op.offset)), static_cast<ssize_t>(op.len));
    s_.reset();
  }
  void fill() {
    open(130);  // three 42-byte records a block
    for (int i = 1; i <= 12; ++i) s_->append("c", "", "0123456789", i);
    ASSERT_TRUE(s_->flush_blocking());
    s_->remove(6);  // its Delete is still pending when the purge comes
  }
};

TEST_F(CrashBeforeUnlinks, FullPurge) {
  fill();
  EXPECT_EQ(s_->purge("", 0, 0), 11u);
  write_then_crash();
  EXPECT_GT(blocks().size(), 4u);  // the old blocks outlived the crash
  reopen();
  EXPECT_EQ(s_->state().msgs, 0u);
  EXPECT_EQ(s_->state().first_seq, 13u);
}

TEST_F(CrashBeforeUnlinks, PurgeUpTo) {
  fill();
  EXPECT_EQ(s_->purge("", 5, 0), 4u);
  write_then_crash();
  reopen();
  EXPECT_EQ(s_->state().msgs, 7u);  // 5, 7..12
  EXPECT_EQ(s_->state().first_seq, 5u);
  StoredMsg m;
  EXPECT_FALSE(s_->load(6, m));
}

TEST_F(CrashBeforeUnlinks, PurgeKeepAcrossBlocks) {
  fill();
  EXPECT_EQ(s_->purge("", 0, 2), 9u);  // keeps 11, 12
  write_then_crash();
  EXPECT_GE(blocks().size(), 4u);  // the old blocks outlived the crash
  reopen();
  EXPECT_EQ(s_->state().msgs, 2u);
  EXPECT_EQ(s_->state().first_seq, 11u);
}

TEST_F(CrashBeforeUnlinks, FilteredPurgeAndRemoves) {
  fill();
  EXPECT_EQ(s_->purge("c", 8, 0), 6u);  // 1..5, 7
  s_->remove(9);
  write_then_crash();
  reopen();
  EXPECT_EQ(s_->state().msgs, 4u);  // 8, 10, 11, 12
  EXPECT_EQ(s_->state().first_seq, 8u);
}

TEST_F(CrashBeforeUnlinks, BoundaryBlockAfterPurgeBlockIsGone) {
  fill();
  EXPECT_EQ(s_->purge("", 5, 0), 4u);  // block 2 (4,5,6) keeps 5
  ASSERT_TRUE(s_->flush_blocking());
  // Roll far enough that the block holding the Purge record empties and goes.
  for (int i = 0; i < 9; ++i) s_->append("d", "", "0123456789", 100 + i);
  for (uint64_t seq = 7; seq <= 12; ++seq) ASSERT_TRUE(s_->remove(seq));
  ASSERT_TRUE(s_->flush_blocking());
  check_restart();
  EXPECT_EQ(s_->state().first_seq, 5u);
  StoredMsg m;
  EXPECT_FALSE(s_->load(4, m));
}

TEST_F(FileStoreRecovery, DestroyRemovesDirectory) {
  open();
  s_->append("d", "", "x", 1);
  ASSERT_TRUE(s_->flush_blocking());
  s_->destroy();
  EXPECT_FALSE(fs::exists(dir_));
}

TEST_F(FileStoreRecovery, RandomOpsWithRestarts) {
  open(256);
  std::mt19937_64 rng(7);
  const char* subjects[] = {"k.a", "k.b", "m", "n.x.y"};
  for (int step = 0; step < 2000; ++step) {
    int op = static_cast<int>(rng() % 100);
    uint64_t last = s_->state().last_seq;
    if (op < 60) {
      s_->append(subjects[rng() % 4], rng() % 2 ? "NATS/1.0\r\n\r\n" : "", std::string(rng() % 50, 'v'), step);
    } else if (op < 85) {
      s_->remove(last ? 1 + rng() % last : 1);
    } else if (op < 90) {
      s_->purge(rng() % 2 ? "k.*" : "", rng() % 2 ? rng() % (last + 2) : 0, rng() % 3 ? 0 : rng() % 4);
    } else if (op < 92) {
      s_->skip_to(last + rng() % 5);
    } else {
      check_restart();
      if (testing::Test::HasFailure()) FAIL() << "step " << step;
    }
  }
  check_restart();
}

}  // namespace
}  // namespace ringnats::js
