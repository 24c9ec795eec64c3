// JSON for the INFO and CONNECT lines: a validator and typed object decoder
// that accept and reject exactly what Go's encoding/json does for nats-server's
// structs, and a writer whose bytes match Go's json.Marshal output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace ringnats::proto {

enum class JsonError : uint8_t {
  None,
  Syntax,  // not JSON at all (Go: SyntaxError); the connection closes without -ERR
  Type,    // valid JSON, but a known field has the wrong type (Go: UnmarshalTypeError)
};

struct JsonResult {
  JsonError error = JsonError::None;
  explicit operator bool() const { return error == JsonError::None; }
  bool ok() const { return error == JsonError::None; }
};

// One JSON value plus optional whitespace, like Go's checkValid (depth <= 10000).
bool json_valid(std::string_view s);

// Go's decoding of a JSON string literal (with its quotes): escapes resolved,
// lone surrogates and invalid UTF-8 become U+FFFD. Input must be valid JSON.
void json_unquote(std::string_view literal, std::string& out);

// Go's key matching: ASCII case-insensitive, plus the Kelvin sign and long s
// that Unicode case-folds to 'k' and 's'. `name` must be lower-case ASCII.
bool json_key_matches(std::string_view key, std::string_view name);

// nats-server's {"allow":[...],"deny":[...]} (SubjectPermission).
struct JsonPermission {
  std::vector<std::string> allow, deny;
  bool operator==(const JsonPermission&) const = default;
};

// Bytes that Go carries as []byte (base64 text on the wire).
struct JsonBytes {
  std::string data;
  bool operator==(const JsonBytes&) const = default;
};

// Where a decoded field goes. The pointer type picks Go's rules: int64_t is
// Go int, int32_t int32, uint64_t uint64, uint8_t byte.
using JsonDest = std::variant<std::monostate, bool*, std::string*, int64_t*, int32_t*, uint64_t*, uint8_t*,
                              std::vector<std::string>*, JsonBytes*, std::optional<JsonPermission>*>;

struct JsonField {
  std::string_view name;  // lower-case JSON key
  JsonDest dest;          // monostate: ignored like an unknown key
  bool* seen = nullptr;   // set when the key appears with any value
};

// Decodes `json` into a Go struct described by `fields` (Go's json.Unmarshal):
// the whole input must be valid JSON; top-level null is a no-op; anything but
// an object or null is a type error; unknown keys are ignored; a null value
// leaves a scalar unchanged and resets a slice or permission; the last
// duplicate key wins. Fields decoded before a type error keep their values.
JsonResult json_decode_object(std::string_view json, const JsonField* fields, size_t nfields);

// Appends `s` as a JSON string literal the way Go's json.Marshal writes it:
// short escapes only for \" \\ \n \r \t, \u00XX for other control bytes,
// \u003c \u003e \u0026 for < > &, \u2028 \u2029, and \ufffd for bad UTF-8.
void json_append_string(std::string& out, std::string_view s);

// Builds one JSON object, keys in call order, no whitespace (json.Marshal).
class JsonWriter {
 public:
  JsonWriter() { buf_.reserve(256); }

  void field(std::string_view key, std::string_view v) {
    key_(key);
    json_append_string(buf_, v);
  }
  void field(std::string_view key, const std::string& v) { field(key, std::string_view(v)); }
  // Without this a string literal would pick the bool overload.
  void field(std::string_view key, const char* v) { field(key, std::string_view(v)); }
  void field(std::string_view key, bool v) {
    key_(key);
    buf_ += v ? "true" : "false";
  }
  template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  void field(std::string_view key, T v) {
    key_(key);
    if constexpr (std::is_signed_v<T>) append_int(static_cast<int64_t>(v));
    else append_uint(static_cast<uint64_t>(v));
  }
  void field(std::string_view key, const std::vector<std::string>& v);
  void field(std::string_view key, const JsonPermission& p);
  void field(std::string_view key, const JsonBytes& b);  // base64, like Go's []byte
  // Already-encoded JSON value.
  void raw_field(std::string_view key, std::string_view json) {
    key_(key);
    buf_ += json;
  }

  // Closes the object and hands the text over; the writer is then empty.
  std::string finish();
  size_t size() const { return buf_.size() + 1; }

 private:
  void key_(std::string_view key) {
    buf_ += first_ ? '{' : ',';
    first_ = false;
    json_append_string(buf_, key);
    buf_ += ':';
  }
  void append_int(int64_t v);
  void append_uint(uint64_t v);

  std::string buf_;
  bool first_ = true;
};

}  // namespace ringnats::proto
