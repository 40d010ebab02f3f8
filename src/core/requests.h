// What clients send for routing, decoded by the protocol layer and checked there for shape
// (bounds of ids, counts and texts; enum values; exactly one transfer target): the agent's
// profile and presence, the moves of a session (transfer, escalation, a bot's handoff), and
// the customer leaving or asking for its place in the queue. Also the presence and the
// reasons the broker tells workers.
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"

namespace switchboard::core {

// Limits the protocol layer checks (the core trusts them).
constexpr uint8_t kMaxTier = 2;
constexpr size_t kMaxAgentAttributes = 32;
constexpr size_t kMaxSkills = 256;

struct Skill {
  std::string name;
  uint8_t level = 1;
};

// What one session of a channel costs of an agent's capacity budget.
struct ChannelCost {
  Channel channel = Channel::kIm;
  uint32_t cost = 0;
};

// The routing fields of a worker's profile beyond group, skills and capacity: in its Hello
// (HelloIn::profile) and in AgentUpdate.
struct AgentProfileIn {
  uint8_t tier = 1;  // 1 or 2 (the wire's 0 is decoded as 1)
  bool outsourced = false;
  uint32_t budget = 0;                                          // 0: the broker's default
  std::vector<ChannelCost> costs;                               // each channel at most once
  std::vector<std::pair<std::string, std::string>> attributes;  // key (not empty), value
};

// A worker's whole profile, replacing the one its Hello gave.
struct AgentUpdateIn {
  std::string group;
  std::vector<Skill> skills;
  std::vector<std::pair<Channel, uint16_t>> capacity;  // empty: one IM session
  AgentProfileIn profile;
};

enum class PresenceState : uint8_t { kAvailable = 0, kAway = 1 };  // numbered as on the wire
enum class WithdrawReason : uint8_t { kTakenByAnother = 0, kContactLeft = 1, kExpired = 2 };

struct PresenceIn {
  PresenceState state = PresenceState::kAvailable;
};

struct ReadyIn {
  SessionId session_id = 0;  // 0: every wrap-up of the agent
};

// Exactly one of to_queue and to_agent is set.
struct TransferIn {
  SessionId session_id = 0;
  std::string to_queue;
  std::string to_agent;
  std::string note;
};

struct EscalateIn {
  SessionId session_id = 0;
  std::string note;
};

struct HandoffIn {
  SessionId session_id = 0;
  std::string to_queue;  // not empty
  std::string intent;
  std::string summary;
};

// The customer of (tenant, channel, customer_id) left, or asks for its place in the queue.
struct CustomerLeftIn {
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
};
struct PositionRequestIn {
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
};

}  // namespace switchboard::core
