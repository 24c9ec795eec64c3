// The root page: ringnats' name and version and a link to every endpoint,
// under the base path. HTTP threads only.
#include "monitor/endpoint.h"

namespace ringnats::monitor {

namespace {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace

Response render_root(const Query&, Ctx& ctx) {
  static const struct { const char* path; const char* label; } links[] = {
      {"/varz", "General"},        {"/connz", "Connections"},
      {"/accountz", "Accounts"},   {"/accstatz", "Account Stats"},
      {"/subsz", "Subscriptions"}, {"/routez", "Routes"},
      {"/leafz", "LeafNodes"},     {"/gatewayz", "Gateways"},
      {"/healthz", "Health Probe"}, {"/metrics", "Prometheus Metrics"},
  };
  ServerSnapshot s = ctx.src.server();
  std::string base = ctx.base_path == "/" ? "" : ctx.base_path;
  std::string body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>ringnats monitor</title>\n<style>\n"
      "  body { font-family: system-ui, sans-serif; margin: 2rem 2.5rem; color: #30303c }\n"
      "  h1 { font-weight: 600; margin-bottom: .2rem }\n"
      "  p.sub { margin-top: 0; color: #70707c }\n"
      "  a { display: block; padding: .25rem 0; color: #3b32ca; text-decoration: none }\n"
      "  a:hover { text-decoration: underline }\n"
      "</style>\n</head>\n<body>\n<h1>ringnats</h1>\n<p class=\"sub\">" +
      html_escape(s.server_name) + " &middot; NATS " + html_escape(s.version) + "</p>\n";
  for (const auto& l : links)
    body += "<a href=\"." + html_escape(base) + l.path + "\">" + l.label + "</a>\n";
  body += "</body>\n</html>\n";
  return Response{200, std::move(body), "text/html; charset=utf-8"};
}

}  // namespace ringnats::monitor
