// EncoderTables: what the templated encoder precompiles per scenario, built once and shared by
// every thread: each service's encoded Resource message (unless it has a pooled attribute,
// drawn per trace) and the encoded ScopeSpans.scope / schema_url fields of each semconv profile.
#pragma once

#include <string>
#include <vector>

#include "core/proto_wire.h"
#include "core/rng.h"
#include "scenario/scenario.h"

namespace agentstorm {

class EncoderTables {
 public:
  explicit EncoderTables(const Scenario& scenario);

  // Encoded Resource message body of `service` in `part`; null when the service has a pooled
  // attribute (drawn per trace, so it cannot be precompiled).
  const std::string* Resource(int part, int service) const {
    return pooled_[part][service] ? nullptr : &resource_[part][service];
  }
  // ScopeSpans.scope (name "agentstorm") and ScopeSpans.schema_url fields of a profile.
  const std::string& Scope() const { return scope_; }
  const std::string& SchemaUrl(bool latest) const { return latest ? schema_latest_ : schema_v136_; }

 private:
  std::vector<std::vector<std::string>> resource_;  // [part][service]
  std::vector<std::vector<bool>> pooled_;
  std::string scope_, schema_latest_, schema_v136_;
};

// Encodes a Resource attribute list (service.name, version, environment, telemetry.sdk.name, the
// service's extra attributes) the way the reference path builds it; pooled values draw from `rng`.
void EncodeResource(const Service& svc, CounterRng* rng, protowire::Buffer* out);

// The schema URL the synthesizer writes on each ScopeSpans.
const char* ScopeSchemaUrl(bool latest);

}  // namespace agentstorm
