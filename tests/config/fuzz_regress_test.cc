// Inputs found by tests/fuzz/conf_fuzz.cc, kept as unit tests. The ASan+UBSan
// suite runs them too, where the old overflows were reported.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/apply_config.h"
#include "config/conf.h"

using namespace ringnats;

namespace {

Options apply(const std::string& text) {
  conf::ConfParseResult r = conf::parse_conf_string(text, "t.conf");
  EXPECT_TRUE(r.ok) << r.error;
  Options o;
  std::vector<std::string> errors, warnings, ignored;
  apply_config(r.root, o, errors, warnings, ignored);
  return o;
}

// Go's time.Duration(n) * time.Second, which wraps.
int64_t go_seconds(int64_t n) {
  return static_cast<int64_t>(static_cast<uint64_t>(n) * 1000000000ull);
}

}  // namespace

// fuzz_conf: an integer duration (deprecated seconds form) times 1e9
// overflowed int64 in parse_duration_field (apply_config.cc: `n * kSecond`),
// undefined behaviour; nats-server's Go arithmetic wraps.
TEST(ConfFuzzRegress, IntegerDurationSecondsOverflow) {
  Options o = apply("ping_interval: 10GB\nwrite_deadline: 9223372036854775807\n");
  EXPECT_EQ(o.ping_interval_ns, go_seconds(10737418240));
  EXPECT_EQ(o.write_deadline_ns, go_seconds(INT64_MAX));
}

// Same family, found by reading the code next to it: an authorization
// timeout past int64 nanoseconds converts a double out of range
// (`static_cast<int64_t>(secs * 1e9)`), undefined behaviour (clang's UBSan:
// float-cast-overflow).
TEST(ConfFuzzRegress, AuthTimeoutOutOfRange) {
  Options o = apply("authorization { user: u, password: p, timeout: 100000000000.5 }\n");
  (void)o;
  SUCCEED();
}
