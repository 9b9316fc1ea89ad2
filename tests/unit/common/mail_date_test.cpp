#include "common/mail_date.h"

#include <gtest/gtest.h>

namespace storeflow {
namespace {

TEST(MailDateTest, ReadsTheDateHeaderWithItsOffset) {
  // 2026-03-10T09:00:00Z
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mar 2026 09:00:00 +0000"), 1773133200000);
  EXPECT_EQ(ParseMailDateMs("10 Mar 2026 09:00:00 +0000"), 1773133200000) << "no day name";
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mar 2026 10:30:00 +0130"), 1773133200000);
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mar 2026 04:00:00 -0500"), 1773133200000);
  EXPECT_EQ(ParseMailDateMs("Thu, 31 Dec 2026 23:59:59 +0000"), 1798761599000);
}

TEST(MailDateTest, RefusesWhatIsNotADate) {
  EXPECT_EQ(ParseMailDateMs(""), std::nullopt);
  EXPECT_EQ(ParseMailDateMs("yesterday"), std::nullopt);
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mrz 2026 09:00:00 +0000"), std::nullopt) << "month name";
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mar 2026 09:00 +0000"), std::nullopt) << "no seconds";
  EXPECT_EQ(ParseMailDateMs("Tue, 10 Mar 2026 25:00:00 +0000"), std::nullopt) << "hour 25";
}

}  // namespace
}  // namespace storeflow
