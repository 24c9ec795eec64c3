// The certificates of the in-process TLS tests (session_test, ktls_test):
// one set per test process, made with openssl on first use, and the server
// options that name them.
#pragma once

#include "config/security_options.h"
#include "tests/integration/harness.h"

namespace tlstest {

inline itest::TestCerts& certs() {
  static itest::TestCerts c;
  return c;
}

// The server side: its certificate, and the CA that signed both ends.
inline ringnats::TlsOptions server_options() {
  ringnats::TlsOptions o;
  o.enabled = true;
  o.cert_file = certs().server_cert();
  o.key_file = certs().server_key();
  o.ca_file = certs().ca();
  return o;
}

}  // namespace tlstest
