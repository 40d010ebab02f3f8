#include "metrics/broker_metrics.h"

namespace switchboard::metrics {
namespace {

prometheus::Counter& MakeCounter(prometheus::Registry& r, const std::string& name,
                                 const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Gauge& MakeGauge(prometheus::Registry& r, const std::string& name,
                             const std::string& help, const prometheus::Labels& labels = {}) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add(labels);
}

prometheus::Histogram& MakeHistogram(prometheus::Registry& r, const std::string& name,
                                     const std::string& help,
                                     prometheus::Histogram::BucketBoundaries buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r).Add({}, buckets);
}

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
    0.0025,  0.005,    0.01,    0.025,  0.05,    0.1,    0.25, 1.0};

}  // namespace

BrokerMetrics::BrokerMetrics(prometheus::Registry& r)
    : frames_received(MakeCounter(r, "switchboard_frames_received_total",
                                  "ZeroMQ frames received from clients")),
      frames_sent(MakeCounter(r, "switchboard_frames_sent_total", "ZeroMQ frames sent to clients")),
      messages_received(MakeCounter(r, "switchboard_messages_received_total",
                                    "Envelopes received from clients, all body types")),
      messages_sent(MakeCounter(r, "switchboard_messages_sent_total",
                                "Envelopes sent to clients, all body types")),
      customer_messages(MakeCounter(r, "switchboard_customer_messages_total",
                                    "Customer messages stored in transcripts")),
      agent_messages(MakeCounter(r, "switchboard_agent_messages_total",
                                 "Agent messages stored in transcripts")),
      sends_would_block(MakeCounter(
          r, "switchboard_sends_would_block_total",
          "Frames not sent because the client was at its high-water mark (deliveries stay in "
          "the outbox)")),
      sends_unreachable(MakeCounter(r, "switchboard_sends_unreachable_total",
                                    "Frames not sent because the client had disconnected")),
      duplicates_dropped(MakeCounter(r, "switchboard_duplicates_dropped_total",
                                     "Re-sent envelopes dropped as already processed")),
      sessions_opened(MakeCounter(r, "switchboard_sessions_opened_total", "Sessions opened")),
      sessions_closed(MakeCounter(r, "switchboard_sessions_closed_total", "Sessions closed")),
      queue_depth(MakeGauge(r, "switchboard_queue_depth", "Contacts waiting for an agent",
                            {{"queue", "default"}})),
      sessions_open(MakeGauge(r, "switchboard_sessions_open", "Sessions not closed")),
      agents_signed_in(MakeGauge(r, "switchboard_agents_signed_in", "Agents signed in")),
      outbox_deliveries(MakeGauge(r, "switchboard_outbox_deliveries",
                                  "Deliveries stored and not yet acknowledged by their client")),
      clients_connected(MakeGauge(r, "switchboard_clients_connected", "Clients signed in")),
      credit_withheld(MakeGauge(r, "switchboard_credit_withheld",
                                "1 while adapters get no credit because the messages held "
                                "are over --max-outbox, else 0")),
      held_messages(MakeGauge(r, "switchboard_held_messages",
                              "Messages held in memory for delivery: the outbox and the "
                              "messages of contacts waiting for an agent (bounded by "
                              "--max-outbox)")),
      store_commit_seconds(MakeHistogram(r, "switchboard_store_commit_seconds",
                                         "Time to commit one loop turn's write batch",
                                         kLatencyBuckets)),
      store_batch_records(MakeHistogram(r, "switchboard_store_batch_records",
                                        "Records (puts and deletes) per committed write batch",
                                        {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096})),
      loop_turn_seconds(MakeHistogram(r, "switchboard_loop_turn_seconds",
                                      "Time of one loop turn that did work", kLatencyBuckets)),
      recovery_seconds(MakeGauge(r, "switchboard_recovery_seconds",
                                 "Time the last start-up took to recover state from the store")) {
  auto& family = prometheus::BuildCounter()
                     .Name("switchboard_rejections_total")
                     .Help("Envelopes or frames rejected with an error, by error code")
                     .Register(r);
  for (int i = 1; i < kCodeCount; ++i) {
    rejections_[i] = &family.Add({{"code", std::string(CodeName(static_cast<Code>(i)))}});
  }
  rejections_[0] = rejections_[static_cast<int>(Code::kInternal)];
}

}  // namespace switchboard::metrics
