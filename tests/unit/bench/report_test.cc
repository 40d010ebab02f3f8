#include "report.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "json.h"
#include "settings.h"

namespace switchboard::bench {
namespace {

// The Call Centre Helper worked example (see tests/unit/core/erlang_c_test.cc): 100 calls in
// 30 minutes, AHT 180 s, T = 20 s; Erlang C gives 39.0 % with 11 agents and needs 14.
Settings CallCentreSettings() {
  Settings s;
  s.mode_name = "contact-centre";
  s.arrival_rate = 100.0 / 1800;
  s.broker_path = "switchboard-broker";
  s.agents = 11;
  s.handle_time_s = 180;
  s.sl_threshold_s = 20;
  s.sl_target = 0.8;
  s.duration_s = 1800;
  s.warmup_s = 0;
  EXPECT_EQ(Resolve(s), "");
  return s;
}

ContactCentreCounts Counts() {
  ContactCentreCounts c;
  c.window_s = 1800;
  c.arrivals = 102;
  c.offered = 100;
  c.busy = 2;
  c.answered = 96;
  c.answered_within_threshold = 41;
  c.wait_sum_s = 96 * 120.0;
  c.handled = 90;
  c.handle_sum_s = 90 * 175.0;
  return c;
}

TEST(CompareWithErlangC, DerivesTheFiguresAndTheErlangCPrediction) {
  const Settings s = CallCentreSettings();
  const ContactCentreFigures f = CompareWithErlangC(Counts(), s);
  EXPECT_DOUBLE_EQ(f.measured_arrival_rate, 100.0 / 1800);
  EXPECT_DOUBLE_EQ(f.answer_rate, 0.96);
  EXPECT_DOUBLE_EQ(f.service_level, 0.41);
  EXPECT_DOUBLE_EQ(f.asa_s, 120);
  EXPECT_DOUBLE_EQ(f.measured_aht_s, 175);
  EXPECT_EQ(f.unanswered, 4u);
  EXPECT_EQ(f.abandoned, 0u);
  EXPECT_FALSE(f.abandonment_modelled);
  EXPECT_EQ(f.servers, 11);
  EXPECT_NEAR(f.offered_load, 10, 1e-12);
  EXPECT_NEAR(f.erlang_c_p_wait, 0.682118204689332, 1e-12);
  EXPECT_NEAR(f.erlang_c_service_level, 0.3896, 5e-5);
  EXPECT_NEAR(f.erlang_c_asa_s, 122.78, 0.01);
  EXPECT_TRUE(f.erlang_c_stable);
  EXPECT_EQ(f.agents_needed, 14);
  // A shorter measured AHT means less load, so Erlang C predicts better service with it.
  EXPECT_GT(f.erlang_c_service_level_measured_aht, f.erlang_c_service_level);
}

TEST(CompareWithErlangC, CountsEverySessionSlotAsAServer) {
  Settings s = CallCentreSettings();
  s.agents = 6;
  s.agent_capacity = 2;  // 12 servers
  const ContactCentreFigures f = CompareWithErlangC(Counts(), s);
  EXPECT_EQ(f.servers, 12);
  EXPECT_NEAR(f.erlang_c_service_level, 0.6402, 5e-5);
  EXPECT_EQ(f.agents_needed, 7);  // 14 servers, 2 per agent
}

TEST(CompareWithErlangC, OverloadAndEmptyRuns) {
  Settings s = CallCentreSettings();
  s.agents = 9;  // A = 10 > 9
  ContactCentreFigures f = CompareWithErlangC(Counts(), s);
  EXPECT_FALSE(f.erlang_c_stable);
  EXPECT_DOUBLE_EQ(f.erlang_c_service_level, 0);
  EXPECT_DOUBLE_EQ(f.erlang_c_p_wait, 1);
  f = CompareWithErlangC(ContactCentreCounts{}, CallCentreSettings());
  EXPECT_DOUBLE_EQ(f.answer_rate, 0);
  EXPECT_DOUBLE_EQ(f.service_level, 0);
  EXPECT_DOUBLE_EQ(f.erlang_c_service_level, 1);  // no load: nobody waits
}

// Counts() with 80 answered and 18 who left, 3 of them after an agent had accepted (so also
// among the 80 answered).
ContactCentreCounts CountsWithLeavers() {
  ContactCentreCounts c = Counts();
  c.answered = 80;
  c.left = 18;
  c.left_after_answer = 3;
  return c;
}

// With patience, customers who left count as abandoned unless an agent had accepted first
// (those are answered); what is neither is still unanswered.
TEST(CompareWithErlangC, AbandonedAreTheLeftNotAnsweredFirst) {
  Settings s = CallCentreSettings();
  s.patience_s = 60;
  const ContactCentreCounts c = CountsWithLeavers();
  const ContactCentreFigures f = CompareWithErlangC(c, s);
  EXPECT_TRUE(f.abandonment_modelled);
  EXPECT_EQ(f.abandoned, 15u);
  EXPECT_DOUBLE_EQ(f.abandon_rate, 0.15);
  EXPECT_EQ(f.unanswered, 5u);  // 100 - 80 - 15
  EXPECT_DOUBLE_EQ(f.answer_rate, 0.8);
  // Erlang C is still computed, for the same inputs.
  EXPECT_NEAR(f.erlang_c_service_level, 0.3896, 5e-5);
}

RunReport SampleReport(const Settings& s) {
  RunReport r;
  r.complete = true;
  r.window_s = 1800;
  r.throughput_msgs_per_s = 0.2;
  r.sent = 360;
  r.received = 360;
  Histogram h;
  for (int i = 1; i <= 1000; ++i) {
    h.Record(i * 1000);
  }
  r.latency = LatencySummary::Of(h);
  r.contact_centre = CompareWithErlangC(Counts(), s);
  r.baseline_msgs_per_s = 850000;
  TimelinePoint p;
  p.t_s = 1;
  r.timeline.push_back(p);
  r.notes.push_back("a note with \"quotes\"");
  return r;
}

// Every field issue #6 requires of --json, plus the settings of the run.
TEST(ToJson, HasEveryRequiredFieldAndTheFullSettings) {
  const Settings s = CallCentreSettings();
  const RunReport r = SampleReport(s);
  const JsonParseResult parsed = ParseJson(ToJson(s, r));
  ASSERT_TRUE(parsed.value.has_value()) << parsed.error;
  const JsonValue& v = *parsed.value;
  for (const char* key : {"throughput_msgs_per_s", "latency_us.p50", "latency_us.p99",
                          "latency_us.p999", "latency_us.max", "offered", "answered", "abandoned",
                          "service_level", "erlang_c_service_level", "baseline_msgs_per_s"}) {
    const JsonValue* field = v.Find(key);
    ASSERT_NE(field, nullptr) << key;
    EXPECT_TRUE(field->is_number()) << key;
  }
  // The median of 1..1000 us is 500 us; the histogram answers the top of its bucket.
  EXPECT_DOUBLE_EQ(v.Find("latency_us.p50")->number,
                   static_cast<double>(Histogram::BucketHigh(Histogram::BucketOf(500000))) / 1e3);
  EXPECT_DOUBLE_EQ(v.Find("latency_us.max")->number, 1000);
  EXPECT_DOUBLE_EQ(v.Find("offered")->number, 100);  // contacts, in contact-centre mode
  EXPECT_DOUBLE_EQ(v.Find("answered")->number, 96);
  EXPECT_DOUBLE_EQ(v.Find("abandoned")->number, 0);
  EXPECT_FALSE(v.Find("contact_centre.abandonment_modelled")->boolean);
  EXPECT_DOUBLE_EQ(v.Find("service_level")->number, 0.41);
  EXPECT_NEAR(v.Find("erlang_c_service_level")->number, 0.3896, 5e-5);
  EXPECT_DOUBLE_EQ(v.Find("baseline_msgs_per_s")->number, 850000);
  EXPECT_NEAR(v.Find("baseline_ratio")->number, 0.2 / 850000, 1e-15);
  EXPECT_EQ(v.Find("contact_centre.erlang_c.agents_needed_for_target")->number, 14);
  EXPECT_EQ(v.Find("notes")->array.at(0).string, "a note with \"quotes\"");
  EXPECT_EQ(v.Find("timeline")->array.size(), 1u);

  const std::vector<std::string> settings = {"scenario",
                                             "name",
                                             "description",
                                             "mode",
                                             "duration_s",
                                             "warmup_s",
                                             "drain_s",
                                             "seed",
                                             "rate",
                                             "arrival_rate",
                                             "arrivals",
                                             "schedule",
                                             "adapters",
                                             "sessions",
                                             "tenants",
                                             "message_size",
                                             "window",
                                             "agents",
                                             "agent_capacity",
                                             "group",
                                             "skills",
                                             "handle_time_s",
                                             "handle_dist",
                                             "handle_sigma",
                                             "messages_per_session",
                                             "think_time_s",
                                             "patience_s",
                                             "patience_dist",
                                             "patience_sigma",
                                             "sl_threshold_s",
                                             "sl_target",
                                             "crash_at_s",
                                             "crash_workers",
                                             "crash_restart_after_s",
                                             "connect",
                                             "broker",
                                             "bind",
                                             "durability",
                                             "data_dir",
                                             "heartbeat_ms",
                                             "max_queue_size",
                                             "offer_timeout_ms",
                                             "broker_args",
                                             "baseline",
                                             "baseline_duration_s",
                                             "json",
                                             "id_prefix"};
  const JsonValue* got = v.Get("settings");
  ASSERT_NE(got, nullptr);
  for (const std::string& key : settings) {
    EXPECT_NE(got->Get(key), nullptr) << key;
  }
  EXPECT_EQ(got->object.size(), settings.size()) << "a setting is missing from this list";
  EXPECT_EQ(got->Get("mode")->string, "contact-centre");
  EXPECT_DOUBLE_EQ(got->Get("agents")->number, 11);
}

TEST(ToJson, RawModeHasNullContactCentreFiguresAndNoBaselineUnlessMeasured) {
  Settings s;
  s.broker_path = "switchboard-broker";
  s.rate = 10000;
  ASSERT_EQ(Resolve(s), "");
  RunReport r;
  r.sent = 1000;
  r.received = 990;
  const JsonParseResult parsed = ParseJson(ToJson(s, r));
  ASSERT_TRUE(parsed.value.has_value()) << parsed.error;
  const JsonValue& v = *parsed.value;
  EXPECT_DOUBLE_EQ(v.Find("offered")->number, 1000);  // messages, in raw mode
  EXPECT_DOUBLE_EQ(v.Find("answered")->number, 990);
  EXPECT_TRUE(v.Find("service_level")->is_null());
  EXPECT_TRUE(v.Find("erlang_c_service_level")->is_null());
  EXPECT_TRUE(v.Find("baseline_msgs_per_s")->is_null());
  EXPECT_TRUE(v.Find("contact_centre")->is_null());
  EXPECT_NE(v.Find("latency_us.p999"), nullptr);
}

TEST(SummaryTable, ShowsTheHeadlineFigures) {
  const Settings s = CallCentreSettings();
  const std::string table = SummaryTable(s, SampleReport(s));
  for (const char* want :
       {"throughput", "p99.9", "service level within 20.0 s", "41.0 %", "Erlang C: 39.0 %",
        "abandoned", "850,000 msg/s", "agents Erlang C needs for 80.0 %", " 14\n"}) {
    EXPECT_NE(table.find(want), std::string::npos) << want << "\n" << table;
  }
}

TEST(ToJson, AbandonmentWithPatience) {
  Settings s = CallCentreSettings();
  s.patience_s = 60;
  ContactCentreCounts c = CountsWithLeavers();
  c.still_waiting = 5;
  RunReport r = SampleReport(s);
  r.contact_centre = CompareWithErlangC(c, s);
  const JsonParseResult parsed = ParseJson(ToJson(s, r));
  ASSERT_TRUE(parsed.value.has_value()) << parsed.error;
  const JsonValue& v = *parsed.value;
  EXPECT_DOUBLE_EQ(v.Find("abandoned")->number, 15);
  EXPECT_DOUBLE_EQ(v.Find("contact_centre.abandoned")->number, 15);
  EXPECT_DOUBLE_EQ(v.Find("contact_centre.abandon_rate")->number, 0.15);
  EXPECT_TRUE(v.Find("contact_centre.abandonment_modelled")->boolean);
  EXPECT_DOUBLE_EQ(v.Find("contact_centre.left_after_answer")->number, 3);
  EXPECT_DOUBLE_EQ(v.Find("contact_centre.still_waiting")->number, 5);
  EXPECT_TRUE(v.Find("contact_centre.erlang_c.assumes_no_abandonment")->boolean);
  EXPECT_DOUBLE_EQ(v.Find("settings.patience_s")->number, 60);

  const std::string table = SummaryTable(s, r);
  for (const char* want : {"abandonment modelled", "yes: patience exponential, mean 60.0 s",
                           "Erlang A", "15 (abandon rate 15.0 %)", "3 more left",
                           "(assumes no abandonment)"}) {
    EXPECT_NE(table.find(want), std::string::npos) << want << "\n" << table;
  }
}

TEST(SummaryTable, SaysWhenAbandonmentIsNotModelled) {
  const Settings s = CallCentreSettings();
  const std::string table = SummaryTable(s, SampleReport(s));
  EXPECT_NE(table.find("no (no --patience"), std::string::npos) << table;
  EXPECT_EQ(table.find("assumes no abandonment"), std::string::npos) << table;
}

TEST(Thousands, GroupsDigits) {
  EXPECT_EQ(Thousands(0), "0");
  EXPECT_EQ(Thousands(999), "999");
  EXPECT_EQ(Thousands(1000), "1,000");
  EXPECT_EQ(Thousands(1234567), "1,234,567");
}

}  // namespace
}  // namespace switchboard::bench
