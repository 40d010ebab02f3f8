// The mapping of contact events and core views to the metric families of docs/metrics.md:
// feed them, collect the registry, check names, labels and values.
#include "metrics/broker_metrics.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace switchboard::metrics {
namespace {

using core::Channel;
using core::ContactEvent;
using core::Disposition;
using Kind = core::ContactEvent::Kind;
using LabelMap = std::map<std::string, std::string>;

ContactEvent Event(Kind kind, const std::string& tenant = "shop",
                   const std::string& topic = "refund", Channel channel = Channel::kIm) {
  ContactEvent e;
  e.kind = kind;
  e.labels = {"default", channel, tenant, topic};
  return e;
}

class MetricsTest : public ::testing::Test {
 protected:
  explicit MetricsTest(MetricsConfig config = {}) : metrics_(registry_, config) {}

  // The series of family `name` whose labels are exactly `labels`; null if none.
  std::optional<prometheus::ClientMetric> Find(const std::string& name, const LabelMap& labels) {
    for (const prometheus::MetricFamily& f : registry_.Collect()) {
      if (f.name != name) {
        continue;
      }
      for (const prometheus::ClientMetric& m : f.metric) {
        LabelMap have;
        for (const auto& l : m.label) {
          have[l.name] = l.value;
        }
        if (have == labels) {
          return m;
        }
      }
    }
    return std::nullopt;
  }
  size_t SeriesCount(const std::string& name) {
    for (const prometheus::MetricFamily& f : registry_.Collect()) {
      if (f.name == name) {
        return f.metric.size();
      }
    }
    return 0;
  }
  bool HasFamily(const std::string& name) {
    for (const prometheus::MetricFamily& f : registry_.Collect()) {
      if (f.name == name) {
        return true;
      }
    }
    return false;
  }
  double Counter(const std::string& name, const LabelMap& labels) {
    auto m = Find(name, labels);
    EXPECT_TRUE(m.has_value()) << name;
    return m ? m->counter.value : -1;
  }
  double Gauge(const std::string& name, const LabelMap& labels) {
    auto m = Find(name, labels);
    EXPECT_TRUE(m.has_value()) << name;
    return m ? m->gauge.value : -1;
  }
  // Cumulative count of the bucket with upper bound `le`.
  double Bucket(const prometheus::ClientMetric& m, double le) {
    for (const auto& b : m.histogram.bucket) {
      if (b.upper_bound == le) {
        return static_cast<double>(b.cumulative_count);
      }
    }
    ADD_FAILURE() << "no bucket le=" << le;
    return -1;
  }

  prometheus::Registry registry_;
  BrokerMetrics metrics_;
};

const LabelMap kContact = {
    {"queue", "default"}, {"channel", "im"}, {"tenant", "shop"}, {"topic", "refund"}};
const LabelMap kWait = {{"queue", "default"}, {"channel", "im"}, {"tenant", "shop"}};

TEST_F(MetricsTest, ContactCountersAndSpeedOfAnswer) {
  ContactEvent answered = Event(Kind::kAnswered);
  answered.wait = 12 * kSeconds;
  answered.group = "post-sale";
  ContactEvent slow = answered;
  slow.wait = 40 * kSeconds;
  metrics_.Record(
      {Event(Kind::kQueued), Event(Kind::kQueued), Event(Kind::kOpened), answered, slow});

  EXPECT_EQ(Counter("switchboard_contacts_offered_total", kContact), 2);
  EXPECT_EQ(Counter("switchboard_contacts_answered_total", kContact), 2);
  EXPECT_EQ(Counter("switchboard_sessions_opened_total",
                    {{"channel", "im"}, {"tenant", "shop"}, {"topic", "refund"}}),
            1);
  EXPECT_EQ(Counter("switchboard_receptions_total",
                    {{"queue", "default"}, {"channel", "im"}, {"group", "post-sale"}}),
            2);
  auto wait = Find("switchboard_answer_wait_seconds", kWait);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(wait->histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(wait->histogram.sample_sum, 52.0);
  EXPECT_EQ(Bucket(*wait, 10), 0);
  EXPECT_EQ(Bucket(*wait, 20), 1);  // the 80/20 service-level threshold is a bucket
  EXPECT_EQ(Bucket(*wait, 45), 2);
}

TEST_F(MetricsTest, SeriesAppearOnlyForWhatHappened) {
  metrics_.Record({Event(Kind::kQueued)});
  EXPECT_EQ(SeriesCount("switchboard_contacts_abandoned_total"), 0u);
  EXPECT_EQ(SeriesCount("switchboard_contacts_short_abandoned_total"), 0u);
  EXPECT_EQ(SeriesCount("switchboard_answer_wait_seconds"), 0u);
  EXPECT_EQ(SeriesCount("switchboard_contacts_offered_total"), 1u);
}

TEST_F(MetricsTest, AbandonsAreCountedApartWhenShort) {
  ContactEvent quick = Event(Kind::kAbandoned);
  quick.short_abandon = true;
  quick.wait = 2 * kSeconds;
  ContactEvent patient = Event(Kind::kAbandoned);
  patient.wait = 90 * kSeconds;
  metrics_.Record({quick, patient, patient});
  EXPECT_EQ(Counter("switchboard_contacts_short_abandoned_total", kContact), 1);
  EXPECT_EQ(Counter("switchboard_contacts_abandoned_total", kContact), 2);
  auto wait = Find("switchboard_abandon_wait_seconds", kWait);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(wait->histogram.sample_count, 3u);
  EXPECT_EQ(Bucket(*wait, 5), 1);
}

TEST_F(MetricsTest, ResponsesMessagesClosesAndRecontacts) {
  ContactEvent first = Event(Kind::kFirstResponse);
  first.wait = 25 * kSeconds;
  ContactEvent response = Event(Kind::kResponse);
  response.wait = 50 * kSeconds;
  ContactEvent closed = Event(Kind::kClosed);
  closed.handle = 400 * kSeconds;
  closed.disposition = Disposition::kResolved;
  closed.group = "post-sale";
  ContactEvent unresolved = closed;
  unresolved.disposition = Disposition::kUnresolved;
  ContactEvent recontact = Event(Kind::kRecontact);
  recontact.disposition = Disposition::kResolved;
  metrics_.Record({Event(Kind::kCustomerMessage), Event(Kind::kCustomerMessage),
                   Event(Kind::kAgentMessage), Event(Kind::kAgentMessage),
                   Event(Kind::kAgentMessage), first, response, closed, closed, unresolved,
                   recontact});

  EXPECT_EQ(Counter("switchboard_customer_messages_total", kWait), 2);
  EXPECT_EQ(Counter("switchboard_agent_messages_total", kWait), 3);
  auto fr = Find("switchboard_first_response_seconds", kWait);
  ASSERT_TRUE(fr.has_value());
  EXPECT_EQ(Bucket(*fr, 30), 1);
  EXPECT_EQ(Bucket(*fr, 20), 0);
  auto rt = Find("switchboard_response_seconds", kWait);
  ASSERT_TRUE(rt.has_value());
  EXPECT_DOUBLE_EQ(rt->histogram.sample_sum, 50.0);

  LabelMap resolved = kContact;
  resolved["disposition"] = "resolved";
  LabelMap not_resolved = kContact;
  not_resolved["disposition"] = "unresolved";
  EXPECT_EQ(Counter("switchboard_sessions_closed_total", resolved), 2);
  EXPECT_EQ(Counter("switchboard_sessions_closed_total", not_resolved), 1);
  EXPECT_EQ(Counter("switchboard_recontacts_total", resolved), 1);
  auto handle = Find("switchboard_handle_seconds",
                     {{"queue", "default"}, {"channel", "im"}, {"group", "post-sale"}});
  ASSERT_TRUE(handle.has_value());
  EXPECT_EQ(handle->histogram.sample_count, 3u);
  EXPECT_EQ(Bucket(*handle, 300), 0);
  EXPECT_EQ(Bucket(*handle, 450), 3);
}

TEST_F(MetricsTest, AClosedSessionNeverAnsweredHasNoHandleTime) {
  // The customer left the queue: the core's close of the session names no agent.
  ContactEvent left = Event(Kind::kClosed);
  left.disposition = Disposition::kAbandoned;
  metrics_.Record({left});

  LabelMap abandoned = kContact;
  abandoned["disposition"] = "abandoned";
  EXPECT_EQ(Counter("switchboard_sessions_closed_total", abandoned), 1);
  EXPECT_EQ(SeriesCount("switchboard_handle_seconds"), 0u);
}

TEST_F(MetricsTest, RatingsOrdersAndMissedOffers) {
  ContactEvent rating = Event(Kind::kRating);
  rating.rating = 5;
  rating.group = "pre-sale";
  ContactEvent low = rating;
  low.rating = 2;
  ContactEvent order = Event(Kind::kOrder);
  order.labels = {"", Channel::kIm, "shop", ""};
  order.count = 7;
  ContactEvent missed = Event(Kind::kOfferMissed);
  missed.group = "pre-sale";
  metrics_.Record({rating, rating, low, order, order, missed});

  LabelMap five = kWait;
  five["group"] = "pre-sale";
  five["rating"] = "5";
  LabelMap two = five;
  two["rating"] = "2";
  EXPECT_EQ(Counter("switchboard_ratings_total", five), 2);
  EXPECT_EQ(Counter("switchboard_ratings_total", two), 1);
  EXPECT_EQ(Counter("switchboard_orders_total", {{"tenant", "shop"}}), 14);
  EXPECT_EQ(Counter("switchboard_offers_missed_total",
                    {{"queue", "default"}, {"channel", "im"}, {"group", "pre-sale"}}),
            1);
}

class CappedMetricsTest : public MetricsTest {
 protected:
  CappedMetricsTest() : MetricsTest(Capped()) {}
  static MetricsConfig Capped() {
    MetricsConfig c;
    c.max_tenants = 2;
    c.max_topics = 1;
    c.max_groups = 1;
    c.per_agent = true;
    c.max_agents = 1;
    c.service_level_seconds = {25, 20};
    return c;
  }
};

TEST_F(CappedMetricsTest, LabelsFromClientsAreBoundedAndEmptyIsUnknown) {
  metrics_.Record({Event(Kind::kQueued, "t1", "refund"), Event(Kind::kQueued, "t2", "refund"),
                   Event(Kind::kQueued, "t3", "refund"), Event(Kind::kQueued, "t4", "delivery"),
                   Event(Kind::kQueued, "t1", ""), Event(Kind::kQueued, "t1", "refund")});
  auto labels = [](const std::string& tenant, const std::string& topic) {
    return LabelMap{{"queue", "default"}, {"channel", "im"}, {"tenant", tenant}, {"topic", topic}};
  };
  EXPECT_EQ(Counter("switchboard_contacts_offered_total", labels("t1", "refund")), 2);
  EXPECT_EQ(Counter("switchboard_contacts_offered_total", labels("t2", "refund")), 1);
  EXPECT_EQ(Counter("switchboard_contacts_offered_total", labels("other", "refund")), 1);
  EXPECT_EQ(Counter("switchboard_contacts_offered_total", labels("other", "other")), 1);
  EXPECT_EQ(Counter("switchboard_contacts_offered_total", labels("t1", "unknown")), 1);
  EXPECT_EQ(SeriesCount("switchboard_contacts_offered_total"), 5u);

  // Groups and agent ids too; per-agent series exist with the flag.
  ContactEvent a = Event(Kind::kAnswered, "t1", "refund");
  a.group = "g1";
  a.agent = "alice";
  ContactEvent b = a;
  b.group = "g2";
  b.agent = "bob";
  metrics_.Record({a, b, b});
  EXPECT_EQ(Counter("switchboard_receptions_total",
                    {{"queue", "default"}, {"channel", "im"}, {"group", "g1"}}),
            1);
  EXPECT_EQ(Counter("switchboard_receptions_total",
                    {{"queue", "default"}, {"channel", "im"}, {"group", "other"}}),
            2);
  EXPECT_EQ(Counter("switchboard_agent_receptions_total", {{"agent", "alice"}}), 1);
  EXPECT_EQ(Counter("switchboard_agent_receptions_total", {{"agent", "other"}}), 2);
}

TEST_F(CappedMetricsTest, ServiceLevelThresholdsBecomeBuckets) {
  ContactEvent a = Event(Kind::kAnswered);
  a.wait = 22 * kSeconds;
  metrics_.Record({a});
  auto wait = Find("switchboard_answer_wait_seconds", kWait);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(Bucket(*wait, 20), 0);
  EXPECT_EQ(Bucket(*wait, 25), 1);
  const auto buckets = WaitBuckets({25, 20, 7.5});
  EXPECT_TRUE(std::is_sorted(buckets.begin(), buckets.end()));
  EXPECT_EQ(std::count(buckets.begin(), buckets.end(), 20.0), 1);
  EXPECT_EQ(std::count(buckets.begin(), buckets.end(), 7.5), 1);
}

TEST_F(MetricsTest, PerAgentSeriesOnlyWithTheFlag) {
  ContactEvent a = Event(Kind::kAnswered);
  a.agent = "alice";
  metrics_.Record({a});
  EXPECT_FALSE(HasFamily("switchboard_agent_receptions_total"));
  EXPECT_FALSE(HasFamily("switchboard_agent_handle_seconds_total"));
}

TEST_F(MetricsTest, AgentStatesAndOccupancyInputs) {
  std::map<std::string, core::BrokerCore::AgentCounts> groups;
  groups["pre-sale"] = {.available = 2, .busy = 1, .offline = 4, .handling = 2};
  groups[""] = {.available = 1, .busy = 0, .offline = 0, .handling = 0};
  metrics_.SetAgents(groups, 0);
  metrics_.SetAgents(groups, 10 * kSeconds);
  auto state = [](const std::string& group, const std::string& s) {
    return LabelMap{{"group", group}, {"state", s}};
  };
  EXPECT_EQ(Gauge("switchboard_agents", state("pre-sale", "available")), 2);
  EXPECT_EQ(Gauge("switchboard_agents", state("pre-sale", "busy")), 1);
  EXPECT_EQ(Gauge("switchboard_agents", state("pre-sale", "away")), 0);
  EXPECT_EQ(Gauge("switchboard_agents", state("pre-sale", "offline")), 4);
  EXPECT_EQ(Gauge("switchboard_agents", state("unknown", "available")), 1);
  EXPECT_DOUBLE_EQ(Counter("switchboard_agent_signed_in_seconds_total", {{"group", "pre-sale"}}),
                   30);
  EXPECT_DOUBLE_EQ(Counter("switchboard_agent_handling_seconds_total", {{"group", "pre-sale"}}),
                   20);

  groups.erase("pre-sale");  // a group no longer reported reads 0
  metrics_.SetAgents(groups, kSeconds);
  EXPECT_EQ(Gauge("switchboard_agents", state("pre-sale", "available")), 0);
}

TEST_F(MetricsTest, QueuesClientsAndRejections) {
  metrics_.SetQueues({{"default", 3, 42 * kSeconds}, {"vip", 1, 5 * kSeconds}}, true);
  EXPECT_EQ(Gauge("switchboard_queue_depth", {{"queue", "default"}}), 3);
  EXPECT_EQ(Gauge("switchboard_queue_oldest_wait_seconds", {{"queue", "default"}}), 42);
  EXPECT_EQ(Gauge("switchboard_queue_oldest_wait_seconds", {{"queue", "vip"}}), 5);
  metrics_.SetQueues({{"default", 0, 0}, {"vip", 0, 0}}, false);  // not sampled: kept
  EXPECT_EQ(Gauge("switchboard_queue_depth", {{"queue", "default"}}), 0);
  EXPECT_EQ(Gauge("switchboard_queue_oldest_wait_seconds", {{"queue", "default"}}), 42);

  metrics_.SetClients({3, 10, 1, 0});
  EXPECT_EQ(Gauge("switchboard_clients_connected", {{"role", "adapter"}}), 3);
  EXPECT_EQ(Gauge("switchboard_clients_connected", {{"role", "worker"}}), 10);
  EXPECT_EQ(Gauge("switchboard_clients_connected", {{"role", "service"}}), 1);
  EXPECT_EQ(Gauge("switchboard_clients_connected", {{"role", "admin"}}), 0);

  metrics_.CountRejection(Code::kBusy);
  EXPECT_EQ(Counter("switchboard_rejections_total", {{"code", "Busy"}}), 1);
}

}  // namespace
}  // namespace switchboard::metrics
