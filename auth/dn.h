// Distinguished names as nats-server 2.9 compares them when a user name is
// a DN (its internal ldap package): parsed from text (RFC 4514 escapes),
// built from a certificate's subject, equal RDN by RDN, or equal with the
// RDNs in any order. Written by hand because the accepted texts and the
// comparison must be exactly nats'; pure strings, no OpenSSL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringnats::auth {

// A certificate subject as encoded: RDN sets in DER order, each attribute
// as (dotted OID, value); `is_string` false for a value that is not one of
// the ASN.1 string types (nats skips or refuses those).
struct SubjectAttr {
  std::string oid;
  std::string value;
  bool is_string = true;
};
using RawSubject = std::vector<std::vector<SubjectAttr>>;

// (type, value) pairs per RDN, most specific RDN first.
struct Dn {
  std::vector<std::vector<std::pair<std::string, std::string>>> rdns;
};

// nats' ParseDN: nullopt where it returns an error (a plain user name such
// as "alice" is not a DN).
std::optional<Dn> parse_dn(std::string_view text);

// nats' FromRawCertSubject: the subject reversed (RDNs and the attributes of
// each), types named CN, SERIALNUMBER, C, L, ST, STREET, O, OU, POSTALCODE,
// DC; nullopt when any attribute is of another type or not a string.
std::optional<Dn> dn_from_subject(const RawSubject& subject);

// Same RDNs in the same order (types case-insensitive, values exact).
bool dn_equal(const Dn& a, const Dn& b);
// Same RDNs in any order.
bool dn_rdns_match(const Dn& a, const Dn& b);

}  // namespace ringnats::auth
