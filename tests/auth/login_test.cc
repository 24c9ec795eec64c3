// Logging in through the real binary: plain and bcrypt passwords, nkeys
// (signed with libnats from a seed made here), tokens, no_auth_user, wrong
// credentials, the auth timeout, the INFO nonce, and hostile CONNECTs
// (malformed sig/nkey fields, huge passwords, closing mid-check, reload
// mid-check). Bytes in, bytes out.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <openssl/evp.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "auth/nkey_codec.h"
#include "auth/nkey_sig.h"
#include "auth/password.h"
#include "harness.h"
#include "test_key.h"

namespace {

using namespace itest;
namespace nk = ringnats::nkey;

using authtest::UserKey;

std::string json_field(const std::string& info, const std::string& key) {
  std::string k = "\"" + key + "\":\"";
  size_t p = info.find(k);
  if (p == std::string::npos) return {};
  p += k.size();
  return info.substr(p, info.find('"', p) - p);
}

// Connects, reads INFO into *info, sends `connect` + PING; returns what came
// back up to PONG, or up to the close.
std::string exchange(int port, const std::string& connect, std::string* info = nullptr) {
  RawConn c;
  if (!c.connect(port)) return "connect failed";
  std::string line;
  if (!c.read_line(line)) return "no INFO";
  if (info) *info = line;
  c.send(connect + "PING\r\n");
  std::string out;
  if (c.read_until("PONG\r\n", out)) return out;
  c.expect_closed();
  return c.buffer() + (c.closed() ? "<closed>" : "<timeout>");
}

const char* kViolation = "-ERR 'Authorization Violation'\r\n<closed>";

class Login : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = new UserKey();
    hash_ = ringnats::auth::bcrypt_hash("bpw", 11);
    hash_[2] = 'a';
  }
  static void TearDownTestSuite() { delete key_; }
  void start(const std::string& conf) {
    cfg_ = std::make_unique<TempConfig>(conf);
    std::string err;
    ASSERT_TRUE(srv_.start(ringnats_bin(), 2, {"-c", cfg_->path()}, &err)) << err;
  }
  std::string users_conf(const std::string& extra = "") {
    return extra + "authorization {\n  users: [\n    {user: plain, password: ppw}\n    {user: bc, password: \"" +
           hash_ + "\"}\n    {nkey: " + key_->pub + "}\n  ]\n}\n";
  }
  static UserKey* key_;
  static std::string hash_;
  std::unique_ptr<TempConfig> cfg_;
  ServerProcess srv_;
};
UserKey* Login::key_ = nullptr;
std::string Login::hash_;

TEST_F(Login, PlainBcryptAndWrongPasswords) {
  start(users_conf());
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"plain\",\"pass\":\"ppw\",\"verbose\":true}\r\n"), "+OK\r\nPONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"plain\",\"pass\":\"nope\"}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"bpw\",\"verbose\":true}\r\n"), "+OK\r\nPONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"bpx\"}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"nobody\",\"pass\":\"ppw\"}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "SUB foo 1\r\n"), kViolation);
  // A huge password, and one with a NUL, against the bcrypt user.
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"" + std::string(3000, 'x') + "\"}\r\n"),
            kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"bpw\\u0000x\"}\r\n"), kViolation);
}

TEST_F(Login, BcryptWithLibnatsAndCommandsAfterConnectWait) {
  start(users_conf());
  // CONNECT, SUB, PUB and PING in one write: the parser waits for the check,
  // then runs the rest in order.
  RawConn c;
  ASSERT_TRUE(c.connect(srv_.port()));
  std::string line, out;
  ASSERT_TRUE(c.read_line(line));
  ASSERT_TRUE(c.send("CONNECT {\"user\":\"bc\",\"pass\":\"bpw\",\"verbose\":false}\r\nSUB a 1\r\nPUB a 2\r\nhi\r\nPING\r\n"));
  ASSERT_TRUE(c.read_until("PONG\r\n", out));
  EXPECT_EQ(out, "MSG a 1 2\r\nhi\r\nPONG\r\n");

  natsOptions* opts = nullptr;
  ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
  std::string url = "nats://127.0.0.1:" + std::to_string(srv_.port());
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetUserInfo(opts, "bc", "bpw");
  natsConnection* nc = nullptr;
  EXPECT_EQ(natsConnection_Connect(&nc, opts), NATS_OK);
  natsConnection_Destroy(nc);
  nc = nullptr;
  natsOptions_SetUserInfo(opts, "bc", "wrong");
  natsOptions_SetMaxReconnect(opts, 0);
  EXPECT_NE(natsConnection_Connect(&nc, opts), NATS_OK);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
}

TEST_F(Login, NkeyWithLibnatsAndNonce) {
  start(users_conf());
  std::string info;
  exchange(srv_.port(), "", &info);
  std::string nonce = json_field(info, "nonce");
  EXPECT_EQ(nonce.size(), 15u) << info;

  std::string seedfile = "/tmp/ringnats-login-" + std::to_string(getpid()) + ".nk";
  { std::ofstream(seedfile) << key_->seed << "\n"; }
  natsOptions* opts = nullptr;
  ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
  std::string url = "nats://127.0.0.1:" + std::to_string(srv_.port());
  natsOptions_SetURL(opts, url.c_str());
  ASSERT_EQ(natsOptions_SetNKeyFromSeed(opts, key_->pub.c_str(), seedfile.c_str()), NATS_OK);
  // libnats 3.4.1 (Debian 12) sends no "sig" when the signature's first byte
  // is 0 (its base64 encoder takes that for an empty input), so one nonce in
  // 256 fails against any server; a new connection gets a new nonce.
  natsConnection* nc = nullptr;
  natsStatus st = NATS_ERR;
  for (int attempt = 0; attempt < 4 && st != NATS_OK; ++attempt) st = natsConnection_Connect(&nc, opts);
  ASSERT_EQ(st, NATS_OK) << nats_GetLastError(&st);
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "nk"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "nk", "signed"), NATS_OK);
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, sub, 5000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m)), "signed");
  natsMsg_Destroy(m);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  unlink(seedfile.c_str());

  // Raw: the right key with a signature of another nonce, a bad signature,
  // an unknown key, malformed fields.
  RawConn c;
  ASSERT_TRUE(c.connect(srv_.port()));
  std::string line;
  ASSERT_TRUE(c.read_line(line));
  std::string n2 = json_field(line, "nonce");
  std::string out;
  ASSERT_TRUE(c.send("CONNECT {\"nkey\":\"" + key_->pub + "\",\"sig\":\"" + key_->sign(n2) + "\",\"verbose\":false}\r\n"));
  ASSERT_TRUE(c.ping_pong(out));
  EXPECT_EQ(out, "PONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":\"" + key_->pub + "\",\"sig\":\"" + key_->sign(n2) + "\"}\r\n"),
            kViolation);  // n2 was another connection's nonce
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":\"" + key_->pub + "\",\"sig\":\"!!\"}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":\"" + key_->pub + "\"}\r\n"), kViolation);
  UserKey other;
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":\"" + other.pub + "\",\"sig\":\"" + other.sign(n2) + "\"}\r\n"),
            kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":\"UABC\",\"sig\":\"\"}\r\n"), kViolation);
  // Wrong JSON types: closed without -ERR, as nats.
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"nkey\":5}\r\n"), "<closed>");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"sig\":[1]}\r\n"), "<closed>");
}

TEST_F(Login, TokenAndSingleUserStillWork) {
  start("authorization { token: \"" + hash_ + "\" }\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"auth_token\":\"bpw\",\"verbose\":false}\r\n"), "PONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"auth_token\":\"x\"}\r\n"), kViolation);
  srv_.stop();
  start("authorization { user: u, password: p }\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"u\",\"pass\":\"p\",\"verbose\":false}\r\n"), "PONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"u\",\"pass\":\"q\"}\r\n"), kViolation);
}

TEST_F(Login, NoAuthUser) {
  start(users_conf("no_auth_user: plain\n"));
  std::string info;
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"verbose\":false}\r\n", &info), "PONG\r\n");
  EXPECT_EQ(info.find("auth_required"), std::string::npos) << info;
  // Telnet style: no CONNECT at all.
  EXPECT_EQ(exchange(srv_.port(), "SUB x 1\r\nPUB x 1\r\nz\r\n"), "+OK\r\n+OK\r\nMSG x 1 1\r\nz\r\nPONG\r\n");
  // Credentials given are checked, not replaced.
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"plain\",\"pass\":\"bad\"}\r\n"), kViolation);
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"bpw\",\"verbose\":false}\r\n"), "PONG\r\n");
}

TEST_F(Login, AuthTimeout) {
  start("authorization {\n  timeout: 0.5\n  users: [ {user: a, password: b} ]\n}\n");
  RawConn c;
  ASSERT_TRUE(c.connect(srv_.port()));
  std::string line;
  ASSERT_TRUE(c.read_line(line));
  std::string out;
  EXPECT_TRUE(c.read_until("\r\n", out, 5000));
  EXPECT_EQ(out, "-ERR 'Authentication Timeout'\r\n");
  EXPECT_TRUE(c.expect_closed());
}

TEST_F(Login, CloseAndReloadWhileChecking) {
  start(users_conf());
  // Closing right after a bcrypt CONNECT: the result finds nobody.
  for (int i = 0; i < 5; ++i) {
    RawConn c;
    ASSERT_TRUE(c.connect(srv_.port()));
    std::string line;
    ASSERT_TRUE(c.read_line(line));
    ASSERT_TRUE(c.send("CONNECT {\"user\":\"bc\",\"pass\":\"bpw\"}\r\nPING\r\n"));
  }
  // A reload that changes the bcrypt user's hash while checks run: those
  // still in flight fail (they were checked against the old hash); a later
  // login with the new password works.
  RawConn a;
  ASSERT_TRUE(a.connect(srv_.port()));
  std::string line, out;
  ASSERT_TRUE(a.read_line(line));
  ASSERT_TRUE(a.send("CONNECT {\"user\":\"bc\",\"pass\":\"bpw\",\"verbose\":false}\r\nPING\r\n"));
  std::string newhash = ringnats::auth::bcrypt_hash("newpw", 4);
  {
    std::ofstream f(cfg_->path());
    f << "authorization {\n  users: [\n    {user: plain, password: ppw2}\n    {user: bc, password: \"" << newhash
      << "\"}\n  ]\n}\n";
  }
  kill(srv_.pid(), SIGHUP);
  // Either the check finished before the reload (then the recheck keeps it
  // only if the hash is unchanged: it is not, so it is closed) or after
  // (then it fails): either way this connection ends with the violation.
  EXPECT_TRUE(a.read_until("-ERR 'Authorization Violation'\r\n", out, 10000)) << escape(out + a.buffer());
  EXPECT_TRUE(a.expect_closed());
  // Give the reload time to land before the next logins.
  for (int i = 0; i < 100; ++i) {
    if (exchange(srv_.port(), "CONNECT {\"user\":\"plain\",\"pass\":\"ppw2\",\"verbose\":false}\r\n") == "PONG\r\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"bc\",\"pass\":\"newpw\",\"verbose\":false}\r\n"), "PONG\r\n");
  EXPECT_EQ(exchange(srv_.port(), "CONNECT {\"user\":\"plain\",\"pass\":\"ppw\"}\r\n"), kViolation);
}

TEST_F(Login, ReloadAppliesNewPermissionsAndRemovesUsers) {
  start("authorization {\n  users: [\n    {user: u, password: p, permissions: {publish: \"a\", subscribe: \"s.*\"}}\n"
        "    {user: gone, password: g}\n  ]\n}\n");
  RawConn u, g;
  std::string line, out;
  ASSERT_TRUE(u.connect(srv_.port()));
  ASSERT_TRUE(u.read_line(line));
  ASSERT_TRUE(u.send("CONNECT {\"user\":\"u\",\"pass\":\"p\",\"verbose\":false}\r\nSUB s.a 7\r\nSUB s.b 8\r\n"
                     "PUB a 0\r\n\r\nPUB b 0\r\n\r\n"));
  ASSERT_TRUE(u.ping_pong(out));
  EXPECT_EQ(out, "-ERR 'Permissions Violation for Publish to \"b\"'\r\nPONG\r\n");
  ASSERT_TRUE(g.connect(srv_.port()));
  ASSERT_TRUE(g.read_line(line));
  ASSERT_TRUE(g.send("CONNECT {\"user\":\"gone\",\"pass\":\"g\",\"verbose\":false}\r\n"));
  ASSERT_TRUE(g.ping_pong(out));
  {
    std::ofstream f(cfg_->path());
    f << "authorization {\n  users: [\n    {user: u, password: p, permissions: {publish: \"b\", subscribe: \"s.b\"}}\n"
      << "  ]\n}\n";
  }
  kill(srv_.pid(), SIGHUP);
  EXPECT_TRUE(g.read_until("-ERR 'Authorization Violation'\r\n", out, 5000)) << escape(out + g.buffer());
  EXPECT_TRUE(g.expect_closed());
  ASSERT_TRUE(u.send("PUB a 0\r\n\r\nPUB b 0\r\n\r\n"));
  ASSERT_TRUE(u.ping_pong(out));
  // The subscription the new permissions no longer allow is gone (nats'
  // words); the other one stays.
  EXPECT_EQ(out, "-ERR 'Permissions Violation for Subscription to \"s.a\" (sid \"7\")'\r\n"
                 "-ERR 'Permissions Violation for Publish to \"a\"'\r\nPONG\r\n");
  ASSERT_TRUE(u.send("PUB s.a 1\r\n1\r\n"));
  ASSERT_TRUE(u.ping_pong(out));
  EXPECT_EQ(out, "-ERR 'Permissions Violation for Publish to \"s.a\"'\r\nPONG\r\n");
  ASSERT_TRUE(u.send("PUB b 0\r\n\r\n"));
  ASSERT_TRUE(u.ping_pong(out));
  EXPECT_EQ(out, "PONG\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  nats_Close();
  return rc;
}
