// TLS on the client port, end to end: ringnats started with a `tls {}` block
// (certificates made at test time), talked to by libnats, by an OpenSSL test
// client and by raw sockets that send plain text, garbage, or a ClientHello
// cut at every byte. Where nats-server 2.9's behaviour is observable (INFO,
// errors, what a plain-text client gets) stock runs beside ringnats.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "../integration/harness.h"
#include "tls_client.h"
#include "tls/context.h"

namespace itest {
namespace {

using tlstest::ClientCreds;
using tlstest::TlsClient;

TestCerts* g_certs = nullptr;

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// One server (ringnats or stock) with a tls block; its log in a file.
class TlsServer {
 public:
  // `top`: more top-level configuration after the tls block.
  bool start(const std::string& bin, const std::string& tls_block, std::string* err, int shards = 2,
             const std::string& top = "") {
    static int n = 0;
    log_ = g_certs->dir() + "/server-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".log";
    conf_ = std::make_unique<TempConfig>("tls {\n" + tls_block + "\n}\n" + top);
    return srv_.start(bin, shards, {"-c", conf_->path(), "-l", log_, "-D"}, err);
  }
  int port() const { return srv_.port(); }
  std::string url() const { return "tls://127.0.0.1:" + std::to_string(srv_.port()); }
  std::string log() const { return slurp(log_); }
  bool wait_log(const std::string& needle, int timeout_ms = kTimeoutMs) const {
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  ServerProcess& proc() { return srv_; }

 private:
  ServerProcess srv_;
  std::unique_ptr<TempConfig> conf_;
  std::string log_;
};

std::string server_block(bool verify, const std::string& extra = "") {
  std::string b = "  cert_file: \"" + g_certs->server_cert() + "\"\n  key_file: \"" + g_certs->server_key() +
                  "\"\n  ca_file: \"" + g_certs->ca() + "\"\n";
  if (verify) b.append("  verify: true\n");
  b.append(extra);
  return b;
}

struct NatsConn {
  natsConnection* nc = nullptr;
  ~NatsConn() {
    if (nc) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
  }
};
struct NatsSub {
  natsSubscription* s = nullptr;
  ~NatsSub() {
    if (s) natsSubscription_Destroy(s);
  }
};

natsStatus nats_connect(NatsConn& c, const std::string& url, bool with_cert, bool other_ca_cert = false) {
  natsOptions* o = nullptr;
  natsStatus s = natsOptions_Create(&o);
  if (s != NATS_OK) return s;
  natsOptions_SetURL(o, url.c_str());
  natsOptions_SetTimeout(o, kTimeoutMs);
  natsOptions_SetAllowReconnect(o, false);
  natsOptions_SetSecure(o, true);
  natsOptions_SetMaxPendingMsgs(o, 1 << 20);
  s = natsOptions_LoadCATrustedCertificates(o, g_certs->ca().c_str());
  if (s == NATS_OK && with_cert)
    s = other_ca_cert ? natsOptions_LoadCertificatesChain(o, g_certs->other_client_cert().c_str(),
                                                          g_certs->other_client_key().c_str())
                      : natsOptions_LoadCertificatesChain(o, g_certs->client_cert().c_str(),
                                                          g_certs->client_key().c_str());
  if (s == NATS_OK) s = natsConnection_Connect(&c.nc, o);
  natsOptions_Destroy(o);
  return s;
}

class TlsClientPort : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_certs = new TestCerts();
    nats_Open(-1);
  }
  static void TearDownTestSuite() {
    delete g_certs;
    g_certs = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(g_certs->ok()) << "openssl could not make the test certificates"; }
  void start(bool verify, const std::string& extra = "") {
    std::string err;
    ASSERT_TRUE(srv_.start(ringnats_bin(), server_block(verify, extra), &err)) << err;
  }
  TlsServer srv_;
};

TEST_F(TlsClientPort, InfoSaysTlsRequiredLikeStock) {
  for (bool verify : {false, true}) {
    TlsServer ours, stock;
    std::string err;
    ASSERT_TRUE(ours.start(ringnats_bin(), server_block(verify), &err)) << err;
    ASSERT_TRUE(stock.start(stock_bin(), server_block(verify), &err)) << err;
    RawConn a, b;
    std::string ia, ib;
    ASSERT_TRUE(a.connect(ours.port()) && a.read_line(ia));
    ASSERT_TRUE(b.connect(stock.port()) && b.read_line(ib));
    EXPECT_NE(ia.find("\"tls_required\":true"), std::string::npos) << ia;
    EXPECT_EQ(ia.find("\"tls_verify\":true") != std::string::npos, verify) << ia;
    EXPECT_EQ(normalize_info(ia + "\r\n"), normalize_info(ib + "\r\n"));
  }
}

TEST_F(TlsClientPort, LibnatsPubSub) {
  start(false);
  NatsConn sub, pub;
  ASSERT_EQ(nats_connect(sub, srv_.url(), false), NATS_OK) << srv_.log();
  ASSERT_EQ(nats_connect(pub, srv_.url(), false), NATS_OK);
  NatsSub s;
  ASSERT_EQ(natsConnection_SubscribeSync(&s.s, sub.nc, "tls.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub.nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(pub.nc, "tls.a", "hello over tls"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(pub.nc), NATS_OK);
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, s.s, kTimeoutMs), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)), "hello over tls");
  natsMsg_Destroy(m);
  // Request/reply inside TLS both ways.
  NatsSub rs;
  ASSERT_EQ(natsConnection_SubscribeSync(&rs.s, sub.nc, "svc"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub.nc), NATS_OK);
  std::thread responder([&] {
    natsMsg* q = nullptr;
    if (natsSubscription_NextMsg(&q, rs.s, kTimeoutMs) == NATS_OK) {
      natsConnection_PublishString(sub.nc, natsMsg_GetReply(q), "pong");
      natsConnection_Flush(sub.nc);
      natsMsg_Destroy(q);
    }
  });
  natsMsg* reply = nullptr;
  EXPECT_EQ(natsConnection_RequestString(&reply, pub.nc, "svc", "ping", kTimeoutMs), NATS_OK);
  responder.join();
  if (reply) {
    EXPECT_EQ(std::string(natsMsg_GetData(reply), natsMsg_GetDataLength(reply)), "pong");
    natsMsg_Destroy(reply);
  }
  EXPECT_TRUE(srv_.wait_log("TLS handshake complete")) << srv_.log();
}

// Where the kernel has "tls", each session goes to it after the handshake
// (both directions), and every test of this suite runs over kTLS; where it
// has not (this project's CI machine), all of TLS stays in user space.
TEST_F(TlsClientPort, KernelTakesTheSessionWhereItHasTls) {
  std::string why;
  if (!ringnats::tls::kernel_tls_available(why)) GTEST_SKIP() << "no kTLS in this kernel: " << why;
  start(false);
  NatsConn sub, pub;
  ASSERT_EQ(nats_connect(sub, srv_.url(), false), NATS_OK) << srv_.log();
  ASSERT_EQ(nats_connect(pub, srv_.url(), false), NATS_OK);
  NatsSub s;
  ASSERT_EQ(natsConnection_SubscribeSync(&s.s, sub.nc, "k.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(sub.nc), NATS_OK);
  std::string big(1 << 20, 'k');
  for (int i = 0; i < 100; ++i) {
    std::string body = i % 10 == 9 ? big : std::string("m").append(std::to_string(i));
    ASSERT_EQ(natsConnection_Publish(pub.nc, "k.x", body.data(), static_cast<int>(body.size())), NATS_OK);
  }
  ASSERT_EQ(natsConnection_Flush(pub.nc), NATS_OK);
  for (int i = 0; i < 100; ++i) {
    natsMsg* m = nullptr;
    ASSERT_EQ(natsSubscription_NextMsg(&m, s.s, kTimeoutMs), NATS_OK) << i;
    std::string body = i % 10 == 9 ? big : std::string("m").append(std::to_string(i));
    EXPECT_TRUE(std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)) == body) << i;
    natsMsg_Destroy(m);
  }
  EXPECT_TRUE(srv_.wait_log("TLS sending handed to the kernel")) << srv_.log();
  EXPECT_TRUE(srv_.wait_log("TLS receiving handed to the kernel")) << srv_.log();
}

TEST_F(TlsClientPort, MutualTlsRequiresClientCert) {
  start(true);
  NatsConn good;
  ASSERT_EQ(nats_connect(good, srv_.url(), true), NATS_OK) << srv_.log();
  EXPECT_EQ(natsConnection_Flush(good.nc), NATS_OK);
  NatsConn none;
  EXPECT_NE(nats_connect(none, srv_.url(), false), NATS_OK);
  EXPECT_TRUE(srv_.wait_log("TLS handshake error: tls: client didn't provide a certificate")) << srv_.log();
  NatsConn wrong;
  EXPECT_NE(nats_connect(wrong, srv_.url(), true, /*other_ca_cert=*/true), NATS_OK);
  EXPECT_TRUE(srv_.wait_log("TLS handshake error: tls: failed to verify client certificate")) << srv_.log();
  // The good connection is unaffected.
  EXPECT_EQ(natsConnection_Flush(good.nc), NATS_OK);
}

// nats-server 2.9: the INFO in plain text, then nothing (no alert) and a
// close, with "first record does not look like a TLS handshake" in the log.
TEST_F(TlsClientPort, PlainClientGetsInfoThenCloseLikeStock) {
  start(false);
  TlsServer stock;
  std::string err;
  ASSERT_TRUE(stock.start(stock_bin(), server_block(false), &err)) << err;
  for (TlsServer* s : {&srv_, &stock}) {
    RawConn c;
    ASSERT_TRUE(c.connect(s->port()));
    std::string info;
    ASSERT_TRUE(c.read_line(info));
    ASSERT_TRUE(c.send("CONNECT {\"verbose\":false}\r\nPING\r\n"));
    EXPECT_TRUE(c.expect_closed());
    EXPECT_EQ(c.buffer(), "");
    EXPECT_TRUE(s->wait_log("TLS handshake error: tls: first record does not look like a TLS handshake"))
        << s->log();
  }
  EXPECT_TRUE(srv_.wait_log("Client connection closed: TLS Handshake Failure")) << srv_.log();
}

// The -ERR that comes with a close is encrypted before close_notify, so a
// TLS client reads why it was closed, as from stock.
TEST_F(TlsClientPort, ErrBeforeCloseReachesTheClientLikeStock) {
  TlsServer ours, stock;
  std::string err;
  const std::string auth = "authorization { user: a, password: b }\n";
  ASSERT_TRUE(ours.start(ringnats_bin(), server_block(false), &err, 2, auth)) << err;
  ASSERT_TRUE(stock.start(stock_bin(), server_block(false), &err, 2, auth)) << err;
  const std::pair<std::string, std::string> cases[] = {
      {"CONNECT {\"user\":\"a\",\"pass\":\"x\"}\r\n", "-ERR 'Authorization Violation'\r\n"},
      {"PING\r\n", "-ERR 'Authorization Violation'\r\n"},
      {"CONNECT {\"user\":\"a\",\"pass\":\"b\",\"verbose\":false}\r\nFOO\r\n", "-ERR 'Unknown Protocol Operation'\r\n"},
  };
  for (TlsServer* s : {&stock, &ours})
    for (const auto& [in, want] : cases) {
      tlstest::TlsClient c;
      ASSERT_TRUE(c.connect_plain(s->port(), err)) << err;
      ASSERT_TRUE(c.handshake({g_certs->ca(), "", ""}, err)) << err;
      ASSERT_TRUE(c.send(in));
      std::string got;
      EXPECT_TRUE(c.read_until("\r\n", got)) << in << s->log();
      EXPECT_EQ(got, want) << (s == &ours ? "ringnats" : "nats-server");
      EXPECT_TRUE(c.expect_closed());
    }
}

// verify_and_map: the client certificate (CN=client, DNS:localhost) names
// the user; its CONNECT brings no credentials. The same answers as stock.
TEST_F(TlsClientPort, VerifyAndMapLogsInTheCertificatesUserLikeStock) {
  struct Case {
    std::string users;
    std::string want;
  } cases[] = {
      {"authorization { users: [ {user: \"CN=client\"} ] }\n", "PONG\r\n"},
      {"authorization { users: [ {user: localhost} ] }\n", "PONG\r\n"},
      {"authorization { users: [ {user: nobody, password: pw} ] }\n", "-ERR 'Authorization Violation'\r\n"},
      {"accounts { A: { users: [ {user: \"CN=client\"} ] } }\n", "PONG\r\n"},
  };
  for (const Case& tc : cases) {
    TlsServer ours, stock;
    std::string err;
    const std::string block = server_block(false, "  verify_and_map: true\n");
    ASSERT_TRUE(ours.start(ringnats_bin(), block, &err, 2, tc.users)) << err;
    ASSERT_TRUE(stock.start(stock_bin(), block, &err, 2, tc.users)) << err;
    for (TlsServer* s : {&stock, &ours}) {
      tlstest::TlsClient c;
      ASSERT_TRUE(c.connect_plain(s->port(), err)) << err;
      ASSERT_TRUE(c.handshake({g_certs->ca(), g_certs->client_cert(), g_certs->client_key()}, err)) << err;
      ASSERT_TRUE(c.send("CONNECT {\"verbose\":false}\r\nPING\r\n"));
      std::string got;
      EXPECT_TRUE(c.read_until("\r\n", got)) << tc.users << s->log();
      EXPECT_EQ(got, tc.want) << tc.users << (s == &ours ? " (ringnats)" : " (nats-server)");
    }
  }
}

// verify_and_map with user names that are DNs: the subject as a DN (RDNs
// in order or reordered, types in any case), Go's subject text with and
// without its DCs, multi-valued RDNs, escaped values, an e-mail SAN, and a
// subject with an attribute nats' DN parser refuses. Both servers, one
// answer each; the expected one is written down too.
TEST_F(TlsClientPort, VerifyAndMapMatchesDistinguishedNamesLikeStock) {
  ASSERT_TRUE(g_certs->make_client("dn-dc", "/DC=org/DC=example/O=acme/OU=eng/CN=alice"));
  ASSERT_TRUE(g_certs->make_client("dn-multi", "/O=acme/OU=eng+CN=bob"));
  ASSERT_TRUE(g_certs->make_client("dn-comma", "/O=acme/CN=carol, jr"));
  ASSERT_TRUE(g_certs->make_client("dn-email", "/O=acme/CN=dave/emailAddress=dave@acme.org"));
  ASSERT_TRUE(g_certs->make_client("san-email", "/CN=eve", "email:eve@acme.org"));
  const std::string ok = "PONG\r\n", no = "-ERR 'Authorization Violation'\r\n";
  struct Case {
    const char* cert;
    std::string user;
    std::string want;
  } cases[] = {
      {"dn-dc", "CN=alice,OU=eng,O=acme,DC=example,DC=org", ok},
      {"dn-dc", "DC=org,DC=example,O=acme,OU=eng,CN=alice", ok},
      {"dn-dc", "cn=alice, ou=eng, o=acme, dc=example, dc=org", ok},
      {"dn-dc", "CN=alice,OU=eng,O=acme", ok},
      {"dn-dc", "CN=alice,OU=eng,O=acme,DC=org,DC=example", ok},
      {"dn-dc", "CN=alice,OU=eng", no},
      {"dn-dc", "CN=Alice,OU=eng,O=acme,DC=example,DC=org", no},
      {"dn-multi", "CN=bob+OU=eng,O=acme", ok},
      {"dn-multi", "OU=eng+CN=bob,O=acme", ok},
      {"dn-multi", "CN=bob,OU=eng,O=acme", ok},
      {"dn-multi", "O=acme,OU=eng,CN=bob", no},
      {"dn-comma", "CN=carol\\\\, jr,O=acme", ok},
      {"dn-comma", "O=acme,CN=carol\\\\2c jr", ok},
      {"dn-email", "CN=dave,O=acme", ok},
      {"dn-email", "O=acme,CN=dave", no},
      {"san-email", "eve@acme.org", ok},
      {"san-email", "CN=eve", ok},
      {"san-email", "cn=eve", ok},
  };
  const std::string block = server_block(false, "  verify_and_map: true\n");
  for (const Case& tc : cases) {
    const std::string users = "authorization { users: [ {user: \"" + tc.user + "\"}, {user: other} ] }\n";
    TlsServer ours, stock;
    std::string err;
    ASSERT_TRUE(ours.start(ringnats_bin(), block, &err, 2, users)) << err;
    ASSERT_TRUE(stock.start(stock_bin(), block, &err, 2, users)) << err;
    for (TlsServer* s : {&stock, &ours}) {
      tlstest::TlsClient c;
      ASSERT_TRUE(c.connect_plain(s->port(), err)) << err;
      ASSERT_TRUE(c.handshake({g_certs->ca(), g_certs->cert(tc.cert), g_certs->key(tc.cert)}, err)) << err;
      ASSERT_TRUE(c.send("CONNECT {\"verbose\":false}\r\nPING\r\n"));
      std::string got;
      EXPECT_TRUE(c.read_until("\r\n", got)) << tc.cert << " " << tc.user << s->log();
      EXPECT_EQ(got, tc.want) << tc.cert << " as " << tc.user << (s == &ours ? " (ringnats)" : " (nats-server)");
    }
  }
}

// A client certificate from the test CA whose CN is a UniversalString, which
// OpenSSL accepts and Go's x509 parser refuses (openssl's CLI cannot be made
// to write one). Files `name`.pem and `name`-key.pem in the certificate dir.
bool make_universal_cn_client(const std::string& name) {
  const std::string dir = g_certs->dir();
  FILE* f = std::fopen(g_certs->ca().c_str(), "r");
  if (!f) return false;
  X509* ca = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  f = std::fopen((dir + "/ca-key.pem").c_str(), "r");
  if (!f) return false;
  EVP_PKEY* ca_key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  bool ok = ca && ca_key && key && x;
  if (ok) {
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME* n = X509_get_subject_name(x);
    const std::string ucs("\0\0\0a\0\0\0l\0\0\0i\0\0\0c\0\0\0e", 20);  // "alice" in UCS-4
    ok = X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("acme"), -1, -1,
                                    0) == 1 &&
         X509_NAME_add_entry_by_txt(n, "CN", V_ASN1_UNIVERSALSTRING,
                                    reinterpret_cast<const unsigned char*>(ucs.data()),
                                    static_cast<int>(ucs.size()), -1, 0) == 1 &&
         X509_set_issuer_name(x, X509_get_subject_name(ca)) == 1 && X509_sign(x, ca_key, EVP_sha256()) > 0;
  }
  if (ok) {
    FILE* out = std::fopen((dir + "/" + name + ".pem").c_str(), "w");
    ok = out && PEM_write_X509(out, x) == 1;
    if (out) std::fclose(out);
    out = std::fopen((dir + "/" + name + "-key.pem").c_str(), "w");
    ok = ok && out && PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (out) std::fclose(out);
  }
  X509_free(x);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(ca_key);
  return ok;
}

// Go cannot parse that certificate, so nats fails the handshake; ringnats
// must too, rather than map what is left of it ("O=acme") to a user.
TEST_F(TlsClientPort, CertificateGoCannotParseFailsLikeStock) {
  ASSERT_TRUE(make_universal_cn_client("universal-cn"));
  const std::string block = server_block(false, "  verify_and_map: true\n");
  const std::string users = "authorization { users: [ {user: \"O=acme\"}, {user: other} ] }\n";
  TlsServer ours, stock;
  std::string err;
  ASSERT_TRUE(ours.start(ringnats_bin(), block, &err, 2, users)) << err;
  ASSERT_TRUE(stock.start(stock_bin(), block, &err, 2, users)) << err;
  for (TlsServer* s : {&stock, &ours}) {
    tlstest::TlsClient c;
    ASSERT_TRUE(c.connect_plain(s->port(), err)) << err;
    // With TLS 1.3 the client's side may complete before the server has
    // looked at the certificate; either way no PONG may come.
    if (c.handshake({g_certs->ca(), g_certs->cert("universal-cn"), g_certs->key("universal-cn")}, err)) {
      c.send("CONNECT {\"verbose\":false}\r\nPING\r\n");
      std::string got;
      EXPECT_FALSE(c.read_until("\r\n", got, 3000)) << got << (s == &ours ? " (ringnats)" : " (nats-server)");
    }
  }
}

// A CONNECT that names a user anyway is logged in as the certificate's
// user, with nats' warning.
TEST_F(TlsClientPort, VerifyAndMapWarnsOfAUserInConnect) {
  TlsServer ours;
  std::string err;
  ASSERT_TRUE(ours.start(ringnats_bin(), server_block(false, "  verify_and_map: true\n"), &err, 2,
                         "authorization { users: [ {user: \"CN=client\"} ] }\n"))
      << err;
  tlstest::TlsClient c;
  ASSERT_TRUE(c.connect_plain(ours.port(), err)) << err;
  ASSERT_TRUE(c.handshake({g_certs->ca(), g_certs->client_cert(), g_certs->client_key()}, err)) << err;
  ASSERT_TRUE(c.send("CONNECT {\"verbose\":false,\"user\":\"mallory\",\"pass\":\"x\"}\r\nPING\r\n"));
  std::string got;
  EXPECT_TRUE(c.read_until("\r\n", got));
  EXPECT_EQ(got, "PONG\r\n");
  EXPECT_TRUE(ours.wait_log("[WRN] User \"mallory\" found in connect proto, but user required from cert"))
      << ours.log();
}

TEST_F(TlsClientPort, HandshakeTimeoutClosesSilentAndSlowClients) {
  start(false, "  timeout: 0.5\n");
  auto t0 = std::chrono::steady_clock::now();
  RawConn silent;
  ASSERT_TRUE(silent.connect(srv_.port()));
  std::string info;
  ASSERT_TRUE(silent.read_line(info));
  // A client that starts the handshake and stops half way.
  RawConn half;
  ASSERT_TRUE(half.connect(srv_.port()));
  ASSERT_TRUE(half.read_line(info));
  std::string hello = tlstest::client_hello();
  ASSERT_TRUE(half.send(hello.substr(0, hello.size() / 2)));
  EXPECT_TRUE(silent.expect_closed(3000));
  EXPECT_TRUE(half.expect_closed(3000));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(ms, 400);
  EXPECT_LT(ms, sanitized() ? 6000 : 2000);  // 0.5 s, the 100 ms timer, a loaded machine
  EXPECT_TRUE(srv_.wait_log("TLS handshake timeout")) << srv_.log();
  EXPECT_TRUE(srv_.wait_log("i/o timeout")) << srv_.log();
}

TEST_F(TlsClientPort, GarbageInsteadOfClientHello) {
  start(false);
  const std::vector<std::string> garbage = {
      std::string("\x16\x03\x01\x00\x05hello", 10), std::string("\x16\x03\x01\xff\xff", 5) + std::string(300, 'x'),
      std::string("\x16\x00\x00\x00\x00", 5), std::string(1, '\x16') + std::string(2000, '\0'),
      std::string(5000, '\x16')};
  for (const std::string& g : garbage) {
    RawConn c;
    ASSERT_TRUE(c.connect(srv_.port()));
    std::string info;
    ASSERT_TRUE(c.read_line(info));
    c.send(g);
    ::shutdown(c.fd(), SHUT_WR);
    EXPECT_TRUE(c.expect_closed()) << escape(g.substr(0, 16));
  }
  NatsConn ok;
  EXPECT_EQ(nats_connect(ok, srv_.url(), false), NATS_OK) << srv_.log();
}

// A ClientHello cut after every byte, the peer then gone (FIN), and again
// with the peer reset: each connection is closed and freed, and a real
// client still gets in.
TEST_F(TlsClientPort, TruncatedClientHelloAtEveryByte) {
  start(false);
  std::string hello = tlstest::client_hello();
  ASSERT_GT(hello.size(), 100u);
  for (size_t k = 1; k < hello.size(); ++k) {
    RawConn c;
    ASSERT_TRUE(c.connect(srv_.port()));
    std::string info;
    ASSERT_TRUE(c.read_line(info));
    ASSERT_TRUE(c.send(hello.substr(0, k)));
    if (k % 2) {
      ::shutdown(c.fd(), SHUT_WR);
      EXPECT_TRUE(c.expect_closed()) << "cut at " << k;
    } else {
      linger l{1, 0};
      setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
      c.close();  // RST
    }
  }
  NatsConn ok;
  ASSERT_EQ(nats_connect(ok, srv_.url(), false), NATS_OK) << srv_.log();
  EXPECT_EQ(natsConnection_Flush(ok.nc), NATS_OK);
  EXPECT_TRUE(srv_.wait_log("TLS handshake error: EOF")) << srv_.log();
}

// Mid-record: an established client sends part of a record and vanishes.
TEST_F(TlsClientPort, PeerVanishesMidRecord) {
  start(false);
  for (int mode = 0; mode < 2; ++mode) {
    TlsClient c;
    std::string err;
    ASSERT_TRUE(c.connect_plain(srv_.port(), err)) << err;
    ASSERT_TRUE(c.handshake({g_certs->ca(), "", ""}, err)) << err;
    ASSERT_TRUE(c.send("CONNECT {\"verbose\":false}\r\n"));
    ASSERT_TRUE(c.ping_pong());
    // A record header announcing 1000 bytes, then 10 of them.
    std::string part("\x17\x03\x03\x03\xe8", 5);
    part.append(10, 'z');
    ASSERT_EQ(::send(c.fd(), part.data(), part.size(), MSG_NOSIGNAL), static_cast<ssize_t>(part.size()));
    if (mode == 0) {
      ::shutdown(c.fd(), SHUT_WR);
    } else {
      linger l{1, 0};
      setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
  }
  NatsConn ok;
  ASSERT_EQ(nats_connect(ok, srv_.url(), false), NATS_OK) << srv_.log();
  EXPECT_EQ(natsConnection_Flush(ok.nc), NATS_OK);
}

// Payloads of 1 MiB (many records, split across receives both ways) and
// their bytes intact.
TEST_F(TlsClientPort, LargePayloadsBothWays) {
  start(false);
  NatsConn a, b;
  ASSERT_EQ(nats_connect(a, srv_.url(), false), NATS_OK);
  ASSERT_EQ(nats_connect(b, srv_.url(), false), NATS_OK);
  NatsSub sa, sb;
  ASSERT_EQ(natsConnection_SubscribeSync(&sa.s, a.nc, "to.a"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sb.s, b.nc, "to.b"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(a.nc), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b.nc), NATS_OK);
  const size_t kSize = (1u << 20) - 64;  // under the default max_payload
  std::string payload(kSize, '\0');
  for (size_t i = 0; i < kSize; ++i) payload[i] = static_cast<char>((i * 131 + i / 977) & 0xff);
  for (int round = 0; round < 4; ++round) {
    payload[0] = static_cast<char>(round);
    ASSERT_EQ(natsConnection_Publish(a.nc, "to.b", payload.data(), static_cast<int>(kSize)), NATS_OK);
    ASSERT_EQ(natsConnection_Publish(b.nc, "to.a", payload.data(), static_cast<int>(kSize)), NATS_OK);
    for (natsSubscription* s : {sa.s, sb.s}) {
      natsMsg* m = nullptr;
      ASSERT_EQ(natsSubscription_NextMsg(&m, s, 10000), NATS_OK) << "round " << round;
      ASSERT_EQ(static_cast<size_t>(natsMsg_GetDataLength(m)), kSize);
      EXPECT_TRUE(std::equal(payload.begin(), payload.end(), natsMsg_GetData(m))) << "round " << round;
      natsMsg_Destroy(m);
    }
  }
}

// 100k small messages each way between two TLS clients, in order.
TEST_F(TlsClientPort, ManySmallMessagesInOrderBothWays) {
  start(false);
  NatsConn a, b;
  ASSERT_EQ(nats_connect(a, srv_.url(), false), NATS_OK);
  ASSERT_EQ(nats_connect(b, srv_.url(), false), NATS_OK);
  NatsSub sa, sb;
  ASSERT_EQ(natsConnection_SubscribeSync(&sa.s, a.nc, "small.a"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sb.s, b.nc, "small.b"), NATS_OK);
  natsSubscription_SetPendingLimits(sa.s, -1, -1);
  natsSubscription_SetPendingLimits(sb.s, -1, -1);
  ASSERT_EQ(natsConnection_Flush(a.nc), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(b.nc), NATS_OK);
  constexpr int kN = 100000;
  std::thread pa([&] {
    char buf[32];
    for (int i = 0; i < kN; ++i) {
      int n = snprintf(buf, sizeof buf, "%d", i);
      natsConnection_Publish(a.nc, "small.b", buf, n);
    }
    natsConnection_Flush(a.nc);
  });
  std::thread pb([&] {
    char buf[32];
    for (int i = 0; i < kN; ++i) {
      int n = snprintf(buf, sizeof buf, "%d", i);
      natsConnection_Publish(b.nc, "small.a", buf, n);
    }
    natsConnection_Flush(b.nc);
  });
  for (natsSubscription* s : {sa.s, sb.s}) {
    for (int i = 0; i < kN; ++i) {
      natsMsg* m = nullptr;
      ASSERT_EQ(natsSubscription_NextMsg(&m, s, 10000), NATS_OK) << i;
      std::string d(natsMsg_GetData(m), natsMsg_GetDataLength(m));
      natsMsg_Destroy(m);
      ASSERT_EQ(d, std::to_string(i));
    }
  }
  pa.join();
  pb.join();
}

// SUBs whose partitions live on the other shard park the parser mid-buffer
// (the rest of the decrypted bytes is held in the session): every PUB after
// its SUB in the same TLS records must still be delivered, in order, before
// the PONG.
TEST_F(TlsClientPort, ParkedParserResumesHeldPlaintext) {
  start(false);
  TlsClient c;
  std::string err;
  ASSERT_TRUE(c.connect_plain(srv_.port(), err)) << err;
  ASSERT_TRUE(c.handshake({g_certs->ca(), "", ""}, err)) << err;
  std::string batch = "CONNECT {\"verbose\":false}\r\n";
  constexpr int kN = 2000;
  for (int i = 0; i < kN; ++i) {
    std::string subj = "park." + std::to_string(i);
    batch += "SUB " + subj + " " + std::to_string(i + 1) + "\r\nPUB " + subj + " " +
             std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  }
  batch += "PING\r\n";
  ASSERT_TRUE(c.send(batch));
  std::string got;
  ASSERT_TRUE(c.read_until("PONG\r\n", got, 10000)) << got.size();
  size_t at = 0;
  for (int i = 0; i < kN; ++i) {
    std::string want = "MSG park." + std::to_string(i) + " " + std::to_string(i + 1) + " ";
    size_t p = got.find(want, at);
    ASSERT_NE(p, std::string::npos) << "message " << i << " missing or out of order";
    at = p + want.size();
  }
}

// A TLS subscriber that never reads is cut as a slow consumer; the
// publisher and a reading TLS subscriber carry on.
TEST_F(TlsClientPort, SlowTlsConsumerIsCutOthersCarryOn) {
  start(false);
  TlsClient slow;
  std::string err;
  ASSERT_TRUE(slow.connect_plain(srv_.port(), err, 4096)) << err;
  ASSERT_TRUE(slow.handshake({g_certs->ca(), "", ""}, err)) << err;
  ASSERT_TRUE(slow.send("CONNECT {\"verbose\":false}\r\nSUB flood 1\r\n"));
  ASSERT_TRUE(slow.ping_pong());
  NatsConn pub, good;
  ASSERT_EQ(nats_connect(pub, srv_.url(), false), NATS_OK);
  ASSERT_EQ(nats_connect(good, srv_.url(), false), NATS_OK);
  NatsSub gs;
  ASSERT_EQ(natsConnection_SubscribeSync(&gs.s, good.nc, "flood"), NATS_OK);
  natsSubscription_SetPendingLimits(gs.s, -1, -1);
  ASSERT_EQ(natsConnection_Flush(good.nc), NATS_OK);
  std::string payload(16 * 1024, 'p');
  // max_pending is 64 MiB: send well past it.
  const int kN = 6000;
  std::atomic<int> got{0};
  std::thread reader([&] {
    for (int i = 0; i < kN; ++i) {
      natsMsg* m = nullptr;
      if (natsSubscription_NextMsg(&m, gs.s, 20000) != NATS_OK) return;
      natsMsg_Destroy(m);
      ++got;
    }
  });
  // The reading subscriber must stay within its own max_pending however
  // slow this build is: publish in bursts it keeps up with. The slow one
  // falls behind by all of it.
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(natsConnection_Publish(pub.nc, "flood", payload.data(), static_cast<int>(payload.size())), NATS_OK);
    if (i % 500 == 499) {
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (got.load() < i - 1000 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  EXPECT_EQ(natsConnection_Flush(pub.nc), NATS_OK);
  reader.join();
  EXPECT_EQ(got.load(), kN);
  EXPECT_TRUE(srv_.wait_log("Slow Consumer Detected", 10000)) << srv_.log();
  EXPECT_TRUE(slow.expect_closed(10000));
}

// Many clients handshaking at once (each handshake is a few public-key
// operations on a shard) while a connected client's PING round trips stay
// short.
TEST_F(TlsClientPort, HandshakeStormKeepsPingFast) {
  // A long handshake timeout: this is about the loop, not the deadline (a
  // sanitizer build on a busy machine can take seconds per handshake).
  start(false, "  timeout: 20\n");
  TlsClient probe;
  std::string err;
  ASSERT_TRUE(probe.connect_plain(srv_.port(), err)) << err;
  ASSERT_TRUE(probe.handshake({g_certs->ca(), "", ""}, err)) << err;
  ASSERT_TRUE(probe.send("CONNECT {\"verbose\":false}\r\n"));
  ASSERT_TRUE(probe.ping_pong());
  std::atomic<bool> stop{false};
  std::atomic<int> done{0}, failed{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<std::thread> storm;
  for (int t = 0; t < 8; ++t)
    storm.emplace_back([&] {
      while (!stop.load()) {
        TlsClient c;
        std::string e;
        const char* step = "connect";
        bool ok = c.connect_plain(srv_.port(), e) && (step = "handshake", c.handshake({g_certs->ca(), "", ""}, e)) &&
                  (step = "send", c.send("CONNECT {\"verbose\":false}\r\n")) && (step = "ping", c.ping_pong());
        if (ok) {
          ++done;
          continue;
        }
        ++failed;
        std::lock_guard<std::mutex> g(mu);
        if (first_failure.empty()) first_failure = std::string(step) + ": " + e;
      }
    });
  int64_t worst_us = 0;
  std::vector<int64_t> rtts;
  for (int i = 0; i < 200; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(probe.ping_pong());
    int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    rtts.push_back(us);
    worst_us = std::max(worst_us, us);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : storm) t.join();
  std::sort(rtts.begin(), rtts.end());
  EXPECT_GT(done.load(), 50);
  if (failed.load() != 0) {
    std::string lines, log = srv_.log();
    for (size_t at = 0, nl; at < log.size(); at = nl + 1) {
      nl = log.find('\n', at);
      if (nl == std::string::npos) nl = log.size();
      std::string_view l(log.data() + at, nl - at);
      if (l.find("[ERR]") != std::string_view::npos || l.find("[WRN]") != std::string_view::npos)
        lines.append(l).append("\n");
    }
    ADD_FAILURE() << failed.load() << " storm clients failed, first: " << first_failure << "\n" << lines;
  }
  // Each handshake costs the shard well under a millisecond of CPU; only a
  // blocking call or a per-turn backlog would push the median far up.
  EXPECT_LT(rtts[rtts.size() / 2], 20000) << "median " << rtts[rtts.size() / 2] << " us, worst " << worst_us;
  RecordProperty("handshakes", done.load());
  RecordProperty("ping_rtt_median_us", static_cast<int>(rtts[rtts.size() / 2]));
  RecordProperty("ping_rtt_worst_us", static_cast<int>(worst_us));
}

// allow_non_tls: INFO offers TLS (tls_available), a ClientHello gets TLS,
// anything else is plain text, as nats-server 2.9 does.
TEST_F(TlsClientPort, AllowNonTlsTakesBoth) {
  TlsServer stock;
  std::string err;
  for (TlsServer* s : {&srv_, &stock}) {
    TempConfig conf("allow_non_tls: true\ntls {\n" + server_block(false) + "}\n");
    ASSERT_TRUE(s->proc().start(s == &srv_ ? ringnats_bin() : stock_bin(), 2, {"-c", conf.path()}, &err)) << err;
  }
  std::string ia, ib;
  {
    RawConn a, b;
    ASSERT_TRUE(a.connect(srv_.port()) && a.read_line(ia));
    ASSERT_TRUE(b.connect(stock.port()) && b.read_line(ib));
  }
  EXPECT_NE(ia.find("\"tls_available\":true"), std::string::npos) << ia;
  EXPECT_EQ(normalize_info(ia + "\r\n"), normalize_info(ib + "\r\n"));
  RawConn plain;
  ASSERT_TRUE(connect_quiet(plain, srv_.port(), "SUB x 1\r\n"));
  // (libnats 3.4 refuses a server that only offers TLS: the test client.)
  TlsClient tls;
  ASSERT_TRUE(tls.connect_plain(srv_.port(), err)) << err;
  ASSERT_TRUE(tls.handshake({g_certs->ca(), "", ""}, err)) << err;
  ASSERT_TRUE(tls.send("CONNECT {\"verbose\":false}\r\nPUB x 4\r\nboth\r\n"));
  ASSERT_TRUE(tls.ping_pong());
  std::string got;
  EXPECT_TRUE(plain.read_until("both\r\n", got)) << got;
}

// ---- configuration and flags, against stock nats-server ----

std::string check_config(const std::string& bin, const std::string& body, const std::string& dir) {
  std::string path = dir + "/check.conf";
  std::ofstream(path) << body;
  std::string out = run_shell("cd '" + dir + "' && timeout 5 '" + bin + "' -c check.conf -t 2>&1");
  // Program names differ; the rest must not.
  for (const char* p : {"nats-server: ", "ringnats: "})
    if (out.rfind(p, 0) == 0) out = out.substr(std::string(p).size());
  return out;
}

class TlsConfig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!g_certs) g_certs = new TestCerts();
  }
};

TEST_F(TlsConfig, ErrorsAsStock) {
  ASSERT_TRUE(g_certs->ok());
  const std::string& d = g_certs->dir();
  // Relative names: both binaries run in the certificate directory.
  const std::vector<std::string> bodies = {
      "tls { cert_file: nope.pem, key_file: server-key.pem }\n",
      "tls { cert_file: server.pem }\n",
      "tls { key_file: server-key.pem }\n",
      "tls { cert_file: server.pem, key_file: client-key.pem }\n",
      "tls { cert_file: server-key.pem, key_file: server-key.pem }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, ca_file: nope.pem }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, ca_file: server-key.pem }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, min_version: \"1.2\" }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, cipher_suites: [\"FOO\"] }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, cipher_suites: [] }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, curve_preferences: [\"FOO\"] }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, timeout: \"x\" }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, timeout: true }\n",
      "tls { cert_file: 1 }\n",
      "tls { verify: 1 }\n",
      "tls: 1\n",
      "cluster { port: 36999, tls { cert_file: nope.pem, key_file: server-key.pem } }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, verify_cert_and_check_known_urls: true }\n",
      "tls { cert_file: server.pem, key_file: server-key.pem, ca_file: ca.pem, verify: true, timeout: 3,\n"
      "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256],\n"
      "  curve_preferences: [CurveP256, X25519] }\n",
  };
  for (const std::string& b : bodies)
    EXPECT_EQ(check_config(ringnats_bin(), b, d), check_config(stock_bin(), b, d)) << b;
}

TEST_F(TlsConfig, UnenforcedOptionsAreRefused) {
  ASSERT_TRUE(g_certs->ok());
  const std::string& d = g_certs->dir();
  for (const char* b : {"cluster { port: 36999, tls { cert_file: server.pem, key_file: server-key.pem, "
                        "verify_cert_and_check_known_urls: true } }\n",
                        "tls { cert_file: server.pem, key_file: server-key.pem, pinned_certs: "
                        "[\"a2b1c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90\"] }\n",
                        "tls { cert_file: server.pem, key_file: server-key.pem, connection_rate_limit: 5 }\n",
                        "resolver_tls { cert_file: server.pem }\n"}) {
    std::string out = check_config(ringnats_bin(), b, d);
    EXPECT_NE(out.find("is not supported by ringnats"), std::string::npos) << b << out;
  }
}

TEST_F(TlsConfig, FlagsAsStock) {
  ASSERT_TRUE(g_certs->ok());
  const std::string& d = g_certs->dir();
  auto run = [&](const std::string& bin, const std::string& args) {
    std::string out = run_shell("cd '" + d + "' && timeout 1 '" + bin + "' -p 36998 " + args + " 2>&1 | head -1");
    for (const char* p : {"nats-server: ", "ringnats: "})
      if (out.rfind(p, 0) == 0) out = out.substr(std::string(p).size());
    return out;
  };
  for (const char* a : {"--tlsverify", "--tls --tlscert server.pem", "--tlscert nope.pem --tlskey server-key.pem",
                        "--tls --tlscert server.pem --tlskey client-key.pem"})
    EXPECT_EQ(run(ringnats_bin(), a), run(stock_bin(), a)) << a;
  // --tls=false turns TLS off whatever else is given.
  ServerProcess p;
  std::string err;
  ASSERT_TRUE(p.start(ringnats_bin(), 1, {"--tls=false", "--tlscert", "nope.pem"}, &err)) << err;
  RawConn c;
  std::string info;
  ASSERT_TRUE(c.connect(p.port()) && c.read_line(info));
  EXPECT_EQ(info.find("tls_required"), std::string::npos) << info;
  // And flags alone start a TLS server.
  ServerProcess q;
  ASSERT_TRUE(q.start(ringnats_bin(), 1,
                      {"--tlscert", g_certs->server_cert(), "--tlskey", g_certs->server_key(), "--tlsverify",
                       "--tlscacert", g_certs->ca()},
                      &err))
      << err;
  RawConn c2;
  ASSERT_TRUE(c2.connect(q.port()) && c2.read_line(info));
  EXPECT_NE(info.find("\"tls_verify\":true"), std::string::npos) << info;
}

}  // namespace
}  // namespace itest
