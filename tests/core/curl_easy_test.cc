#include "core/curl_easy.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace agentstorm {
namespace {

std::vector<std::string> Lines(const CurlHeaderList& list) {
  std::vector<std::string> out;
  for (const curl_slist* s = list.get(); s != nullptr; s = s->next) out.emplace_back(s->data);
  return out;
}

TEST(CurlHeaderList, SendsEmptyValuesInsteadOfDroppingThem) {
  CurlHeaderList list({{"Authorization", "Bearer x"}, {"X-Empty", ""}});
  list.Suppress("Expect");
  EXPECT_EQ(Lines(list),
            (std::vector<std::string>{"Authorization: Bearer x", "X-Empty;", "Expect:"}));
}

TEST(CurlHeaderList, MovesOwnership) {
  const std::vector<std::pair<std::string, std::string>> headers = {{"K", "v"}};
  CurlHeaderList a(headers);
  CurlHeaderList b(std::move(a));
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(Lines(b), std::vector<std::string>{"K: v"});
  CurlHeaderList c;
  c = std::move(b);
  EXPECT_EQ(b.get(), nullptr);
  EXPECT_EQ(Lines(c), std::vector<std::string>{"K: v"});
  EXPECT_EQ(CurlHeaderList().get(), nullptr);
}

}  // namespace
}  // namespace agentstorm
