// Reader for the nats-server configuration file language: maps, arrays,
// bare/quoted strings, numbers with size suffixes, $variables and includes.
// Produces a ConfValue tree; failures are values whose text matches nats 2.9.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringnats::conf {

enum class ConfKind { Map, Array, String, Int, Float, Bool, Datetime };

// One node of the tree. Maps keep their keys in file order (a repeated key
// replaces the earlier value in place). Every node remembers where it came
// from so option errors can say "file:line:col" like nats-server does; for a
// map entry that is the position of its key.
struct ConfValue {
  ConfKind kind = ConfKind::Map;
  std::string str;          // String, and Datetime (its text, already validated)
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::vector<std::string> keys;   // Map only; keys[n] names items[n]
  std::vector<ConfValue> items;    // Map values or Array elements

  int line = 0;
  int col = 0;              // nats' position: 0-based on line 1, 1-based after
  std::string file;         // source file as given (empty for strings)
  bool used_as_variable = false;  // referenced by $name: not an unknown field

  bool is_map() const { return kind == ConfKind::Map; }
  bool is_array() const { return kind == ConfKind::Array; }
  // Exact-case lookup in a map; nullptr when absent or not a map.
  const ConfValue* find(std::string_view key) const;
  // Go's %T spelling of this value's type, used in type-mismatch errors.
  const char* go_type() const;
  // "file:line:col", the prefix nats puts on option errors.
  std::string where() const;
};

struct ConfParseResult {
  bool ok = false;
  ConfValue root;           // top-level map when ok
  std::string error;        // e.g. "Parse error on line 3: '...'"
};

// Reads and parses a file. Errors opening it read like Go's:
// "open x.conf: no such file or directory".
ConfParseResult parse_conf_file(const std::string& path);

// Parses text as if it were the file `source_path` (used for positions and
// to resolve `include` relative to its directory; "" means the current one).
ConfParseResult parse_conf_string(std::string_view text, const std::string& source_path = "");

// Go's time.ParseDuration: "1h30m", "500ms", "1.5s", "-2m", "0". Returns
// false and sets err to Go's message (e.g. `time: unknown unit "x" in
// duration "5x"`) on failure.
bool parse_go_duration(std::string_view s, int64_t& out_ns, std::string& err);
// time.Duration.String(): "0s", "120ns", "1.5µs", "380µs", "2.5ms", "1m2.5s".
std::string go_duration(int64_t ns);

// strconv.Quote for the ASCII/UTF-8 text we print in messages.
std::string go_quote(std::string_view s);

}  // namespace ringnats::conf
