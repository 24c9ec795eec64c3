// A blocking TLS client for tests, on OpenSSL: connects, reads the plain
// INFO the server sends first (as nats-server 2.9), then does the handshake
// and talks NATS inside it. Also captures a real ClientHello, for tests that
// cut it short. One thread per TlsClient.
#pragma once

#include <string>
#include <string_view>

struct ssl_st;
struct ssl_ctx_st;

namespace tlstest {

struct ClientCreds {
  std::string ca;          // verify the server against this (empty: no check)
  std::string cert, key;   // our certificate (empty: none)
};

class TlsClient {
 public:
  TlsClient() = default;
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // TCP connect, read the INFO line (kept in info()); rcvbuf > 0 sets
  // SO_RCVBUF first. False with err on failure.
  bool connect_plain(int port, std::string& err, int rcvbuf = 0);
  // The TLS handshake on that socket.
  bool handshake(const ClientCreds& creds, std::string& err);
  bool send(std::string_view bytes);
  // Reads decrypted bytes until `marker` is in the buffer; returns everything
  // up to and including it.
  bool read_until(std::string_view marker, std::string& out, int timeout_ms = 5000);
  // PING, then read to the PONG.
  bool ping_pong(int timeout_ms = 5000);
  // True once the server closed (reads until EOF or error, bounded).
  bool expect_closed(int timeout_ms = 5000);
  const std::string& info() const { return info_; }
  int fd() const { return fd_; }
  ssl_st* ssl() const { return ssl_; }

 private:
  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string info_;
  std::string buf_;
};

// The bytes of a ClientHello as an OpenSSL client would send them.
std::string client_hello();

}  // namespace tlstest
