#include "planning/staffing.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "planning/erlang_c.h"

namespace switchboard::planning {
namespace {

// Call Centre Helper's worked example per hour: 200 calls an hour, AHT 180 s, 80/20 needs 14
// agents, who answer 88.84% within 20 s with an ASA of 7.836 s (erlang_c_test.cc).
TEST(PlanStaffing, HourlyTableMatchesTheWorkedExample) {
  StaffingTarget target;
  target.aht_s = 180;
  target.service_level = 0.8;
  target.threshold_s = 20;
  auto rows =
      PlanStaffing({{"09:00", "", 200, 0}, {"10:00", "", 0, 0}, {"11:00", "", 100, 360}}, target);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 3u);

  const StaffingRow& nine = (*rows)[0];
  EXPECT_EQ(nine.demand.hour, "09:00");
  EXPECT_EQ(nine.demand.aht_s, 180);
  EXPECT_NEAR(nine.offered_load, 10.0, 1e-12);
  EXPECT_EQ(nine.agents, 14);
  EXPECT_NEAR(nine.service_level, 0.8884, 5e-5);
  EXPECT_NEAR(nine.asa_s, 7.836, 0.001);
  EXPECT_NEAR(nine.occupancy, 10.0 / 14.0, 1e-12);
  EXPECT_GT(nine.p_wait, 0);
  EXPECT_LT(nine.p_wait, 1);

  // No arrivals: nobody needed, nobody waits.
  const StaffingRow& ten = (*rows)[1];
  EXPECT_EQ(ten.agents, 0);
  EXPECT_EQ(ten.service_level, 1);
  EXPECT_EQ(ten.asa_s, 0);
  EXPECT_EQ(ten.occupancy, 0);

  // Half the calls, twice as long: the same load in erlangs, but the threshold is shorter
  // relative to the handle time, so the answer is at least as many agents.
  const StaffingRow& eleven = (*rows)[2];
  EXPECT_EQ(eleven.demand.aht_s, 360);
  EXPECT_NEAR(eleven.offered_load, 10.0, 1e-12);
  EXPECT_GE(eleven.agents, 14);
  EXPECT_GE(eleven.service_level, 0.8);
}

TEST(PlanStaffing, RecommendationIsTheFewestThatReachTheTarget) {
  StaffingTarget target;
  target.aht_s = 300;
  target.service_level = 0.9;
  target.threshold_s = 30;
  for (double arrivals : {1.0, 12.0, 57.0, 400.0, 2500.0}) {
    auto rows = PlanStaffing({{"h", "q", arrivals, 0}}, target);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    const StaffingRow& row = rows->front();
    EXPECT_GE(row.service_level, 0.9) << arrivals;
    EXPECT_GT(row.agents, row.offered_load) << arrivals;
    const double rate = arrivals / 3600;
    if (row.agents > 1) {
      EXPECT_LT(Evaluate({rate, 300, row.agents - 1}, 30).service_level, 0.9) << arrivals;
    }
  }
}

TEST(PlanStaffing, RefusesBadTargetsAndMissingHandleTimes) {
  StaffingTarget target;
  target.aht_s = 180;
  const std::vector<HourDemand> one = {{"09:00", "", 100, 0}};
  for (double sl : {0.0, 1.0, 1.5, -0.2}) {
    target.service_level = sl;
    EXPECT_EQ(PlanStaffing(one, target).status().code(), Code::kBadRequest) << sl;
  }
  target.service_level = 0.8;
  target.threshold_s = -1;
  EXPECT_EQ(PlanStaffing(one, target).status().code(), Code::kBadRequest);
  target.threshold_s = 20;

  target.aht_s = 0;  // and the hour gives none either
  auto no_aht = PlanStaffing(one, target);
  ASSERT_FALSE(no_aht.ok());
  EXPECT_NE(no_aht.status().message().find("'09:00'"), std::string::npos)
      << no_aht.status().message();
  EXPECT_NE(no_aht.status().message().find("handle time"), std::string::npos);

  target.aht_s = 180;
  auto huge = PlanStaffing({{"09:00", "", 1e9, 0}}, target);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("erlangs"), std::string::npos) << huge.status().message();
}

TEST(ParseArrivalsCsv, TwoAndThreeColumnsWithoutHeader) {
  auto two = ParseArrivalsCsv("# a forecast\n09:00,120\n\n10:00, 80.5\r\n");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(*two, (std::vector<HourDemand>{{"09:00", "", 120, 0}, {"10:00", "", 80.5, 0}}));

  auto three = ParseArrivalsCsv("2024-05-01T09:00Z,120,240\n2024-05-01T10:00Z,90,\n");
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(*three, (std::vector<HourDemand>{{"2024-05-01T09:00Z", "", 120, 240},
                                             {"2024-05-01T10:00Z", "", 90, 0}}));
}

TEST(ParseArrivalsCsv, HeaderNamesColumnsInAnyOrder) {
  auto rows =
      ParseArrivalsCsv("queue,Arrivals,hour,aht_s\npre-sale,40,09:00,200\npost-sale,7,09:00,\n");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(*rows, (std::vector<HourDemand>{{"09:00", "pre-sale", 40, 200},
                                            {"09:00", "post-sale", 7, 0}}));
}

// Each bad input names its line (counted from 1, comments and blank lines included).
TEST(ParseArrivalsCsv, BadLinesGetTheirLineNumber) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"09:00,120\n10:00,lots\n", "line 2: arrivals 'lots' is not a number of 0 or more"},
      {"# header-less\n\n09:00,-3\n", "line 3: arrivals '-3' is not a number"},
      {"09:00,1,2,3\n", "line 1: expected hour,arrivals or hour,arrivals,aht_s"},
      {"09:00,10\n10:00,10,180\n", "line 2: expected 2 fields, found 3"},
      {"09:00,10,0\n", "line 1: aht_s '0' is not a number above 0"},
      {"09:00,10,abc\n", "line 1: aht_s 'abc'"},
      {",10\n", "line 1: the hour is empty"},
      {"hour,arrivals,agents\n", "line 1: unknown column 'agents'"},
      {"hour,arrivals,hour\n", "line 1: column 'hour' appears twice"},
      {"queue,arrivals\nq,1\n", "line 1: the header names no 'hour' column"},
      {"hour,arrivals\n09:00,nan\n", "line 2: arrivals 'nan'"},
      {"hour,arrivals\n09:00,1e999\n", "line 2: arrivals '1e999'"},
      {"hour,arrivals\n\"09:00\",1\n", "line 2: quoted fields are not supported"},
      {"hour,arrivals\n09:00,12abc\n", "line 2: arrivals '12abc'"},
  };
  for (const Case& c : cases) {
    auto rows = ParseArrivalsCsv(c.text);
    ASSERT_FALSE(rows.ok()) << c.text;
    EXPECT_EQ(rows.status().code(), Code::kBadRequest) << c.text;
    EXPECT_EQ(rows.status().message().rfind(c.expected, 0), 0u)
        << "input:\n"
        << c.text << "message: " << rows.status().message();
  }
}

TEST(ParseArrivalsCsv, NoDataIsAnError) {
  for (const char* text : {"", "\n\n", "# only a comment\n", "hour,arrivals\n"}) {
    auto rows = ParseArrivalsCsv(text);
    ASSERT_FALSE(rows.ok()) << text;
    EXPECT_NE(rows.status().message().find("no data"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace switchboard::planning
