// nats-server config language: a state-machine lexer with the same quirks as
// nats 2.9 (so bare "10m" is the integer 10,000,000 and "1h" a string), then a
// parser that builds the ConfValue tree and resolves $variables and includes.
#include "config/conf.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ringnats::conf {
namespace {

// ---------------------------------------------------------------- helpers

constexpr uint32_t kEof = 0;  // the lexer's end marker; a NUL byte reads the same

bool is_ws(uint32_t r) { return r == ' ' || r == '\t'; }
bool is_nl(uint32_t r) { return r == '\n' || r == '\r'; }
bool is_digit(uint32_t r) { return r >= '0' && r <= '9'; }
bool is_key_sep(uint32_t r) { return r == '=' || r == ':'; }
bool is_num_suffix(uint32_t r) {
  switch (r) {
    case 'k': case 'K': case 'm': case 'M': case 'g': case 'G':
    case 't': case 'T': case 'p': case 'P': case 'e': case 'E':
      return true;
    default:
      return false;
  }
}
// Unicode White_Space, as Go's unicode.IsSpace.
bool is_space(uint32_t r) {
  if (r <= 0xFF) return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 ||
         r == 0x202F || r == 0x205F || r == 0x3000;
}

void append_utf8(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out.push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (r >> 6)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (r >> 12)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (r >> 18)));
    out.push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Decodes one rune; invalid sequences read as U+FFFD of width 1, like Go.
uint32_t decode_utf8(std::string_view s, size_t at, size_t& width) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[at + k]); };
  unsigned char c = b(0);
  size_t left = s.size() - at;
  width = 1;
  if (c < 0x80) return c;
  auto cont = [&](size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    width = 2;
    return ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    uint32_t r = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) {
      width = 3;
      return r;
    }
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    if (r >= 0x10000 && r <= 0x10FFFF) {
      width = 4;
      return r;
    }
  }
  return 0xFFFD;
}

// How a rune is shown inside lexer error messages.
std::string rune_text(uint32_t r) {
  if (r == '\n') return "\\n";
  std::string s;
  append_utf8(s, r);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Go's path/filepath Clean, for the POSIX case.
std::string clean_path(const std::string& p) {
  if (p.empty()) return ".";
  bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string seg = p.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(seg);
      }
      continue;
    }
    parts.push_back(seg);
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  return out.empty() ? "." : out;
}

std::string dir_of(const std::string& p) {
  size_t slash = p.rfind('/');
  if (slash == std::string::npos) return ".";
  return clean_path(p.substr(0, slash + 1));
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name.empty() ? "" : clean_path(name);
  if (name.empty()) return clean_path(dir);
  return clean_path(dir + "/" + name);
}

// Go's error text for a failed open/read, e.g. "open x: no such file or directory".
std::string io_error(const char* op, const std::string& path, int err) {
  std::string msg = std::strerror(err);
  if (!msg.empty() && msg[0] >= 'A' && msg[0] <= 'Z') msg[0] = static_cast<char>(msg[0] - 'A' + 'a');
  return std::string(op) + " " + path + ": " + msg;
}

// ---------------------------------------------------------------- lexer

enum class Tok { Error, Eof, Key, String, Bool, Integer, Float, Datetime, ArrayStart, ArrayEnd,
                 MapStart, MapEnd, Variable, Include, Skip };

struct Item {
  Tok tok;
  std::string val;
  int line;
  int pos;
};

enum class St {
  Stop, Top, TopValueEnd, KeyStart, DqKey, SqKey, Key, KeyEnd, IncludeStart, Include,
  IncludeSq, IncludeDq, IncludeBare, Value, ArrayValue, ArrayValueEnd, ArrayEnd, MapKeyStart,
  MapSqKey, MapDqKey, MapKey, MapKeyEnd, MapValue, MapValueEnd, MapEnd, SqString, DqString,
  BareString, Block, StringEscape, StringHex, NumStart, Num, ConvNum, DateAfterYear, NegNumStart,
  NegNum, FloatStart, Float, IpAddr, CommentStart, Comment,
};

// Runs the whole input to a list of items, ending with Eof or Error. The
// parser consumes them in order and stops at its own first error, which is
// the same as nats' lazy lexing since the lexer never looks at the parser.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Item> run() {
    St s = St::Top;
    while (s != St::Stop) s = step(s);
    return std::move(items_);
  }

 private:
  std::string_view in_;
  size_t start_ = 0, pos_ = 0, width_ = 0;
  int line_ = 1;
  size_t lstart_ = 0;   // offset of the last newline read
  size_t ilstart_ = 0;  // lstart_ when the current item began
  std::vector<St> stack_;
  std::vector<std::string> parts_;  // decoded pieces of an escaped string
  St string_state_ = St::BareString;
  std::vector<Item> items_;

  uint32_t next() {
    if (pos_ >= in_.size()) {
      width_ = 0;
      return kEof;
    }
    if (in_[pos_] == '\n') {
      ++line_;
      lstart_ = pos_;
    }
    uint32_t r = decode_utf8(in_, pos_, width_);
    pos_ += width_;
    return r;
  }
  void backup() {
    pos_ -= width_;
    if (pos_ < in_.size() && in_[pos_] == '\n') --line_;
  }
  uint32_t peek() {
    uint32_t r = next();
    backup();
    return r;
  }
  void ignore() {
    start_ = pos_;
    ilstart_ = lstart_;
  }
  std::string joined_parts() const {
    std::string v;
    for (const auto& p : parts_) v += p;
    return v;
  }
  void push_item(Tok t, std::string v) {
    int pos = static_cast<int>(static_cast<int64_t>(pos_) - static_cast<int64_t>(ilstart_) -
                               static_cast<int64_t>(v.size()));
    items_.push_back(Item{t, std::move(v), line_, pos});
    start_ = pos_;
    ilstart_ = lstart_;
  }
  void emit(Tok t) { push_item(t, joined_parts() + std::string(in_.substr(start_, pos_ - start_))); }
  void emit_string() {
    std::string v = joined_parts() + std::string(in_.substr(start_, pos_ - start_));
    parts_.clear();
    push_item(Tok::String, std::move(v));
  }
  void add_current_part(size_t offset) {
    parts_.emplace_back(in_.substr(start_, pos_ - offset - start_));
    start_ = pos_;
  }
  St add_part(std::string s) {
    parts_.push_back(std::move(s));
    start_ = pos_;
    return string_state_;
  }
  St fail(std::string msg) {
    items_.push_back(Item{Tok::Error, std::move(msg), line_, static_cast<int>(pos_ - lstart_)});
    return St::Stop;
  }
  St pop() {
    if (stack_.empty()) return fail("BUG in lexer: no states to pop.");
    St s = stack_.back();
    stack_.pop_back();
    return s;
  }
  St skip_to(St s) {
    ignore();
    return s;
  }
  St eof_or_fail() {
    if (pos_ > start_) return fail("Unexpected EOF.");
    emit(Tok::Eof);
    return St::Stop;
  }
  bool at_bool() const {
    std::string s = lower(in_.substr(start_, pos_ - start_));
    return s == "true" || s == "false" || s == "on" || s == "off" || s == "yes" || s == "no";
  }
  bool take_variable() {
    if (start_ >= in_.size() || in_[start_] != '$') return false;
    ++start_;
    return true;
  }
  // A key followed by space may be the `include` keyword.
  St key_or_include(St after_key, St resume) {
    if (lower(in_.substr(start_, pos_ - start_)) == "include") {
      ignore();
      if (resume != St::Stop) stack_.push_back(resume);
      return St::IncludeStart;
    }
    emit(Tok::Key);
    return after_key;
  }
  // "//" starts a comment; a lone '/' is handed back for the caller.
  bool slash_comment(St resume) {
    if (next() == '/') {
      stack_.push_back(resume);
      return true;
    }
    backup();
    return false;
  }
  bool plain_value_end(uint32_t r) const {
    return is_nl(r) || r == kEof || r == '}' || r == ';' || r == ',' || is_ws(r) || is_digit(r);
  }

  St step(St s);
};

St Lexer::step(St s) {
  uint32_t r;
  switch (s) {
    case St::Stop:
      return St::Stop;

    case St::Top:
      r = next();
      if (is_space(r)) return skip_to(St::Top);
      if (r == '{') return skip_to(St::Top);  // optional braces around the whole file
      if (r == '#') {
        stack_.push_back(St::Top);
        return St::CommentStart;
      }
      if (r == '/') {
        if (slash_comment(St::Top)) return St::CommentStart;
        return eof_or_fail();
      }
      if (r == kEof) return eof_or_fail();
      backup();
      stack_.push_back(St::TopValueEnd);
      return St::KeyStart;

    case St::TopValueEnd:
      r = next();
      if (r == '#') {
        stack_.push_back(St::Top);
        return St::CommentStart;
      }
      if (r == '/') {
        if (slash_comment(St::Top)) return St::CommentStart;
        return St::TopValueEnd;
      }
      if (is_ws(r)) return St::TopValueEnd;
      if (is_nl(r) || r == kEof || r == ';' || r == ',' || r == '}') return skip_to(St::Top);
      return fail("Expected a top-level value to end with a new line, comment or EOF, but got '" +
                  rune_text(r) + "' instead.");

    case St::KeyStart:
      r = peek();
      if (is_key_sep(r)) return fail("Unexpected key separator '" + rune_text(r) + "'");
      if (is_space(r)) {
        next();
        return skip_to(St::KeyStart);
      }
      if (r == '"') {
        next();
        return skip_to(St::DqKey);
      }
      if (r == '\'') {
        next();
        return skip_to(St::SqKey);
      }
      ignore();
      next();
      return St::Key;

    case St::DqKey:
    case St::SqKey:
      r = peek();
      if (r == (s == St::DqKey ? '"' : '\'')) {
        emit(Tok::Key);
        next();
        return skip_to(St::KeyEnd);
      }
      if (r == kEof) return eof_or_fail();
      next();
      return s;

    case St::Key:
      r = peek();
      if (is_space(r)) return key_or_include(St::KeyEnd, St::Stop);
      if (is_key_sep(r) || r == kEof) {
        emit(Tok::Key);
        return St::KeyEnd;
      }
      next();
      return St::Key;

    case St::KeyEnd:
      r = next();
      if (is_space(r)) return skip_to(St::KeyEnd);
      if (is_key_sep(r)) return skip_to(St::Value);
      if (r == kEof) {
        emit(Tok::Eof);
        return St::Stop;
      }
      backup();
      return St::Value;

    case St::IncludeStart:
      r = next();
      if (is_ws(r)) return skip_to(St::IncludeStart);
      backup();
      return St::Include;

    case St::Include:
      r = next();
      if (r == '\'') return skip_to(St::IncludeSq);
      if (r == '"') return skip_to(St::IncludeDq);
      if (r == '[') return fail("Expected include value but found start of an array");
      if (r == '{') return fail("Expected include value but found start of a map");
      if (r == '(') return fail("Expected include value but found start of a block");
      if (is_digit(r) || r == '-') return fail("Expected include value but found start of a number");
      if (r == '\\') return fail("Expected include value but found escape sequence");
      if (is_nl(r)) return fail("Expected include value but found new line");
      backup();
      return St::IncludeBare;

    case St::IncludeSq:
    case St::IncludeDq: {
      uint32_t quote = s == St::IncludeSq ? '\'' : '"';
      r = next();
      if (r == quote) {
        backup();
        emit(Tok::Include);
        next();
        ignore();
        return pop();
      }
      if (r == kEof)
        return fail(s == St::IncludeSq ? "Unexpected EOF in quoted include"
                                       : "Unexpected EOF in double quoted include");
      return s;
    }

    case St::IncludeBare:
      r = next();
      if (is_nl(r) || r == kEof || r == ';' || r == '}' || is_ws(r)) {
        backup();
        emit(Tok::Include);
        return pop();
      }
      if (r == '\'') {
        backup();
        emit(Tok::Include);
        next();
        ignore();
        return pop();
      }
      return St::IncludeBare;

    case St::Value:
      r = next();
      if (is_ws(r)) return skip_to(St::Value);
      if (r == '[') {
        ignore();
        emit(Tok::ArrayStart);
        return St::ArrayValue;
      }
      if (r == '{') {
        ignore();
        emit(Tok::MapStart);
        return St::MapKeyStart;
      }
      if (r == '\'') return skip_to(St::SqString);
      if (r == '"') {
        ignore();
        string_state_ = St::DqString;
        return St::DqString;
      }
      if (r == '-') return St::NegNumStart;
      if (r == '(') return skip_to(St::Block);
      if (is_digit(r)) {
        backup();
        return St::NumStart;
      }
      if (r == '.') return fail("Floats must start with a digit");
      if (is_nl(r)) return fail("Expected value but found new line");
      backup();
      string_state_ = St::BareString;
      return St::BareString;

    case St::ArrayValue:
      r = next();
      if (is_space(r)) return skip_to(St::ArrayValue);
      if (r == '#') {
        stack_.push_back(St::ArrayValue);
        return St::CommentStart;
      }
      if (r == '/') {
        if (slash_comment(St::ArrayValue)) return St::CommentStart;
        return fail("Unexpected array value terminator ','.");
      }
      if (r == ',') return fail("Unexpected array value terminator ','.");
      if (r == ']') return St::ArrayEnd;
      backup();
      stack_.push_back(St::ArrayValueEnd);
      return St::Value;

    case St::ArrayValueEnd:
      r = next();
      if (is_ws(r)) return skip_to(St::ArrayValueEnd);
      if (r == '#') {
        stack_.push_back(St::ArrayValueEnd);
        return St::CommentStart;
      }
      if (r == '/') {
        if (slash_comment(St::ArrayValueEnd)) return St::CommentStart;
        return skip_to(St::ArrayValue);
      }
      if (r == ',' || is_nl(r)) return skip_to(St::ArrayValue);
      if (r == ']') return St::ArrayEnd;
      return fail("Expected an array value terminator \",\" or an array terminator \"]\", but got '" +
                  rune_text(r) + "' instead.");

    case St::ArrayEnd:
      ignore();
      emit(Tok::ArrayEnd);
      return pop();

    case St::MapKeyStart:
      r = peek();
      if (is_key_sep(r)) return fail("Unexpected key separator '" + rune_text(r) + "'.");
      if (r == ']') return fail("Unexpected array end '" + rune_text(r) + "' processing map.");
      if (is_space(r)) {
        next();
        return skip_to(St::MapKeyStart);
      }
      if (r == '}') {
        next();
        return skip_to(St::MapEnd);
      }
      if (r == '#') {
        next();
        stack_.push_back(St::MapKeyStart);
        return St::CommentStart;
      }
      if (r == '/') {
        next();
        if (slash_comment(St::MapKeyStart)) return St::CommentStart;
        // nats drops a lone '/' here and starts the key after it.
      } else if (r == '\'') {
        next();
        return skip_to(St::MapSqKey);
      } else if (r == '"') {
        next();
        return skip_to(St::MapDqKey);
      } else if (r == kEof) {
        return fail("Unexpected EOF processing map.");
      }
      ignore();
      next();
      return St::MapKey;

    case St::MapSqKey:
    case St::MapDqKey:
      r = peek();
      if (r == kEof)
        return fail(s == St::MapSqKey ? "Unexpected EOF processing quoted map key."
                                      : "Unexpected EOF processing double quoted map key.");
      if (r == (s == St::MapSqKey ? '\'' : '"')) {
        emit(Tok::Key);
        next();
        return skip_to(St::MapKeyEnd);
      }
      next();
      return s;

    case St::MapKey:
      r = peek();
      if (r == kEof) return fail("Unexpected EOF processing map key.");
      if (is_space(r)) return key_or_include(St::MapKeyEnd, St::MapValueEnd);
      if (is_key_sep(r)) {
        emit(Tok::Key);
        return St::MapKeyEnd;
      }
      next();
      return St::MapKey;

    case St::MapKeyEnd:
      r = next();
      if (is_space(r)) return skip_to(St::MapKeyEnd);
      if (is_key_sep(r)) return skip_to(St::MapValue);
      backup();
      return St::MapValue;

    case St::MapValue:
      r = next();
      if (is_space(r)) return skip_to(St::MapValue);
      if (r == ',') return fail("Unexpected map value terminator \",\".");
      if (r == '}') return skip_to(St::MapEnd);
      backup();
      stack_.push_back(St::MapValueEnd);
      return St::Value;

    case St::MapValueEnd:
      r = next();
      if (is_ws(r)) return skip_to(St::MapValueEnd);
      if (r == '#') {
        stack_.push_back(St::MapValueEnd);
        return St::CommentStart;
      }
      if (r == '/') {
        if (slash_comment(St::MapValueEnd)) return St::CommentStart;
        return skip_to(St::MapKeyStart);
      }
      if (r == ';' || r == ',' || is_nl(r)) return skip_to(St::MapKeyStart);
      if (r == '}') return skip_to(St::MapEnd);
      return fail("Expected a map value terminator \",\" or a map terminator \"}\", but got '" +
                  rune_text(r) + "' instead.");

    case St::MapEnd:
      ignore();
      emit(Tok::MapEnd);
      return pop();

    case St::SqString:
      r = next();
      if (r == '\'') {
        backup();
        emit(Tok::String);
        next();
        ignore();
        return pop();
      }
      if (r == kEof) return eof_or_fail();
      return St::SqString;

    case St::DqString:
      r = next();
      if (r == '\\') {
        add_current_part(1);
        return St::StringEscape;
      }
      if (r == '"') {
        backup();
        emit_string();
        next();
        ignore();
        return pop();
      }
      if (r == kEof) return eof_or_fail();
      return St::DqString;

    case St::BareString:
      r = next();
      if (r == '\\') {
        add_current_part(1);
        return St::StringEscape;
      }
      if (is_nl(r) || r == kEof || r == ';' || r == ',' || r == ']' || r == '}' || is_ws(r)) {
        backup();
        if (!parts_.empty()) {
          emit_string();
        } else if (at_bool()) {
          emit(Tok::Bool);
        } else if (take_variable()) {
          emit(Tok::Variable);
        } else {
          emit_string();
        }
        return pop();
      }
      if (r == '\'') {
        backup();
        emit_string();
        next();
        ignore();
        return pop();
      }
      return St::BareString;

    case St::Block:
      // A "( ... )" block ends at a ')' that sits alone at the start of a line.
      r = next();
      if (r == ')') {
        backup();
        backup();
        if (next() != '\n') {
          next();
          return St::Block;
        }
        next();
        uint32_t after = next();
        if (after == '\n' || after == kEof) {
          backup();
          backup();
          emit(Tok::String);
          next();
          ignore();
          return pop();
        }
        backup();
        return St::Block;
      }
      if (r == kEof) return fail("Unexpected EOF processing block.");
      return St::Block;

    case St::StringEscape:
      r = next();
      switch (r) {
        case 'x': return St::StringHex;
        case 't': return add_part("\t");
        case 'n': return add_part("\n");
        case 'r': return add_part("\r");
        case '"': return add_part("\"");
        case '\\': return add_part("\\");
        default:
          return fail("Invalid escape character '" + rune_text(r) +
                      "'. Only the following escape characters are allowed: \\xXX, \\t, \\n, \\r, \\\", \\\\.");
      }

    case St::StringHex: {
      r = next();
      if (is_nl(r)) return fail("Expected two hexadecimal digits after '\\x', but hit end of line");
      r = next();
      if (is_nl(r)) return fail("Expected two hexadecimal digits after '\\x', but hit end of line");
      std::string_view hex = pos_ >= 2 ? in_.substr(pos_ - 2, 2) : in_.substr(0, pos_);
      auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      if (hex.size() != 2 || nib(hex[0]) < 0 || nib(hex[1]) < 0)
        return fail("Expected two hexadecimal digits after '\\x', but got '" + std::string(hex) + "'");
      add_part(std::string(1, static_cast<char>(nib(hex[0]) * 16 + nib(hex[1]))));
      return string_state_;
    }

    case St::NumStart:
    case St::NegNumStart:
      r = next();
      if (!is_digit(r)) {
        if (r == '.') return fail("Floats must start with a digit, not '.'.");
        return fail("Expected a digit but got '" + rune_text(r) + "'.");
      }
      return s == St::NumStart ? St::Num : St::NegNum;

    case St::Num:
      r = next();
      if (r == '-') {
        if (pos_ - start_ != 5) return fail("All ISO8601 dates must be in full Zulu form.");
        return St::DateAfterYear;
      }
      if (is_digit(r)) return St::Num;
      if (r == '.') return St::FloatStart;
      if (is_num_suffix(r)) return St::ConvNum;
      if (!plain_value_end(r)) {
        string_state_ = St::BareString;
        return St::BareString;
      }
      backup();
      emit(Tok::Integer);
      return pop();

    case St::ConvNum:
      r = next();
      if (r == 'b' || r == 'B' || r == 'i' || r == 'I') return St::ConvNum;
      backup();
      if (plain_value_end(r)) {
        emit(Tok::Integer);
        return pop();
      }
      string_state_ = St::BareString;
      return St::BareString;

    case St::DateAfterYear: {
      static const char kShape[] = "00-00T00:00:00Z";
      for (const char* f = kShape; *f; ++f) {
        r = next();
        if (*f == '0') {
          if (!is_digit(r))
            return fail("Expected digit in ISO8601 datetime, but found '" + rune_text(r) + "' instead.");
        } else if (static_cast<uint32_t>(*f) != r) {
          return fail("Expected '" + std::string(1, *f) + "' in ISO8601 datetime, but found '" +
                      rune_text(r) + "' instead.");
        }
      }
      emit(Tok::Datetime);
      return pop();
    }

    case St::NegNum:
      r = next();
      if (is_digit(r)) return St::NegNum;
      if (r == '.') return St::FloatStart;
      if (is_num_suffix(r)) return St::ConvNum;
      backup();
      emit(Tok::Integer);
      return pop();

    case St::FloatStart:
      r = next();
      if (!is_digit(r))
        return fail("Floats must have a digit after the '.', but got '" + rune_text(r) + "' instead.");
      return St::Float;

    case St::Float:
      r = next();
      if (is_digit(r)) return St::Float;
      if (r == '.') return St::IpAddr;
      backup();
      emit(Tok::Float);
      return pop();

    case St::IpAddr:
      r = next();
      if (is_digit(r) || r == '.' || r == ':' || r == '-') return St::IpAddr;
      backup();
      emit(Tok::String);
      return pop();

    case St::CommentStart:
      ignore();
      return St::Comment;

    case St::Comment:
      r = peek();
      if (is_nl(r) || r == kEof) {
        start_ = pos_;  // comment text is dropped
        ilstart_ = lstart_;
        return pop();
      }
      next();
      return St::Comment;
  }
  return St::Stop;
}

// ---------------------------------------------------------------- parser

bool valid_zulu(const std::string& s) {
  // Shape was checked by the lexer: YYYY-MM-DDTHH:MM:SSZ.
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t k = 0; k < n; ++k) v = v * 10 + (s[at + k] - '0');
    return v;
  };
  if (s.size() != 20) return false;
  int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int dim = kDays[mo - 1];
  if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) dim = 29;
  return d <= dim;
}

constexpr int kMaxIncludeDepth = 32;

class Parser {
 public:
  Parser(std::string file, bool with_positions, int depth)
      : file_(std::move(file)), dir_(dir_of(file_)), positions_(with_positions), depth_(depth) {
    ConfValue root;
    root.kind = ConfKind::Map;
    root.file = file_;
    root.line = 1;
    ctx_.push_back(std::move(root));
  }

  ConfParseResult run(std::string_view text) {
    ConfParseResult res;
    std::vector<Item> items = Lexer(text).run();
    for (Item& it : items) {
      if (it.tok == Tok::Eof) break;
      if (!process(it, res.error)) return res;
    }
    if (ctx_.size() != 1) {
      res.error = "BUG in parser, unbalanced context";
      return res;
    }
    res.ok = true;
    res.root = std::move(ctx_[0]);
    return res;
  }

 private:
  std::string file_, dir_;
  bool positions_;
  int depth_;
  std::vector<ConfValue> ctx_;  // maps and arrays under construction
  std::vector<std::string> keys_;
  std::vector<std::pair<int, int>> key_pos_;

  ConfValue make(ConfKind k, const Item& it) {
    ConfValue v;
    v.kind = k;
    v.line = it.line;
    v.col = it.pos;
    v.file = file_;
    return v;
  }

  bool set_value(ConfValue v, std::string& err) {
    ConfValue& top = ctx_.back();
    if (top.kind == ConfKind::Array) {
      top.items.push_back(std::move(v));
      return true;
    }
    if (keys_.empty()) {
      err = "BUG in parser, keys stack empty";
      return false;
    }
    std::string key = std::move(keys_.back());
    keys_.pop_back();
    if (positions_ && !key_pos_.empty()) {
      // A map entry reports the position of its key, as nats' checks do.
      v.line = key_pos_.back().first;
      v.col = key_pos_.back().second;
      key_pos_.pop_back();
    }
    for (size_t n = 0; n < top.keys.size(); ++n) {
      if (top.keys[n] == key) {
        top.items[n] = std::move(v);
        return true;
      }
    }
    top.keys.push_back(std::move(key));
    top.items.push_back(std::move(v));
    return true;
  }

  bool pop_context(ConfValue& out, std::string& err) {
    if (ctx_.size() <= 1) {
      err = "BUG in parser, context stack empty";
      return false;
    }
    out = std::move(ctx_.back());
    ctx_.pop_back();
    return true;
  }

  bool parse_integer(const Item& it, ConfValue& v, bool& has_value, std::string& err) {
    size_t digits = 0;
    while (digits < it.val.size() && (is_digit(static_cast<unsigned char>(it.val[digits])) || it.val[digits] == '-'))
      ++digits;
    std::string num = it.val.substr(0, digits);
    // strconv.ParseInt: optional sign then decimal digits only.
    size_t k = (!num.empty() && (num[0] == '-' || num[0] == '+')) ? 1 : 0;
    bool syntax_ok = k < num.size();
    for (size_t j = k; j < num.size(); ++j)
      if (!is_digit(static_cast<unsigned char>(num[j]))) syntax_ok = false;
    if (!syntax_ok) {
      err = "expected integer, but got '" + it.val + "'";
      return false;
    }
    errno = 0;
    long long n = std::strtoll(num.c_str(), nullptr, 10);
    if (errno == ERANGE) {
      err = "integer '" + it.val + "' is out of the range";
      return false;
    }
    std::string suffix = lower(it.val.substr(digits));
    // Decimal letters multiply by powers of 1000; a trailing b or i by 1024.
    static const char* const kDec[] = {"k", "m", "g", "t", "p", "e"};
    static const char* const kBin[][3] = {{"kb", "ki", "kib"}, {"mb", "mi", "mib"}, {"gb", "gi", "gib"},
                                          {"tb", "ti", "tib"}, {"pb", "pi", "pib"}, {"eb", "ei", "eib"}};
    uint64_t mult = 1;
    bool known = suffix.empty();
    for (int p = 0; p < 6 && !known; ++p) {
      if (suffix == kDec[p]) {
        mult = 1;
        for (int q = 0; q <= p; ++q) mult *= 1000;
        known = true;
      }
      for (const char* b : kBin[p]) {
        if (!known && suffix == b) {
          mult = uint64_t{1} << (10 * (p + 1));
          known = true;
        }
      }
    }
    has_value = known;  // an unknown suffix sets nothing, as in nats
    v.i = static_cast<int64_t>(static_cast<uint64_t>(n) * mult);  // wraps like Go
    return true;
  }

  bool lookup_variable(const Item& it, ConfValue& out, std::string& err) {
    if (it.val.rfind("2a$", 0) == 0) {  // a bcrypt hash, not a reference
      out = make(ConfKind::String, it);
      out.str = "$" + it.val;
      return true;
    }
    for (size_t n = ctx_.size(); n-- > 0;) {
      ConfValue& c = ctx_[n];
      if (c.kind != ConfKind::Map) continue;
      for (size_t k = 0; k < c.keys.size(); ++k) {
        if (c.keys[k] == it.val) {
          c.items[k].used_as_variable = true;
          out = c.items[k];
          out.used_as_variable = false;
          out.line = it.line;
          out.col = it.pos;
          out.file = file_;
          return true;
        }
      }
    }
    if (const char* env = std::getenv(it.val.c_str())) {
      Parser sub("", false, depth_ + 1);
      ConfParseResult r = sub.run(std::string("pk=") + env);
      if (!r.ok) {
        err = "variable reference for '" + it.val + "' on line " + std::to_string(it.line) +
              " could not be parsed: " + r.error;
        return false;
      }
      if (const ConfValue* v = r.root.find("pk")) {
        out = *v;
        out.line = it.line;
        out.col = it.pos;
        out.file = file_;
        return true;
      }
    }
    err = "variable reference for '" + it.val + "' on line " + std::to_string(it.line) + " can not be found";
    return false;
  }

  bool include(const Item& it, std::string& err) {
    std::string path = join_path(dir_, it.val);
    ConfParseResult r;
    if (depth_ >= kMaxIncludeDepth) {
      r.error = "include nesting too deep";
    } else {
      r = parse_file(path, depth_ + 1);
    }
    if (!r.ok) {
      err = "error parsing include file '" + it.val + "', " + r.error;
      return false;
    }
    for (size_t k = 0; k < r.root.keys.size(); ++k) {
      keys_.push_back(r.root.keys[k]);
      if (positions_) key_pos_.emplace_back(r.root.items[k].line, r.root.items[k].col);
      if (!set_value(std::move(r.root.items[k]), err)) return false;
    }
    return true;
  }

  bool process(const Item& it, std::string& err) {
    switch (it.tok) {
      case Tok::Error:
        err = "Parse error on line " + std::to_string(it.line) + ": '" + it.val + "'";
        return false;
      case Tok::Key:
        keys_.push_back(it.val);
        if (positions_) key_pos_.emplace_back(it.line, it.pos);
        return true;
      case Tok::MapStart:
        ctx_.push_back(make(ConfKind::Map, it));
        return true;
      case Tok::ArrayStart:
        ctx_.push_back(make(ConfKind::Array, it));
        return true;
      case Tok::MapEnd:
      case Tok::ArrayEnd: {
        ConfValue v;
        if (!pop_context(v, err)) return false;
        v.line = it.line;
        v.col = it.pos;
        return set_value(std::move(v), err);
      }
      case Tok::String: {
        ConfValue v = make(ConfKind::String, it);
        v.str = it.val;
        return set_value(std::move(v), err);
      }
      case Tok::Integer: {
        ConfValue v = make(ConfKind::Int, it);
        bool has_value = true;
        if (!parse_integer(it, v, has_value, err)) return false;
        return has_value ? set_value(std::move(v), err) : true;
      }
      case Tok::Float: {
        ConfValue v = make(ConfKind::Float, it);
        errno = 0;
        char* end = nullptr;
        v.f = std::strtod(it.val.c_str(), &end);
        if (errno == ERANGE && std::isinf(v.f)) {
          err = "float '" + it.val + "' is out of the range";
          return false;
        }
        if (end == nullptr || *end != '\0') {
          err = "expected float, but got '" + it.val + "'";
          return false;
        }
        return set_value(std::move(v), err);
      }
      case Tok::Bool: {
        ConfValue v = make(ConfKind::Bool, it);
        std::string s = lower(it.val);
        if (s == "true" || s == "yes" || s == "on") {
          v.b = true;
        } else if (s == "false" || s == "no" || s == "off") {
          v.b = false;
        } else {
          err = "expected boolean value, but got '" + it.val + "'";
          return false;
        }
        return set_value(std::move(v), err);
      }
      case Tok::Datetime: {
        if (!valid_zulu(it.val)) {
          err = "expected Zulu formatted DateTime, but got '" + it.val + "'";
          return false;
        }
        ConfValue v = make(ConfKind::Datetime, it);
        v.str = it.val;
        return set_value(std::move(v), err);
      }
      case Tok::Variable: {
        ConfValue v;
        if (!lookup_variable(it, v, err)) return false;
        return set_value(std::move(v), err);
      }
      case Tok::Include:
        return include(it, err);
      case Tok::Eof:
      case Tok::Skip:
        return true;
    }
    return true;
  }

 public:
  static ConfParseResult parse_file(const std::string& path, int depth) {
    ConfParseResult res;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      res.error = io_error("open", path, errno);
      return res;
    }
    std::string data;
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        res.error = io_error("read", path, errno);
        ::close(fd);
        return res;
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    Parser p(path, true, depth);
    return p.run(data);
  }
};

const char* kind_go_type(ConfKind k) {
  switch (k) {
    case ConfKind::Map: return "map[string]interface {}";
    case ConfKind::Array: return "[]interface {}";
    case ConfKind::String: return "string";
    case ConfKind::Int: return "int64";
    case ConfKind::Float: return "float64";
    case ConfKind::Bool: return "bool";
    case ConfKind::Datetime: return "time.Time";
  }
  return "interface {}";
}

}  // namespace

// ---------------------------------------------------------------- public

const ConfValue* ConfValue::find(std::string_view key) const {
  if (kind != ConfKind::Map) return nullptr;
  for (size_t n = 0; n < keys.size(); ++n)
    if (keys[n] == key) return &items[n];
  return nullptr;
}

const char* ConfValue::go_type() const { return kind_go_type(kind); }

std::string ConfValue::where() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

ConfParseResult parse_conf_file(const std::string& path) { return Parser::parse_file(path, 0); }

ConfParseResult parse_conf_string(std::string_view text, const std::string& source_path) {
  Parser p(source_path, true, 0);
  return p.run(text);
}

std::string go_quote(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t w = 1;
      uint32_t r = decode_utf8(s, i, w);
      if (r == 0xFFFD && w == 1) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      } else {
        out.append(s.substr(i, w));
      }
      i += w;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

namespace {

constexpr int64_t kDurUs = 1000, kDurMs = 1000 * kDurUs, kDurSec = 1000 * kDurMs;

// v as "int.frac" with `prec` fractional digits, trailing zeros (and a bare
// dot) dropped: fmt_frac(1500, 3) = "1.5".
std::string fmt_frac(uint64_t v, int prec) {
  uint64_t p = 1;
  for (int i = 0; i < prec; ++i) p *= 10;
  std::string out = std::to_string(v / p);
  uint64_t f = v % p;
  if (f) {
    std::string digits(prec, '0');
    for (int i = prec - 1; i >= 0; --i, f /= 10) digits[i] = char('0' + f % 10);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  bool neg = ns < 0;
  uint64_t u = neg ? uint64_t(0) - uint64_t(ns) : uint64_t(ns);
  std::string out;
  if (u < uint64_t(kDurSec)) {
    if (u < uint64_t(kDurUs)) out = std::to_string(u) + "ns";
    else if (u < uint64_t(kDurMs)) out = fmt_frac(u, 3) + "\xC2\xB5s";  // µs
    else out = fmt_frac(u, 6) + "ms";
  } else {
    uint64_t secs = u / kDurSec, frac = u % kDurSec;
    std::string s = fmt_frac(secs % 60 * kDurSec + frac, 9) + "s";
    uint64_t mins = secs / 60;
    if (mins) {
      uint64_t hours = mins / 60;
      s = std::to_string(mins % 60) + "m" + s;
      if (hours) s = std::to_string(hours) + "h" + s;
    }
    out = s;
  }
  return neg ? "-" + out : out;
}

bool parse_go_duration(std::string_view s, int64_t& out_ns, std::string& err) {
  const std::string orig_q = go_quote(s);
  auto invalid = [&] {
    err = "time: invalid duration " + orig_q;
    return false;
  };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    out_ns = 0;
    return true;
  }
  if (s.empty()) return invalid();
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(static_cast<unsigned char>(s[0])))) return invalid();
    uint64_t whole = 0;
    size_t n = 0;
    while (n < s.size() && is_digit(static_cast<unsigned char>(s[n]))) {
      if (whole > (kLimit - 1) / 10) return invalid();
      whole = whole * 10 + static_cast<uint64_t>(s[n] - '0');
      if (whole > kLimit) return invalid();
      ++n;
    }
    bool pre = n > 0;
    s.remove_prefix(n);
    uint64_t frac = 0;
    double scale = 1;
    bool post = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      size_t m = 0;
      bool overflow = false;
      while (m < s.size() && is_digit(static_cast<unsigned char>(s[m]))) {
        if (!overflow) {
          if (frac > (kLimit - 1) / 10) {
            overflow = true;
          } else {
            uint64_t y = frac * 10 + static_cast<uint64_t>(s[m] - '0');
            if (y > kLimit) {
              overflow = true;
            } else {
              frac = y;
              scale *= 10;
            }
          }
        }
        ++m;
      }
      post = m > 0;
      s.remove_prefix(m);
    }
    if (!pre && !post) return invalid();
    size_t u = 0;
    while (u < s.size() && !(s[u] == '.' || is_digit(static_cast<unsigned char>(s[u])))) ++u;
    if (u == 0) {
      err = "time: missing unit in duration " + orig_q;
      return false;
    }
    std::string_view unit_name = s.substr(0, u);
    s.remove_prefix(u);
    uint64_t unit = 0;
    if (unit_name == "ns") unit = 1;
    else if (unit_name == "us" || unit_name == "\xc2\xb5s" || unit_name == "\xce\xbcs") unit = 1000;
    else if (unit_name == "ms") unit = 1000000;
    else if (unit_name == "s") unit = 1000000000;
    else if (unit_name == "m") unit = 60ull * 1000000000;
    else if (unit_name == "h") unit = 3600ull * 1000000000;
    else {
      err = "time: unknown unit " + go_quote(unit_name) + " in duration " + orig_q;
      return false;
    }
    if (whole > kLimit / unit) return invalid();
    whole *= unit;
    if (frac > 0) {
      whole += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(unit) / scale));
      if (whole > kLimit) return invalid();
    }
    total += whole;
    if (total > kLimit) return invalid();
  }
  if (neg) {
    out_ns = static_cast<int64_t>(0 - total);
    return true;
  }
  if (total > kLimit - 1) return invalid();
  out_ns = static_cast<int64_t>(total);
  return true;
}

}  // namespace ringnats::conf
