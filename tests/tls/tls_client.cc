// The tests' blocking TLS client (see tls_client.h).
#include "tls_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace tlstest {

TlsClient::~TlsClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::connect_plain(int port, std::string& err, int rcvbuf) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    err = "connect failed";
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{5, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  // The INFO line, byte by byte so nothing of the handshake is read here.
  char ch;
  while (info_.size() < 4096) {
    ssize_t n = ::recv(fd_, &ch, 1, 0);
    if (n != 1) {
      err = "no INFO";
      return false;
    }
    info_.push_back(ch);
    if (info_.size() >= 2 && info_.compare(info_.size() - 2, 2, "\r\n") == 0) return true;
  }
  err = "INFO too long";
  return false;
}

bool TlsClient::handshake(const ClientCreds& creds, std::string& err) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!creds.ca.empty()) {
    SSL_CTX_load_verify_locations(ctx_, creds.ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!creds.cert.empty()) {
    SSL_CTX_use_certificate_chain_file(ctx_, creds.cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, creds.key.c_str(), SSL_FILETYPE_PEM);
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) {
    char b[256];
    ERR_error_string_n(ERR_get_error(), b, sizeof(b));
    err = b;
    ERR_clear_error();
    return false;
  }
  // TLS 1.3: a missing client certificate is only reported on the first
  // read; a PING round trip makes it show.
  return true;
}

bool TlsClient::send(std::string_view bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    size_t w = 0;
    if (SSL_write_ex(ssl_, bytes.data() + off, bytes.size() - off, &w) != 1) return false;
    off += w;
  }
  return true;
}

bool TlsClient::read_until(std::string_view marker, std::string& out, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    size_t at = buf_.find(marker);
    if (at != std::string::npos) {
      out = buf_.substr(0, at + marker.size());
      buf_.erase(0, at + marker.size());
      return true;
    }
    if (std::chrono::steady_clock::now() > end) return false;
    if (SSL_pending(ssl_) == 0) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
    }
    char b[16384];
    size_t got = 0;
    if (SSL_read_ex(ssl_, b, sizeof(b), &got) != 1) {
      int e = SSL_get_error(ssl_, 0);
      if (e == SSL_ERROR_WANT_READ) continue;
      ERR_clear_error();
      return false;
    }
    buf_.append(b, got);
  }
}

bool TlsClient::ping_pong(int timeout_ms) {
  std::string out;
  return send("PING\r\n") && read_until("PONG\r\n", out, timeout_ms);
}

bool TlsClient::expect_closed(int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char b[16384];
    if (ssl_) {
      size_t got = 0;
      if (SSL_read_ex(ssl_, b, sizeof(b), &got) != 1) {
        int e = SSL_get_error(ssl_, 0);
        ERR_clear_error();
        if (e != SSL_ERROR_WANT_READ) return true;
      }
    } else {
      ssize_t n = ::recv(fd_, b, sizeof(b), 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

std::string client_hello() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* s = SSL_new(ctx);
  BIO* r = BIO_new(BIO_s_mem());
  BIO* w = BIO_new(BIO_s_mem());
  SSL_set_bio(s, r, w);
  SSL_set_connect_state(s);
  SSL_do_handshake(s);
  std::string out(BIO_ctrl_pending(w), '\0');
  BIO_read(w, out.data(), static_cast<int>(out.size()));
  SSL_free(s);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

}  // namespace tlstest
