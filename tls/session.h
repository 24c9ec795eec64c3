// One connection's TLS: an OpenSSL SSL over two memory BIOs. The shard feeds
// it the ciphertext its io_uring receives brought, takes plaintext out for
// the parser, puts the connection's outbound plaintext in and sends the
// ciphertext that comes out. No socket, no blocking call, no allocation per
// message: the plaintext and ciphertext buffers are the session's own and
// reused. Owned by its Conn; only the owning shard's thread touches it.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/cert_identity.h"
#include "tls/context.h"
#include "tls/ktls.h"

struct ssl_st;
struct bio_st;

namespace ringnats::tls {


class Session {
 public:
  // `verify_host`: the name (or IP) a Client checks the server's certificate
  // against and sends as SNI (empty: chain only). Null with `err` on failure.
  static std::unique_ptr<Session> create(const Context& ctx, const std::string& verify_host, std::string& err);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Role role() const { return role_; }
  bool established() const { return established_; }

  // --- input ---
  // Ciphertext received (copied into the session).
  void put_cipher(const char* p, size_t n);
  enum class Hs { Done, More, Failed };
  // Drives the handshake with what was put; on Failed, error() says why in
  // nats' words where they are known ("EOF", "tls: ...").
  Hs handshake();
  // Decrypts what is buffered into the plaintext buffer (after the held
  // rest, if any). Returns bytes added (>0), 0 when more ciphertext is
  // needed, -1 when the peer closed (close_notify) or the stream is broken.
  long decrypt();
  // Unparsed plaintext: the parser consumes from plain(), then consumed().
  std::string_view plain() const { return {plain_.get() + plain_off_, plain_len_ - plain_off_}; }
  void consumed(size_t n);
  bool has_plain() const { return plain_off_ < plain_len_; }

  // --- output ---
  // Encrypts up to `max` bytes of `iov`; returns the plaintext taken.
  size_t encrypt(const iovec* iov, int n, size_t max);
  // Ciphertext waiting to be sent; collect() moves what OpenSSL produced into
  // the send buffer and must not run while a send of it is in flight.
  void collect();
  const char* cipher() const { return out_.data() + out_off_; }
  size_t cipher_len() const { return out_len_ - out_off_; }
  bool cipher_pending() const;  // in the send buffer or still in OpenSSL
  void cipher_sent(size_t n);
  // Output of a close_notify alert (sent if the connection drains).
  // Queues close_notify (once; nothing can be encrypted after it).
  void shutdown();
  bool shut_down() const { return shut_down_; }
  // Frees the plaintext and ciphertext buffers while nothing is in them (an
  // idle connection holds none; the shard calls this from its timer).
  void trim();

  // Plaintext sent before the handshake (a client's INFO, as nats does).
  size_t plain_prefix = 0;
  int64_t deadline_ns = 0;  // the handshake must be done by then
  bool first_byte_seen = false;
  const std::string& error() const { return error_; }
  // "TLS1.3" and the cipher, for the debug line after the handshake.
  std::string describe() const;
  // The verified peer certificate's names; false when it sent none.
  bool peer_names(auth::CertIdentity& out) const;

  // --- kernel TLS (tls/ktls.cc) ---
  // After the handshake each direction's record layer may go to the kernel
  // (TLS 1.3 with AES-GCM or ChaCha20-Poly1305, where the kernel has "tls");
  // from then on that direction is plain sends or receives on the socket,
  // and this session only answers describe() and peer_names(). Anything
  // else stays in user space, which is also the whole path on a kernel
  // without the module.
  bool kernel_tx() const { return ktx_ == Kernel::On; }
  bool kernel_rx() const { return krx_ == Kernel::On; }
  bool kernel_tx_undecided() const { return ktx_ == Kernel::Untried; }
  bool kernel_rx_undecided() const { return krx_ == Kernel::Untried; }
  // Call when everything OpenSSL wrote has been sent and no send is in
  // flight; true when the kernel took the sending side.
  bool try_kernel_tx(int fd);
  // Call when no receive is in flight and the plaintext is consumed; true
  // when the kernel took the receiving side (only at a record boundary,
  // after the peer's first application record).
  bool try_kernel_rx(int fd);
  // The crypto state of one direction as the kernel would get it (for tests
  // and the hand-off); false when this session cannot be handed over.
  bool kernel_crypto(bool tx, KernelCrypto& out) const;
  // Called by the context's keylog and message callbacks (ktls.cc).
  void on_keylog(const char* line);
  void on_record(int write_p, int content_type, const void* buf, size_t len);

 private:
  Session() = default;
  void set_error_from_queue(int ssl_err);
  void kernel_settled();  // both directions decided: stop the callbacks

  enum class Kernel : uint8_t { Untried, On, Off };

  ssl_st* ssl_ = nullptr;
  bio_st* rbio_ = nullptr;  // ciphertext in (owned by ssl_)
  bio_st* wbio_ = nullptr;  // ciphertext out (owned by ssl_)
  Role role_ = Role::Server;
  bool established_ = false;
  bool shut_down_ = false;
  std::unique_ptr<char[]> plain_;  // kPlainBuf bytes while in use (not zeroed)
  size_t plain_off_ = 0, plain_len_ = 0;
  std::vector<char> out_;
  size_t out_off_ = 0, out_len_ = 0;
  std::string error_;

  // kTLS hand-off state. Secrets are wiped once both directions are decided.
  Kernel ktx_ = Kernel::Untried, krx_ = Kernel::Untried;
  bool ulp_attached_ = false;
  bool rx_app_seen_ = false;   // the peer's first application record came
  bool rx_rekeyed_ = false;    // a post-handshake KeyUpdate: the secret is stale
  int kfd_ = -1;               // the socket, once a direction is the kernel's
  uint8_t secret_len_ = 0;
  uint8_t client_secret_[48] = {}, server_secret_[48] = {};
  uint64_t rx_records_ = 0;    // records read since the handshake (the RX sequence)
  uint64_t tx_at_established_ = 0;  // bytes OpenSSL had written then
};

}  // namespace ringnats::tls
