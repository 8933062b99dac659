#include "provider/provider_server.h"

#include <string>
#include <utility>
#include <vector>

namespace agentstorm::provider {

absl::StatusOr<std::unique_ptr<ProviderServer>> ProviderServer::Start(
    const sink::ListenAddress& address, const ProviderOptions& options, RequestLog log) {
  std::unique_ptr<ProviderServer> server(new ProviderServer(options, std::move(log)));
  sink::HttpServerOptions http;
  http.max_body_bytes = 32 << 20;
  // A `timeout` answer holds its event loop for the delay: enough loops that a few at once
  // leave the others served.
  http.threads = 16;
  http.idle_timeout = absl::Seconds(120);
  ProviderServer* self = server.get();
  auto started = sink::HttpServer::Start(
      address, "provider", http, [self](sink::HttpRequest& request, sink::HttpResponse& response) {
        self->Handle(request, response);
      });
  if (!started.ok()) return started.status();
  server->server_ = *std::move(started);
  return server;
}

ProviderServer::~ProviderServer() { Stop(); }

void ProviderServer::Stop() {
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (server_) server_->Stop();
}

void ProviderServer::Handle(sink::HttpRequest& request, sink::HttpResponse& response) {
  ProviderRequest r;
  r.method = request.method;
  r.path = request.path;
  r.params = request.params;
  r.headers = request.headers;
  r.body = std::move(request.body);
  ProviderReply reply;
  if (request.body_too_large) {
    reply.status = 413;
    reply.content_type = "application/json";
    reply.body =
        R"({"error":{"message":"agentstorm provider: the request body is over 32 MiB","type":"invalid_request_error"}})";
  } else {
    reply = Answer(r, options_, next_index_.fetch_add(1));
  }
  if (log_) log_(r, reply);
  if (reply.delay > absl::ZeroDuration()) stopping_.WaitForNotificationWithTimeout(reply.delay);
  response.status = reply.status;
  response.content_type = reply.content_type;
  response.headers = std::move(reply.headers);
  if (reply.events.empty()) {
    response.body = std::move(reply.body);
    return;
  }
  response.headers.emplace_back("cache-control", "no-cache");
  auto events = std::make_shared<std::vector<std::string>>(std::move(reply.events));
  auto next = std::make_shared<size_t>(0);
  response.stream = [events, next](std::string* out) {
    out->append((*events)[(*next)++]);
    return *next < events->size();
  };
}

}  // namespace agentstorm::provider
