// BrokerMetrics: the broker's Prometheus metric families, the labelled children the loop
// updates, and the mapping of the core's contact events to the contact-centre metrics.
// docs/metrics.md lists every name and label; it is the contract with dashboards and alerts.
//
// Labels that come from clients (tenant, topic, agent group, agent id) are bounded by a
// LabelCap: the first N distinct values get their own label value, later ones count as
// "other". Children are created when first needed, so a series exists only for a
// combination that occurred.
//
// Thread rules: prometheus-cpp metrics are thread-safe; the exposer thread reads them. All
// other state here (the label caps, the series caches) belongs to the loop thread: Record
// and the Set* methods must be called from it only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/clock.h"
#include "common/status.h"
#include "core/broker_core.h"
#include "core/events.h"

namespace switchboard::metrics {

constexpr int kCodeCount = static_cast<int>(Code::kInternal) + 1;

struct MetricsConfig {
  size_t max_tenants = 50;  // tenants with their own label value
  size_t max_topics = 50;   // topics with their own label value
  size_t max_groups = 50;   // agent groups with their own label value
  bool per_agent = false;   // export the per-agent series
  size_t max_agents = 500;  // agents with their own label value (with per_agent)
  // Service-level thresholds in use, in seconds: each is a bucket of the wait histograms.
  std::vector<double> service_level_seconds = {20};
};

// Bounds the values of one label: the first `max` distinct non-empty values are kept as they
// are; later new values become "other"; an empty value is "unknown". Not thread-safe.
class LabelCap {
 public:
  explicit LabelCap(size_t max) : max_(max) {}
  // The label value for `value`; the reference lives as long as this LabelCap.
  const std::string& Bound(std::string_view value);
  size_t admitted() const { return admitted_.size(); }

  static const std::string kOther;
  static const std::string kUnknown;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  size_t max_;
  std::unordered_set<std::string, Hash, std::equal_to<>> admitted_;
};

// The buckets of the wait histograms: the defaults and every service-level threshold.
prometheus::Histogram::BucketBoundaries WaitBuckets(const std::vector<double>& sl_seconds);

class BrokerMetrics {
 public:
  explicit BrokerMetrics(prometheus::Registry& registry, MetricsConfig config = {});
  ~BrokerMetrics();
  BrokerMetrics(const BrokerMetrics&) = delete;
  BrokerMetrics& operator=(const BrokerMetrics&) = delete;

  // Counts the contact events of a turn whose commit succeeded.
  void Record(const std::vector<core::ContactEvent>& events);
  // Queue depth, and (with `oldest`) the oldest wait, per queue.
  void SetQueues(const std::vector<core::BrokerCore::QueueView>& queues, bool oldest);
  // Agents by group and state; adds `elapsed` × agents signed in / handling to the occupancy
  // counters.
  void SetAgents(const std::map<std::string, core::BrokerCore::AgentCounts>& groups,
                 Micros elapsed);
  // Connected clients by role (indexed by core::Role).
  void SetClients(const std::array<size_t, 4>& by_role);

  prometheus::Counter& frames_received;
  prometheus::Counter& frames_sent;
  prometheus::Counter& messages_received;  // envelopes, all types
  prometheus::Counter& messages_sent;
  prometheus::Counter& sends_would_block;
  prometheus::Counter& sends_unreachable;
  prometheus::Counter& duplicates_dropped;
  prometheus::Counter& redeliveries;
  prometheus::Counter& routing_repairs;
  prometheus::Counter& credit_withheld_seconds;
  prometheus::Gauge& sessions_open;
  prometheus::Gauge& agents_signed_in;
  prometheus::Gauge& outbox_deliveries;
  prometheus::Gauge& credit_withheld;
  prometheus::Gauge& held_messages;
  prometheus::Histogram& store_commit_seconds;
  prometheus::Histogram& store_batch_records;
  prometheus::Histogram& loop_turn_seconds;
  prometheus::Gauge& recovery_seconds;
  // RocksDB's figures, read at most once a second.
  prometheus::Gauge& rocksdb_delayed_write_rate;
  prometheus::Gauge& rocksdb_write_stopped;
  prometheus::Gauge& rocksdb_running_compactions;
  prometheus::Gauge& rocksdb_running_flushes;
  prometheus::Gauge& rocksdb_compaction_pending;
  prometheus::Gauge& rocksdb_pending_compaction_bytes;
  prometheus::Gauge& rocksdb_memtable_bytes;
  prometheus::Counter& rocksdb_stall_seconds;

  // Rejections by code: switchboard_rejections_total{code="BadFrame"}.
  void CountRejection(Code code) { rejections_[static_cast<int>(code)]->Increment(); }

 private:
  // Children by (queue, channel, tenant, topic), created on first use.
  struct ContactSeries {
    prometheus::Labels labels;
    prometheus::Counter* offered = nullptr;
    prometheus::Counter* answered = nullptr;
    prometheus::Counter* abandoned = nullptr;
    prometheus::Counter* short_abandoned = nullptr;
    prometheus::Counter* overflowed = nullptr;
    prometheus::Counter* transferred = nullptr;
    std::array<prometheus::Counter*, 4> closed{};      // by Disposition
    std::array<prometheus::Counter*, 4> recontacts{};  // by Disposition
  };
  // Children by (queue, channel, tenant).
  struct WaitSeries {
    prometheus::Labels labels;
    prometheus::Histogram* answer_wait = nullptr;
    prometheus::Histogram* abandon_wait = nullptr;
    prometheus::Histogram* first_response = nullptr;
    prometheus::Histogram* response = nullptr;
    prometheus::Counter* customer_messages = nullptr;
    prometheus::Counter* agent_messages = nullptr;
  };
  // Children by (queue, channel, group).
  struct GroupSeries {
    prometheus::Labels labels;
    prometheus::Histogram* handle = nullptr;
    prometheus::Counter* offers_missed = nullptr;
    prometheus::Counter* receptions = nullptr;
  };
  struct AgentSeries {
    prometheus::Counter* receptions = nullptr;
    prometheus::Counter* handle_seconds = nullptr;
  };
  // What one raw (queue, channel, tenant, topic) maps to.
  struct Resolved {
    ContactSeries* contact = nullptr;
    WaitSeries* wait = nullptr;
    const std::string* tenant = nullptr;  // bounded
    const std::string* topic = nullptr;   // bounded
  };
  struct RawKey {
    std::string queue;
    core::Channel channel;
    std::string tenant;
    std::string topic;
  };
  struct RawKeyView {
    std::string_view queue;
    core::Channel channel;
    std::string_view tenant;
    std::string_view topic;
  };
  struct RawHash {
    using is_transparent = void;
    size_t operator()(const RawKeyView& k) const;
    size_t operator()(const RawKey& k) const {
      return (*this)(RawKeyView{k.queue, k.channel, k.tenant, k.topic});
    }
  };
  struct RawEq {
    using is_transparent = void;
    static RawKeyView View(const RawKey& k) { return {k.queue, k.channel, k.tenant, k.topic}; }
    static const RawKeyView& View(const RawKeyView& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const RawKeyView& x = View(a);
      const RawKeyView& y = View(b);
      return x.channel == y.channel && x.queue == y.queue && x.tenant == y.tenant &&
             x.topic == y.topic;
    }
  };

  Resolved Resolve(const core::ContactLabels& labels);
  GroupSeries& Group(const core::ContactLabels& labels, const std::string& group);
  AgentSeries& Agent(const std::string& agent);
  void RecordOne(const core::ContactEvent& e);

  MetricsConfig config_;
  LabelCap tenants_;
  LabelCap topics_;
  LabelCap groups_;
  LabelCap agent_ids_;

  // Families of the contact-centre metrics.
  prometheus::Family<prometheus::Counter>& offered_;
  prometheus::Family<prometheus::Counter>& answered_;
  prometheus::Family<prometheus::Counter>& abandoned_;
  prometheus::Family<prometheus::Counter>& short_abandoned_;
  prometheus::Family<prometheus::Counter>& overflowed_;
  prometheus::Family<prometheus::Counter>& transferred_;
  prometheus::Family<prometheus::Counter>& offers_missed_;
  prometheus::Family<prometheus::Histogram>& answer_wait_;
  prometheus::Family<prometheus::Histogram>& abandon_wait_;
  prometheus::Family<prometheus::Histogram>& first_response_;
  prometheus::Family<prometheus::Histogram>& response_;
  prometheus::Family<prometheus::Histogram>& handle_;
  prometheus::Family<prometheus::Counter>& customer_messages_;
  prometheus::Family<prometheus::Counter>& agent_messages_;
  prometheus::Family<prometheus::Counter>& sessions_opened_;
  prometheus::Family<prometheus::Counter>& sessions_closed_;
  prometheus::Family<prometheus::Counter>& recontacts_;
  prometheus::Family<prometheus::Counter>& ratings_;
  prometheus::Family<prometheus::Counter>& orders_;
  prometheus::Family<prometheus::Counter>& receptions_;
  prometheus::Family<prometheus::Counter>* agent_receptions_ = nullptr;  // with per_agent
  prometheus::Family<prometheus::Counter>* agent_handle_ = nullptr;      // with per_agent
  // Agents and broker health.
  prometheus::Family<prometheus::Gauge>& agents_;
  prometheus::Family<prometheus::Counter>& agent_signed_in_seconds_;
  prometheus::Family<prometheus::Counter>& agent_handling_seconds_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Family<prometheus::Gauge>& queue_oldest_;
  prometheus::Family<prometheus::Gauge>& clients_connected_;

  prometheus::Histogram::BucketBoundaries wait_buckets_;

  // Raw labels -> resolved series. Bounded: past kMaxRawKeys new raw keys are resolved
  // without being cached.
  static constexpr size_t kMaxRawKeys = 16384;
  std::unordered_map<RawKey, Resolved, RawHash, RawEq> raw_;
  std::map<std::tuple<std::string, core::Channel, std::string, std::string>,
           std::unique_ptr<ContactSeries>>
      contact_series_;
  std::map<std::tuple<std::string, core::Channel, std::string>, std::unique_ptr<WaitSeries>>
      wait_series_;
  std::map<std::tuple<std::string, core::Channel, std::string>, GroupSeries> group_series_;
  std::map<std::tuple<std::string, core::Channel, std::string, std::string>,
           std::array<prometheus::Counter*, 5>>
      rating_series_;
  std::map<std::tuple<core::Channel, std::string, std::string>, prometheus::Counter*>
      opened_series_;
  std::map<std::string, prometheus::Counter*> order_series_;
  std::map<std::string, AgentSeries> agent_series_;

  struct GroupGauges {
    prometheus::Gauge* available = nullptr;
    prometheus::Gauge* busy = nullptr;
    prometheus::Gauge* away = nullptr;
    prometheus::Gauge* offline = nullptr;
    prometheus::Counter* signed_in_seconds = nullptr;
    prometheus::Counter* handling_seconds = nullptr;
  };
  std::map<std::string, GroupGauges> group_gauges_;
  struct QueueGauges {
    prometheus::Gauge* depth = nullptr;
    prometheus::Gauge* oldest = nullptr;
  };
  std::map<std::string, QueueGauges> queue_gauges_;
  std::array<prometheus::Gauge*, 4> clients_{};
  std::array<prometheus::Counter*, kCodeCount> rejections_{};
};

}  // namespace switchboard::metrics
