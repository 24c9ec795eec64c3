// Kernel TLS: the crypto state the kernel's "tls" upper layer needs to take
// over one direction of an established TLS 1.3 session, derived here from
// the traffic secret OpenSSL reports through its keylog callback (OpenSSL
// offers no other way to read it when it does not own the socket). Written
// by hand because it must match RFC 8446 7.1/7.3 byte for byte; the HKDF is
// OpenSSL's. No shared state: the only global is whether the kernel lacks
// the module, set once and read with relaxed loads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace ringnats::tls {

class Session;

// What setsockopt(SOL_TLS, TLS_TX or TLS_RX) takes, and its parts (which a
// test uses to build and open records as the kernel would).
struct KernelCrypto {
  uint16_t cipher = 0;    // the kernel's TLS_CIPHER_*
  uint16_t suite = 0;     // the TLS 1.3 suite (0x1301..0x1303)
  uint8_t key[32] = {};
  size_t key_len = 0;
  uint8_t iv[12] = {};    // the whole write IV (the kernel's salt || iv for GCM)
  uint64_t seq = 0;       // the next record's sequence number
  alignas(8) uint8_t sockopt[64] = {};
  size_t sockopt_len = 0;
  KernelCrypto() = default;
  KernelCrypto(const KernelCrypto&) = delete;
  KernelCrypto& operator=(const KernelCrypto&) = delete;
  ~KernelCrypto();  // wipes the key
};

// Key and IV from a TLS 1.3 application traffic secret (RFC 8446 7.3) for
// `suite` (0x1301 AES-128-GCM, 0x1302 AES-256-GCM, 0x1303 ChaCha20-Poly1305),
// and the setsockopt argument. False for any other suite.
bool derive_kernel_crypto(uint16_t suite, const uint8_t* secret, size_t secret_len, uint64_t seq,
                          KernelCrypto& out);

// Attaches the "tls" upper layer to a connected TCP socket (once per socket)
// and gives it one direction. False with `why` when the kernel refuses;
// after an ENOENT (no module) no socket tries again.
bool kernel_take(int fd, const KernelCrypto& k, bool tx, bool& ulp_attached, std::string& why);
bool kernel_tls_missing();

// The context reports each session's traffic secrets (keylog callback) and
// the session its records (message callback, until both directions are
// decided), which is what try_kernel_tx/rx need.
void report_secrets(ssl_ctx_st* ctx);
void watch_for_kernel(ssl_st* ssl, Session* s);

// close_notify through a kernel TX session (an alert record: sendmsg with
// TLS_SET_RECORD_TYPE). Never blocks; a full socket buffer drops it, as a
// peer that stopped reading would never see it anyway.
void kernel_send_close_notify(int fd);

}  // namespace ringnats::tls
