#include "core/router.h"

#include <iterator>

#include "common/check.h"

namespace switchboard::core {

void Router::AddContact(const std::string& queue, uint64_t queue_seq, SessionId id) {
  const bool inserted = queues_[queue].emplace(queue_seq, id).second;
  SB_CHECK(inserted);
  ++waiting_;
}

void Router::RemoveContact(const std::string& queue, uint64_t queue_seq, SessionId id) {
  auto it = queues_.find(queue);
  if (it != queues_.end() && it->second.erase({queue_seq, id}) == 1) {
    --waiting_;
  }
}

size_t Router::waiting(const std::string& queue) const {
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0 : it->second.size();
}

uint32_t Router::Position(const std::string& queue, uint64_t queue_seq, SessionId id) const {
  auto q = queues_.find(queue);
  if (q == queues_.end()) {
    return 0;
  }
  auto it = q->second.find({queue_seq, id});
  if (it == q->second.end()) {
    return 0;
  }
  return static_cast<uint32_t>(std::distance(q->second.begin(), it) + 1);
}

bool Router::HasRoom(const Agent& a) const {
  for (int c = 0; c < kChannelCount; ++c) {
    if (a.load[c] < a.profile.capacity[c]) {
      return true;
    }
  }
  return false;
}

void Router::Reindex(const std::string& agent_id, Agent& a) {
  available_.erase({a.idle_since, agent_id});
  if (a.signed_in && HasRoom(a)) {
    available_.emplace(a.idle_since, agent_id);
  }
}

void Router::SignIn(const AgentProfile& profile, TimePoint now) {
  auto [it, created] = agents_.try_emplace(profile.agent_id);
  Agent& a = it->second;
  available_.erase({a.idle_since, profile.agent_id});
  if (!a.signed_in) {
    ++signed_in_;
    a.signed_in = true;
    a.idle_since = now;
  }
  a.profile = profile;
  Reindex(profile.agent_id, a);
}

void Router::SignOut(const std::string& agent_id) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second.signed_in) {
    return;
  }
  it->second.signed_in = false;
  --signed_in_;
  Reindex(agent_id, it->second);
}

void Router::AddLoad(const std::string& agent_id, Channel channel, TimePoint now) {
  auto [it, created] = agents_.try_emplace(agent_id);
  Agent& a = it->second;
  if (created) {
    a.profile.agent_id = agent_id;
  }
  available_.erase({a.idle_since, agent_id});
  a.load[static_cast<size_t>(channel)]++;
  a.idle_since = now;
  Reindex(agent_id, a);
}

void Router::RemoveLoad(const std::string& agent_id, Channel channel) {
  auto it = agents_.find(agent_id);
  SB_CHECK(it != agents_.end());
  Agent& a = it->second;
  auto& load = a.load[static_cast<size_t>(channel)];
  SB_CHECK(load > 0);
  --load;
  Reindex(agent_id, a);
}

const std::string& Router::GroupOf(const std::string& agent_id) const {
  static const std::string kNone;
  auto it = agents_.find(agent_id);
  return it == agents_.end() ? kNone : it->second.profile.group;
}

bool Router::IsSignedIn(const std::string& agent_id) const {
  auto it = agents_.find(agent_id);
  return it != agents_.end() && it->second.signed_in;
}

}  // namespace switchboard::core
