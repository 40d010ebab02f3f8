// BrokerMetrics: the broker's Prometheus metric families and the labelled children the loop
// updates. Names and labels are documented in docs/operations.md, "Metrics".
//
// Thread rules: prometheus-cpp metrics are thread-safe; the loop thread updates them through
// the references held here (no family lookup per message) and the exposer thread reads.
#pragma once

#include <array>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/status.h"

namespace switchboard::metrics {

constexpr int kCodeCount = static_cast<int>(Code::kInternal) + 1;

class BrokerMetrics {
 public:
  explicit BrokerMetrics(prometheus::Registry& registry);

  prometheus::Counter& frames_received;
  prometheus::Counter& frames_sent;
  prometheus::Counter& messages_received;  // envelopes, all types
  prometheus::Counter& messages_sent;
  prometheus::Counter& customer_messages;
  prometheus::Counter& agent_messages;
  prometheus::Counter& sends_would_block;
  prometheus::Counter& sends_unreachable;
  prometheus::Counter& duplicates_dropped;
  prometheus::Counter& sessions_opened;
  prometheus::Counter& sessions_closed;
  prometheus::Gauge& queue_depth;
  prometheus::Gauge& sessions_open;
  prometheus::Gauge& agents_signed_in;
  prometheus::Gauge& outbox_deliveries;
  prometheus::Gauge& clients_connected;
  prometheus::Gauge& credit_withheld;
  prometheus::Gauge& held_messages;
  prometheus::Histogram& store_commit_seconds;
  prometheus::Histogram& store_batch_records;
  prometheus::Histogram& loop_turn_seconds;
  prometheus::Gauge& recovery_seconds;

  // Rejections by code: switchboard_rejections_total{code="BadFrame"}.
  void CountRejection(Code code) { rejections_[static_cast<int>(code)]->Increment(); }

 private:
  std::array<prometheus::Counter*, kCodeCount> rejections_{};
};

}  // namespace switchboard::metrics
