// Unit tests of auth/dn and auth/cert_identity: DN texts parsed and compared
// as nats' ldap package does, Go's text for a certificate subject, and the
// order in which a certificate's names are offered to verify_and_map.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/cert_identity.h"
#include "auth/dn.h"

namespace ringnats::auth {
namespace {

constexpr const char* kCN = "2.5.4.3";
constexpr const char* kO = "2.5.4.10";
constexpr const char* kOU = "2.5.4.11";
constexpr const char* kC = "2.5.4.6";
constexpr const char* kDC = "0.9.2342.19200300.100.1.25";
constexpr const char* kEmail = "1.2.840.113549.1.9.1";

// One attribute per RDN, in certificate (DER) order.
RawSubject subject(std::vector<std::pair<const char*, std::string>> attrs) {
  RawSubject s;
  for (auto& [oid, v] : attrs) s.push_back({SubjectAttr{oid, v, true}});
  return s;
}

std::string text(const Dn& d) {
  std::string out;
  for (const auto& rdn : d.rdns) {
    if (!out.empty()) out += " | ";
    for (size_t i = 0; i < rdn.size(); ++i) out += (i ? "+" : "") + rdn[i].first + "=" + rdn[i].second;
  }
  return out;
}

TEST(Dn, ParsesAsNats) {
  struct Case {
    const char* in;
    const char* want;  // nullptr: an error
  } cases[] = {
      {"CN=alice,OU=eng,O=acme", "CN=alice | OU=eng | O=acme"},
      {"cn=alice, ou=eng ,  o=acme", "cn=alice | ou=eng | o=acme"},  // spaces around values dropped
      {"CN=alice+OU=eng,O=acme", "CN=alice+OU=eng | O=acme"},
      {"CN=alice\\, jr,O=acme", "CN=alice, jr | O=acme"},
      {"CN=a\\2cb", "CN=a,b"},
      {"CN=trailing\\ ", "CN=trailing "},  // an escaped space stays
      {"CN=x,", "CN=x"},                   // a trailing comma ends the RDN
      {"CN=", ""},                         // nothing after '=': no RDN, no error
      {"", ""},
      {"alice", nullptr},                  // a plain user name is not a DN
      {"=x", nullptr},
      {",CN=x", nullptr},
      {"CN=#0403", nullptr},               // BER values are refused
      {"CN=a\\zz", nullptr},
      {"CN=a\\4", nullptr},
  };
  for (const Case& c : cases) {
    auto d = parse_dn(c.in);
    if (!c.want) {
      EXPECT_FALSE(d) << c.in;
      continue;
    }
    ASSERT_TRUE(d) << c.in;
    EXPECT_EQ(text(*d), c.want) << c.in;
  }
}

TEST(Dn, FromSubjectReversesAndNamesTypes) {
  auto d = dn_from_subject(subject({{kDC, "org"}, {kDC, "example"}, {kO, "acme"}, {kCN, "alice"}}));
  ASSERT_TRUE(d);
  EXPECT_EQ(text(*d), "CN=alice | O=acme | DC=example | DC=org");
  RawSubject multi = {{{kO, "acme", true}}, {{kOU, "eng", true}, {kCN, "alice", true}}};
  ASSERT_TRUE(dn_from_subject(multi));
  EXPECT_EQ(text(*dn_from_subject(multi)), "CN=alice+OU=eng | O=acme");
  EXPECT_FALSE(dn_from_subject(subject({{kCN, "alice"}, {kEmail, "a@b.c"}})));  // unknown type
  RawSubject binary = {{{kCN, "x", false}}};
  EXPECT_FALSE(dn_from_subject(binary));
}

TEST(Dn, EqualAndReordered) {
  auto cert = *dn_from_subject(subject({{kO, "acme"}, {kOU, "eng"}, {kCN, "alice"}}));
  EXPECT_TRUE(dn_equal(*parse_dn("CN=alice,OU=eng,O=acme"), cert));
  EXPECT_TRUE(dn_equal(*parse_dn("cn=alice, ou=eng, o=acme"), cert));
  EXPECT_FALSE(dn_equal(*parse_dn("O=acme,OU=eng,CN=alice"), cert));
  EXPECT_TRUE(dn_rdns_match(*parse_dn("O=acme,OU=eng,CN=alice"), cert));
  EXPECT_FALSE(dn_rdns_match(*parse_dn("O=acme,CN=alice"), cert));
  EXPECT_FALSE(dn_rdns_match(*parse_dn("CN=Alice,OU=eng,O=acme"), cert));  // values are exact
  EXPECT_FALSE(dn_rdns_match(*parse_dn("CN=alice+OU=eng,O=acme"), cert));
}

TEST(CertSubjectText, AsGoWritesIt) {
  // Types gathered in pkix order, then reversed; unusual types left out.
  EXPECT_EQ(go_subject_string(subject({{kCN, "alice"}, {kO, "acme"}, {kC, "US"}, {kDC, "org"}, {kEmail, "a@b"}})),
            "CN=alice,O=acme,C=US");
  EXPECT_EQ(go_subject_string(subject({{kOU, "a"}, {kOU, "b"}, {kCN, "x"}})), "CN=x,OU=a+OU=b");
  EXPECT_EQ(go_subject_string(subject({{kCN, "first"}, {kCN, "last"}})), "CN=last");
  EXPECT_EQ(go_subject_string(subject({{kCN, " a,b+c\"d\\e<f>g;h "}})), "CN=\\ a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\ ");
  EXPECT_EQ(go_subject_string(subject({{kCN, "#x#"}})), "CN=\\#x#");
  EXPECT_EQ(go_subject_string(subject({{kCN, std::string("a\xff", 2)}})), "CN=a\xEF\xBF\xBD");
  EXPECT_EQ(subject_dcs(subject({{kDC, "org"}, {kO, "x"}, {kDC, "example"}})), "DC=org,DC=example");
}

TEST(MapCertificate, TriesNamesInNatsOrder) {
  CertIdentity id;
  id.emails = {"a@x"};
  id.dns = {"host"};
  id.uris = {"spiffe://x/y"};
  id.subject = subject({{kDC, "org"}, {kO, "acme"}, {kCN, "alice"}});
  std::vector<std::string> seen;
  map_certificate(id, [&](std::string_view name, const Dn* dn, bool is_dns) {
    seen.push_back(dn ? "dn:" + text(*dn) : std::string(is_dns ? "dns:" : "") + std::string(name));
    return false;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"a@x", "dns:host", "spiffe://x/y", "dn:CN=alice | O=acme | DC=org",
                                            "CN=alice,O=acme,DC=org", "CN=alice,O=acme"}));
  // Stops at the first accepted.
  seen.clear();
  EXPECT_TRUE(map_certificate(id, [&](std::string_view name, const Dn*, bool) {
    seen.emplace_back(name);
    return name == "host";
  }));
  EXPECT_EQ(seen.size(), 2u);
}

TEST(MapCertificate, DnsNamesAloneNameNothing) {
  CertIdentity id;
  id.dns = {"host"};
  bool asked = false;
  EXPECT_FALSE(map_certificate(id, [&](std::string_view, const Dn*, bool) { return asked = true; }));
  EXPECT_FALSE(asked);
  // Nor with a subject of only an empty CN or serial number (Go's text is "").
  id.subject = subject({{kCN, ""}, {"2.5.4.5", ""}});
  EXPECT_FALSE(map_certificate(id, [&](std::string_view, const Dn*, bool) { return asked = true; }));
  EXPECT_FALSE(asked);
  // Any other subject attribute, even one Go's text leaves out, lets them be tried.
  id.subject = subject({{kEmail, "a@b"}});
  EXPECT_TRUE(map_certificate(id, [&](std::string_view n, const Dn*, bool) { return n == "host"; }));
}

}  // namespace
}  // namespace ringnats::auth
