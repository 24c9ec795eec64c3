// Protocol tracing (see trace.h). Only reached with tracing on.
#include "core/trace.h"

#include <string>

#include "config/conf.h"
#include "core/log.h"

namespace ringnats::trace {

// (Strings are built by appending: GCC 12 warns falsely on chained operator+.)
namespace {
std::string prefix(const Conn& c) {
  std::string p = c.remote_ip;
  p.append(":").append(std::to_string(c.remote_port)).append(" - cid:").append(std::to_string(c.cid));
  if (c.connect_received && (!c.version.empty() || !c.lang.empty() || !c.name.empty()))
    p.append(" - \"v").append(c.version).append(":").append(c.lang).append(":").append(c.name).append("\"");
  return p;
}

void line(const Conn& c, const char* dir, std::string_view body) {
  log::trace("%s - %s %.*s", prefix(c).c_str(), dir, static_cast<int>(body.size()), body.data());
}

std::string bracketed(std::string_view head, std::string_view rest) {
  std::string b = "[";
  b.append(head);
  if (!rest.empty()) b.append(" ").append(rest);
  b.append("]");
  return b;
}
}  // namespace

void in(const Conn& c, std::string_view op, std::string_view args) { line(c, "<<-", bracketed(op, args)); }

void payload(const Conn& c, std::string_view p) {
  std::string b = "MSG_PAYLOAD: [";
  b.append(conf::go_quote(p)).append("]");
  line(c, "<<-", b);
}

void out(const Conn& c, std::string_view l) { line(c, "->>", bracketed(l, {})); }

void delsub(const Conn& c, std::string_view sid) { line(c, "<->", bracketed("DELSUB", sid)); }

}  // namespace ringnats::trace
