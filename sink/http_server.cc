#include "sink/http_server.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace agentstorm::sink {
namespace {

std::optional<std::string> Find(const std::vector<std::pair<std::string, std::string>>& pairs,
                                std::string_view name, bool ignore_case) {
  for (const auto& [key, value] : pairs) {
    if (ignore_case ? absl::EqualsIgnoreCase(key, absl::string_view(name.data(), name.size()))
                    : key == name) {
      return value;
    }
  }
  return std::nullopt;
}

MHD_Result Collect(void* pairs, MHD_ValueKind /*kind*/, const char* key, const char* value) {
  static_cast<std::vector<std::pair<std::string, std::string>>*>(pairs)->emplace_back(
      key, value == nullptr ? "" : value);
  return MHD_YES;
}

// Query strings as Go's net/url (and so Jaeger) reads them: "+" is a space, then %XX.
size_t Unescape(void* /*cls*/, MHD_Connection* /*connection*/, char* text) {
  std::replace(text, text + std::strlen(text), '+', ' ');
  return MHD_http_unescape(text);
}

void FreeString(void* text) { delete static_cast<std::string*>(text); }

// A streamed body (HttpResponse::stream) and what it produced that is not sent yet.
struct Stream {
  std::function<bool(std::string*)> next;
  std::string pending;
  size_t offset = 0;
  bool done = false;
};

ssize_t ReadStream(void* cls, uint64_t /*pos*/, char* buf, size_t max) {
  auto* stream = static_cast<Stream*>(cls);
  while (stream->offset == stream->pending.size()) {
    stream->pending.clear();
    stream->offset = 0;
    if (stream->done) return MHD_CONTENT_READER_END_OF_STREAM;
    try {
      stream->done = !stream->next(&stream->pending);
    } catch (const std::exception&) {
      return MHD_CONTENT_READER_END_WITH_ERROR;  // the client sees a cut answer, not a wrong one
    }
  }
  const size_t n = std::min(max, stream->pending.size() - stream->offset);
  stream->pending.copy(buf, n, stream->offset);  // a byte range, not a C string
  stream->offset += n;
  return static_cast<ssize_t>(n);
}

void FreeStream(void* cls) { delete static_cast<Stream*>(cls); }

// mTLS: libmicrohttpd asks for a client certificate but leaves requiring and verifying it to
// the server. True when the client presented one that the client CA verifies.
bool ClientCertificateVerified(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (info == nullptr || info->tls_session == nullptr) return false;
  auto* session = static_cast<gnutls_session_t>(info->tls_session);
  unsigned int certificates = 0;
  if (gnutls_certificate_get_peers(session, &certificates) == nullptr || certificates == 0) {
    return false;
  }
  unsigned int status = 0;
  return gnutls_certificate_verify_peers2(session, &status) == GNUTLS_E_SUCCESS && status == 0;
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  return Find(headers, name, true).value_or("");
}

bool HttpRequest::HasHeader(std::string_view name) const {
  return Find(headers, name, true).has_value();
}

std::optional<std::string> HttpRequest::Param(std::string_view name) const {
  return Find(params, name, false);
}

struct HttpServer::Exchange {
  HttpRequest request;
  bool answered = false;  // a response is queued (early when the body passed the limit)
  size_t discarded = 0;   // body bytes read past the limit
};

struct HttpServerCallbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* /*version*/, const char* upload_data,
                              size_t* upload_data_size, void** state) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* exchange = static_cast<HttpServer::Exchange*>(*state);
    if (exchange == nullptr) {  // the headers are in; answering now sends "100 Continue"
      exchange = new HttpServer::Exchange();
      *state = exchange;
      exchange->request.method = method;
      exchange->request.path = url;
      MHD_get_connection_values(connection, MHD_HEADER_KIND, &Collect, &exchange->request.headers);
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &Collect,
                                &exchange->request.params);
      const ListenerSecurity& security = server->options_.security;
      const std::vector<std::string>& open = server->options_.open_paths;
      if (!security.client_ca_pem.empty() && !ClientCertificateVerified(connection)) {
        exchange->request.auth_error =
            "no client certificate signed by this sink's client CA (--tls-client-ca)";
      } else if (!security.bearer_token.empty() &&
                 std::find(open.begin(), open.end(), exchange->request.path) == open.end() &&
                 !BearerMatches(exchange->request.Header("Authorization"), security.bearer_token)) {
        exchange->request.auth_error = kMissingToken;
      }
      return MHD_YES;
    }
    HttpRequest& request = exchange->request;
    if (*upload_data_size > 0) {
      const size_t n = *upload_data_size;
      *upload_data_size = 0;
      if (exchange->answered) return MHD_YES;  // discarded until the connection closes
      if (request.body_too_large || !request.auth_error.empty()) {
        // Read and dropped, so the client gets to read the 413 (closing on a client still
        // sending resets the connection under its answer), up to as much again as the limit
        // and at least 16 MiB; past that it is answered at once.
        exchange->discarded += n;
        if (exchange->discarded > std::max<size_t>(server->options_.max_body_bytes, 16 << 20)) {
          return Respond(server, connection, exchange);
        }
        return MHD_YES;
      }
      if (request.body.size() + n > server->options_.max_body_bytes) {
        request.body_too_large = true;
        exchange->discarded = request.body.size() + n;
        std::string().swap(request.body);
        return MHD_YES;
      }
      request.body.append(upload_data, n);
      return MHD_YES;
    }
    if (exchange->answered) return MHD_YES;
    return Respond(server, connection, exchange);
  }

  static MHD_Result Respond(HttpServer* server, MHD_Connection* connection,
                            HttpServer::Exchange* exchange) {
    exchange->answered = true;
    HttpResponse response;
    try {
      server->handler_(exchange->request, response);
    } catch (const std::exception& e) {
      response = HttpResponse();
      response.status = 500;
      response.SetContent(absl::StrCat("internal error: ", e.what()), "text/plain");
    }
    if (exchange->request.body_too_large) response.close_connection = true;
    MHD_Response* answer = nullptr;
    if (response.stream) {
      auto* stream = new Stream{std::move(response.stream)};
      answer = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 << 10, &ReadStream, stream,
                                                 &FreeStream);
      if (answer == nullptr) {
        delete stream;
        return MHD_NO;
      }
    } else {
      auto* body = new std::string(std::move(response.body));
      answer = MHD_create_response_from_buffer_with_free_callback_cls(body->size(), body->data(),
                                                                      &FreeString, body);
      if (answer == nullptr) {
        delete body;
        return MHD_NO;
      }
    }
    if (!response.content_type.empty()) {
      MHD_add_response_header(answer, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
    }
    for (const auto& [name, value] : response.headers) {
      MHD_add_response_header(answer, name.c_str(), value.c_str());
    }
    if (response.close_connection) {
      MHD_add_response_header(answer, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned>(response.status), answer);
    MHD_destroy_response(answer);
    return queued;
  }

  static void OnCompleted(void* /*cls*/, MHD_Connection* /*connection*/, void** state,
                          MHD_RequestTerminationCode /*why*/) {
    delete static_cast<HttpServer::Exchange*>(*state);
    *state = nullptr;
  }
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ListenAddress& address,
                                                              std::string_view what,
                                                              const HttpServerOptions& options,
                                                              Handler handler) {
  auto cannot = [&](std::string_view why) {
    return absl::UnavailableError(absl::StrCat("cannot listen for ", std::string(what), " on ",
                                               address.ToString(), " (", std::string(why), ")"));
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int e = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found); e != 0) {
    return cannot(gai_strerror(e));
  }
  sockaddr_storage bind_to{};
  std::memcpy(&bind_to, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof bind_to));
  freeaddrinfo(found);

  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler)));
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC;
  if (bind_to.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  // The PEM texts of the server's own copy of the options: libmicrohttpd keeps the pointers.
  const ListenerSecurity& security = server->options_.security;
  std::vector<MHD_OptionItem> tls;
  if (security.tls()) {
    flags |= MHD_USE_TLS;
    tls.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(security.key_pem.c_str())});
    tls.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(security.cert_pem.c_str())});
    if (!security.client_ca_pem.empty()) {
      tls.push_back(
          {MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(security.client_ca_pem.c_str())});
    }
  }
  tls.push_back({MHD_OPTION_END, 0, nullptr});
  // Without SO_REUSEPORT (libmicrohttpd's default): a second sink must not share a serving port.
  server->daemon_ = MHD_start_daemon(
      flags, static_cast<uint16_t>(address.port), nullptr, nullptr, &HttpServerCallbacks::OnRequest,
      server.get(), MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&bind_to),
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(std::max(1u, options.threads)),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options.connection_limit),
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(std::max<int64_t>(1, absl::ToInt64Seconds(options.idle_timeout))),
      MHD_OPTION_LISTEN_BACKLOG_SIZE, static_cast<unsigned>(SOMAXCONN), MHD_OPTION_NOTIFY_COMPLETED,
      &HttpServerCallbacks::OnCompleted, server.get(), MHD_OPTION_UNESCAPE_CALLBACK, &Unescape,
      nullptr, MHD_OPTION_ARRAY, tls.data(), MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    return cannot(security.tls() ? "address in use or not permitted, or the TLS certificate and "
                                   "key are not a pair"
                                 : "address in use or not permitted");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info == nullptr ? address.port : info->port;
  return server;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (daemon_ == nullptr) return;
  // Stop accepting, give the connections with a request under way a moment to get their
  // answers out, then close everything.
  MHD_quiesce_daemon(daemon_);
  for (int i = 0; i < 50; ++i) {
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (info == nullptr || info->num_connections == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace agentstorm::sink
