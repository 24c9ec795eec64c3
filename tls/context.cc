// Builds the SSL_CTX for one role from TlsOptions (see context.h). Runs on
// the starting thread only; errors are returned as text, nothing throws.
#include "tls/context.h"

#include "tls/go_x509_strings.h"
#include "tls/ktls.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/tls_config.h"

namespace ringnats::tls {

namespace {

// A certificate Go's x509 parser refuses fails the handshake in nats (its
// names could otherwise map to another user than nats would see).
int go_would_parse(int preverify_ok, X509_STORE_CTX* st) {
  if (!preverify_ok) return 0;
  X509* cert = X509_STORE_CTX_get_current_cert(st);
  if (cert && !go_parses_names(cert)) {
    X509_STORE_CTX_set_error(st, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return 1;
}

}  // namespace

namespace {
std::string ossl_error(const char* what) {
  std::string e = what;
  unsigned long code = ERR_get_error();
  if (code) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    e.append(": ");
    e.append(buf);
  }
  ERR_clear_error();
  return e;
}
}  // namespace

bool kernel_tls_available(std::string& why) {
#ifndef TCP_ULP
  why = "no TCP_ULP in this build";
  return false;
#else
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    why = std::strerror(errno);
    return false;
  }
  // The ULP is looked up (and its module loaded) before the socket state is
  // checked: ENOENT means the kernel has no "tls", ENOTCONN that it has.
  int rc = setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls"));
  int e = errno;
  ::close(fd);
  if (rc == 0 || e == ENOTCONN) return true;
  why = std::strerror(e);
  return false;
#endif
}

std::unique_ptr<Context> Context::build(const TlsOptions& o, Role role, std::string& err) {
  std::unique_ptr<Context> c(new Context);
  c->role_ = role;
  c->opts_ = o;
  SSL_CTX* ctx = SSL_CTX_new(role == Role::Server ? TLS_server_method() : TLS_client_method());
  if (!ctx) {
    err = ossl_error("SSL_CTX_new");
    return nullptr;
  }
  c->ctx_ = ctx;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // The buffer of a retried write may move. OpenSSL keeps its record
  // buffers while a connection is busy (no allocation per record); an idle
  // connection gives them back (Session::trim).
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_NO_COMPRESSION);
  // No session resumption: nats' Go server keeps no session cache either,
  // and tickets would add a write after the handshake for nothing.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 0);
  report_secrets(ctx);  // for the kernel TLS hand-off (ktls.cc)

  std::string ciphers;
  for (const std::string& n : o.cipher_suites) {
    const char* os = tlsconf::openssl_cipher(n);
    if (!os || !*os) continue;  // TLS 1.3 suites are not configurable (as in Go)
    if (!ciphers.empty()) ciphers.push_back(':');
    ciphers.append(os);
  }
  if (o.cipher_suites.empty()) ciphers = tlsconf::kDefaultCiphers;
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    err = ossl_error("none of the configured cipher_suites is available");
    return nullptr;
  }
  // TLS 1.3 suites in Go's order on machines with AES instructions.
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384");
  std::string curves;
  for (const std::string& n : o.curve_preferences) {
    if (!curves.empty()) curves.push_back(':');
    curves.append(tlsconf::openssl_curve(n));
  }
  if (curves.empty()) curves = tlsconf::kDefaultCurves;
  if (SSL_CTX_set1_groups_list(ctx, curves.c_str()) != 1) {
    err = ossl_error("curve_preferences");
    return nullptr;
  }
  if (!o.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, o.cert_file.c_str()) != 1) {
      err = ossl_error(("error parsing X509 certificate/key pair: " + o.cert_file).c_str());
      return nullptr;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, o.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      err = ossl_error(("error parsing X509 certificate/key pair: " + o.key_file).c_str());
      return nullptr;
    }
  }
  if (!o.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1) {
      err = ossl_error("failed to parse root ca certificate");
      return nullptr;
    }
    if (role == Role::Server) {
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str());
      if (names) SSL_CTX_set_client_CA_list(ctx, names);
    }
  } else {
    SSL_CTX_set_default_verify_paths(ctx);  // Go uses the system roots then
  }
  if (role == Role::Server) {
    SSL_CTX_set_verify(ctx, o.verify ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
                       go_would_parse);
  } else {
    SSL_CTX_set_verify(ctx, o.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, go_would_parse);
  }
  ERR_clear_error();
  return c;
}

Context::~Context() {
  if (ctx_) SSL_CTX_free(ctx_);
}

}  // namespace ringnats::tls
