// JSON validation, Go-compatible decoding and encoding, CONNECT defaults and
// the client INFO bytes, checked against what nats-server 2.9.10 does.
#include <gtest/gtest.h>

#include <string>

#include "proto/connect.h"
#include "proto/json.h"

using namespace ringnats::proto;

namespace {

const char* kValid[] = {
    "{}", " {} ", "\t{}\r\n", "null", "true", "false", "0", "-0", "1.5", "1e5", "1E+5", "-1.0e-3", "\"\"",
    "[]", "[1,\"a\",null,{}]", "{\"a\":{\"b\":[[]]}}", "\"\\u00e9\\n\\/\\\"\"", "\"\xc3\xa9\"",
    "\"\xff\"",  // Go's scanner accepts invalid UTF-8 inside strings
    "{\"a\" : 1 , \"b\":2}",
};

const char* kInvalid[] = {
    "", " ", "{", "}", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{a:1}", "{'a':1}",
    "01", "+1", ".5", "1.", "1e", "-", "tru", "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
    "\"a\tb\"", "\"a\nb\"", "{} x", "{}{}", "1 2", "{\"a\":1 \"b\":2}", "[1 2]",
};

}  // namespace

TEST(JsonValid, AcceptsValid) {
  for (const char* s : kValid) EXPECT_TRUE(json_valid(s)) << s;
}

TEST(JsonValid, RejectsInvalid) {
  for (const char* s : kInvalid) EXPECT_FALSE(json_valid(s)) << s;
}

TEST(JsonValid, DepthLimitIsGos) {
  std::string ok(10000, '['), bad(10001, '[');
  ok += std::string(10000, ']');
  bad += std::string(10001, ']');
  EXPECT_TRUE(json_valid(ok));
  EXPECT_FALSE(json_valid(bad));
}

TEST(JsonUnquote, EscapesAndSurrogates) {
  std::string out;
  json_unquote("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", out);
  EXPECT_EQ(out, "a\"b\\c/d\b\f\n\r\t");
  json_unquote("\"\\u0041\\u00e9\\u20ac\"", out);
  EXPECT_EQ(out, "A\xc3\xa9\xe2\x82\xac");
  json_unquote("\"\\ud83d\\ude00\"", out);  // surrogate pair
  EXPECT_EQ(out, "\xf0\x9f\x98\x80");
  json_unquote("\"\\ud800x\"", out);  // lone high surrogate
  EXPECT_EQ(out, "\xef\xbf\xbdx");
  json_unquote("\"\\udc00\"", out);  // lone low surrogate
  EXPECT_EQ(out, "\xef\xbf\xbd");
  json_unquote("\"\\ud800\\u0041\"", out);  // high + non-low: both kept separately
  EXPECT_EQ(out, "\xef\xbf\xbd" "A");
  json_unquote("\"a\xff" "b\"", out);  // invalid UTF-8 byte
  EXPECT_EQ(out, "a\xef\xbf\xbd" "b");
  json_unquote("\"\xed\xa0\x80\"", out);  // UTF-8 encoded surrogate: 3 bad bytes
  EXPECT_EQ(out, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
  json_unquote("\"\\u0000\"", out);
  EXPECT_EQ(out, std::string(1, '\0'));
}

TEST(JsonKey, GoFolding) {
  EXPECT_TRUE(json_key_matches("verbose", "verbose"));
  EXPECT_TRUE(json_key_matches("Verbose", "verbose"));
  EXPECT_TRUE(json_key_matches("VERBOSE", "verbose"));
  EXPECT_TRUE(json_key_matches("\xc5\xbfig", "sig"));        // long s
  EXPECT_TRUE(json_key_matches("n\xe2\x84\xaay", "nky"));    // Kelvin sign
  EXPECT_TRUE(json_key_matches("TLS_REQUIRED", "tls_required"));
  EXPECT_FALSE(json_key_matches("verbos", "verbose"));
  EXPECT_FALSE(json_key_matches("verbosee", "verbose"));
  EXPECT_FALSE(json_key_matches("tls-required", "tls_required"));
}

TEST(JsonAppendString, MatchesGoMarshal) {
  auto enc = [](std::string_view s) {
    std::string o;
    json_append_string(o, s);
    return o;
  };
  // Seen live: server_name 'A<&>"é' came out as below.
  EXPECT_EQ(enc("A<&>\"\xc3\xa9"), "\"A\\u003c\\u0026\\u003e\\\"\xc3\xa9\"");
  EXPECT_EQ(enc("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(enc("\n\r\t"), "\"\\n\\r\\t\"");
  EXPECT_EQ(enc(std::string("\b\f\x01\x1f", 4)), "\"\\u0008\\u000c\\u0001\\u001f\"");  // Go 1.19: no \b \f
  EXPECT_EQ(enc(std::string(1, '\0')), "\"\\u0000\"");
  EXPECT_EQ(enc("\x7f"), "\"\x7f\"");
  EXPECT_EQ(enc("a\xff" "b"), "\"a\\ufffdb\"");
  EXPECT_EQ(enc("\xe2\x80\xa8\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
  EXPECT_EQ(enc("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");  // a real U+FFFD stays raw
  EXPECT_EQ(enc("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(enc("/"), "\"/\"");
}

TEST(JsonWriter, FieldsInOrder) {
  JsonWriter w;
  w.field("s", "x");
  w.field("b", false);
  w.field("i", int64_t{-42});
  w.field("u", uint64_t{18446744073709551615ull});
  w.field("n", 7);
  w.field("v", std::vector<std::string>{"a", "b<"});
  w.field("e", std::vector<std::string>{});
  JsonPermission p;
  p.deny = {"x"};
  w.field("p", p);
  w.field("q", JsonPermission{});
  w.field("by", JsonBytes{"hello"});
  EXPECT_EQ(w.finish(),
            "{\"s\":\"x\",\"b\":false,\"i\":-42,\"u\":18446744073709551615,\"n\":7,\"v\":[\"a\",\"b\\u003c\"],"
            "\"e\":[],\"p\":{\"deny\":[\"x\"]},\"q\":{},\"by\":\"aGVsbG8=\"}");
  EXPECT_EQ(w.finish(), "{}");  // reusable after finish
  JsonWriter m;
  m.field("min", INT64_MIN);
  EXPECT_EQ(m.finish(), "{\"min\":-9223372036854775808}");
}

TEST(JsonDecode, TypesNullsAndUnknownKeys) {
  bool b = false;
  std::string s = "keep";
  int64_t i = 5;
  std::vector<std::string> v{"old"};
  const JsonField f[] = {{"b", &b}, {"s", &s}, {"i", &i}, {"v", &v}};
  EXPECT_TRUE(json_decode_object(R"({"b":true,"x":{"y":[1,2,{"z":null}]},"i":-7})", f, 4));
  EXPECT_TRUE(b);
  EXPECT_EQ(i, -7);
  EXPECT_EQ(s, "keep");
  EXPECT_TRUE(json_decode_object(R"({"b":null,"s":null,"i":null})", f, 4));  // null: no change
  EXPECT_TRUE(b);
  EXPECT_EQ(s, "keep");
  EXPECT_EQ(i, -7);
  EXPECT_TRUE(json_decode_object(R"({"v":null})", f, 4));  // null resets a slice
  EXPECT_TRUE(v.empty());
  EXPECT_TRUE(json_decode_object(R"({"v":["a",null,"c"],"S":"x","s":"y"})", f, 4));
  EXPECT_EQ(v, (std::vector<std::string>{"a", "", "c"}));
  EXPECT_EQ(s, "y");  // last duplicate wins, keys fold case
  EXPECT_TRUE(json_decode_object("null", f, 4));
  EXPECT_TRUE(json_decode_object(" {} ", f, 4));
}

TEST(JsonDecode, Errors) {
  bool b = false;
  std::string s;
  int64_t i = 0;
  int32_t i32 = 0;
  uint64_t u = 0;
  uint8_t u8 = 0;
  std::vector<std::string> v;
  std::optional<JsonPermission> p;
  JsonBytes by;
  const JsonField f[] = {{"b", &b},     {"s", &s}, {"i", &i}, {"i32", &i32}, {"u", &u},
                         {"u8", &u8},   {"v", &v}, {"p", &p}, {"by", &by}};
  auto err = [&](const char* j) { return json_decode_object(j, f, std::size(f)).error; };
  EXPECT_EQ(err("{\"b\":1"), JsonError::Syntax);
  EXPECT_EQ(err("{\"b\":1} x"), JsonError::Syntax);
  EXPECT_EQ(err(""), JsonError::Syntax);
  EXPECT_EQ(err("[]"), JsonError::Type);
  EXPECT_EQ(err("\"x\""), JsonError::Type);
  EXPECT_EQ(err("5"), JsonError::Type);
  EXPECT_EQ(err(R"({"b":"yes"})"), JsonError::Type);
  EXPECT_EQ(err(R"({"b":1})"), JsonError::Type);
  EXPECT_EQ(err(R"({"s":1})"), JsonError::Type);
  EXPECT_EQ(err(R"({"s":true})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i":"1"})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i":1.0})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i":1e2})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i":9223372036854775808})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i":-9223372036854775808})"), JsonError::None);
  EXPECT_EQ(i, INT64_MIN);
  EXPECT_EQ(err(R"({"i32":2147483648})"), JsonError::Type);
  EXPECT_EQ(err(R"({"i32":-2147483648})"), JsonError::None);
  EXPECT_EQ(err(R"({"u":-1})"), JsonError::Type);
  EXPECT_EQ(err(R"({"u":-0})"), JsonError::Type);
  EXPECT_EQ(err(R"({"u":18446744073709551615})"), JsonError::None);
  EXPECT_EQ(err(R"({"u8":256})"), JsonError::Type);
  EXPECT_EQ(err(R"({"u8":255})"), JsonError::None);
  EXPECT_EQ(err(R"({"v":"a"})"), JsonError::Type);
  EXPECT_EQ(err(R"({"v":[1]})"), JsonError::Type);
  EXPECT_EQ(err(R"({"v":[["a"]]})"), JsonError::Type);
  EXPECT_EQ(err(R"({"p":5})"), JsonError::Type);
  EXPECT_EQ(err(R"({"p":[]})"), JsonError::Type);
  EXPECT_EQ(err(R"({"p":{"allow":"a"}})"), JsonError::Type);
  EXPECT_EQ(err(R"({"p":{"allow":["a"],"other":1}})"), JsonError::None);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->allow, std::vector<std::string>{"a"});
  EXPECT_EQ(err(R"({"p":null})"), JsonError::None);
  EXPECT_FALSE(p.has_value());
  EXPECT_EQ(err(R"({"by":"aGk="})"), JsonError::None);
  EXPECT_EQ(by.data, "hi");
  EXPECT_EQ(err(R"({"by":"aGk"})"), JsonError::Type);
  EXPECT_EQ(err(R"({"by":[104,105,33]})"), JsonError::None);
  EXPECT_EQ(by.data, "hi!");
  // A type error does not stop the decode: later fields still land (as in Go).
  s.clear();
  EXPECT_EQ(err(R"({"b":"x","s":"later"})"), JsonError::Type);
  EXPECT_EQ(s, "later");
}

TEST(ClientConnect, DefaultsBeforeDecoding) {
  ClientConnectOptions o;
  EXPECT_TRUE(o.verbose);
  EXPECT_TRUE(o.pedantic);
  EXPECT_TRUE(o.echo);
  ASSERT_TRUE(parse_client_connect("{}", o));
  EXPECT_TRUE(o.verbose);  // CONNECT {} keeps verbose on: nats answers +OK
  EXPECT_TRUE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_FALSE(o.headers);
  EXPECT_EQ(o.protocol, 0);
  ClientConnectOptions n;
  ASSERT_TRUE(parse_client_connect("null", n));  // accepted by nats, defaults kept
  EXPECT_TRUE(n.verbose);
}

TEST(ClientConnect, LibnatsConnect) {
  ClientConnectOptions o;
  ASSERT_TRUE(parse_client_connect(
      R"({"verbose":false,"pedantic":false,"tls_required":false,"name":"","lang":"C","version":"3.4.1","protocol":1,"echo":true,"headers":true,"no_responders":true})",
      o));
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.pedantic);
  EXPECT_TRUE(o.echo);
  EXPECT_TRUE(o.headers);
  EXPECT_TRUE(o.no_responders);
  EXPECT_EQ(o.protocol, 1);
  EXPECT_EQ(o.lang, "C");
  EXPECT_EQ(o.version, "3.4.1");
  EXPECT_FALSE(o.has_account);
}

TEST(ClientConnect, FieldsAndErrors) {
  ClientConnectOptions o;
  ASSERT_TRUE(parse_client_connect(
      R"({"user":"u","pass":"p\u0021","auth_token":"t","nkey":"N","sig":"s","jwt":"j","Verbose":false,"PROTOCOL":-1})",
      o));
  EXPECT_EQ(o.user, "u");
  EXPECT_EQ(o.pass, "p!");
  EXPECT_EQ(o.auth_token, "t");
  EXPECT_EQ(o.nkey, "N");
  EXPECT_EQ(o.sig, "s");
  EXPECT_EQ(o.jwt, "j");
  EXPECT_FALSE(o.verbose);
  EXPECT_EQ(o.protocol, -1);  // decodes; the caller answers 'invalid client protocol'

  auto bad = [](const char* j) {
    ClientConnectOptions x;
    return parse_client_connect(j, x).error;
  };
  EXPECT_EQ(bad(R"({"verbose":"yes"})"), JsonError::Type);
  EXPECT_EQ(bad(R"({"protocol":1.0})"), JsonError::Type);
  EXPECT_EQ(bad(R"({"protocol":"1"})"), JsonError::Type);
  EXPECT_EQ(bad(R"({"import":5})"), JsonError::Type);
  EXPECT_EQ(bad("{\"\xc5\xbfig\":5}"), JsonError::Type);  // 'ſig' folds to sig
  EXPECT_EQ(bad(R"({"verbose":false} x)"), JsonError::Syntax);
  EXPECT_EQ(bad("{\"verbose\":false"), JsonError::Syntax);
  EXPECT_EQ(bad(""), JsonError::Syntax);
  EXPECT_EQ(bad(R"({"verbose":false,"import":{"allow":["a",null]}})"), JsonError::None);
  EXPECT_EQ(bad(R"({"verbose":false,"x":[1,{"a":[]}]})"), JsonError::None);
}

TEST(ClientConnect, AccountPresence) {
  auto has = [](const char* j) {
    ClientConnectOptions x;
    EXPECT_TRUE(parse_client_connect(j, x)) << j;
    return x.has_account;
  };
  EXPECT_FALSE(has(R"({"account":""})"));
  EXPECT_FALSE(has(R"({"new_account":false})"));
  EXPECT_TRUE(has(R"({"account":"A"})"));
  EXPECT_TRUE(has(R"({"new_account":true})"));
}

TEST(ClientConnect, DecodesOnTopOfCurrentValues) {
  ClientConnectOptions o;
  ASSERT_TRUE(parse_client_connect(R"({"verbose":false,"name":"a"})", o));
  ASSERT_TRUE(parse_client_connect(R"({"pedantic":false})", o));
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.pedantic);
  EXPECT_EQ(o.name, "a");
}

namespace {

ServerInfo client_info_a() {
  ServerInfo i;
  i.server_id = "NAMXZWQYUF4KMH7GCKP2KXE5JINBYLLA4OO23WI4T4HACXGFTCFO7XVO";
  i.server_name = "A<&>\"\xc3\xa9";
  i.version = "2.9.10";
  i.proto = 1;
  i.go = "go1.19.8";
  i.host = "127.0.0.1";
  i.port = 24222;
  i.headers = true;
  i.max_payload = 1048576;
  i.client_id = 4;
  i.client_ip = "127.0.0.1";
  i.cluster = "t";
  return i;
}

}  // namespace

TEST(ServerInfo, ClientInfoMatchesLiveServer) {
  // Captured from nats-server 2.9.10 -n 'A<&>"é' --cluster_name t.
  EXPECT_EQ(info_line(client_info_a()),
            "INFO {\"server_id\":\"NAMXZWQYUF4KMH7GCKP2KXE5JINBYLLA4OO23WI4T4HACXGFTCFO7XVO\",\"server_name\":"
            "\"A\\u003c\\u0026\\u003e\\\"\xc3\xa9\",\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go1.19.8\",\"host\":"
            "\"127.0.0.1\",\"port\":24222,\"headers\":true,\"max_payload\":1048576,\"client_id\":4,\"client_ip\":"
            "\"127.0.0.1\",\"cluster\":\"t\"} \r\n");
}

TEST(ServerInfo, OptionalFieldsOrder) {
  ServerInfo i = client_info_a();
  i.server_name = std::string("A");  // (a plain literal assign trips a GCC 12 -Wrestrict false positive)
  i.auth_required = true;
  i.nonce = "abc";
  i.connect_urls = {"127.0.0.1:14222", "127.0.0.1:14223"};
  i.ldm = true;
  EXPECT_EQ(server_info_json(i),
            "{\"server_id\":\"NAMXZWQYUF4KMH7GCKP2KXE5JINBYLLA4OO23WI4T4HACXGFTCFO7XVO\",\"server_name\":\"A\","
            "\"version\":\"2.9.10\",\"proto\":1,\"go\":\"go1.19.8\",\"host\":\"127.0.0.1\",\"port\":24222,"
            "\"headers\":true,\"auth_required\":true,\"max_payload\":1048576,\"client_id\":4,\"client_ip\":"
            "\"127.0.0.1\",\"nonce\":\"abc\",\"cluster\":\"t\",\"connect_urls\":[\"127.0.0.1:14222\","
            "\"127.0.0.1:14223\"],\"ldm\":true}");
  ServerInfo e;  // the always-present fields, even when empty
  EXPECT_EQ(server_info_json(e),
            "{\"server_id\":\"\",\"server_name\":\"\",\"version\":\"\",\"proto\":1,\"go\":\"\",\"host\":\"\","
            "\"port\":0,\"headers\":false,\"max_payload\":0}");
}

TEST(ServerInfo, RoundTrip) {
  ServerInfo i = client_info_a();
  i.import_perm = JsonPermission{{"a.>"}, {}};
  i.gateway_cmd = 2;
  i.gateway_cmd_payload.data = "xyz";
  i.leafnode_urls = {"nats-leaf://h:1"};
  std::string j = server_info_json(i);
  ServerInfo back;
  back.proto = 0;
  ASSERT_TRUE(parse_server_info(j, back));
  EXPECT_EQ(server_info_json(back), j);
  EXPECT_EQ(back.server_name, i.server_name);
}

TEST(ServerInfo, ParseErrors) {
  ServerInfo i;
  EXPECT_EQ(parse_server_info(R"({"port":"x"})", i).error, JsonError::Type);
  EXPECT_EQ(parse_server_info(R"({"max_payload":4294967296})", i).error, JsonError::Type);  // int32
  EXPECT_EQ(parse_server_info(R"({"client_id":-1})", i).error, JsonError::Type);           // uint64
  EXPECT_EQ(parse_server_info(R"({"connect_urls":"a"})", i).error, JsonError::Type);
  EXPECT_EQ(parse_server_info(R"({"server_id":"x",)", i).error, JsonError::Syntax);
  EXPECT_TRUE(parse_server_info(R"({"server_id":"x","whatever":{"deep":[1,2]}} )", i));
}

namespace {

// Decodes nats' unpadded base32 and checks the CRC-16/XMODEM trailer.
bool valid_server_nkey(const std::string& id) {
  static const std::string kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  if (id.size() != 56 || id[0] != 'N') return false;
  std::vector<uint8_t> raw;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : id) {
    auto pos = kAlpha.find(c);
    if (pos == std::string::npos) return false;
    acc = (acc << 5) | uint32_t(pos);
    bits += 5;
    if (bits >= 8) {
      raw.push_back(static_cast<uint8_t>(acc >> (bits - 8)));
      bits -= 8;
    }
  }
  if (raw.size() != 35 || raw[0] != (13 << 3)) return false;
  uint16_t crc = 0;
  for (size_t i = 0; i < 33; ++i) {
    crc ^= uint16_t(raw[i]) << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? uint16_t((crc << 1) ^ 0x1021) : uint16_t(crc << 1);
  }
  return raw[33] == (crc & 0xFF) && raw[34] == (crc >> 8);
}

}  // namespace

TEST(ServerId, ShapeAndChecksum) {
  // The checker accepts a real id taken from a live nats-server...
  EXPECT_TRUE(valid_server_nkey("NAMXZWQYUF4KMH7GCKP2KXE5JINBYLLA4OO23WI4T4HACXGFTCFO7XVO"));
  EXPECT_FALSE(valid_server_nkey("NAMXZWQYUF4KMH7GCKP2KXE5JINBYLLA4OO23WI4T4HACXGFTCFO7XVP"));
  // ...and every id we make.
  std::string a = make_server_id(), b = make_server_id();
  EXPECT_TRUE(valid_server_nkey(a)) << a;
  EXPECT_TRUE(valid_server_nkey(b)) << b;
  EXPECT_NE(a, b);
}
