// The compiled scenario: a validated, name-resolved plan the synthesizer walks for every trace.
// Built only by the loader (scenario/scenario_loader.h); immutable afterwards, so one Scenario
// is shared by every thread. References between entities are indices, never names.
//
// A scenario is made of parts. A plain scenario file has one part; a suite file has one part per
// composed scenario, each keeping its own services, models, tools, agents, faults and profile.
// Variants (weighted) point into a part and name its entry agent or workflow.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/synthesized_trace.h"
#include "scenario/load_profile.h"

namespace agentstorm {

// A random quantity (durations in seconds, token counts, sizes in bytes, iteration counts).
struct Distribution {
  enum class Kind { kConstant, kUniform, kNormal, kLognormal, kEmpirical };
  Kind kind = Kind::kConstant;
  double a = 0;  // constant: value; uniform: min; normal: mean; lognormal: mu (log of p50)
  double b = 0;  // uniform: max; normal: stddev; lognormal: sigma
  std::vector<double> values;      // empirical
  std::vector<double> cumulative;  // empirical: cumulative weights, last == 1

  static Distribution Constant(double v);
  static Distribution Uniform(double lo, double hi);
  static Distribution Normal(double mean, double stddev);
  // Lognormal fitted to a median and a 99th percentile (p99 >= p50 > 0).
  static Distribution LognormalP50P99(double p50, double p99);
  static Distribution Empirical(std::vector<double> values, std::vector<double> weights);

  // A draw, never negative.
  double Sample(CounterRng& rng) const;
  double Mean() const;
  // Largest possible value, or +inf when unbounded (normal, lognormal).
  double Max() const;
  std::string Describe() const;  // "lognormal(p50=0.8, p99=6)" for the plan printout
};

enum class SemconvProfile : uint8_t { kLatest, kV136, kDual };
const char* SemconvProfileName(SemconvProfile p);

// An attribute value attached as-is, or drawn from a pool of N distinct values.
struct ExtraAttribute {
  enum class Type { kString, kInt, kDouble, kBool, kStringArray, kPool };
  std::string key;
  Type type = Type::kString;
  std::string string_value;  // kString; kPool: the prefix
  int64_t int_value = 0;     // kInt; kPool: pool size
  double double_value = 0;
  bool bool_value = false;
  std::vector<std::string> strings;
};

struct Service {
  std::string name;  // service.name
  std::string version;
  std::string environment;                 // deployment.environment.name
  std::vector<ExtraAttribute> attributes;  // extra resource attributes
};

struct WeightedString {
  std::string value;
  double weight = 1;
};

struct Model {
  std::string key;                 // the scenario's name for it
  std::string provider;            // gen_ai.provider.name value
  std::string request_model;       // gen_ai.request.model
  std::string response_model;      // gen_ai.response.model
  std::string operation = "chat";  // chat | generate_content | text_completion | embeddings
  std::string server_address;
  int server_port = 443;
  int64_t context_window = 0;  // 0 = unknown
  Distribution input_tokens = Distribution::Constant(500);
  Distribution output_tokens = Distribution::Constant(200);
  Distribution latency = Distribution::Constant(1.0);  // seconds, whole operation
  bool streaming = false;
  Distribution time_to_first_chunk = Distribution::Constant(0.3);
  std::vector<WeightedString> finish_reasons;  // for a final answer; default stop
  std::optional<double> temperature;
  std::optional<int64_t> max_tokens;
  int64_t embedding_dimensions = 0;  // embeddings models
  std::vector<ExtraAttribute> attributes;
};

struct McpBinding {
  int server_service = -1;  // index into part.services: where the mcp.server span lives
  std::string server_address;
  int server_port = 0;
  std::string transport = "tcp";  // network.transport: pipe | tcp | quic
  std::string protocol_version = "2025-06-18";
  std::string method = "tools/call";
};

struct Tool {
  std::string name;
  std::string type = "function";  // gen_ai.tool.type: function | extension | datastore
  std::string description;
  Distribution latency = Distribution::Constant(0.2);
  double error_rate = 0;                    // per attempt
  std::vector<WeightedString> error_types;  // error.type values; default "tool_error"
  int retries = 0;                          // extra attempts after a failure
  std::optional<McpBinding> mcp;
  std::vector<ExtraAttribute> attributes;
};

struct Step {
  enum class Kind {
    kChat,      // one inference span
    kTool,      // execute_tool (and MCP client/server spans for MCP tools)
    kToolLoop,  // repeat {chat -> tool} for N iterations, then a final chat
    kFanOut,    // invoke several agents, parallel or sequential
    kHandoff,   // transfer control to another agent (invoked as the agent's last act)
    kEmbeddings,
    kRetrieval,
    kCreateAgent,
    kInvokeWorkflow,
  };
  Kind kind = Kind::kChat;
  std::string path;  // field path in the source, for messages

  int model = -1;          // chat, embeddings: index into part.models (-1 = the agent's model)
  std::vector<int> tools;  // tool, tool_loop
  Distribution iterations = Distribution::Constant(1);  // tool_loop
  int max_iterations = 10;                              // tool_loop cap
  int tools_per_iteration = 1;                          // tool_loop
  std::vector<int> agents;  // fan_out, handoff, create_agent: indices into part.agents
  bool parallel = true;     // fan_out
  int workflow = -1;        // invoke_workflow: index into part.workflows
  // retrieval
  std::string data_source;
  int64_t top_k = 5;
  Distribution latency = Distribution::Constant(0.05);
  std::string provider;  // retrieval/create_agent provider (optional)
  std::string server_address;
  int server_port = 0;
};

struct Agent {
  std::string name;  // gen_ai.agent.name
  std::string id;    // gen_ai.agent.id ("" = none)
  std::string description;
  std::string version;
  int service = 0;       // index into part.services; a different service from the caller = remote
  int model = -1;        // default model for chat steps
  std::string provider;  // for the remote CLIENT invoke_agent span (default: model's provider)
  std::string server_address;  // where a remote agent is reached
  int server_port = 443;
  std::vector<Step> steps;
  std::vector<ExtraAttribute> attributes;  // on its invoke_agent span
};

struct Workflow {
  std::string name;  // gen_ai.workflow.name
  int service = 0;
  std::vector<Step> steps;
};

// Fault kinds are listed in core/synthesized_trace.h (FaultKind).
struct FaultSpec {
  FaultKind kind = FaultKind::kToolFailure;
  double rate = 0;         // fraction of traces in which it is injected, [0, 1]
  std::vector<int> tools;  // tool_failure/timeout: restrict to these tools (empty = any)
  std::string error_type;  // error.type written on the failing span
  Distribution iterations = Distribution::Uniform(25, 40);  // runaway_loop
  double overflow_factor = 1.2;    // context_overflow: input tokens = window * factor
  bool overflow_as_error = false;  // context_overflow: error instead of finish "length"
  int rate_limit_retries = 1;      // rate_limit: 429s before success
  double give_up_fraction = 0;     // rate_limit: fraction of injections that never succeed
  Distribution backoff = Distribution::Constant(1.0);  // rate_limit: wait per 429
  double timeout_seconds = 30;  // timeout: the span lasts this long, then fails
};

struct ContentCapture {
  bool enabled = false;
  Distribution size_bytes = Distribution::LognormalP50P99(2000, 60000);
};

struct ScenarioPart {
  std::string name;  // scenario name ("" for an inline suite part)
  std::string source_file;
  SemconvProfile semconv = SemconvProfile::kLatest;
  std::vector<Service> services;
  std::vector<Model> models;
  std::vector<Tool> tools;
  std::vector<Agent> agents;
  std::vector<Workflow> workflows;
  std::vector<FaultSpec> faults;  // at most one per kind
  ContentCapture content;
  int64_t conversation_pool = 0;                // 0: no gen_ai.conversation.id; N: drawn from N ids
  std::vector<ExtraAttribute> span_attributes;  // on every span
  double slow_threshold_seconds = 0;            // traces longer than this are class slow (0 = off)
};

struct Variant {
  std::string name;
  double weight = 1;  // normalised: the weights of all variants sum to 1
  int part = 0;
  bool entry_is_workflow = false;
  int entry = 0;                                    // index into part.agents or part.workflows
  TraceClass expected_class = TraceClass::kNormal;  // before faults raise it
  std::vector<std::string> expected_alerts;
  std::map<FaultKind, double> fault_rates;  // overrides of the part's rates for this variant
  // Overrides written as a mapping ({rate: 1, mode: error}) replace the part's whole spec.
  std::map<FaultKind, FaultSpec> fault_specs;
};

// What the pipeline under test is expected to do to the traces; the checker reads this.
struct SamplingExpectation {
  enum class Mode { kNone, kHead, kTail };
  Mode mode = Mode::kNone;
  double probability = 1;  // head: kept fraction; tail: kept fraction of the remaining traces
  bool keep_errors = false;
  double keep_slower_than_seconds = 0;  // 0 = no latency rule
};
struct RedactionExpectation {
  bool strip_content = false;           // gen_ai.input/output.messages, system_instructions, events
  std::vector<std::string> attributes;  // further attribute keys that must not arrive
};

// Which alerts the pipeline's alerting must raise for this load, and which it must not
// (`alerts:` in the scenario; checked by `agentstorm check --alerts`, see
// checker/rules/alert_rule.h).
struct AlertExpectation {
  std::string alert;                          // the alertname label
  std::map<std::string, std::string> labels;  // further labels the alert must carry
  double within_seconds = 0;  // deadline after the fault phase begins; 0 = the section's deadline
};
struct AlertExpectations {
  // Must fire. Holds the section's `fire:` entries plus every alert named in a variant's
  // `expect.alerts` (variants with weight 0 excepted).
  std::vector<AlertExpectation> fire;
  std::vector<std::string> silent;  // must not fire
  bool silent_others = true;        // every alert not in `fire` must not fire either
  std::string fault_phase;          // load phase the deadlines count from ("" = the run start)
  double deadline_seconds = 300;
  // Seconds from the run start to the start of `fault_phase` in `load` (0 when unset).
  double FaultPhaseOffsetSeconds(const std::optional<LoadProfile>& load) const;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;
  std::string source_text;  // every file read, concatenated (the ledger hashes it)
  std::vector<ScenarioPart> parts;
  std::vector<Variant> variants;
  std::optional<LoadProfile> load;
  SamplingExpectation sampling;
  RedactionExpectation redaction;
  AlertExpectations alerts;

  // The profile written in the ledger header: the parts' common profile, or "mixed".
  std::string SemconvProfileLabel() const;
  uint64_t SourceHash() const { return HashName(source_text); }
  int FindVariant(const std::string& name) const;  // -1 when absent
};

}  // namespace agentstorm
