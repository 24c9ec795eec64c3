// nats-server style log lines. One mutex guards the sink and its settings;
// each line is built in full and written with a single write(2), so lines
// from different shard threads never interleave.
#include "core/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace ringnats::log {

namespace detail {
std::atomic<bool> debug_on{false};
std::atomic<bool> trace_on{false};
}  // namespace detail

namespace {

enum Level { kInfo, kWarn, kError, kFatal, kDebug, kTrace };

struct Sink {
  std::mutex mu;
  int fd = STDERR_FILENO;
  bool owns_fd = false;
  std::string path;
  bool logtime = true;
  bool colors = false;
  std::string pid_prefix;  // "[1234] "
};

Sink& sink() {
  static Sink* s = new Sink();  // never destroyed: threads may log during exit
  return *s;
}

const char* label(Level lv, bool colors) {
  static const char* const kPlain[] = {"[INF] ", "[WRN] ", "[ERR] ", "[FTL] ", "[DBG] ", "[TRC] "};
  static const char* const kColor[] = {
      "[\x1b[32mINF\x1b[0m] ", "[\x1b[0;93mWRN\x1b[0m] ", "[\x1b[31mERR\x1b[0m] ",
      "[\x1b[31mFTL\x1b[0m] ", "[\x1b[36mDBG\x1b[0m] ",   "[\x1b[33mTRC\x1b[0m] "};
  return colors ? kColor[lv] : kPlain[lv];
}

std::string open_error(const std::string& path, int err) {
  std::string why = std::strerror(err);
  if (!why.empty() && why[0] >= 'A' && why[0] <= 'Z') why[0] = static_cast<char>(why[0] - 'A' + 'a');
  return "error opening file: open " + path + ": " + why;
}

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing log
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void emit_text(Level lv, const char* text, size_t text_len);

void emit(Level lv, const char* fmt, va_list ap) {
  char msg[1024];
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(msg, sizeof msg, fmt, copy);
  va_end(copy);
  std::string big;
  const char* text = msg;
  size_t text_len = n < 0 ? 0 : static_cast<size_t>(n);
  if (text_len >= sizeof msg) {
    big.resize(text_len + 1);
    std::vsnprintf(big.data(), big.size(), fmt, ap);
    big.resize(text_len);
    text = big.data();
  }
  emit_text(lv, text, text_len);
}

void emit_text(Level lv, const char* text, size_t text_len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mu);
  std::string line;
  line.reserve(64 + text_len);
  line += s.pid_prefix;
  if (s.logtime) {
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d/%02d/%02d %02d:%02d:%02d.%06ld ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    line += stamp;
  }
  line += label(lv, s.colors);
  line.append(text, text_len);
  if (line.back() != '\n') line += '\n';
  write_all(s.fd, line.data(), line.size());
}

}  // namespace

bool init(const Options& opts, std::string* error) {
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.owns_fd) ::close(s.fd);
  s.fd = STDERR_FILENO;
  s.owns_fd = false;
  s.path = opts.log_file;
  s.logtime = opts.logtime;
  char pid[32];
  std::snprintf(pid, sizeof pid, "[%d] ", static_cast<int>(::getpid()));
  s.pid_prefix = pid;
  bool ok = true;
  if (!opts.log_file.empty()) {
    int fd = ::open(opts.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0660);
    if (fd < 0) {
      ok = false;
      if (error != nullptr) *error = open_error(opts.log_file, errno);
    } else {
      s.fd = fd;
      s.owns_fd = true;
    }
  }
  // Colors only for a terminal on stderr, as nats decides.
  s.colors = !s.owns_fd && ::isatty(STDERR_FILENO) == 1;
  detail::debug_on.store(opts.debug, std::memory_order_relaxed);
  detail::trace_on.store(opts.trace, std::memory_order_relaxed);
  return ok;
}

void reopen() {
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.owns_fd) return;
  int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0660);
  if (fd < 0) return;  // keep writing to the old file rather than losing lines
  ::close(s.fd);
  s.fd = fd;
}

#define RINGNATS_LOG_FN(name, level, gate)  \
  void name(const char* fmt, ...) {         \
    if (!(gate)) return;                    \
    va_list ap;                             \
    va_start(ap, fmt);                      \
    emit(level, fmt, ap);                   \
    va_end(ap);                             \
  }

RINGNATS_LOG_FN(notice, kInfo, true)
RINGNATS_LOG_FN(warn, kWarn, true)
RINGNATS_LOG_FN(error, kError, true)
RINGNATS_LOG_FN(fatal, kFatal, true)
RINGNATS_LOG_FN(debug, kDebug, debug_enabled())
RINGNATS_LOG_FN(trace, kTrace, trace_enabled())

#undef RINGNATS_LOG_FN

void error_text(std::string_view text) { emit_text(kError, text.data(), text.size()); }

}  // namespace ringnats::log
