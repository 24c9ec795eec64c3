// The `tls {}` block (top level: the client port; inside `cluster {}`:
// routes) and the --tls* flags, read into TlsOptions with nats-server 2.9's
// errors, and the certificate checks nats' GenTLSConfig makes at parse time.
// Pure functions on the config thread; nothing here is shared.
#pragma once

#include <string>
#include <string_view>

#include "config/config_sink.h"
#include "config/security_options.h"

namespace ringnats::tlsconf {

// Parses `v` (the value of a `tls` key) into `out`. `path` names the key for
// refusals ("tls" or "cluster.tls"); `cluster` selects nats' cluster context
// (verification always on, verify_cert_and_check_known_urls allowed there).
void parse_tls_block(const confparse::ConfValue& v, const std::string& path, bool cluster, TlsOptions& out,
                     confparse::Sink& s);

// Loads cert/key/ca as nats does when it builds its tls.Config; returns ""
// or nats' error text (without a position), e.g.
// "error parsing X509 certificate/key pair: open x.pem: no such file or directory".
std::string check_files(const TlsOptions& o);

// OpenSSL's name for a Go cipher suite name nats accepts: "" for the TLS 1.3
// suites (Go does not let them be configured; neither do we), nullptr when
// nats does not know the name.
const char* openssl_cipher(std::string_view go_name);
// OpenSSL's group name for a nats curve preference, nullptr if unknown.
const char* openssl_curve(std::string_view go_name);

// nats' default cipher suites (TLS 1.2; TLS 1.3 uses OpenSSL's defaults).
inline constexpr const char* kDefaultCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";
inline constexpr const char* kDefaultCurves = "X25519:P-256:P-384:P-521";

}  // namespace ringnats::tlsconf
