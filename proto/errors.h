// The -ERR texts nats-server 2.9 sends, and whether each closes the
// connection. One table so the parser, the client code and the tests agree.
#pragma once

#include <string_view>

namespace ringnats::proto {

enum class ErrCode : unsigned char {
  None,
  UnknownOp,          // -ERR 'Unknown Protocol Operation', close
  MaxControlLine,     // -ERR 'maximum control line exceeded', close
  MaxPayload,         // -ERR 'Maximum Payload Violation', close
  AuthViolation,      // -ERR 'Authorization Violation', close
  AuthTimeout,        // -ERR 'Authentication Timeout', close
  StaleConnection,    // -ERR 'Stale Connection', close
  InvalidSubject,     // -ERR 'Invalid Subject', stays open
  InvalidPubSubject,  // -ERR 'Invalid Publish Subject', stays open
  BadClientProtocol,  // -ERR 'invalid client protocol', close
  NoRespondersNeedsHeaders,  // close
  MaxConnections,     // -ERR 'maximum connections exceeded', close
  MaxSubscriptions,   // -ERR 'maximum subscriptions exceeded', stays open
  RoutePort,          // -ERR 'attempted to connect to route port', close
  ProtocolViolation,  // no -ERR, close (bad args, bad JSON, bad sizes)
  SlowConsumer,       // no -ERR, close
  ServerShutdown,     // no -ERR, close (stop or lame duck)
  TlsHandshake,       // no -ERR, close (failed or timed out TLS handshake)
};

struct ErrInfo {
  std::string_view wire;  // full line to send, empty = none
  bool closes;
};

inline ErrInfo err_info(ErrCode c) {
  switch (c) {
    case ErrCode::None: return {"", false};
    case ErrCode::UnknownOp: return {"-ERR 'Unknown Protocol Operation'\r\n", true};
    case ErrCode::MaxControlLine: return {"-ERR 'maximum control line exceeded'\r\n", true};
    case ErrCode::MaxPayload: return {"-ERR 'Maximum Payload Violation'\r\n", true};
    case ErrCode::AuthViolation: return {"-ERR 'Authorization Violation'\r\n", true};
    case ErrCode::AuthTimeout: return {"-ERR 'Authentication Timeout'\r\n", true};
    case ErrCode::StaleConnection: return {"-ERR 'Stale Connection'\r\n", true};
    case ErrCode::InvalidSubject: return {"-ERR 'Invalid Subject'\r\n", false};
    case ErrCode::InvalidPubSubject: return {"-ERR 'Invalid Publish Subject'\r\n", false};
    case ErrCode::BadClientProtocol: return {"-ERR 'invalid client protocol'\r\n", true};
    case ErrCode::NoRespondersNeedsHeaders:
      return {"-ERR 'no responders requires headers support'\r\n", true};
    case ErrCode::MaxConnections: return {"-ERR 'maximum connections exceeded'\r\n", true};
    case ErrCode::MaxSubscriptions: return {"-ERR 'maximum subscriptions exceeded'\r\n", false};
    case ErrCode::RoutePort: return {"-ERR 'attempted to connect to route port'\r\n", true};
    case ErrCode::ProtocolViolation: return {"", true};
    case ErrCode::SlowConsumer: return {"", true};
    case ErrCode::ServerShutdown: return {"", true};
    case ErrCode::TlsHandshake: return {"", true};
  }
  return {"", true};
}

}  // namespace ringnats::proto
