// Tests for the nats config-file language (config/conf): separators, comments,
// blocks, arrays, strings, numbers with size suffixes, variables, includes,
// Go durations, and the exact error texts nats-server prints.
#include "config/conf.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "tests/config/test_util.h"

using namespace ringnats::conf;
using ringnats::testing::TempDir;

namespace {

ConfValue parse_ok(std::string_view text) {
  ConfParseResult r = parse_conf_string(text, "t.conf");
  EXPECT_TRUE(r.ok) << r.error << "\n--- input:\n" << text;
  return r.root;
}

std::string parse_err(std::string_view text) {
  ConfParseResult r = parse_conf_string(text, "t.conf");
  EXPECT_FALSE(r.ok) << "--- input:\n" << text;
  return r.error;
}

const ConfValue& at(const ConfValue& m, const char* key) {
  const ConfValue* v = m.find(key);
  static ConfValue missing;
  EXPECT_NE(v, nullptr) << "missing key " << key;
  return v ? *v : missing;
}

int64_t int_of(const ConfValue& m, const char* key) {
  const ConfValue& v = at(m, key);
  EXPECT_EQ(v.kind, ConfKind::Int) << key << " is " << v.go_type();
  return v.i;
}

std::string str_of(const ConfValue& m, const char* key) {
  const ConfValue& v = at(m, key);
  EXPECT_EQ(v.kind, ConfKind::String) << key << " is " << v.go_type();
  return v.str;
}

TEST(Conf, KeySeparators) {
  ConfValue m = parse_ok("a: 1\nb = 2\nc 3\nd:4\ne=5\n");
  EXPECT_EQ(int_of(m, "a"), 1);
  EXPECT_EQ(int_of(m, "b"), 2);
  EXPECT_EQ(int_of(m, "c"), 3);
  EXPECT_EQ(int_of(m, "d"), 4);
  EXPECT_EQ(int_of(m, "e"), 5);
  EXPECT_EQ(m.keys.size(), 5u);
}

TEST(Conf, Comments) {
  ConfValue m = parse_ok(
      "# leading comment\n"
      "// slash comment\n"
      "a: 1 # trailing\n"
      "b: 2 // trailing too\n"
      "c { x: 1 # in map\n"
      "  // in map\n"
      "}\n"
      "d [ 1 # in array\n"
      "  2 ]\n");
  EXPECT_EQ(int_of(m, "a"), 1);
  EXPECT_EQ(int_of(m, "b"), 2);
  EXPECT_EQ(int_of(at(m, "c"), "x"), 1);
  EXPECT_EQ(at(m, "d").items.size(), 2u);
}

TEST(Conf, TerminatorsAndOptionalOuterBraces) {
  ConfValue m = parse_ok("a: 1; b: 2, c: three\n");
  EXPECT_EQ(int_of(m, "a"), 1);
  EXPECT_EQ(int_of(m, "b"), 2);
  EXPECT_EQ(str_of(m, "c"), "three");
  ConfValue w = parse_ok("{\n  port: 4222\n}\n");
  EXPECT_EQ(int_of(w, "port"), 4222);
}

TEST(Conf, NestedMaps) {
  ConfValue m = parse_ok(
      "cluster {\n"
      "  name: c1\n"
      "  authorization { user: ruser, password: \"p w\" }\n"
      "  listen = 0.0.0.0:6222\n"
      "}\n");
  const ConfValue& c = at(m, "cluster");
  ASSERT_TRUE(c.is_map());
  EXPECT_EQ(str_of(c, "name"), "c1");
  EXPECT_EQ(str_of(c, "listen"), "0.0.0.0:6222");
  EXPECT_EQ(str_of(at(c, "authorization"), "user"), "ruser");
  EXPECT_EQ(str_of(at(c, "authorization"), "password"), "p w");
}

TEST(Conf, Arrays) {
  ConfValue m = parse_ok(
      "a: [1, 2, 3 ]\n"
      "b: [\n  nats://h1:1\n  nats://h2:2,\n  \"x y\"\n]\n"
      "c: []\n"
      "d: [ {x: 1}, [true] ]\n");
  const ConfValue& a = at(m, "a");
  ASSERT_TRUE(a.is_array());
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_EQ(a.items[0].kind, ConfKind::Int);
  EXPECT_EQ(a.items[0].i, 1);
  EXPECT_EQ(a.items[2].i, 3);
  const ConfValue& b = at(m, "b");
  ASSERT_EQ(b.items.size(), 3u);
  EXPECT_EQ(b.items[0].str, "nats://h1:1");
  EXPECT_EQ(b.items[1].str, "nats://h2:2");
  EXPECT_EQ(b.items[2].str, "x y");
  EXPECT_EQ(at(m, "c").items.size(), 0u);
  const ConfValue& d = at(m, "d");
  ASSERT_EQ(d.items.size(), 2u);
  EXPECT_TRUE(d.items[0].is_map());
  EXPECT_TRUE(d.items[1].is_array());
  EXPECT_EQ(d.items[1].items[0].kind, ConfKind::Bool);
}

TEST(Conf, NumberRightBeforeBracketIsNatsQuirk) {
  // nats reads "3]" as the start of a bare string, so the array never ends.
  EXPECT_EQ(parse_err("a: [1, 2, 3]\n"),
            "Parse error on line 2: 'Expected an array value terminator \",\" or an array terminator \"]\", but "
            "got '" + std::string(1, '\0') + "' instead.'");
  ConfValue m = parse_ok("a: [x, 2, 3 ]\nb: [\"s\"]\n");
  EXPECT_EQ(at(m, "a").items.size(), 3u);
  EXPECT_EQ(at(m, "b").items[0].str, "s");
}

TEST(Conf, Strings) {
  ConfValue m = parse_ok(
      "a: \"double quoted\"\n"
      "b: 'single quoted with \\n kept'\n"
      "c: bare_string-1.x\n"
      "d: \"esc \\t\\n\\r\\\"\\\\ \\x41\"\n"
      "e: 127.0.0.1\n"
      "\"quoted key\": 1\n"
      "'sq key' = 2\n");
  EXPECT_EQ(str_of(m, "a"), "double quoted");
  EXPECT_EQ(str_of(m, "b"), "single quoted with \\n kept");
  EXPECT_EQ(str_of(m, "c"), "bare_string-1.x");
  EXPECT_EQ(str_of(m, "d"), "esc \t\n\r\"\\ A");
  EXPECT_EQ(str_of(m, "e"), "127.0.0.1");
  EXPECT_EQ(int_of(m, "quoted key"), 1);
  EXPECT_EQ(int_of(m, "sq key"), 2);
}

TEST(Conf, BlockString) {
  ConfValue m = parse_ok("text (\nline one\nline (two)\n)\nafter: 1\n");
  EXPECT_EQ(str_of(m, "text"), "\nline one\nline (two)\n");
  EXPECT_EQ(int_of(m, "after"), 1);
}

TEST(Conf, Booleans) {
  ConfValue m = parse_ok("a: true\nb: FALSE\nc: yes\nd: No\ne: on\nf: off\ng: truex\n");
  const char* keys[] = {"a", "b", "c", "d", "e", "f"};
  bool want[] = {true, false, true, false, true, false};
  for (int n = 0; n < 6; ++n) {
    const ConfValue& v = at(m, keys[n]);
    EXPECT_EQ(v.kind, ConfKind::Bool) << keys[n];
    EXPECT_EQ(v.b, want[n]) << keys[n];
  }
  EXPECT_EQ(str_of(m, "g"), "truex");
}

TEST(Conf, NumbersAndSizes) {
  ConfValue m = parse_ok(
      "i: 42\nneg: -7\n"
      "k: 1k\nK: 1K\nkb: 64KB\nki: 2ki\nkib: 1kib\n"
      "m: 2M\nmb: 1MB\nmib: 3MiB\ng: 1G\ngb: 1GB\nt: 1T\ntb: 1TB\n"
      "nk: -2k\n"
      "f: 1.5\nnf: -0.25\n");
  EXPECT_EQ(int_of(m, "i"), 42);
  EXPECT_EQ(int_of(m, "neg"), -7);
  EXPECT_EQ(int_of(m, "k"), 1000);
  EXPECT_EQ(int_of(m, "K"), 1000);
  EXPECT_EQ(int_of(m, "kb"), 64 * 1024);
  EXPECT_EQ(int_of(m, "ki"), 2048);
  EXPECT_EQ(int_of(m, "kib"), 1024);
  EXPECT_EQ(int_of(m, "m"), 2000000);
  EXPECT_EQ(int_of(m, "mb"), 1 << 20);
  EXPECT_EQ(int_of(m, "mib"), 3 << 20);
  EXPECT_EQ(int_of(m, "g"), 1000000000);
  EXPECT_EQ(int_of(m, "gb"), int64_t{1} << 30);
  EXPECT_EQ(int_of(m, "t"), int64_t{1000000000000});
  EXPECT_EQ(int_of(m, "tb"), int64_t{1} << 40);
  EXPECT_EQ(int_of(m, "nk"), -2000);
  EXPECT_EQ(at(m, "f").kind, ConfKind::Float);
  EXPECT_DOUBLE_EQ(at(m, "f").f, 1.5);
  EXPECT_DOUBLE_EQ(at(m, "nf").f, -0.25);
}

TEST(Conf, DurationLikeValuesKeepNatsQuirks) {
  // Bare "10m" is ten million (the M suffix); "1h" and "30s" are strings.
  ConfValue m = parse_ok("a: 10m\nb: 1h\nc: 30s\nd: \"2m\"\ne: 500ms\n");
  EXPECT_EQ(int_of(m, "a"), 10000000);
  EXPECT_EQ(str_of(m, "b"), "1h");
  EXPECT_EQ(str_of(m, "c"), "30s");
  EXPECT_EQ(str_of(m, "d"), "2m");
  EXPECT_EQ(str_of(m, "e"), "500ms");
}

TEST(Conf, Datetime) {
  ConfValue m = parse_ok("d: 2020-02-29T10:11:12Z\n");
  EXPECT_EQ(at(m, "d").kind, ConfKind::Datetime);
  EXPECT_EQ(at(m, "d").str, "2020-02-29T10:11:12Z");
  EXPECT_EQ(parse_err("d: 2021-02-29T10:11:12Z\n"), "expected Zulu formatted DateTime, but got '2021-02-29T10:11:12Z'");
  EXPECT_EQ(parse_err("d: 12-3\n"), "Parse error on line 1: 'All ISO8601 dates must be in full Zulu form.'");
}

TEST(Conf, RepeatedKeyReplaces) {
  ConfValue m = parse_ok("a: 1\nb: 2\na: 3\n");
  ASSERT_EQ(m.keys.size(), 2u);
  EXPECT_EQ(m.keys[0], "a");
  EXPECT_EQ(int_of(m, "a"), 3);
}

TEST(Conf, Variables) {
  ConfValue m = parse_ok(
      "size = 2MB\n"
      "name: outer\n"
      "max_payload: $size\n"
      "blk {\n"
      "  name: inner\n"
      "  a: $name\n"
      "  b: $size\n"
      "}\n"
      "c: $name\n"
      "list: [$size, 1 ]\n");
  EXPECT_EQ(int_of(m, "max_payload"), 2 << 20);
  EXPECT_EQ(str_of(at(m, "blk"), "a"), "inner");
  EXPECT_EQ(int_of(at(m, "blk"), "b"), 2 << 20);
  EXPECT_EQ(str_of(m, "c"), "outer");
  EXPECT_EQ(at(m, "list").items[0].i, 2 << 20);
  // The definitions are marked so option checks don't call them unknown.
  EXPECT_TRUE(at(m, "size").used_as_variable);
  EXPECT_FALSE(at(m, "max_payload").used_as_variable);
}

TEST(Conf, VariablesFromEnvironment) {
  setenv("RINGNATS_TEST_PORT", "4333", 1);
  setenv("RINGNATS_TEST_HOST", "10.1.2.3", 1);
  setenv("RINGNATS_TEST_BAD", "[1,", 1);
  ConfValue m = parse_ok("port: $RINGNATS_TEST_PORT\nhost: $RINGNATS_TEST_HOST\n");
  EXPECT_EQ(int_of(m, "port"), 4333);
  EXPECT_EQ(str_of(m, "host"), "10.1.2.3");
  // A variable in the file wins over the environment.
  ConfValue w = parse_ok("RINGNATS_TEST_PORT = 1\nport: $RINGNATS_TEST_PORT\n");
  EXPECT_EQ(int_of(w, "port"), 1);
  EXPECT_EQ(parse_err("a: 1\nport: $RINGNATS_NOT_SET_ANYWHERE\n"),
            "variable reference for 'RINGNATS_NOT_SET_ANYWHERE' on line 2 can not be found");
  std::string bad = parse_err("x: $RINGNATS_TEST_BAD\n");
  EXPECT_EQ(bad.rfind("variable reference for 'RINGNATS_TEST_BAD' on line 1 could not be parsed: ", 0), 0u) << bad;
  // A bcrypt hash is a value, not a reference.
  ConfValue h = parse_ok("pass: $2a$11$abc\n");
  EXPECT_EQ(str_of(h, "pass"), "$2a$11$abc");
}

TEST(Conf, Include) {
  TempDir dir;
  dir.write("sub/auth.conf", "authorization { user: u, password: p }\nport: 4333\n");
  dir.write("sub/more.conf", "include 'deeper/last.conf'\n");
  dir.write("sub/deeper/last.conf", "ping_max: 5\n");
  std::string main = dir.write("main.conf",
                               "port: 1\n"
                               "include 'sub/auth.conf'\n"
                               "include \"sub/more.conf\"\n"
                               "blk {\n  include sub/deeper/last.conf\n}\n");
  ConfParseResult r = parse_conf_file(main);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(int_of(r.root, "port"), 4333);  // the include came later
  EXPECT_EQ(str_of(at(r.root, "authorization"), "user"), "u");
  // Nested includes resolve against their own file's directory.
  EXPECT_EQ(int_of(r.root, "ping_max"), 5);
  EXPECT_EQ(int_of(at(r.root, "blk"), "ping_max"), 5);
  // Positions inside an included file name that file.
  EXPECT_EQ(at(r.root, "port").file, dir.path() + "/sub/auth.conf");
  EXPECT_EQ(at(r.root, "port").line, 2);
}

TEST(Conf, IncludeMissing) {
  TempDir dir;
  std::string main = dir.write("main.conf", "include 'nothere.conf'\n");
  ConfParseResult r = parse_conf_file(main);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error, "error parsing include file 'nothere.conf', open " + dir.path() +
                         "/nothere.conf: no such file or directory");
}

TEST(Conf, OpenErrors) {
  ConfParseResult r = parse_conf_file("/nonexistent/x.conf");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "open /nonexistent/x.conf: no such file or directory");
}

TEST(Conf, Positions) {
  ConfValue m = parse_ok("port: 1\n  max_payload: 2\ncluster { listen: 0.0.0.0:1, bogus: 1 }\n");
  // nats counts columns from 0 on the first line and from 1 after that.
  EXPECT_EQ(at(m, "port").where(), "t.conf:1:0");
  EXPECT_EQ(at(m, "max_payload").where(), "t.conf:2:3");
  EXPECT_EQ(at(at(m, "cluster"), "bogus").where(), "t.conf:3:30");
}

TEST(Conf, SyntaxErrorsCarryLineNumbers) {
  EXPECT_EQ(parse_err("port: 4222\nfoo bar {\n"),
            "Parse error on line 2: 'Expected a top-level value to end with a new line, comment or EOF, but got '{' "
            "instead.'");
  EXPECT_EQ(parse_err("a {\n  b: 1\n"), "Parse error on line 3: 'Unexpected EOF processing map.'");
  // At the end of input nats shows the NUL it uses as its EOF marker.
  EXPECT_EQ(parse_err("a: [1, 2\n"),
            "Parse error on line 2: 'Expected an array value terminator \",\" or an array terminator \"]\", but got '" +
                std::string(1, '\0') + "' instead.'");
  EXPECT_EQ(parse_err("a: \"abc\n"), "Parse error on line 2: 'Unexpected EOF.'");
  EXPECT_EQ(parse_err("\n\na: \"bad \\q\"\n"),
            "Parse error on line 3: 'Invalid escape character 'q'. Only the following escape characters are "
            "allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.'");
  EXPECT_EQ(parse_err("a: [1,,2]\n"), "Parse error on line 1: 'Unexpected array value terminator ','.'");
  EXPECT_EQ(parse_err("a {\n  b: 1 x\n}\n"),
            "Parse error on line 2: 'Expected a map value terminator \",\" or a map terminator \"}\", but got 'x' "
            "instead.'");
  EXPECT_EQ(parse_err("a: .5\n"), "Parse error on line 1: 'Floats must start with a digit'");
  EXPECT_EQ(parse_err("a:\n"), "Parse error on line 2: 'Expected value but found new line'");
  EXPECT_EQ(parse_err("=1\n"), "Parse error on line 1: 'Unexpected key separator '=''");
  EXPECT_EQ(parse_err("a: 99999999999999999999\n"), "integer '99999999999999999999' is out of the range");
}

TEST(Conf, EmptyInputs) {
  EXPECT_TRUE(parse_ok("").keys.empty());
  EXPECT_TRUE(parse_ok("\n# only a comment\n").keys.empty());
}

TEST(Duration, GoSyntax) {
  struct Case {
    const char* in;
    int64_t ns;
  } cases[] = {
      {"0", 0},
      {"2m", 120'000'000'000},
      {"500ms", 500'000'000},
      {"1h30m", 5'400'000'000'000},
      {"1.5s", 1'500'000'000},
      {"-2s", -2'000'000'000},
      {"+3us", 3'000},
      {"10ns", 10},
      {"1\xc2\xb5s", 1'000},
      {".5m", 30'000'000'000},
  };
  for (const Case& c : cases) {
    int64_t ns = -1;
    std::string err;
    EXPECT_TRUE(parse_go_duration(c.in, ns, err)) << c.in << ": " << err;
    EXPECT_EQ(ns, c.ns) << c.in;
  }
}

TEST(Duration, Errors) {
  int64_t ns;
  std::string err;
  EXPECT_FALSE(parse_go_duration("5x", ns, err));
  EXPECT_EQ(err, "time: unknown unit \"x\" in duration \"5x\"");
  EXPECT_FALSE(parse_go_duration("5", ns, err));
  EXPECT_EQ(err, "time: missing unit in duration \"5\"");
  EXPECT_FALSE(parse_go_duration("", ns, err));
  EXPECT_EQ(err, "time: invalid duration \"\"");
  EXPECT_FALSE(parse_go_duration("abc", ns, err));
  EXPECT_EQ(err, "time: invalid duration \"abc\"");
  EXPECT_FALSE(parse_go_duration("9999999999h", ns, err));
  EXPECT_EQ(err, "time: invalid duration \"9999999999h\"");
}

}  // namespace
