// Unit tests of tls/go_x509_strings: which name values Go's x509 parser
// takes, and the text it makes of them.
#include <gtest/gtest.h>
#include <openssl/asn1.h>

#include <string>

#include "tls/go_x509_strings.h"

namespace {

struct Value {
  ASN1_STRING* s;
  Value(int type, const std::string& bytes) : s(ASN1_STRING_type_new(type)) {
    ASN1_STRING_set(s, bytes.data(), static_cast<int>(bytes.size()));
  }
  ~Value() { ASN1_STRING_free(s); }
};

bool take(int type, const std::string& bytes, std::string* out = nullptr) {
  Value v(type, bytes);
  std::string text;
  bool ok = ringnats::tls::go_name_value(v.s, text);
  if (out) *out = text;
  return ok;
}

TEST(GoX509Strings, TypesAndContentGoAccepts) {
  EXPECT_TRUE(take(V_ASN1_PRINTABLESTRING, "Acme Co. (eng) *&'+,-./:=?"));
  EXPECT_FALSE(take(V_ASN1_PRINTABLESTRING, "ali_ce"));
  EXPECT_FALSE(take(V_ASN1_PRINTABLESTRING, "a@b"));
  EXPECT_TRUE(take(V_ASN1_UTF8STRING, "caf\xC3\xA9"));
  EXPECT_FALSE(take(V_ASN1_UTF8STRING, "caf\xE9"));
  EXPECT_FALSE(take(V_ASN1_UTF8STRING, "\xED\xA0\x80"));  // a surrogate
  EXPECT_TRUE(take(V_ASN1_IA5STRING, "a@b.c"));
  EXPECT_FALSE(take(V_ASN1_IA5STRING, "ali\xE9" "ce"));
  EXPECT_TRUE(take(V_ASN1_NUMERICSTRING, "12 34"));
  EXPECT_FALSE(take(V_ASN1_NUMERICSTRING, "alice"));
  EXPECT_TRUE(take(V_ASN1_T61STRING, "caf\xE9"));
  EXPECT_FALSE(take(V_ASN1_UNIVERSALSTRING, std::string("\0\0\0a", 4)));
  EXPECT_FALSE(take(V_ASN1_BMPSTRING, std::string("\0a\0", 3)));  // odd length
}

TEST(GoX509Strings, BmpDecodedAsGoDoes) {
  std::string out;
  ASSERT_TRUE(take(V_ASN1_BMPSTRING, std::string("\0a\0l\0i\0c\0e\0\0", 12), &out));
  EXPECT_EQ(out, "alice");  // the terminator dropped
  ASSERT_TRUE(take(V_ASN1_BMPSTRING, std::string("\0\xe9\xd8\x3d\xde\x00", 6), &out));
  EXPECT_EQ(out, "\xC3\xA9\xF0\x9F\x98\x80");  // é and a surrogate pair
  ASSERT_TRUE(take(V_ASN1_BMPSTRING, std::string("\xd8\x3d\0a", 4), &out));
  EXPECT_EQ(out, "\xEF\xBF\xBD" "a");  // an unpaired surrogate
}

}  // namespace
