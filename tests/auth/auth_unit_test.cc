// Unit tests of auth/: nkey text formats, the nonce signature check with a
// key made here, bcrypt checks, and nats' permission matching rules.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "auth/auth_pool.h"
#include "auth/nkey_codec.h"
#include "auth/nkey_sig.h"
#include "auth/password.h"
#include "auth/permissions.h"
#include "test_key.h"

namespace ringnats::auth {
namespace {

using TestKey = authtest::UserKey;

TEST(Nkey, KnownPublicKeyDecodes) {
  EXPECT_TRUE(nkey::is_valid_public_user_key("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"));
  // One character changed: the checksum no longer holds.
  EXPECT_FALSE(nkey::is_valid_public_user_key("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5"));
  EXPECT_FALSE(nkey::is_valid_public_user_key("UABC"));
  EXPECT_FALSE(nkey::is_valid_public_user_key("NDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"));
  EXPECT_FALSE(nkey::is_valid_public_user_key("udxu4rcsjnzoiqhznwxhxordprtgnjahahfrgzneejcpqtt2m7nlcnf4"));
}

TEST(Nkey, RoundTripAndSeedFormat) {
  uint8_t raw[32];
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<uint8_t>(i * 7);
  std::string pub = nkey::encode_public(nkey::kPrefixUser, raw);
  ASSERT_EQ(pub.size(), 56u);
  EXPECT_EQ(pub[0], 'U');
  std::array<uint8_t, 32> back;
  ASSERT_TRUE(nkey::decode_public_user_key(pub, back));
  EXPECT_EQ(0, memcmp(back.data(), raw, 32));
  std::string seed = nkey::encode_seed(nkey::kPrefixUser, raw);
  EXPECT_EQ(seed.size(), 58u);
  EXPECT_EQ(seed.substr(0, 2), "SU");
}

TEST(NkeySig, SignedNonceVerifies) {
  TestKey k;
  std::string nonce = make_nonce();
  EXPECT_EQ(nonce.size(), 15u);
  std::string sig = k.sign(nonce);
  EXPECT_TRUE(verify_nonce_sig(k.pub, nonce, sig));
  EXPECT_FALSE(verify_nonce_sig(k.pub, nonce + "x", sig));
  TestKey other;
  EXPECT_FALSE(verify_nonce_sig(other.pub, nonce, sig));
  EXPECT_FALSE(verify_nonce_sig(k.pub, nonce, ""));
  EXPECT_FALSE(verify_nonce_sig(k.pub, nonce, "!!!"));
  EXPECT_FALSE(verify_nonce_sig(k.pub, nonce, sig.substr(0, 40)));
  // Standard base64 with padding is accepted too (nats' fallback).
  std::string raw;
  ASSERT_TRUE(base64_decode(sig, true, false, raw));
  std::string std64;
  {
    unsigned char out[200];
    int n = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
    std64.assign(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  }
  EXPECT_TRUE(verify_nonce_sig(k.pub, nonce, std64));
}

TEST(Password, BcryptAndPlain) {
  EXPECT_TRUE(is_bcrypt("$2a$11$abcdefghijklmnopqrstuu5D7LCaFV0B8QdBo2Db4FyHi2qN6hrZK"));
  EXPECT_TRUE(is_bcrypt("$2y$04$x"));
  EXPECT_FALSE(is_bcrypt("$2z$11$x"));
  EXPECT_FALSE(is_bcrypt("$2a$1$x"));
  EXPECT_FALSE(is_bcrypt("plain"));
  std::string h = bcrypt_hash("s3cret", 4);
  ASSERT_TRUE(is_bcrypt(h)) << h;
  EXPECT_TRUE(check_bcrypt(h, "s3cret"));
  EXPECT_FALSE(check_bcrypt(h, "s3cre"));
  EXPECT_FALSE(check_bcrypt(h, std::string("s3cret\0x", 8)));
  EXPECT_FALSE(check_bcrypt(h, std::string(100000, 'a')));
  std::string h2a = h;
  h2a[2] = 'a';
  EXPECT_TRUE(check_bcrypt(h2a, "s3cret"));
  EXPECT_TRUE(equal_ct("abc", "abc"));
  EXPECT_FALSE(equal_ct("abc", "abd"));
  EXPECT_FALSE(equal_ct("abc", "abcd"));
  EXPECT_FALSE(equal_ct("", "a"));
}

TEST(Permissions, MatchingRules) {
  EXPECT_TRUE(pattern_matches("foo.*", "foo.bar"));
  EXPECT_TRUE(pattern_matches("foo.*", "foo.*"));   // a SUB subject's tokens are taken literally
  EXPECT_TRUE(pattern_matches("foo.*", "foo.>"));   // as nats' sublist Match does
  EXPECT_FALSE(pattern_matches("foo.bar", "foo.*"));
  EXPECT_FALSE(pattern_matches("foo.>", "foo"));
  EXPECT_FALSE(pattern_matches("foo.*.bar", "foo..bar"));
  EXPECT_TRUE(subset_match("foo.bar", "foo.*"));
  EXPECT_TRUE(subset_match("foo.bar", ">"));
  EXPECT_FALSE(subset_match("foo.>", "foo.*"));
  EXPECT_TRUE(subset_match("foo.*", "foo.*"));
  EXPECT_FALSE(subset_match("foo.*", "foo.bar"));
}

TEST(Permissions, PublishCacheAndResponses) {
  Permissions p;
  p.publish.set = true;
  p.publish.allow = {"a.>"};
  p.publish.deny = {"a.no"};
  p.allow_responses = true;
  p.responses.max = 2;
  p.responses.expires_ns = 1000;
  ConnPerms cp(compile(p));
  EXPECT_TRUE(cp.can_publish("a.x", 0));
  EXPECT_TRUE(cp.can_publish("a.x", 0));  // cached
  EXPECT_FALSE(cp.can_publish("a.no", 0));
  EXPECT_FALSE(cp.can_publish("r.1", 0));
  cp.track_reply("r.1", 0);
  EXPECT_TRUE(cp.can_publish("r.1", 10));
  EXPECT_TRUE(cp.can_publish("r.1", 20));
  EXPECT_FALSE(cp.can_publish("r.1", 30));  // max 2
  cp.track_reply("r.2", 0);
  EXPECT_FALSE(cp.can_publish("r.2", 5000));  // expired
  // The cache stays bounded.
  for (int i = 0; i < 1000; ++i) cp.can_publish("a." + std::to_string(i), 0);
}

TEST(Permissions, SubscribeQueuesAndDenyFilter) {
  Permissions p;
  p.subscribe.set = true;
  p.subscribe.allow = {"foo.*", "q grp", "w *.g"};
  p.subscribe.deny = {"foo.secret", "q bad"};
  ConnPerms cp(compile(p));
  EXPECT_TRUE(cp.can_subscribe("foo.a", ""));
  EXPECT_FALSE(cp.can_subscribe("foo.secret", ""));
  EXPECT_FALSE(cp.can_subscribe("q", ""));
  EXPECT_TRUE(cp.can_subscribe("q", "grp"));
  EXPECT_FALSE(cp.can_subscribe("q", "other"));
  EXPECT_TRUE(cp.can_subscribe("w", "x.g"));
  EXPECT_FALSE(cp.can_subscribe("w", "x.h"));
  EXPECT_FALSE(cp.deny_delivery("foo.secret"));  // no wildcard SUB covers it yet
  EXPECT_TRUE(cp.can_subscribe("foo.*", ""));
  EXPECT_TRUE(cp.deny_delivery("foo.secret"));
  EXPECT_FALSE(cp.deny_delivery("foo.open"));
}

TEST(AuthPool, BoundedQueueAndStop) {
  std::string slow = bcrypt_hash("pw", 12);  // keeps the one worker busy a while
  ASSERT_FALSE(slow.empty());
  std::atomic<int> done{0}, ok{0};
  AuthPool pool(1, 2);
  auto job = [&](const std::string& pw) {
    return AuthPool::Job{slow, pw, [&](bool r) {
                           ok += r;
                           ++done;
                         },
                         nullptr};
  };
  ASSERT_TRUE(pool.submit(job("pw")));
  for (int i = 0; i < 500 && pool.queued() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_EQ(pool.queued(), 0u);  // the worker has the first one
  EXPECT_TRUE(pool.submit(job("pw")));
  EXPECT_TRUE(pool.submit(job("no")));
  EXPECT_FALSE(pool.submit(job("pw")));  // full: the caller fails the login
  pool.stop();  // finishes the running check, drops the queued ones
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(ok.load(), 1);
  EXPECT_FALSE(pool.submit(job("pw")));
}

TEST(AuthPool, CancelledJobsAreDroppedUnhashed) {
  std::string slow = bcrypt_hash("pw", 10);
  std::atomic<int> done{0};
  AuthPool pool(1, 8);
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.submit(AuthPool::Job{slow, "pw", [&](bool) { ++done; }, cancel}));
  cancel->store(true);
  // One more, not cancelled, queued behind them: it runs, they (but at
  // most the one already running) do not.
  std::atomic<bool> last{false};
  ASSERT_TRUE(pool.submit(AuthPool::Job{slow, "pw", [&](bool r) { last = r; ++done; }, nullptr}));
  for (int i = 0; i < 2000 && !last; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(last.load());
  EXPECT_LE(done.load(), 2);
}

}  // namespace
}  // namespace ringnats::auth
