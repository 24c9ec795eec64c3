// libFuzzer target: the nats-server config-file reader (config/conf.h) and
// the options it fills (config/apply_config.h), plus Go duration parsing.
// Includes resolve against a directory that does not exist, so the input is
// the only file.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/apply_config.h"
#include "config/conf.h"

namespace {

using namespace ringnats;

size_t walk(const conf::ConfValue& v, int depth) {
  size_t n = 1 + v.str.size();
  (void)v.go_type();
  if (depth < 64 && v.line > 0) (void)v.where();
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (v.is_map() && i < v.keys.size()) (void)v.find(v.keys[i]);
    n += walk(v.items[i], depth + 1);
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 32 * 1024) return 0;
  std::vector<char> buf(data, data + size);  // exact-size heap copy
  std::string_view in(buf.data(), buf.size());

  int64_t ns = 0;
  std::string err;
  (void)conf::parse_go_duration(in, ns, err);
  (void)conf::go_quote(in);

  conf::ConfParseResult r = conf::parse_conf_string(in, "/nonexistent-ringnats-fuzz/fuzz.conf");
  if (!r.ok) return 0;
  walk(r.root, 0);
  Options opts;
  std::vector<std::string> errors, warnings, ignored;
  apply_config(r.root, opts, errors, warnings, ignored);
  return 0;
}
