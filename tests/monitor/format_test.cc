// Go-compatible formats: time.Time, time.Duration, nats' uptime, strconv
// errors and encoding/json output, checked against values Go prints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "monitor/go_format.h"

using namespace ringnats::monitor;

namespace {
constexpr int64_t kSec = 1'000'000'000;
}

TEST(GoFormat, DurationString) {
  EXPECT_EQ(go_duration(0), "0s");
  EXPECT_EQ(go_duration(1), "1ns");
  EXPECT_EQ(go_duration(999), "999ns");
  EXPECT_EQ(go_duration(1000), "1\xC2\xB5s");
  EXPECT_EQ(go_duration(1500), "1.5\xC2\xB5s");
  EXPECT_EQ(go_duration(380'000), "380\xC2\xB5s");
  EXPECT_EQ(go_duration(120'000'000), "120ms");
  EXPECT_EQ(go_duration(2'500'000), "2.5ms");
  EXPECT_EQ(go_duration(kSec), "1s");
  EXPECT_EQ(go_duration(62 * kSec + kSec / 2), "1m2.5s");
  EXPECT_EQ(go_duration(60 * kSec), "1m0s");
  EXPECT_EQ(go_duration(3600 * kSec), "1h0m0s");
  EXPECT_EQ(go_duration(3723 * kSec + 1), "1h2m3.000000001s");
  EXPECT_EQ(go_duration(-1500), "-1.5\xC2\xB5s");
}

TEST(GoFormat, NatsRttTruncatesMicroseconds) {
  EXPECT_EQ(nats_rtt(380'123), "380\xC2\xB5s");
  EXPECT_EQ(nats_rtt(0), "0s");
  EXPECT_EQ(nats_rtt(999), "999ns");
  EXPECT_EQ(nats_rtt(1'234'567), "1.234567ms");
}

TEST(GoFormat, NatsUptime) {
  EXPECT_EQ(nats_uptime(0), "0s");
  EXPECT_EQ(nats_uptime(kSec - 1), "0s");
  EXPECT_EQ(nats_uptime(59 * kSec), "59s");
  EXPECT_EQ(nats_uptime(61 * kSec), "1m1s");
  EXPECT_EQ(nats_uptime(3725 * kSec), "1h2m5s");
  EXPECT_EQ(nats_uptime((86400 + 60) * kSec), "1d0h1m0s");
  EXPECT_EQ(nats_uptime((366 * 86400LL) * kSec), "1y1d0h0m0s");
}

TEST(GoFormat, TimeUtcAndLocal) {
  EXPECT_EQ(go_time(1709294400LL * kSec, true), "2024-03-01T12:00:00Z");
  EXPECT_EQ(go_time(1709294400LL * kSec + 312762647, true), "2024-03-01T12:00:00.312762647Z");
  EXPECT_EQ(go_time(1709294400LL * kSec + 500'000'000, true), "2024-03-01T12:00:00.5Z");
  EXPECT_EQ(go_time(0, true), "0001-01-01T00:00:00Z");
  // Local time carries the zone's offset, as Go prints it.
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  EXPECT_EQ(go_time(1709294400LL * kSec + 100, false), "2024-03-01T13:00:00.0000001+01:00");
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(go_time(1709294400LL * kSec, false), "2024-03-01T12:00:00Z");
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
}

TEST(GoFormat, StrconvErrors) {
  std::string e;
  EXPECT_EQ(go_parse_bool("True", e), true);
  EXPECT_EQ(go_parse_bool("0", e), false);
  EXPECT_FALSE(go_parse_bool("yes", e));
  EXPECT_EQ(e, "strconv.ParseBool: parsing \"yes\": invalid syntax");
  EXPECT_EQ(go_atoi("-12", e), -12);
  EXPECT_EQ(go_atoi("+7", e), 7);
  EXPECT_FALSE(go_atoi("x", e));
  EXPECT_EQ(e, "strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_FALSE(go_atoi("99999999999999999999", e));
  EXPECT_EQ(e, "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
  EXPECT_FALSE(go_atoi("-", e));
  EXPECT_EQ(go_atoi("-9223372036854775808", e), INT64_MIN);
  EXPECT_FALSE(go_parse_uint("-1", e));
  EXPECT_EQ(e, "strconv.ParseUint: parsing \"-1\": invalid syntax");
  EXPECT_EQ(go_parse_uint("18446744073709551615", e), UINT64_MAX);
  EXPECT_FALSE(go_parse_uint("18446744073709551616", e));
  EXPECT_EQ(e, "strconv.ParseUint: parsing \"18446744073709551616\": value out of range");
  EXPECT_EQ(go_quote("a\"b\n\x01"), "\"a\\\"b\\n\\x01\"");
}

TEST(GoFormat, JsonLikeEncodingJson) {
  Json j;
  j["s"] = "$JS.API.>";
  j["amp"] = "a&b<c";
  j["ctl"] = std::string("\x01\b\n", 3);
  j["bad"] = std::string("\xff");
  j["f0"] = 0.0;
  j["f"] = 0.25;
  j["big"] = 1e21;
  j["tiny"] = 1e-7;
  j["i"] = -3;
  j["e"] = Json::array();
  j["o"] = Json::object();
  j["n"] = nullptr;
  EXPECT_EQ(go_json(j, false),
            "{\"s\":\"$JS.API.\\u003e\",\"amp\":\"a\\u0026b\\u003cc\",\"ctl\":\"\\u0001\\u0008\\n\","
            "\"bad\":\"\\ufffd\",\"f0\":0,\"f\":0.25,\"big\":1e+21,\"tiny\":1e-7,\"i\":-3,\"e\":[],"
            "\"o\":{},\"n\":null}");
  Json k;
  k["a"] = Json::array({1, 2});
  k["b"] = Json{{"c", true}};
  EXPECT_EQ(go_json(k, true), "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {\n    \"c\": true\n  }\n}");
}
