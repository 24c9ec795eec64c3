// The kernel TLS hand-off without a kernel: the crypto state a Session would
// give setsockopt(SOL_TLS) is used here to seal and open TLS 1.3 records the
// way the kernel would, against a plain OpenSSL peer. If the peer accepts
// what we seal and we open what it sends, the kernel gets the right keys,
// IVs and sequence numbers, for every suite the kernel takes.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/tls/session_certs.h"
#include "tls/context.h"
#include "tls/ktls.h"
#include "tls/session.h"

namespace {

using ringnats::TlsOptions;
using ringnats::tls::Context;
using ringnats::tls::KernelCrypto;
using ringnats::tls::Role;
using ringnats::tls::Session;

// One TLS 1.3 record sealed or opened as the kernel does (RFC 8446 5.2).
std::string seal(const KernelCrypto& k, uint64_t seq, const std::string& plain) {
  std::string inner = plain + '\x17';
  unsigned char nonce[12];
  std::memcpy(nonce, k.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
  size_t len = inner.size() + 16;
  unsigned char hdr[5] = {0x17, 0x03, 0x03, static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len)};
  const EVP_CIPHER* c = k.suite == 0x1301 ? EVP_aes_128_gcm() : k.suite == 0x1302 ? EVP_aes_256_gcm()
                                                                                 : EVP_chacha20_poly1305();
  EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
  std::string out(reinterpret_cast<char*>(hdr), 5);
  out.resize(5 + len);
  int n = 0, m = 0;
  EVP_EncryptInit_ex(x, c, nullptr, k.key, nonce);
  EVP_EncryptUpdate(x, nullptr, &n, hdr, 5);
  EVP_EncryptUpdate(x, reinterpret_cast<unsigned char*>(&out[5]), &n,
                    reinterpret_cast<const unsigned char*>(inner.data()), static_cast<int>(inner.size()));
  EVP_EncryptFinal_ex(x, reinterpret_cast<unsigned char*>(&out[5 + n]), &m);
  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, &out[5 + inner.size()]);
  EVP_CIPHER_CTX_free(x);
  return out;
}

// Opens one record; false when the tag does not verify.
bool open_record(const KernelCrypto& k, uint64_t seq, const std::string& rec, std::string& plain) {
  if (rec.size() < 5 + 17) return false;
  unsigned char nonce[12];
  std::memcpy(nonce, k.iv, 12);
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
  const EVP_CIPHER* c = k.suite == 0x1301 ? EVP_aes_128_gcm() : k.suite == 0x1302 ? EVP_aes_256_gcm()
                                                                                 : EVP_chacha20_poly1305();
  size_t body = rec.size() - 5 - 16;
  std::string inner(body, '\0');
  EVP_CIPHER_CTX* x = EVP_CIPHER_CTX_new();
  int n = 0, m = 0;
  EVP_DecryptInit_ex(x, c, nullptr, k.key, nonce);
  EVP_DecryptUpdate(x, nullptr, &n, reinterpret_cast<const unsigned char*>(rec.data()), 5);
  EVP_DecryptUpdate(x, reinterpret_cast<unsigned char*>(inner.data()), &n,
                    reinterpret_cast<const unsigned char*>(rec.data() + 5), static_cast<int>(body));
  EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<char*>(rec.data() + 5 + body));
  bool ok = EVP_DecryptFinal_ex(x, reinterpret_cast<unsigned char*>(&inner[n]), &m) == 1;
  EVP_CIPHER_CTX_free(x);
  if (!ok || inner.empty() || inner.back() != '\x17') return false;
  inner.pop_back();
  plain = inner;
  return true;
}

// Our server Session against a raw OpenSSL client offering one suite.
class KernelTlsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tlstest::certs().ok());
    TlsOptions so = tlstest::server_options();
    std::string err;
    sctx_ = Context::build(so, Role::Server, err);
    ASSERT_TRUE(sctx_) << err;
    pctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(pctx_, TLS1_3_VERSION);
    ASSERT_EQ(SSL_CTX_set_ciphersuites(pctx_, GetParam()), 1);
    connect_pair();
  }
  // A fresh server Session and peer, handshake done.
  void connect_pair() {
    std::string err;
    if (peer_) SSL_free(peer_);
    server_ = Session::create(*sctx_, "", err);
    ASSERT_TRUE(server_) << err;
    peer_ = SSL_new(pctx_);
    pin_ = BIO_new(BIO_s_mem());
    pout_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(pin_, -1);
    SSL_set_bio(peer_, pin_, pout_);
    SSL_set_connect_state(peer_);
    for (int round = 0; round < 10 && !(server_->established() && SSL_is_init_finished(peer_)); ++round) {
      SSL_do_handshake(peer_);
      to_server();
      ASSERT_NE(server_->handshake(), Session::Hs::Failed) << server_->error();
      to_peer();
    }
    ASSERT_TRUE(server_->established() && SSL_is_init_finished(peer_));
  }
  void TearDown() override {
    if (peer_) SSL_free(peer_);
    if (pctx_) SSL_CTX_free(pctx_);
  }
  std::string peer_output() {
    std::string out;
    char buf[16384];
    int n;
    while ((n = BIO_read(pout_, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }
  void to_server() {
    std::string b = peer_output();
    if (!b.empty()) server_->put_cipher(b.data(), b.size());
  }
  void to_peer() {
    server_->collect();
    if (size_t n = server_->cipher_len()) {
      BIO_write(pin_, server_->cipher(), static_cast<int>(n));
      server_->cipher_sent(n);
    }
  }
  // One application record from the peer, as ciphertext.
  std::string peer_record(const std::string& data) {
    EXPECT_EQ(SSL_write(peer_, data.data(), static_cast<int>(data.size())), static_cast<int>(data.size()));
    return peer_output();
  }
  std::string server_reads() {
    std::string got;
    long r;
    while ((r = server_->decrypt()) > 0) {
      got.append(server_->plain());
      server_->consumed(server_->plain().size());
    }
    if (r < 0) ADD_FAILURE() << "decrypt: " << server_->error();
    return got;
  }
  std::string peer_reads() {
    std::string got;
    char buf[4096];
    int n;
    while ((n = SSL_read(peer_, buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
    ERR_clear_error();
    return got;
  }

  std::unique_ptr<Context> sctx_;
  std::unique_ptr<Session> server_;
  SSL_CTX* pctx_ = nullptr;
  SSL* peer_ = nullptr;
  BIO *pin_ = nullptr, *pout_ = nullptr;
};

TEST_P(KernelTlsTest, SendingStateSealsRecordsThePeerOpens) {
  KernelCrypto tx;
  ASSERT_TRUE(server_->kernel_crypto(true, tx));
  EXPECT_EQ(tx.seq, 0u);
  EXPECT_GT(tx.sockopt_len, 0u);
  std::string recs = seal(tx, 0, "INFO {}\r\n");
  recs += seal(tx, 1, "PONG\r\n");
  recs += seal(tx, 2, std::string(16000, 'x'));
  BIO_write(pin_, recs.data(), static_cast<int>(recs.size()));
  EXPECT_EQ(peer_reads(), "INFO {}\r\nPONG\r\n" + std::string(16000, 'x'));
  // A wrong sequence number is refused: the peer counts with us.
  std::string bad = seal(tx, 7, "PING\r\n");
  BIO_write(pin_, bad.data(), static_cast<int>(bad.size()));
  EXPECT_EQ(peer_reads(), "");
}

TEST_P(KernelTlsTest, ReceivingStateCountsWhatUserSpaceAlreadyRead) {
  // Three records decrypted in user space (CONNECT and two PINGs), then the
  // kernel would take over: it must expect the fourth.
  std::string first = peer_record("CONNECT {}\r\n");  // in order: one statement each
  first += peer_record("PING\r\n");
  first += peer_record("PING\r\n");
  server_->put_cipher(first.data(), first.size());
  EXPECT_EQ(server_reads(), "CONNECT {}\r\nPING\r\nPING\r\n");
  KernelCrypto rx;
  ASSERT_TRUE(server_->kernel_crypto(false, rx));
  EXPECT_EQ(rx.seq, 3u);
  std::string plain;
  ASSERT_TRUE(open_record(rx, rx.seq, peer_record("PUB a 2\r\nhi\r\n"), plain));
  EXPECT_EQ(plain, "PUB a 2\r\nhi\r\n");
}

TEST_P(KernelTlsTest, KeyUpdateKeepsTheSessionInUserSpace) {
  ASSERT_EQ(SSL_key_update(peer_, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  std::string rec = peer_record("PING\r\n");
  server_->put_cipher(rec.data(), rec.size());
  EXPECT_EQ(server_reads(), "PING\r\n");
  KernelCrypto rx;
  EXPECT_FALSE(server_->kernel_crypto(false, rx));
}

TEST_P(KernelTlsTest, NoHandOffMidRecordOrBeforeTheFirstRecord) {
  // Nothing received yet: the receiving side waits for the peer's first
  // application record (a Go server's session tickets come before it).
  EXPECT_FALSE(server_->try_kernel_rx(-1));
  std::string rec = peer_record("CONNECT {}\r\n");
  rec += peer_record("PING\r\n");
  server_->put_cipher(rec.data(), rec.size() - 3);  // the second record cut short
  EXPECT_EQ(server_reads(), "CONNECT {}\r\n");
  EXPECT_FALSE(server_->try_kernel_rx(-1));  // mid-record: still undecided
  server_->put_cipher(rec.data() + rec.size() - 3, 3);
  EXPECT_EQ(server_reads(), "PING\r\n");
  KernelCrypto rx;
  ASSERT_TRUE(server_->kernel_crypto(false, rx));
  EXPECT_EQ(rx.seq, 2u);
  // At the boundary it tries; with no socket the kernel refuses and the
  // session stays in user space for good.
  EXPECT_FALSE(server_->try_kernel_rx(-1));
  EXPECT_FALSE(server_->kernel_rx());
  std::string more = peer_record("PING\r\n");
  server_->put_cipher(more.data(), more.size());
  EXPECT_EQ(server_reads(), "PING\r\n");
}

// From the kTLS review: a receive that ends right after a record header
// leaves OpenSSL holding those 5 bytes (and the record counted) with
// nothing pending that SSL_has_pending sees; handing over there would start
// the kernel mid-record. Every cut of a three-record stream is tried.
TEST_P(KernelTlsTest, EveryCutOfTheStreamHandsOverOnlyAtABoundary) {
  std::string probe = peer_record("CONNECT {}\r\n");
  probe += peer_record("PING\r\n");
  probe += peer_record("PUB a 1\r\nx\r\n");
  const size_t total = probe.size();
  std::vector<size_t> boundaries;  // where a record ends
  for (size_t at = 0; at < total;) {
    at += 5 + ((static_cast<unsigned char>(probe[at + 3]) << 8) | static_cast<unsigned char>(probe[at + 4]));
    boundaries.push_back(at);
  }
  for (size_t cut = 1; cut <= total; ++cut) {
    connect_pair();
    std::string stream = peer_record("CONNECT {}\r\n");
    stream += peer_record("PING\r\n");
    stream += peer_record("PUB a 1\r\nx\r\n");
    ASSERT_EQ(stream.size(), total);
    server_->put_cipher(stream.data(), cut);
    std::string got = server_reads();
    server_->try_kernel_rx(-1);  // no socket: if it decides, the kernel refuses
    bool at_boundary = std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();
    EXPECT_EQ(server_->kernel_rx_undecided(), !at_boundary) << "cut at " << cut << " of " << total;
    server_->put_cipher(stream.data() + cut, total - cut);
    EXPECT_EQ(got + server_reads(), "CONNECT {}\r\nPING\r\nPUB a 1\r\nx\r\n") << "cut at " << cut;
  }
}

// TLS 1.2 stays in user space, and says so at once (the record callback
// then stops instead of running for the connection's whole life).
TEST_P(KernelTlsTest, Tls12SettlesInUserSpace) {
  SSL_CTX_free(pctx_);
  pctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_max_proto_version(pctx_, TLS1_2_VERSION);
  connect_pair();
  std::string rec = peer_record("CONNECT {}\r\n");
  server_->put_cipher(rec.data(), rec.size());
  EXPECT_EQ(server_reads(), "CONNECT {}\r\n");
  EXPECT_FALSE(server_->try_kernel_rx(-1));
  EXPECT_FALSE(server_->kernel_rx_undecided());
  KernelCrypto k;
  EXPECT_FALSE(server_->kernel_crypto(true, k));
}

TEST(KernelTlsDerive, UnknownSuitesAreNotHandedOver) {
  uint8_t secret[32] = {1};
  KernelCrypto k;
  EXPECT_FALSE(ringnats::tls::derive_kernel_crypto(0x1304, secret, sizeof(secret), 0, k));
  EXPECT_TRUE(ringnats::tls::derive_kernel_crypto(0x1301, secret, sizeof(secret), 0, k));
}

INSTANTIATE_TEST_SUITE_P(Suites, KernelTlsTest,
                         ::testing::Values("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                           "TLS_CHACHA20_POLY1305_SHA256"));

}  // namespace
