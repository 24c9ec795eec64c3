// Consumer state files: round trips, replacement by rename, and refusal of
// missing, cut or corrupted files (at every byte).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "jetstream/consumer_store.h"

namespace ringnats::js {
namespace {

namespace fs = std::filesystem;

class ConsumerStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/js_consumer_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/o.dat";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static ConsumerState sample() {
    ConsumerState s;
    s.delivered_consumer_seq = 42;
    s.delivered_stream_seq = 1000;
    s.ack_floor_consumer_seq = 30;
    s.ack_floor_stream_seq = 900;
    s.pending[950] = {35, 1700000000123456789};
    s.pending[999] = {41, -5};
    s.redelivered[950] = 3;
    s.redelivered[960] = 1;
    return s;
  }
  std::string dir_, path_;
};

TEST_F(ConsumerStoreTest, RoundTrip) {
  std::string err;
  ConsumerState in = sample(), out;
  ASSERT_TRUE(save_consumer_state(path_, in, err)) << err;
  ASSERT_TRUE(load_consumer_state(path_, out, err)) << err;
  EXPECT_EQ(out, in);
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
}

TEST_F(ConsumerStoreTest, EmptyAndLargeStates) {
  std::string err;
  ConsumerState empty, out = sample();
  ASSERT_TRUE(save_consumer_state(path_, empty, err, false)) << err;
  ASSERT_TRUE(load_consumer_state(path_, out, err)) << err;
  EXPECT_EQ(out, empty);
  ConsumerState big;
  for (uint64_t i = 1; i <= 20000; ++i) {
    big.pending[i * 3] = {i, static_cast<int64_t>(i * 1000)};
    if (i % 7 == 0) big.redelivered[i * 3] = i % 5 + 1;
  }
  ASSERT_TRUE(save_consumer_state(path_, big, err)) << err;
  ASSERT_TRUE(load_consumer_state(path_, out, err)) << err;
  EXPECT_EQ(out, big);
}

TEST_F(ConsumerStoreTest, SaveReplacesOld) {
  std::string err;
  ConsumerState a = sample(), b, out;
  b.delivered_consumer_seq = 7;
  ASSERT_TRUE(save_consumer_state(path_, a, err));
  ASSERT_TRUE(save_consumer_state(path_, b, err));
  ASSERT_TRUE(load_consumer_state(path_, out, err));
  EXPECT_EQ(out, b);
}

TEST_F(ConsumerStoreTest, MissingFile) {
  std::string err;
  ConsumerState out;
  EXPECT_FALSE(load_consumer_state(path_, out, err));
  EXPECT_FALSE(err.empty());
}

TEST_F(ConsumerStoreTest, SaveToMissingDirectoryFails) {
  std::string err;
  EXPECT_FALSE(save_consumer_state(dir_ + "/nope/o.dat", sample(), err));
  EXPECT_FALSE(err.empty());
}

TEST_F(ConsumerStoreTest, CutOrCorruptedAtEveryByteIsRefused) {
  std::string bytes = encode_consumer_state(sample());
  ConsumerState out, untouched;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_consumer_state(bytes.substr(0, n), out)) << "cut at " << n;
    std::string bad = bytes;
    bad[n] ^= 0x20;
    EXPECT_FALSE(decode_consumer_state(bad, out)) << "flip at " << n;
  }
  EXPECT_EQ(out, untouched);  // a refused decode leaves the state alone
  std::ofstream(path_, std::ios::binary) << bytes.substr(0, bytes.size() - 1);
  std::string err;
  EXPECT_FALSE(load_consumer_state(path_, out, err));
}

}  // namespace
}  // namespace ringnats::js
