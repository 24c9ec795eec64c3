// One OpenSSL SSL_CTX per listener and role (client port; routes accepted;
// routes dialed), built from TlsOptions once at start on the starting
// thread. After build() it is only read: shards create their SSL objects
// from it concurrently (OpenSSL allows SSL_new on a shared, unchanged CTX).
#pragma once

#include <memory>
#include <string>

#include "config/security_options.h"

struct ssl_ctx_st;

namespace ringnats::tls {

enum class Role { Server, Client };

// Whether the kernel offers the "tls" TCP upper layer (kTLS), for the
// startup log: where it does, sessions are handed to it after the handshake
// (tls/ktls.h).
bool kernel_tls_available(std::string& why);

class Context {
 public:
  // nats' tls.Config: TLS 1.2 at least, nats' default ciphers and curves
  // unless configured, cert/key, the CA for peers' certificates; Server:
  // require and verify a client certificate when o.verify; Client: verify
  // the server's chain against ca_file unless o.insecure.
  static std::unique_ptr<Context> build(const TlsOptions& o, Role role, std::string& err);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  ssl_ctx_st* ctx() const { return ctx_; }
  Role role() const { return role_; }
  const TlsOptions& options() const { return opts_; }

 private:
  Context() = default;
  ssl_ctx_st* ctx_ = nullptr;
  Role role_ = Role::Server;
  TlsOptions opts_;
};

}  // namespace ringnats::tls
