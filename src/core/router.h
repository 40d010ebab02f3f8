// Router: the waiting contacts of every queue and the agents who can take them, and the
// choice of agent for a contact.
//
// This is the walking skeleton's routing: every contact waits in one queue in arrival
// order and goes to the longest-idle available agent with free capacity on its channel
// (an agent is "idle since" the last time a contact was assigned to it, or its sign-in).
// The routing engine (rules, skills, strategies) replaces the choice behind this interface.
//
// Thread rules: not thread-safe; owned by BrokerCore.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "core/model.h"

namespace switchboard::core {

struct AgentProfile {
  std::string agent_id;
  std::string group;
  std::vector<std::pair<std::string, uint8_t>> skills;
  std::array<uint16_t, kChannelCount> capacity{};  // max sessions per channel
  // Kept for the routing engine; the choice below does not use them yet.
  uint8_t tier = 1;
  bool outsourced = false;
  uint32_t budget = 0;
  std::array<uint32_t, kChannelCount> costs{};  // 0: the default cost
  std::vector<std::pair<std::string, std::string>> attributes;
};

class Router {
 public:
  // Waiting contacts. A contact is ordered by (queue, queue_seq); adding one twice is a bug.
  void AddContact(const std::string& queue, uint64_t queue_seq, SessionId id);
  void RemoveContact(const std::string& queue, uint64_t queue_seq, SessionId id);
  size_t waiting() const { return waiting_; }
  size_t waiting(const std::string& queue) const;
  // The contact's place in its queue, from 1 (next to be offered); 0 if it is not waiting
  // there. Linear in the place.
  uint32_t Position(const std::string& queue, uint64_t queue_seq, SessionId id) const;

  // Agents. SignIn creates or updates the profile and makes the agent available; SignOut
  // keeps its load (its sessions stay with it) but offers it nothing more.
  void SignIn(const AgentProfile& profile, TimePoint now);
  void SignOut(const std::string& agent_id);
  // Load counts sessions offered to or held by the agent, per channel. Adding load to an
  // unknown agent creates it signed out (recovery: sessions come back before agents do).
  void AddLoad(const std::string& agent_id, Channel channel, TimePoint now);
  void RemoveLoad(const std::string& agent_id, Channel channel);
  size_t signed_in() const { return signed_in_; }
  bool IsSignedIn(const std::string& agent_id) const;
  // The agent's group from its last sign-in; empty if unknown.
  const std::string& GroupOf(const std::string& agent_id) const;

  // Read-only walks, for metrics. `fn(queue, contacts)` for every queue that has held a
  // contact, contacts as (queue_seq, session id) in queue order.
  template <typename Fn>
  void ForEachQueue(const Fn& fn) const {
    for (const auto& [queue, contacts] : queues_) {
      fn(queue, contacts);
    }
  }
  // `fn(group, signed_in, has_room, has_load)` for every agent known since the start.
  template <typename Fn>
  void ForEachAgent(const Fn& fn) const {
    for (const auto& [id, a] : agents_) {
      bool loaded = false;
      for (uint16_t l : a.load) {
        loaded = loaded || l > 0;
      }
      fn(a.profile.group, a.signed_in, HasRoom(a), loaded);
    }
  }

  // A matched contact and agent. The router does not change state: the caller offers and
  // calls AddLoad / RemoveContact, which also moves the agent to the back of the idle order.
  struct Match {
    SessionId session_id;
    std::string agent_id;
  };
  // The first waiting contact, in queue order, that some available agent can take, with the
  // longest-idle such agent, skipping agents for whom `excluded(session, agent)` is true.
  // `channel_of(session)` gives a contact's channel. Looks at no more than `scan_limit`
  // contacts, so a long queue that no free agent can serve costs little.
  template <typename ChannelOf, typename Excluded>
  std::optional<Match> FindMatch(const ChannelOf& channel_of, const Excluded& excluded,
                                 size_t scan_limit = 4096) const;

 private:
  struct Agent {
    AgentProfile profile;
    std::array<uint16_t, kChannelCount> load{};
    bool signed_in = false;
    TimePoint idle_since = 0;
  };
  bool HasRoom(const Agent& a) const;
  void Reindex(const std::string& agent_id, Agent& a);

  std::map<std::string, std::set<std::pair<uint64_t, SessionId>>> queues_;
  size_t waiting_ = 0;
  std::unordered_map<std::string, Agent> agents_;
  // Signed-in agents with room on some channel, longest idle first.
  std::set<std::pair<TimePoint, std::string>> available_;
  size_t signed_in_ = 0;
};

template <typename ChannelOf, typename Excluded>
std::optional<Router::Match> Router::FindMatch(const ChannelOf& channel_of,
                                               const Excluded& excluded,
                                               size_t scan_limit) const {
  if (available_.empty()) {
    return std::nullopt;
  }
  size_t scanned = 0;
  for (const auto& [queue, contacts] : queues_) {
    for (const auto& [seq, id] : contacts) {
      if (++scanned > scan_limit) {
        return std::nullopt;
      }
      const auto c = static_cast<size_t>(channel_of(id));
      for (const auto& [idle_since, agent_id] : available_) {
        const Agent& a = agents_.at(agent_id);
        if (a.load[c] < a.profile.capacity[c] && !excluded(id, agent_id)) {
          return Match{id, agent_id};
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace switchboard::core
