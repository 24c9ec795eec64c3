// Logging in nats-server's line format: "[pid] 2006/01/02 15:04:05.000000 [INF] text",
// to stderr (colored labels on a terminal) or appended to a file. Thread-safe;
// disabled debug/trace cost one relaxed atomic load at the call site.
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "config/options.h"

namespace ringnats::log {

namespace detail {
extern std::atomic<bool> debug_on;
extern std::atomic<bool> trace_on;
}  // namespace detail

// Configures from debug/trace/logtime/log_file. Returns false when the log
// file cannot be opened; `error` then holds nats' text for it
// ("error opening file: open <path>: <reason>") and logging stays on stderr.
// Calling it again replaces the previous configuration.
bool init(const Options& opts, std::string* error = nullptr);

// Reopens the log file (for rotation by an outside tool, e.g. on SIGUSR1).
void reopen();

inline bool debug_enabled() { return detail::debug_on.load(std::memory_order_relaxed); }
inline bool trace_enabled() { return detail::trace_on.load(std::memory_order_relaxed); }

// printf-style; a trailing newline is added when missing.
void notice(const char* fmt, ...) __attribute__((format(printf, 1, 2)));  // [INF]
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));    // [WRN]
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));   // [ERR]
// [FTL]. Only logs: the caller stops the server and exits with status 1,
// which is what nats-server does after a fatal line.
void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Return at once when their level is off; hot paths may still test
// debug_enabled()/trace_enabled() first to skip building arguments.
void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));   // [DBG], with -D
void trace(const char* fmt, ...) __attribute__((format(printf, 1, 2)));   // [TRC], with -V
// [ERR] with `text` as it is, NUL bytes included (nats-server prints config
// parse errors naming the end of the file that way).
void error_text(std::string_view text);

}  // namespace ringnats::log

