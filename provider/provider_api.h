// `agentstorm provider`: a deterministic stand-in for the LLM provider APIs that instrumented
// apps call (OpenAI chat completions, embeddings and Responses; Anthropic Messages; Gemini
// generateContent and embedContent), so an app and its instrumentation run in CI with no key and
// no network. The same request gets the same bytes back: every ID, word and figure is drawn from
// a hash of the request's JSON (its keys sorted, its streaming fields left out, so a streamed
// answer has the words of the unstreamed one), never from the clock.
//
// What an answer holds (docs/provider.md has the whole contract):
//   - tokens: a prompt counts ceil(characters / 4) of every string in its conversation fields
//     (messages, system, contents, input, tools); an answer's words are one token each.
//   - text: 12 to 31 words of a fixed vocabulary, cut at the request's max tokens (then the
//     finish reason says so: "length", "max_tokens", "MAX_TOKENS", "incomplete").
//   - tools: when tools are offered and the conversation's last turn is not a tool's result, the
//     answer calls one (the one tool_choice names, else the first), with arguments built from its
//     JSON schema; after a tool's result it answers in text.
//   - Anthropic prompt caching: the text up to the last block marked `cache_control` is reported
//     as `cache_read_input_tokens` and left out of `input_tokens`, as Anthropic counts them.
//
// Faults, each in the provider's own error shape: `rate-limit` (429 with Retry-After),
// `server-error` (500), `timeout` (the answer comes after ProviderOptions::timeout_delay),
// `context-length` (400, the provider's context-length-exceeded error; also whenever a prompt
// is over ProviderOptions::context_window tokens) and `runaway` (the answer keeps calling the same
// tool whatever the conversation holds, as an agent stuck in a loop sees it). A request asks for
// one with the header `x-agentstorm-fault: NAME`; ProviderOptions::faults give each request a
// seeded chance of each (the n-th request's draw depends on the seed and n only).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace agentstorm::provider {

enum class Fault { kNone, kRateLimit, kServerError, kTimeout, kContextLength, kRunaway };

// "rate-limit", "server-error", "timeout", "context-length", "runaway" ("" for kNone).
std::string_view FaultName(Fault fault);
// The fault of that name; InvalidArgument naming the known ones (with a did-you-mean).
absl::StatusOr<Fault> ParseFault(std::string_view name);
// "NAME" or "NAME=FRACTION" (FRACTION in (0, 1], default 1), as `--fault` takes it.
absl::StatusOr<std::pair<Fault, double>> ParseFaultSpec(std::string_view spec);

struct ProviderOptions {
  // A prompt over this many tokens gets the context-length error.
  int64_t context_window = 128000;
  // Each request draws each fault with its fraction, the first drawn wins.
  std::vector<std::pair<Fault, double>> faults;
  uint64_t fault_seed = 1;
  // How long a `timeout` fault holds its answer back.
  absl::Duration timeout_delay = absl::Seconds(30);
};

struct ProviderRequest {
  std::string method;
  std::string path;                                         // without the query string
  std::vector<std::pair<std::string, std::string>> params;  // the query string's, decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ProviderReply {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  // The body; for a streamed answer (server-sent events), each event's bytes in order.
  std::string body;
  std::vector<std::string> events;
  // Answer only after this long (the `timeout` fault).
  absl::Duration delay = absl::ZeroDuration();
  // For the request log: which API answered ("openai.chat", "anthropic.messages", ...; "" when
  // no API has this path) and the fault applied.
  std::string api;
  Fault fault = Fault::kNone;
};

// The answer to one request; `request_index` counts the requests served so far (0 first), for
// the fault draws.
ProviderReply Answer(const ProviderRequest& request, const ProviderOptions& options,
                     uint64_t request_index);

}  // namespace agentstorm::provider
