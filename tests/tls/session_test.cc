// tls::Session on its own: a server and a client session joined in memory
// (no sockets), fed ciphertext in pieces of every size down to single bytes,
// and garbage. Checks the handshake, both directions of data, the peer's
// names for verify_and_map, and that broken input fails instead of hanging.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/integration/harness.h"
#include "tests/tls/session_certs.h"
#include "tls/context.h"
#include "tls/session.h"

namespace {

using ringnats::TlsOptions;
using ringnats::tls::Context;
using ringnats::tls::Role;
using ringnats::tls::Session;

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tlstest::certs().ok());
    TlsOptions so = tlstest::server_options();
    so.verify = true;
    TlsOptions co = so;
    co.cert_file = tlstest::certs().client_cert();
    co.key_file = tlstest::certs().client_key();
    std::string err;
    sctx_ = Context::build(so, Role::Server, err);
    ASSERT_TRUE(sctx_) << err;
    cctx_ = Context::build(co, Role::Client, err);
    ASSERT_TRUE(cctx_) << err;
    server_ = Session::create(*sctx_, "", err);
    client_ = Session::create(*cctx_, "127.0.0.1", err);
    ASSERT_TRUE(server_ && client_) << err;
  }
  // Moves what `from` produced into `to`, in pieces of at most `piece`.
  static size_t move(Session& from, Session& to, size_t piece) {
    from.collect();
    size_t n = from.cipher_len();
    for (size_t off = 0; off < n; off += piece) to.put_cipher(from.cipher() + off, std::min(piece, n - off));
    from.cipher_sent(n);
    return n;
  }
  void handshake(size_t piece) {
    for (int round = 0; round < 20 && !(server_->established() && client_->established()); ++round) {
      ASSERT_NE(client_->handshake(), Session::Hs::Failed) << client_->error();
      move(*client_, *server_, piece);
      ASSERT_NE(server_->handshake(), Session::Hs::Failed) << server_->error();
      move(*server_, *client_, piece);
    }
    ASSERT_TRUE(server_->established() && client_->established());
  }
  // Sends `data` from `a` to `b` through encrypt/decrypt in random pieces.
  static std::string transfer(Session& a, Session& b, const std::string& data, std::mt19937& rng) {
    std::string got;
    size_t off = 0;
    while (off < data.size() || a.cipher_pending()) {
      if (off < data.size()) {
        size_t n = std::min<size_t>(data.size() - off, 1 + rng() % 70000);
        iovec iov{const_cast<char*>(data.data() + off), n};
        off += a.encrypt(&iov, 1, n);
      }
      a.collect();
      size_t n = a.cipher_len();
      size_t at = 0;
      while (at < n) {
        size_t piece = std::min<size_t>(n - at, 1 + rng() % 5000);
        b.put_cipher(a.cipher() + at, piece);
        at += piece;
        while (b.decrypt() > 0) {
          got.append(b.plain());
          b.consumed(b.plain().size());
        }
      }
      a.cipher_sent(n);
    }
    return got;
  }
  std::unique_ptr<Context> sctx_, cctx_;
  std::unique_ptr<Session> server_, client_;
};

TEST_F(SessionTest, HandshakeByteByByteAndDataBothWays) {
  handshake(1);
  std::mt19937 rng(7);
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(rng());
  EXPECT_TRUE(transfer(*client_, *server_, big, rng) == big);
  EXPECT_TRUE(transfer(*server_, *client_, big, rng) == big);
  EXPECT_NE(server_->describe().find("TLS version 1.3"), std::string::npos) << server_->describe();
}

TEST_F(SessionTest, PeerNamesForVerifyAndMap) {
  handshake(1 << 20);
  ringnats::auth::CertIdentity n;
  ASSERT_TRUE(server_->peer_names(n));
  EXPECT_EQ(ringnats::auth::go_subject_string(n.subject), "CN=client");
  ASSERT_EQ(n.subject.size(), 1u);
  EXPECT_EQ(n.subject[0][0].oid, "2.5.4.3");
  EXPECT_EQ(n.dns, std::vector<std::string>{"localhost"});
  EXPECT_TRUE(n.emails.empty());
  ASSERT_TRUE(client_->peer_names(n));
  EXPECT_EQ(ringnats::auth::go_subject_string(n.subject), "CN=server");
}

TEST_F(SessionTest, GarbageFailsTheHandshake) {
  std::string junk(300, '\x16');
  server_->put_cipher(junk.data(), junk.size());
  EXPECT_EQ(server_->handshake(), Session::Hs::Failed);
  EXPECT_FALSE(server_->error().empty());
}

TEST_F(SessionTest, CorruptRecordEndsTheStream) {
  handshake(4096);
  std::string msg = "PUB x 5\r\nhello\r\n";
  iovec iov{msg.data(), msg.size()};
  ASSERT_EQ(client_->encrypt(&iov, 1, msg.size()), msg.size());
  client_->collect();
  std::string rec(client_->cipher(), client_->cipher_len());
  rec[rec.size() - 3] ^= 0x5a;  // break the AEAD tag
  server_->put_cipher(rec.data(), rec.size());
  EXPECT_EQ(server_->decrypt(), -1);
}

TEST_F(SessionTest, WrongHostIsRejectedByTheDialer) {
  std::string err;
  auto c = Session::create(*cctx_, "example.com", err);
  ASSERT_TRUE(c);
  client_ = std::move(c);
  bool failed = false;
  for (int round = 0; round < 20 && !failed; ++round) {
    if (client_->handshake() == Session::Hs::Failed) failed = true;
    move(*client_, *server_, 1 << 20);
    server_->handshake();
    move(*server_, *client_, 1 << 20);
  }
  EXPECT_TRUE(failed);
  EXPECT_NE(client_->error().find("x509"), std::string::npos) << client_->error();
}

}  // namespace
