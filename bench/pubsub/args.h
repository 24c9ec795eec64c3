// Command-line walking shared by the load tools (pubsub, natsload): Go flag
// style, as nats' own tools take their flags.
#pragma once

#include <string_view>

namespace ringnats::bench {

// Walks argv as Go's flag package reads it ("--x=v", "--x v", "-x v") for
// both load tools' parsers; errors name the tool.
class ArgCursor {
 public:
  ArgCursor(const char* prog, int argc, char** argv) : prog_(prog), argc_(argc), argv_(argv) {}
  // Moves to the next argument; false past the last.
  bool next();
  // The argument (an option without its "=value").
  std::string_view name() const { return name_; }
  // The option's value: inline, or the next argument. False (and a message)
  // when there is none.
  bool value(std::string_view& out);
  // Reports a bad value; returns the usage exit status (2).
  int bad(std::string_view v) const;

 private:
  const char* prog_;
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string_view name_, inline_;
  bool has_inline_ = false;
};

}  // namespace ringnats::bench
