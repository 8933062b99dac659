// Keeping secrets out of reports. One place decides what a secret looks like, so every report
// writer and every builder agree; tests/reports/sanitize_test.cc holds the cases.
//
// ScrubSecrets replaces, anywhere in a piece of text:
//   - URL userinfo:                 "https://user:pw@host"        -> "https://***@host"
//   - URL query values, except the harmless options tenant, api, insecure, ca, compression:
//                                   "tempo://h?token=abc&api=v2"  -> "tempo://h?token=***&api=v2"
//   - credentials in header form:   "Authorization: Bearer abc"   -> "Authorization: ***"
//     (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-API-Key, API-Key, api_key,
//      access_token, token, password, secret, X-Auth-Token, followed by ':' or '=')
//   - bare schemes:                 "Bearer abc", "Basic dXNlcjpw" -> "Bearer ***", "Basic ***"
// Text without any of these comes back unchanged.
#pragma once

#include <string>
#include <string_view>

namespace agentstorm::reports {

struct ReportModel;

std::string ScrubSecrets(std::string_view text);

// Applies ScrubSecrets to every string field of the model.
void SanitizeReport(ReportModel* model);

}  // namespace agentstorm::reports
