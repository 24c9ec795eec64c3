// The string rules of Go's crypto/x509 parser, which nats-server's TLS stack
// applies to every certificate a peer presents: a name attribute must be a
// PrintableString, UTF8String, IA5String, NumericString, T61String or
// BMPString whose bytes are valid for its type, and e-mail, DNS and URI
// SANs must be ASCII; anything else fails the handshake in nats. Written by
// hand because OpenSSL accepts more, and who a verified certificate maps to
// (verify_and_map) must be decided on the same text Go would see.
#pragma once

#include <string>

struct asn1_string_st;
struct x509_st;

namespace ringnats::tls {

// The value as Go hands it on (BMPString decoded from UTF-16 with a
// trailing terminator dropped, the others as their bytes); false for a
// type or content Go's parser refuses.
bool go_name_value(const asn1_string_st* v, std::string& out);

// Whether Go would parse the certificate's subject, issuer and SAN names.
bool go_parses_names(x509_st* cert);

}  // namespace ringnats::tls
