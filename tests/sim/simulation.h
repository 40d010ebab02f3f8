// Simulation: runs a RoutingEngine in virtual time with seeded random customers and agents,
// and checks the engine's invariants after every call.
//
// Customers arrive as a Poisson process, wait with an exponential patience (then abandon),
// and are handled for an exponential or log-normal time. Agents answer offers after a short
// delay, reject some, miss some (the offer times out), accept some after their offer expired
// (a late accept, which must be refused), sign out and back in, go away and come back, and
// end wrap-ups. Handled contacts end by a close, a transfer to another queue, an escalation
// or (from a bot) a handoff. The configuration can be swapped periodically (reload).
//
// Checked after every engine call (CheckInvariants), with `check` on:
//  - an agent is never above its budget or a per-channel cap, and its capacity in use is the
//    sum of the costs of the contacts offered to or held by it;
//  - a contact is in exactly one place (waiting, offered to agents, or held by one agent) and
//    the engine's open contacts are exactly the ones the simulation has not seen end;
//  - no contact waits while an agent that may take it has room;
//  - a contact waiting past its queue's aging bound is marked aged (so it outranks priority);
//  - an offer goes to the best contact the agent may take: none waiting with a better
//    (aged, priority, arrival) key stays behind (aging bound and oldest-first);
//  - restricted queues are never offered to outsourced agents;
//  - a late accept never lands (refused with kStaleOffer, nothing changes), and an accept of a
//    pending offer is never refused.
// At the end (arrivals stop, the run drains) every contact ended exactly once: answered
// (closed), abandoned or overflowed (leave-a-message), or was refused busy at arrival.
//
// Thread rules: single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "core/routing/config.h"
#include "core/routing/engine.h"

namespace switchboard::sim {

using core::routing::AgentInfo;
using core::routing::ContactInfo;
using core::routing::RoutingConfig;

enum class HandleDist : uint8_t { kExponential, kLogNormal };

struct SimConfig {
  uint64_t seed = 1;
  RoutingConfig routing = RoutingConfig::Default();
  // Swapped in turn every `reconfigure_every` (0: never), starting with `routing`.
  std::vector<RoutingConfig> reloads;
  Micros reconfigure_every = 0;

  Micros duration = 3600 * kSeconds;  // arrivals stop after this; then the run drains
  double arrivals_per_second = 1.0;
  Micros mean_handle = 180 * kSeconds;
  HandleDist handle_dist = HandleDist::kExponential;
  double lognormal_sigma = 0.8;
  Micros mean_patience = 0;  // 0: customers never abandon

  int agents = 10;
  // Makes agent `i` (index from 0). Default: "agent-<i>", group "g", tier 1, no skills.
  std::function<AgentInfo(int, std::mt19937_64&)> make_agent;
  // Makes the contact with this id. Default: tenant "t", channel im, customer "c<id>".
  std::function<ContactInfo(core::SessionId, std::mt19937_64&)> make_contact;

  Micros max_answer_delay = 0;  // an agent answers an offer within [0, this]
  double p_reject = 0;          // share of offers rejected
  double p_miss = 0;            // share of offers left to time out
  double p_late_accept = 0;     // share of missed offers accepted after they expired
  double p_transfer = 0;        // share of handled contacts transferred to `transfer_queue`
  std::string transfer_queue;
  double p_transfer_agent = 0;  // share transferred to another signed-in agent
  double p_escalate = 0;        // share escalated to tier 2
  double p_requeue = 0;         // share put back in the queue (a worker gone)
  Micros mean_ready_delay = 10 * kSeconds;  // until-ready wrap-ups end after this (mean)
  Micros mean_away = 30 * kSeconds;         // an agent set away comes back after this
  Micros mean_signed_in = 0;   // > 0: agents sign out after this (mean), back after mean_off
  Micros mean_off = 60 * kSeconds;
  // Returning customers: the share of arrivals carrying a last agent (sticky queues).
  double p_returning = 0;
  // Share of abandons followed by the same customer arriving again within a few seconds.
  double p_rejoin = 0;
  double p_position_request = 0;  // share of arrivals asking their position once

  bool check = true;             // check the invariants after every call
  Micros drain_limit = 48 * 3600 * kSeconds;  // the run fails if contacts remain past this
};

struct SimStats {
  uint64_t arrivals = 0;
  uint64_t busy = 0;
  uint64_t answered = 0;    // contacts ended by a close
  uint64_t abandoned = 0;
  uint64_t overflowed = 0;  // ended by a leave-a-message fallback
  uint64_t accepts = 0;
  uint64_t offers = 0;
  uint64_t rejects = 0;
  uint64_t late_accepts_refused = 0;
  uint64_t transfers = 0;
  uint64_t escalations = 0;
  uint64_t handoffs = 0;
  uint64_t requeues = 0;
  uint64_t sign_outs = 0;
  uint64_t set_away = 0;
  uint64_t reconfigures = 0;
  uint64_t checks = 0;
  uint64_t repairs = 0;
  // Waits (queue entry -> accept) of first answers in human queues, in seconds, from the
  // engine's kAnswered events.
  std::vector<double> answer_waits;
  std::vector<double> answer_times;  // virtual time of each answer, seconds since start
  std::vector<std::string> violations;  // the first few broken invariants, with the time
  bool drained = false;                 // every contact ended by the end of the run
};

class Simulation {
 public:
  explicit Simulation(SimConfig config);
  ~Simulation();
  SimStats Run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Checks the invariants that need only the engine's state (see above); appends a message
// per violation to `out`. `now` is the engine's current time.
void CheckState(const core::routing::RoutingEngine& engine, TimePoint now,
                std::vector<std::string>* out);

}  // namespace switchboard::sim
