#include "core/routing/engine.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "common/check.h"
#include "core/routing/chunked_set.h"
#include "core/routing/huge_page_allocator.h"
#include "core/routing/slot_index.h"
#include "core/routing/small_ids.h"
#include "core/routing/timer_queue.h"

namespace switchboard::core::routing {

std::string_view AgentStateName(AgentState state) {
  switch (state) {
    case AgentState::kAvailable:
      return "available";
    case AgentState::kAway:
      return "away";
    case AgentState::kOffline:
      return "offline";
    case AgentState::kWrapUp:
      return "wrap_up";
  }
  return "unknown";
}

namespace {

constexpr uint32_t kNone = UINT32_MAX;
constexpr Micros kPositionScanInterval = 1 * kSeconds;
using Requirements = std::vector<std::pair<std::string, int64_t>>;

int64_t IntOf(const Attributes& attrs, std::string_view name) {
  const Value* v = attrs.Find(name);
  if (v == nullptr) {
    return 0;
  }
  if (const int64_t* i = std::get_if<int64_t>(v)) {
    return *i;
  }
  return 0;
}

std::string StringOf(const Attributes& attrs, std::string_view name) {
  const Value* v = attrs.Find(name);
  if (v == nullptr) {
    return {};
  }
  if (const std::string* s = std::get_if<std::string>(v)) {
    return *s;
  }
  return std::to_string(std::get<int64_t>(*v));
}

// A contact's attributes packed into one string, read back only for views and handoffs:
// one allocation per contact instead of a vector of name/value strings, so ending a contact
// (long after it arrived, its memory cold) frees one block without reading every entry.
// Per entry: name size (u32), name, tag (0: integer, 1: string), then the integer (i64) or
// the string's size (u32) and bytes.
size_t PackedSize(const Attributes& attrs) {
  size_t size = 0;
  for (const auto& [name, value] : attrs.entries()) {
    size += 4 + name.size() + 1;
    size += std::holds_alternative<int64_t>(value) ? 8 : 4 + std::get<std::string>(value).size();
  }
  return size;
}
// Appends the packed attributes to `out`.
void PackAttributes(const Attributes& attrs, std::string* out) {
  const size_t start = out->size();
  out->resize(start + PackedSize(attrs));
  char* p = out->data() + start;
  auto put = [&p](const void* data, size_t n) {
    std::memcpy(p, data, n);
    p += n;
  };
  for (const auto& [name, value] : attrs.entries()) {
    const auto name_size = static_cast<uint32_t>(name.size());
    put(&name_size, 4);
    put(name.data(), name.size());
    if (const int64_t* i = std::get_if<int64_t>(&value)) {
      put("\0", 1);
      put(i, 8);
    } else {
      const std::string& str = std::get<std::string>(value);
      const auto str_size = static_cast<uint32_t>(str.size());
      put("\1", 1);
      put(&str_size, 4);
      put(str.data(), str.size());
    }
  }
}
Attributes UnpackAttributes(std::string_view packed) {
  Attributes out;
  const char* p = packed.data();
  const char* end = p + packed.size();
  auto get = [&p](void* data, size_t n) {
    std::memcpy(data, p, n);
    p += n;
  };
  while (p < end) {
    uint32_t name_size = 0;
    get(&name_size, 4);
    std::string name(p, name_size);
    p += name_size;
    const char tag = *p++;
    if (tag == 0) {
      int64_t i = 0;
      get(&i, 8);
      out.Set(std::move(name), i);
    } else {
      uint32_t str_size = 0;
      get(&str_size, 4);
      out.Set(std::move(name), std::string(p, str_size));
      p += str_size;
    }
  }
  return out;
}

// Order of waiting contacts in a lane: aged first (by arrival), then priority, then arrival.
struct CKey {
  uint8_t rank = 1;  // 0: aged
  int64_t pri = 0;   // -priority when not aged
  uint64_t seq = 0;
  uint32_t slot = 0;
  bool operator<(const CKey& o) const {
    return std::tie(rank, pri, seq, slot) < std::tie(o.rank, o.pri, o.seq, o.slot);
  }
  bool operator==(const CKey& o) const = default;
};

// Order of agents with room in a lane, by the queue's strategy.
struct AKey {
  int64_t a = 0;
  int64_t b = 0;
  uint32_t slot = 0;
  bool operator<(const AKey& o) const {
    return std::tie(a, b, slot) < std::tie(o.a, o.b, o.slot);
  }
  bool operator==(const AKey& o) const = default;
};

// A lane's waiting contacts: sorted chunks (they mostly join at the back and leave at the
// front).
using ContactTree = ChunkedSet<CKey>;

enum class TimerKind : uint8_t {
  kOffer,
  kStep,
  kMaxWait,
  kAging,
  kExclusion,
  kWrap,
  kReconcile,
  kPosition,
};

struct Timer {
  TimePoint at = 0;
  TimerKind kind = TimerKind::kOffer;
  uint32_t slot = 0;
  uint64_t id = 0;
  uint64_t gen = 0;
  uint64_t order = 0;  // ties fire in the order they were armed (deterministic runs)
  bool operator>(const Timer& o) const { return std::tie(at, order) > std::tie(o.at, o.order); }
};

}  // namespace

struct RoutingEngine::State {
  struct Queue {
    QueueConfig cfg;
    bool is_bot = false;
    uint32_t size = 0;  // waiting or offered
    double aht = 0;     // mean handle time (EWMA), micros; 0: unknown
    std::vector<uint32_t> pools;
    std::vector<uint32_t> step_pools;  // per step: its pool without requirements, or kNone
  };
  struct Pool {
    int32_t queue = -1;
    int32_t step = 0;  // -1: direct to one agent
    uint32_t req = 0;
    uint32_t direct_agent = kNone;
    Strategy strategy = Strategy::kLongestIdle;
    std::vector<uint32_t> members;
    uint32_t signed_in = 0;  // members not offline
    std::array<int32_t, kChannelCount> lanes{-1, -1, -1, -1, -1};
  };
  struct Lane {
    uint32_t pool = 0;
    Channel channel = Channel::kIm;
    std::set<AKey> agents;  // members with room for the channel
    ContactTree contacts;
    int64_t rr_cursor = -1;
  };
  // Fields used when capacity frees or an offer is made first (two cache lines), the
  // attributes that pools read at sign-in last.
  struct AgentRec {
    bool live = false;
    bool signed_in = false;
    Presence presence = Presence::kOffline;
    bool outsourced = false;
    bool wrap_ready = false;
    bool stale = false;  // its lane entries may not match its state (in stale_agents)
    uint32_t budget = 0;
    uint32_t used = 0;
    uint32_t missed = 0;
    uint32_t holding = 0;  // contacts offered to or held by it
    std::array<uint32_t, kChannelCount> cost{};
    std::array<uint32_t, kChannelCount> cap{};
    std::array<uint32_t, kChannelCount> count{};
    TimePoint idle_since = 0;
    int64_t join_seq = 0;
    TimePoint wrap_until = 0;
    uint64_t wrap_gen = 0;
    std::string id;
    std::vector<uint32_t> pools;
    std::vector<std::pair<uint32_t, AKey>> attached;  // what the lanes hold of it
    std::string group;
    Attributes attrs;
  };
  // Fields in the order they are used on the dispatch path (a record is 3 cache lines, its
  // texts one more block), so a contact's close and the next arrival in its slot touch few
  // lines.
  struct ContactRec {
    SessionId id = 0;
    bool live = false;
    ContactState state = ContactState::kWaiting;
    Channel channel = Channel::kIm;
    bool aged = false;
    bool follow_up = false;
    uint32_t queue = 0;
    int32_t step = 0;
    int32_t lane = -1;  // while waiting
    int priority = 0;
    uint32_t agent = kNone;
    uint32_t direct_agent = kNone;
    uint32_t req = 0;
    uint32_t told = 0;
    uint32_t pool = kNone;  // cache of PoolOf
    uint32_t tenant_label = kNone;  // Label() of the tenant; kNone: read text
    uint32_t topic_label = kNone;   // Label() of the topic; kNone: read text
    uint64_t seq = 0;
    TimePoint enqueued_at = 0;
    TimePoint answered_at = 0;
    uint64_t attempt = 0;
    TimePoint offer_deadline = 0;
    uint64_t step_gen = 0;
    uint64_t wait_gen = 0;
    uint64_t age_gen = 0;
    uint64_t pool_epoch = 0;
    std::tuple<int32_t, int32_t, uint32_t, uint32_t> pool_key;
    SmallIds offered;
    // Agents that rejected or missed it, and until when they are not offered it again.
    std::vector<std::pair<uint32_t, TimePoint>> excluded;
    // Tenant, customer id, topic and summary (sizes in text_len), then the packed
    // attributes (PackAttributes): one allocation for all of a contact's texts.
    std::string text;
    std::array<uint32_t, 4> text_len{};

    std::string_view Text(size_t i) const {
      size_t offset = 0;
      for (size_t k = 0; k < i; ++k) {
        offset += text_len[k];
      }
      return std::string_view(text).substr(offset, i < text_len.size() ? text_len[i]
                                                                         : std::string_view::npos);
    }
    std::string_view tenant() const { return Text(0); }
    std::string_view customer_id() const { return Text(1); }
    std::string_view topic() const { return Text(2); }
    std::string_view summary() const { return Text(3); }
    std::string_view packed_attrs() const { return Text(4); }
    void SetText(std::string_view tenant_text, std::string_view customer,
                 std::string_view topic_text, std::string_view summary_text,
                 const Attributes& attrs) {
      // In place: a slot's buffer serves its next contact too (EndContact keeps it), so a
      // contact usually costs no allocation. The arguments must not view `text`.
      const size_t texts = tenant_text.size() + customer.size() + topic_text.size() +
                           summary_text.size();
      text.clear();
      text.reserve(texts + PackedSize(attrs));
      text.append(tenant_text).append(customer).append(topic_text).append(summary_text);
      PackAttributes(attrs, &text);
      text_len = {static_cast<uint32_t>(tenant_text.size()), static_cast<uint32_t>(customer.size()),
                  static_cast<uint32_t>(topic_text.size()),
                  static_cast<uint32_t>(summary_text.size())};
    }
  };
  struct RejoinRec {
    std::string queue;
    int32_t step = 0;
    uint64_t seq = 0;
    TimePoint enqueued_at = 0;
    int priority = 0;
    uint32_t req = 0;
    TimePoint left_at = 0;
  };

  RoutingConfig cfg;
  std::vector<Queue> queues;
  std::unordered_map<std::string, uint32_t> queue_index;
  uint32_t default_queue = 0;
  bool any_position_step = false;  // some queue tells waiting contacts their position
  std::vector<uint32_t> rule_queue;  // per rule
  std::vector<uint32_t> rule_req;    // per rule

  std::vector<Requirements> reqs{Requirements{}};
  std::map<Requirements, uint32_t> req_index{{Requirements{}, 0}};

  std::vector<Pool> pools;
  std::map<std::tuple<int32_t, int32_t, uint32_t, uint32_t>, uint32_t> pool_index;
  std::vector<Lane> lanes;
  uint64_t pools_epoch = 1;  // bumped when pools are rebuilt (reconfigure)

  std::vector<AgentRec, HugePageAllocator<AgentRec>> agents;  // read at random
  std::vector<uint32_t> free_agents;
  // Agent slots by HashString(id) (flat; a lookup by string_view builds no string).
  SlotIndex agent_index;
  size_t signed_in_count = 0;
  int64_t next_join = 1;

  std::vector<ContactRec, HugePageAllocator<ContactRec>> contacts;  // read at random
  std::vector<uint32_t> free_contacts;
  SlotIndex contact_index;  // contact slots by SequentialIdHash(session id)
  // Per contact slot: 1 when its exclusion list may be non-empty. Read for the heads of lanes
  // without touching their records.
  std::vector<uint8_t> maybe_excluded;
  std::unordered_map<std::string, RejoinRec> rejoin;

  TimerQueue<Timer> timers;
  uint64_t next_gen = 1;
  uint64_t next_timer = 0;
  uint64_t next_attempt = 1;
  uint64_t next_seq = 1;
  uint64_t repairs = 0;
  uint64_t decisions = 0;
  TimePoint now = 0;
  bool reconcile_armed = false;
  bool position_armed = false;

  std::vector<std::pair<uint32_t, SessionId>> pending_contacts;
  std::vector<uint32_t> pending_agents;
  std::vector<uint32_t> emptied_pools;
  std::vector<uint32_t> agents_batch;  // Settle's spare buffers (their capacity is kept)
  std::vector<std::pair<uint32_t, SessionId>> contacts_batch;
  std::vector<uint32_t> stale_agents;  // lane entries to bring up to date (SyncAgents)
  std::vector<std::pair<uint32_t, AKey>> wanted_scratch;
  std::vector<uint32_t> chosen_scratch;  // the agents of the offer being made

  std::vector<Action> actions;
  std::vector<ContactEvent> events;

  // Tenants and topics: the labels of every contact event (so few, as metric labels must
  // be), kept once so an event copies them from warm memory. Past kMaxLabels distinct
  // values a contact's own text is read instead.
  static constexpr size_t kMaxLabels = 1 << 16;
  std::vector<std::string> labels;
  SlotIndex label_index;

  uint32_t Label(std::string_view text) {
    const uint64_t h = HashString(text);
    const uint32_t found = label_index.Find(h, [&](uint32_t i) { return labels[i] == text; });
    if (found != kNone || labels.size() >= kMaxLabels) {
      return found;
    }
    const auto id = static_cast<uint32_t>(labels.size());
    labels.emplace_back(text);
    label_index.Insert(h, id);
    return id;
  }
  void SetLabels(ContactRec& c) {
    c.tenant_label = Label(c.tenant());
    c.topic_label = Label(c.topic());
  }

  // --- configuration ---

  void Load(RoutingConfig config) {
    cfg = std::move(config);
    queues.clear();
    queue_index.clear();
    for (const QueueConfig& q : cfg.queues) {
      queue_index[q.name] = static_cast<uint32_t>(queues.size());
      queues.push_back(Queue{q, false, 0, 0, {}, {}});
    }
    for (Queue& q : queues) {
      if (!q.cfg.bot_queue.empty()) {
        queues[queue_index.at(q.cfg.bot_queue)].is_bot = true;
      }
    }
    default_queue = queue_index.at(cfg.default_queue);
    any_position_step = std::any_of(cfg.queues.begin(), cfg.queues.end(),
                                    [](const QueueConfig& q) { return q.position_step > 0; });
    rule_queue.clear();
    rule_req.clear();
    for (const RuleConfig& r : cfg.rules) {
      rule_queue.push_back(queue_index.at(r.queue));
      Requirements need;
      for (const SkillRequirement& k : r.skills) {
        need.emplace_back("skill." + k.skill, k.min_level);
      }
      rule_req.push_back(InternReq(std::move(need)));
    }
  }
  // The first rule matching the contact: queue, priority, requirements. The default queue
  // when none does.
  std::tuple<uint32_t, int, uint32_t> MatchRule(const Attributes& attrs) const {
    static const Attributes kNoAgent;
    for (size_t i = 0; i < cfg.rules.size(); ++i) {
      if (cfg.rules[i].when.Eval(attrs, kNoAgent)) {
        return {rule_queue[i], cfg.rules[i].priority, rule_req[i]};
      }
    }
    return {default_queue, 0, 0};
  }

  uint32_t InternReq(Requirements r) {
    std::sort(r.begin(), r.end());
    auto it = req_index.find(r);
    if (it != req_index.end()) {
      return it->second;
    }
    const auto id = static_cast<uint32_t>(reqs.size());
    reqs.push_back(r);
    req_index.emplace(std::move(r), id);
    return id;
  }

  // --- timers ---

  void Arm(TimePoint at, TimerKind kind, uint32_t slot, uint64_t id, uint64_t gen) {
    timers.Push(Timer{at, kind, slot, id, gen, next_timer++});
  }
  // Due `after` from now, `after` a duration of the configuration (so a FIFO of its own).
  void ArmAfter(Micros after, TimerKind kind, uint32_t slot, uint64_t id, uint64_t gen) {
    timers.PushAfter(after, Timer{now + after, kind, slot, id, gen, next_timer++});
  }
  // Due `after` (a duration of the configuration) from `since`: in that duration's FIFO when
  // `since` is now, else in the general heap (a contact that came back keeps its old times).
  void ArmSince(TimePoint since, Micros after, TimerKind kind, uint32_t slot, uint64_t id,
                uint64_t gen) {
    if (since == now) {
      ArmAfter(after, kind, slot, id, gen);
    } else {
      Arm(since + after, kind, slot, id, gen);
    }
  }
  void ArmHousekeeping() {
    if (!reconcile_armed) {
      reconcile_armed = true;
      ArmAfter(cfg.reconcile_interval, TimerKind::kReconcile, 0, 0, 0);
    }
    if (!position_armed && any_position_step) {
      for (const Queue& q : queues) {
        if (q.cfg.position_step > 0 && q.size > 0) {
          position_armed = true;
          ArmAfter(kPositionScanInterval, TimerKind::kPosition, 0, 0, 0);
          break;
        }
      }
    }
  }

  // --- agents ---

  uint32_t Cost(const AgentRec& a, Channel ch) const {
    const auto c = static_cast<size_t>(ch);
    return a.cost[c] != 0 ? a.cost[c] : cfg.channel_cost[c];
  }
  bool InWrap(const AgentRec& a) const { return a.wrap_ready || a.wrap_until != 0; }
  bool HasRoom(const AgentRec& a, Channel ch) const {
    const auto c = static_cast<size_t>(ch);
    return a.signed_in && a.presence == Presence::kAvailable && !InWrap(a) &&
           a.used + Cost(a, ch) <= a.budget && (a.cap[c] == 0 || a.count[c] < a.cap[c]);
  }
  AKey KeyOf(const AgentRec& a, uint32_t slot, Strategy strategy) const {
    switch (strategy) {
      case Strategy::kLongestIdle:
        return AKey{a.idle_since, a.join_seq, slot};
      case Strategy::kLeastOccupied:
        return AKey{static_cast<int64_t>(a.used) * 1000000 / std::max<uint32_t>(a.budget, 1),
                    a.idle_since, slot};
      case Strategy::kRoundRobin:
        return AKey{a.join_seq, 0, slot};
    }
    return AKey{0, 0, slot};
  }
  void Detach(uint32_t slot) {
    AgentRec& a = agents[slot];
    for (const auto& [lane, key] : a.attached) {
      lanes[lane].agents.erase(key);
    }
    a.attached.clear();
  }
  void Attach(uint32_t slot) {
    AgentRec& a = agents[slot];
    if (!a.signed_in || a.presence != Presence::kAvailable || InWrap(a)) {
      return;
    }
    ForEachLaneWithRoom(a, slot, [&](uint32_t lane, const AKey& key) {
      lanes[lane].agents.insert(key);
      a.attached.emplace_back(lane, key);
    });
  }
  // Calls fn(lane, key) for every lane of the agent's pools whose channel it has room for.
  template <typename Fn>
  void ForEachLaneWithRoom(const AgentRec& a, uint32_t slot, Fn&& fn) const {
    for (uint32_t p : a.pools) {
      const Pool& pool = pools[p];
      for (int c = 0; c < kChannelCount; ++c) {
        const int32_t lane = pool.lanes[c];
        if (lane >= 0 && HasRoom(a, static_cast<Channel>(c))) {
          fn(static_cast<uint32_t>(lane), KeyOf(a, slot, pool.strategy));
        }
      }
    }
  }
  bool Member(const AgentRec& a, uint32_t slot, const Pool& pool) const {
    if (!a.signed_in) {
      return false;
    }
    if (pool.step < 0) {
      return slot == pool.direct_agent;
    }
    const Queue& q = queues[pool.queue];
    if (q.cfg.restricted && a.outsourced) {
      return false;
    }
    for (const auto& [name, min] : reqs[pool.req]) {
      if (IntOf(a.attrs, name) < min) {
        return false;
      }
    }
    static const Attributes kNoContact;
    return q.cfg.steps[pool.step].pool.Eval(kNoContact, a.attrs);
  }
  bool Counted(const AgentRec& a) const {
    return a.signed_in && a.presence != Presence::kOffline;
  }
  // Membership of every existing pool, from scratch.
  void JoinPools(uint32_t slot) {
    AgentRec& a = agents[slot];
    const bool counted = Counted(a);
    for (uint32_t p = 0; p < pools.size(); ++p) {
      if (Member(a, slot, pools[p])) {
        pools[p].members.push_back(slot);
        a.pools.push_back(p);
        if (counted) {
          ++pools[p].signed_in;
        }
      }
    }
  }
  void LeavePools(uint32_t slot) {
    AgentRec& a = agents[slot];
    const bool counted = Counted(a);
    for (uint32_t p : a.pools) {
      Pool& pool = pools[p];
      auto it = std::find(pool.members.begin(), pool.members.end(), slot);
      if (it != pool.members.end()) {
        *it = pool.members.back();
        pool.members.pop_back();
      }
      if (counted) {
        if (--pool.signed_in == 0) {
          emptied_pools.push_back(p);
        }
      }
    }
    a.pools.clear();
  }
  // Changes presence, keeping pools' signed-in counts.
  void ChangePresence(uint32_t slot, Presence to) {
    AgentRec& a = agents[slot];
    const bool was = Counted(a);
    MarkStale(slot);
    a.presence = to;
    const bool is = Counted(a);
    if (was != is) {
      for (uint32_t p : a.pools) {
        if (is) {
          ++pools[p].signed_in;
        } else if (--pools[p].signed_in == 0) {
          emptied_pools.push_back(p);
        }
      }
    }
    pending_agents.push_back(slot);
  }
  void Reserve(uint32_t slot, Channel ch) {
    AgentRec& a = agents[slot];
    MarkStale(slot);
    a.used += Cost(a, ch);
    ++a.count[static_cast<size_t>(ch)];
    ++a.holding;
    a.idle_since = now;
  }
  void Release(uint32_t slot, Channel ch) {
    AgentRec& a = agents[slot];
    // The agent now has room: the dispatch that follows walks its pools (a block last read
    // when it last had room). Start loading it while the caller finishes its work.
    __builtin_prefetch(a.pools.data());
    MarkStale(slot);
    const uint32_t cost = Cost(a, ch);
    a.used = a.used >= cost ? a.used - cost : 0;
    auto& n = a.count[static_cast<size_t>(ch)];
    n = n > 0 ? n - 1 : 0;
    a.holding = a.holding > 0 ? a.holding - 1 : 0;
    pending_agents.push_back(slot);
    MaybeForget(slot);
  }
  // The agent's state changed in a way that may change its lane entries (room, strategy
  // key). The lanes are brought up to date by SyncAgents before anyone reads them: an agent
  // whose capacity frees and who at once takes a contact is never re-keyed in its lanes.
  void MarkStale(uint32_t slot) {
    AgentRec& a = agents[slot];
    if (!a.stale) {
      a.stale = true;
      stale_agents.push_back(slot);
    }
  }
  // The lane entries the agent should have now (the order Attach inserts them in).
  void WantedEntries(uint32_t slot, std::vector<std::pair<uint32_t, AKey>>* out) const {
    out->clear();
    const AgentRec& a = agents[slot];
    if (!a.live || !a.signed_in || a.presence != Presence::kAvailable || InWrap(a)) {
      return;
    }
    ForEachLaneWithRoom(a, slot,
                        [out](uint32_t lane, const AKey& key) { out->emplace_back(lane, key); });
  }
  // Brings the lane entries of every stale agent up to date.
  void SyncAgents() {
    if (stale_agents.empty()) {
      return;
    }
    std::vector<uint32_t> stale;
    stale.swap(stale_agents);
    for (uint32_t slot : stale) {
      AgentRec& a = agents[slot];
      a.stale = false;
      WantedEntries(slot, &wanted_scratch);
      if (wanted_scratch != a.attached) {
        Detach(slot);
        for (const auto& [lane, key] : wanted_scratch) {
          lanes[lane].agents.insert(key);
        }
        a.attached = wanted_scratch;
      }
    }
    stale.clear();
    if (stale_agents.empty()) {
      stale_agents.swap(stale);  // keep the capacity
    }
  }
  // A signed-out agent is forgotten once it holds nothing.
  void MaybeForget(uint32_t slot) {
    AgentRec& a = agents[slot];
    if (a.live && !a.signed_in && a.holding == 0) {
      Detach(slot);
      agent_index.Erase(HashString(a.id), [&](uint32_t x) { return x == slot; });
      a = AgentRec{};
      free_agents.push_back(slot);
    }
  }
  void StartWrap(uint32_t slot, const Queue& q) {
    AgentRec& a = agents[slot];
    if (q.cfg.wrap_up <= 0 && !q.cfg.wrap_up_until_ready) {
      return;
    }
    const bool was = InWrap(a);
    MarkStale(slot);
    if (q.cfg.wrap_up > 0 && now + q.cfg.wrap_up > a.wrap_until) {
      a.wrap_until = now + q.cfg.wrap_up;
      a.wrap_gen = next_gen++;
      ArmAfter(q.cfg.wrap_up, TimerKind::kWrap, slot, 0, a.wrap_gen);
    }
    if (q.cfg.wrap_up_until_ready) {
      a.wrap_ready = true;
    }
    if (!was && a.signed_in) {
      actions.push_back(AgentPresence{a.id, AgentState::kWrapUp, "wrap-up after close"});
    }
  }
  void EndWrap(uint32_t slot, std::string reason) {
    AgentRec& a = agents[slot];
    if (!InWrap(a)) {
      return;
    }
    MarkStale(slot);
    a.wrap_until = 0;
    a.wrap_ready = false;
    a.wrap_gen = next_gen++;
    a.idle_since = now;
    pending_agents.push_back(slot);
    if (a.signed_in && a.presence == Presence::kAvailable) {
      actions.push_back(AgentPresence{a.id, AgentState::kAvailable, std::move(reason)});
    }
  }

  // --- pools and lanes ---

  uint32_t GetPool(int32_t queue, int32_t step, uint32_t req, uint32_t direct) {
    // Most contacts have no requirements and no direct agent: found without the map.
    const bool plain = step >= 0 && req == 0 && direct == kNone;
    std::vector<uint32_t>& step_pools = queues[queue].step_pools;
    if (plain && static_cast<size_t>(step) < step_pools.size() && step_pools[step] != kNone) {
      return step_pools[step];
    }
    const uint32_t id = MakePool(queue, step, req, direct);
    if (plain) {
      if (step_pools.size() <= static_cast<size_t>(step)) {
        step_pools.resize(static_cast<size_t>(step) + 1, kNone);
      }
      step_pools[step] = id;
    }
    return id;
  }
  uint32_t MakePool(int32_t queue, int32_t step, uint32_t req, uint32_t direct) {
    const auto key = std::make_tuple(queue, step, req, direct);
    auto it = pool_index.find(key);
    if (it != pool_index.end()) {
      return it->second;
    }
    const auto id = static_cast<uint32_t>(pools.size());
    Pool pool;
    pool.queue = queue;
    pool.step = step;
    pool.req = req;
    pool.direct_agent = direct;
    pool.strategy = queues[queue].cfg.strategy;
    pools.push_back(std::move(pool));
    pool_index.emplace(key, id);
    queues[queue].pools.push_back(id);
    for (uint32_t slot = 0; slot < agents.size(); ++slot) {
      AgentRec& a = agents[slot];
      if (a.live && Member(a, slot, pools[id])) {
        pools[id].members.push_back(slot);
        a.pools.push_back(id);
        if (Counted(a)) {
          ++pools[id].signed_in;
        }
      }
    }
    return id;
  }
  uint32_t GetLane(uint32_t pool_id, Channel ch) {
    const auto c = static_cast<size_t>(ch);
    if (pools[pool_id].lanes[c] >= 0) {
      return static_cast<uint32_t>(pools[pool_id].lanes[c]);
    }
    const auto id = static_cast<uint32_t>(lanes.size());
    lanes.emplace_back();
    lanes[id].pool = pool_id;
    lanes[id].channel = ch;
    pools[pool_id].lanes[c] = static_cast<int32_t>(id);
    for (uint32_t slot : pools[pool_id].members) {
      AgentRec& a = agents[slot];
      if (HasRoom(a, ch)) {
        const AKey key = KeyOf(a, slot, pools[pool_id].strategy);
        lanes[id].agents.insert(key);
        a.attached.emplace_back(id, key);
      }
    }
    return id;
  }
  // The pool of the contact's current place, cached in the contact (the cache holds while
  // its queue, step, requirements and direct agent are the same and pools were not rebuilt).
  uint32_t PoolOf(ContactRec& c) {
    const auto key = std::make_tuple(static_cast<int32_t>(c.queue), c.step < 0 ? -1 : c.step,
                                     c.step < 0 ? 0u : c.req, c.step < 0 ? c.direct_agent : kNone);
    if (c.pool != kNone && c.pool_epoch == pools_epoch && c.pool_key == key) {
      return c.pool;
    }
    c.pool = GetPool(std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key));
    c.pool_key = key;
    c.pool_epoch = pools_epoch;
    return c.pool;
  }

  // --- contacts ---

  CKey KeyOf(const ContactRec& c, uint32_t slot) const {
    if (c.aged) {
      return CKey{0, 0, c.seq, slot};
    }
    return CKey{1, -static_cast<int64_t>(c.priority), c.seq, slot};
  }
  ContactLabels Labels(const ContactRec& c) const {
    return ContactLabels{
        queues[c.queue].cfg.name, c.channel,
        c.tenant_label != kNone ? labels[c.tenant_label] : std::string(c.tenant()),
        c.topic_label != kNone ? labels[c.topic_label] : std::string(c.topic())};
  }
  void InsertWaiting(uint32_t slot) {
    ContactRec& c = contacts[slot];
    const uint32_t lane = GetLane(PoolOf(c), c.channel);
    c.lane = static_cast<int32_t>(lane);
    c.state = ContactState::kWaiting;
    lanes[lane].contacts.insert(KeyOf(c, slot));
    pending_contacts.emplace_back(slot, c.id);
  }
  void RemoveWaiting(uint32_t slot) {
    ContactRec& c = contacts[slot];
    if (c.state == ContactState::kWaiting && c.lane >= 0) {
      ContactTree& waiting = lanes[c.lane].contacts;
      waiting.erase(KeyOf(c, slot));
      if (!waiting.empty()) {
        // The lane's new head is the next one offered: start loading its record now (in a
        // long queue it was last touched when it arrived).
        const ContactRec* next = &contacts[waiting.begin()->slot];
        __builtin_prefetch(next);
        __builtin_prefetch(reinterpret_cast<const char*>(next) + 64);
      }
    }
    c.lane = -1;
  }
  // Sets the step (skipping steps whose pool has nobody signed in) and arms its expiry.
  // Does not insert.
  void SetStep(uint32_t slot, int32_t step) {
    ContactRec& c = contacts[slot];
    const Queue& q = queues[c.queue];
    const auto last = static_cast<int32_t>(q.cfg.steps.size()) - 1;
    step = std::clamp(step, 0, last);
    c.step = step;
    while (c.step < last && pools[PoolOf(c)].signed_in == 0) {
      ++c.step;
    }
    c.step_gen = next_gen++;
    c.excluded.clear();
    maybe_excluded[slot] = 0;
    const Micros expires = q.cfg.steps[c.step].expires_after;
    if (c.step < last && expires > 0) {
      ArmAfter(expires, TimerKind::kStep, slot, c.id, c.step_gen);
    }
  }
  void ArmQueueTimers(uint32_t slot) {
    ContactRec& c = contacts[slot];
    const Queue& q = queues[c.queue];
    c.wait_gen = next_gen++;
    c.age_gen = next_gen++;
    if (q.cfg.max_wait > 0 && q.cfg.fallback != FallbackKind::kNone) {
      ArmSince(c.enqueued_at, q.cfg.max_wait, TimerKind::kMaxWait, slot, c.id, c.wait_gen);
    }
    c.aged = false;
    if (q.cfg.aging_bound > 0) {
      if (now - c.enqueued_at >= q.cfg.aging_bound) {
        c.aged = true;
      } else {
        ArmSince(c.enqueued_at, q.cfg.aging_bound, TimerKind::kAging, slot, c.id, c.age_gen);
      }
    }
  }
  // Puts a contact (not in any queue) into queue `q`, waiting.
  void EnterQueue(uint32_t slot, uint32_t q, uint64_t seq, TimePoint enqueued_at, int32_t step) {
    ContactRec& c = contacts[slot];
    c.queue = q;
    c.seq = seq;
    c.enqueued_at = enqueued_at;
    c.direct_agent = kNone;
    c.told = 0;
    ++queues[q].size;
    ArmQueueTimers(slot);
    SetStep(slot, step);
    InsertWaiting(slot);
    if (!queues[q].is_bot) {
      ContactEvent e;
      e.kind = ContactEvent::Kind::kQueued;
      e.labels = Labels(c);
      events.push_back(std::move(e));
    }
    ArmHousekeeping();
  }
  // Takes the contact out of its queue and away from any agent; `wrap` starts the agent's
  // wrap-up (it handled the contact).
  void LeaveQueue(uint32_t slot, bool wrap) {
    ContactRec& c = contacts[slot];
    switch (c.state) {
      case ContactState::kWaiting:
        RemoveWaiting(slot);
        break;
      case ContactState::kOffered:
        WithdrawOffers(slot, kNone);
        break;
      case ContactState::kActive: {
        const uint32_t a = c.agent;
        c.agent = kNone;
        if (wrap) {
          StartWrap(a, queues[c.queue]);
        }
        Release(a, c.channel);
        break;
      }
    }
    if (c.state != ContactState::kActive) {
      --queues[c.queue].size;
    }
    c.state = ContactState::kWaiting;
    c.lane = -1;
  }
  void WithdrawOffers(uint32_t slot, uint32_t except) {
    ContactRec& c = contacts[slot];
    for (uint32_t a : c.offered) {
      if (a == except) {
        continue;
      }
      actions.push_back(OfferWithdrawn{c.id, agents[a].id, c.attempt});
      Release(a, c.channel);
    }
    c.offered.clear();
  }
  void EndContact(uint32_t slot) {
    ContactRec& c = contacts[slot];
    contact_index.Erase(SequentialIdHash(c.id), [&](uint32_t x) { return x == slot; });
    // The exclusion list and the text buffer keep their capacity for the slot's next contact.
    std::vector<std::pair<uint32_t, TimePoint>> excluded = std::move(c.excluded);
    std::string text = std::move(c.text);
    c = ContactRec{};
    excluded.clear();
    c.excluded = std::move(excluded);
    text.clear();
    c.text = std::move(text);
    free_contacts.push_back(slot);
  }
  uint32_t NewContactSlot() {
    uint32_t slot;
    if (!free_contacts.empty()) {
      slot = free_contacts.back();
      free_contacts.pop_back();
    } else {
      slot = static_cast<uint32_t>(contacts.size());
      contacts.emplace_back();
      maybe_excluded.push_back(0);
    }
    maybe_excluded[slot] = 0;
    return slot;
  }
  ContactRec* FindContact(SessionId id, uint32_t* slot) {
    const uint32_t found = FindContactSlot(id);
    if (found == kNone) {
      return nullptr;
    }
    *slot = found;
    return &contacts[found];
  }
  uint32_t FindContactSlot(SessionId id) const {
    return contact_index.Find(SequentialIdHash(id),
                              [&](uint32_t slot) { return contacts[slot].id == id; });
  }
  void IndexContact(SessionId id, uint32_t slot) {
    contact_index.Insert(SequentialIdHash(id), slot);
  }
  // The agent of that id among those the contact is offered to; kNone if none. (An agent
  // offered a contact is known and holds it, so this is FindAgent without the index.)
  uint32_t OfferedTo(const ContactRec& c, std::string_view id) const {
    for (uint32_t a : c.offered) {
      if (agents[a].id == id) {
        return a;
      }
    }
    return kNone;
  }
  uint32_t FindAgent(std::string_view id) const {
    return agent_index.Find(HashString(id), [&](uint32_t slot) { return agents[slot].id == id; });
  }
  // The agent is not offered this contact again for the queue's offer timeout, so the
  // contact goes to the next candidate; after that it may be offered it again (a contact
  // never waits forever because every agent once declined it).
  void Exclude(uint32_t slot, uint32_t agent) {
    ContactRec& c = contacts[slot];
    const TimePoint until = now + queues[c.queue].cfg.offer_timeout;
    std::erase_if(c.excluded, [&](const auto& e) { return e.first == agent || e.second <= now; });
    c.excluded.emplace_back(agent, until);
    maybe_excluded[slot] = 1;
    ArmAfter(queues[c.queue].cfg.offer_timeout, TimerKind::kExclusion, slot, c.id, 0);
  }
  bool Excluded(const ContactRec& c, uint32_t agent) const {
    for (const auto& [a, until] : c.excluded) {
      if (a == agent && until > now) {
        return true;
      }
    }
    return false;
  }

  // --- dispatch ---

  void Offer(uint32_t slot, const std::vector<uint32_t>& chosen) {
    ContactRec& c = contacts[slot];
    RemoveWaiting(slot);
    c.state = ContactState::kOffered;
    c.attempt = next_attempt++;
    const Queue& q = queues[c.queue];
    c.offer_deadline = now + q.cfg.offer_timeout;
    c.offered.assign(chosen);
    for (uint32_t a : chosen) {
      Reserve(a, c.channel);
      OfferAction& o = std::get<OfferAction>(actions.emplace_back(std::in_place_type<OfferAction>));
      o.contact = c.id;
      o.agent = agents[a].id;
      o.attempt = c.attempt;
      o.queue = q.cfg.name;
      o.timeout = q.cfg.offer_timeout;
      o.waited = now - c.enqueued_at;
    }
    ArmAfter(q.cfg.offer_timeout, TimerKind::kOffer, slot, c.id, c.attempt);
    ++decisions;
  }
  // Up to `n` agents of the lane by strategy, skipping `skip` and the contact's exclusions.
  void PickAgents(Lane& lane, const ContactRec& c, uint32_t n, uint32_t skip,
                  std::vector<uint32_t>* out) {
    if (lane.agents.empty()) {
      return;
    }
    auto consider = [&](const AKey& k) {
      if (k.slot != skip && !Excluded(c, k.slot)) {
        out->push_back(k.slot);
      }
      return out->size() >= n;
    };
    if (pools[lane.pool].strategy == Strategy::kRoundRobin) {
      auto start = lane.agents.lower_bound(AKey{lane.rr_cursor + 1, 0, 0});
      for (auto it = start; it != lane.agents.end(); ++it) {
        if (consider(*it)) {
          break;
        }
      }
      if (out->size() < n) {
        for (auto it = lane.agents.begin(); it != start; ++it) {
          if (consider(*it)) {
            break;
          }
        }
      }
      if (!out->empty()) {
        lane.rr_cursor = agents[(*out)[0]].join_seq;
      }
      return;
    }
    for (const AKey& k : lane.agents) {
      if (consider(k)) {
        break;
      }
    }
  }
  void TryContact(uint32_t slot) {
    ContactRec& c = contacts[slot];
    if (!c.live || c.state != ContactState::kWaiting || c.lane < 0) {
      return;
    }
    SyncAgents();  // an offer just made may have changed an agent's room
    Lane& lane = lanes[c.lane];
    std::vector<uint32_t>& chosen = chosen_scratch;
    chosen.clear();
    PickAgents(lane, c, queues[c.queue].cfg.offer_to, kNone, &chosen);
    if (!chosen.empty()) {
      Offer(slot, chosen);
    }
  }
  // The best waiting contact this agent may take, across its lanes; kNone if none.
  uint32_t BestContactFor(uint32_t agent) {
    const AgentRec& a = agents[agent];
    bool room = false;
    for (int ch = 0; ch < kChannelCount && !room; ++ch) {
      room = HasRoom(a, static_cast<Channel>(ch));
    }
    if (!room) {
      return kNone;  // full (the usual end of TryAgent's loop)
    }
    uint32_t best = kNone;
    CKey best_key;
    for (uint32_t p : a.pools) {
      const Pool& pool = pools[p];
      for (int ch = 0; ch < kChannelCount; ++ch) {
        const int32_t lane = pool.lanes[ch];
        if (lane < 0 || lanes[lane].contacts.empty() || !HasRoom(a, static_cast<Channel>(ch))) {
          continue;
        }
        for (const CKey& k : lanes[lane].contacts) {
          if (best != kNone && !(k < best_key)) {
            break;
          }
          if (maybe_excluded[k.slot] == 0 || !Excluded(contacts[k.slot], agent)) {
            best = k.slot;
            best_key = k;
            break;
          }
        }
      }
    }
    return best;
  }
  void TryAgent(uint32_t agent) {
    while (agents[agent].live) {
      const uint32_t slot = BestContactFor(agent);
      if (slot == kNone) {
        return;
      }
      // Offered to this agent alone: other agents with room may be about to pick a better
      // contact of their own; queues with offer_to > 1 offer to several agents when the
      // contact starts waiting.
      chosen_scratch.assign(1, agent);
      Offer(slot, chosen_scratch);
    }
  }
  void AdvancePool(uint32_t p) {
    if (pools[p].signed_in != 0) {
      return;
    }
    std::vector<uint32_t> moved;
    for (int32_t lane : pools[p].lanes) {
      if (lane < 0) {
        continue;
      }
      for (const CKey& k : lanes[lane].contacts) {
        moved.push_back(k.slot);
      }
    }
    for (uint32_t slot : moved) {
      ContactRec& c = contacts[slot];
      RemoveWaiting(slot);
      if (c.step < 0) {
        c.direct_agent = kNone;
        SetStep(slot, 0);
      } else {
        const auto last = static_cast<int32_t>(queues[c.queue].cfg.steps.size()) - 1;
        if (c.step >= last) {
          InsertWaiting(slot);
          continue;
        }
        SetStep(slot, c.step + 1);
      }
      InsertWaiting(slot);
    }
  }
  void Settle() {
    while (!pending_contacts.empty() || !pending_agents.empty() || !emptied_pools.empty()) {
      if (!emptied_pools.empty()) {
        std::vector<uint32_t> ps;
        ps.swap(emptied_pools);
        for (uint32_t p : ps) {
          AdvancePool(p);
        }
        continue;
      }
      // Agents first: each takes the best contact it may take (a contact that just came back
      // included). Contacts still waiting after that have no agent with room but the ones
      // their own lane offers, which then have no better contact waiting.
      if (!pending_agents.empty()) {
        // The batch is taken out (TryAgent adds to pending_agents); both vectors keep their
        // capacity, so a call allocates nothing here.
        std::vector<uint32_t> as;
        as.swap(agents_batch);
        as.swap(pending_agents);
        std::sort(as.begin(), as.end());
        as.erase(std::unique(as.begin(), as.end()), as.end());
        for (uint32_t a : as) {
          if (agents[a].live) {
            TryAgent(a);
          }
        }
        as.clear();
        as.swap(agents_batch);
        continue;
      }
      SyncAgents();
      std::vector<std::pair<uint32_t, SessionId>> cs;
      cs.swap(contacts_batch);
      cs.swap(pending_contacts);
      for (const auto& [slot, id] : cs) {
        if (contacts[slot].live && contacts[slot].id == id) {
          TryContact(slot);
        }
      }
      cs.clear();
      cs.swap(contacts_batch);
    }
    SyncAgents();
  }

  // --- timer handlers ---

  void ExpireOffer(uint32_t slot) {
    ContactRec& c = contacts[slot];
    const std::vector<uint32_t> missed(c.offered.begin(), c.offered.end());
    c.offered.clear();
    for (uint32_t a : missed) {
      AgentRec& ag = agents[a];
      actions.push_back(OfferWithdrawn{c.id, ag.id, c.attempt});
      ContactEvent e;
      e.kind = ContactEvent::Kind::kOfferMissed;
      e.labels = Labels(c);
      e.group = ag.group;
      e.agent = ag.id;
      events.push_back(std::move(e));
      Exclude(slot, a);
      ++ag.missed;
      const bool set_away = cfg.max_missed_offers > 0 && ag.missed >= cfg.max_missed_offers &&
                            ag.signed_in && ag.presence == Presence::kAvailable;
      const std::string id = ag.id;
      Release(a, c.channel);
      if (set_away) {
        ChangePresence(a, Presence::kAway);
        actions.push_back(AgentPresence{id, AgentState::kAway,
                                        "missed " + std::to_string(cfg.max_missed_offers) +
                                            " offers in a row"});
      }
    }
    InsertWaiting(slot);
  }
  void Fallback(uint32_t slot) {
    ContactRec& c = contacts[slot];
    const Queue& q = queues[c.queue];
    const std::string from = q.cfg.name;
    ContactEvent e;
    e.kind = ContactEvent::Kind::kOverflowed;
    e.labels = Labels(c);
    e.wait = now - c.enqueued_at;
    events.push_back(std::move(e));
    LeaveQueue(slot, false);
    if (q.cfg.fallback == FallbackKind::kQueue) {
      const uint32_t target = queue_index.at(q.cfg.fallback_queue);
      actions.push_back(Overflowed{c.id, from, q.cfg.fallback_queue, false});
      c.req = 0;
      EnterQueue(slot, target, next_seq++, now, 0);
    } else {
      actions.push_back(Overflowed{c.id, from, "", true});
      EndContact(slot);
    }
  }
  void PositionScan() {
    for (Queue& q : queues) {
      if (q.cfg.position_step == 0 || q.size == 0) {
        continue;
      }
      for (uint32_t p : q.pools) {
        for (int32_t lane : pools[p].lanes) {
          if (lane < 0) {
            continue;
          }
          uint32_t rank = 0;
          for (const CKey& k : lanes[lane].contacts) {
            ++rank;
            ContactRec& c = contacts[k.slot];
            const uint32_t diff = rank > c.told ? rank - c.told : c.told - rank;
            if (c.told == 0 || diff >= q.cfg.position_step) {
              c.told = rank;
              actions.push_back(PositionUpdate{c.id, rank, Expected(c, rank)});
            }
          }
        }
      }
    }
  }
  Micros Expected(ContactRec& c, uint32_t position) {
    const Queue& q = queues[c.queue];
    const uint32_t staff = std::max<uint32_t>(1, pools[PoolOf(c)].signed_in);
    return static_cast<Micros>(q.aht * position / staff);
  }
  void Reconcile() {
    // Capacity in use, recomputed from the contacts.
    std::vector<uint32_t> used(agents.size(), 0);
    std::vector<std::array<uint32_t, kChannelCount>> count(agents.size());
    std::vector<uint32_t> holding(agents.size(), 0);
    for (uint32_t slot = 0; slot < contacts.size(); ++slot) {
      ContactRec& c = contacts[slot];
      if (!c.live) {
        continue;
      }
      auto add = [&](uint32_t a) {
        used[a] += Cost(agents[a], c.channel);
        ++count[a][static_cast<size_t>(c.channel)];
        ++holding[a];
      };
      if (c.state == ContactState::kOffered) {
        for (uint32_t a : c.offered) {
          add(a);
        }
        if (c.offer_deadline < now) {  // its timer was lost
          ++repairs;
          Arm(now, TimerKind::kOffer, slot, c.id, c.attempt);
        }
      } else if (c.state == ContactState::kActive) {
        add(c.agent);
      } else if (c.lane < 0 || !lanes[c.lane].contacts.contains(KeyOf(c, slot))) {
        ++repairs;
        InsertWaiting(slot);
      }
    }
    for (uint32_t a = 0; a < agents.size(); ++a) {
      AgentRec& ag = agents[a];
      if (!ag.live) {
        continue;
      }
      if (ag.used != used[a] || ag.count != count[a] || ag.holding != holding[a]) {
        ++repairs;
        Detach(a);
        ag.used = used[a];
        ag.count = count[a];
        ag.holding = holding[a];
        Attach(a);
      }
      size_t expected = 0;
      for (uint32_t p : ag.pools) {
        for (int ch = 0; ch < kChannelCount; ++ch) {
          if (pools[p].lanes[ch] >= 0 && ag.signed_in && ag.presence == Presence::kAvailable &&
              !InWrap(ag) && HasRoom(ag, static_cast<Channel>(ch))) {
            ++expected;
          }
        }
      }
      if (expected != ag.attached.size()) {
        ++repairs;
        Detach(a);
        Attach(a);
      }
      if (ag.wrap_until != 0 && ag.wrap_until < now) {  // its timer was lost
        ++repairs;
        EndWrap(a, "wrap-up ended");
      }
      pending_agents.push_back(a);
    }
    const uint64_t before = decisions;
    Settle();
    repairs += decisions - before;  // a contact that waited while an agent had room
    for (auto it = rejoin.begin(); it != rejoin.end();) {
      if (now - it->second.left_at > cfg.rejoin_window) {
        it = rejoin.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Fire(const Timer& t) {
    switch (t.kind) {
      case TimerKind::kReconcile:
        reconcile_armed = false;
        Reconcile();
        ArmHousekeeping();
        return;
      case TimerKind::kPosition:
        position_armed = false;
        PositionScan();
        ArmHousekeeping();
        return;
      case TimerKind::kWrap: {
        AgentRec& a = agents[t.slot];
        if (a.live && a.wrap_gen == t.gen) {
          if (a.wrap_ready) {  // the timed part is over; it still waits for Ready
            Detach(t.slot);
            a.wrap_until = 0;
            Attach(t.slot);
          } else {
            EndWrap(t.slot, "wrap-up ended");
          }
        }
        return;
      }
      default:
        break;
    }
    if (t.slot >= contacts.size()) {
      return;
    }
    ContactRec& c = contacts[t.slot];
    if (!c.live || c.id != t.id) {
      return;
    }
    switch (t.kind) {
      case TimerKind::kOffer:
        if (c.state == ContactState::kOffered && c.attempt == t.gen) {
          ExpireOffer(t.slot);
        }
        break;
      case TimerKind::kStep:
        if (c.step_gen == t.gen && c.state != ContactState::kActive && c.step >= 0) {
          const bool waiting = c.state == ContactState::kWaiting;
          if (waiting) {
            RemoveWaiting(t.slot);
          }
          SetStep(t.slot, c.step + 1);
          if (waiting) {
            InsertWaiting(t.slot);
          }
        }
        break;
      case TimerKind::kMaxWait:
        if (c.wait_gen == t.gen && c.state != ContactState::kActive) {
          Fallback(t.slot);
        }
        break;
      case TimerKind::kExclusion:
        std::erase_if(c.excluded, [&](const auto& e) { return e.second <= now; });
        if (c.state == ContactState::kWaiting) {
          pending_contacts.emplace_back(t.slot, c.id);
        }
        break;
      case TimerKind::kAging:
        if (c.age_gen == t.gen) {
          const bool waiting = c.state == ContactState::kWaiting;
          if (waiting) {
            RemoveWaiting(t.slot);
          }
          c.aged = true;
          if (waiting) {
            InsertWaiting(t.slot);
          }
        }
        break;
      default:
        break;
    }
  }

  // --- views ---

  ContactView ViewOf(const ContactRec& c) const {
    ContactView v;
    v.id = c.id;
    v.state = c.state;
    v.queue = queues[c.queue].cfg.name;
    v.step = c.step;
    if (c.step < 0 && c.direct_agent != kNone) {
      v.direct_agent = agents[c.direct_agent].id;
    }
    v.channel = c.channel;
    v.priority = c.priority;
    v.seq = c.seq;
    v.enqueued_at = c.enqueued_at;
    v.aged = c.aged;
    v.follow_up = c.follow_up;
    v.requirements = reqs[c.req];
    v.attributes = UnpackAttributes(c.packed_attrs());
    v.summary = std::string(c.summary());
    v.attempt = c.attempt;
    for (uint32_t a : c.offered) {
      v.offered_to.push_back(agents[a].id);
    }
    if (c.agent != kNone) {
      v.agent = agents[c.agent].id;
    }
    for (const auto& [a, until] : c.excluded) {
      if (agents[a].live && until > now) {
        v.excluded.push_back(agents[a].id);
      }
    }
    return v;
  }
  AgentView ViewOf(const AgentRec& a) const {
    AgentView v;
    v.id = a.id;
    v.group = a.group;
    v.signed_in = a.signed_in;
    for (int c = 0; c < kChannelCount && !v.has_room; ++c) {
      v.has_room = HasRoom(a, static_cast<Channel>(c));
    }
    v.presence = a.presence;
    v.wrap_up = InWrap(a);
    v.attributes = a.attrs;
    v.budget = a.budget;
    v.used = a.used;
    for (int c = 0; c < kChannelCount; ++c) {
      v.cost[c] = Cost(a, static_cast<Channel>(c));
    }
    v.cap = a.cap;
    v.count = a.count;
    v.missed_in_row = a.missed;
    return v;
  }

  void ApplyInfo(AgentRec& a, const AgentInfo& info) {
    a.id = info.id;
    a.group = info.group;
    a.outsourced = info.outsourced;
    a.attrs = Attributes();
    for (const auto& [key, value] : info.attributes) {
      if (key != "id" && key != "group" && key != "tier" && key != "outsourced" &&
          key != "bot" && !key.starts_with("skill.")) {
        a.attrs.Set(key, value);
      }
    }
    a.attrs.Set("id", info.id);
    a.attrs.Set("group", info.group);
    a.attrs.Set("tier", info.tier);
    a.attrs.Set("outsourced", static_cast<int64_t>(info.outsourced ? 1 : 0));
    a.attrs.Set("bot", static_cast<int64_t>(info.bot ? 1 : 0));
    for (const auto& [name, level] : info.skills) {
      a.attrs.Set("skill." + name, level);
    }
    a.budget = info.budget != 0 ? info.budget : cfg.default_budget;
    a.cost = info.cost;
    a.cap = info.cap;
  }
};

// --- public API ---

RoutingEngine::RoutingEngine(RoutingConfig config) : s_(std::make_unique<State>()) {
  const Status st = config.Validate();
  if (!st.ok()) {
    std::fprintf(stderr, "RoutingEngine: invalid config: %s\n", st.ToString().c_str());
    std::abort();
  }
  s_->Load(std::move(config));
}

RoutingEngine::~RoutingEngine() = default;

const RoutingConfig& RoutingEngine::config() const { return s_->cfg; }

Status RoutingEngine::Reconfigure(RoutingConfig config, TimePoint now) {
  Status st = config.Validate();
  if (!st.ok()) {
    return st;
  }
  State& s = *s_;
  s.now = now;
  std::vector<std::string> old_names;
  for (const auto& q : s.queues) {
    old_names.push_back(q.cfg.name);
  }
  std::vector<double> old_aht;
  for (const auto& q : s.queues) {
    old_aht.push_back(q.aht);
  }
  s.Load(std::move(config));
  for (size_t i = 0; i < old_names.size(); ++i) {
    auto it = s.queue_index.find(old_names[i]);
    if (it != s.queue_index.end()) {
      s.queues[it->second].aht = old_aht[i];
    }
  }
  s.pools.clear();
  ++s.pools_epoch;
  s.pool_index.clear();
  s.lanes.clear();
  for (auto& a : s.agents) {
    a.pools.clear();
    a.attached.clear();
  }
  std::vector<uint32_t> waiting;
  for (uint32_t slot = 0; slot < s.contacts.size(); ++slot) {
    auto& c = s.contacts[slot];
    if (!c.live) {
      continue;
    }
    auto it = s.queue_index.find(old_names[c.queue]);
    const bool kept = it != s.queue_index.end();
    c.queue = kept ? it->second : s.default_queue;
    if (!kept) {
      c.step = 0;
      c.direct_agent = kNone;
    }
    if (c.state != ContactState::kActive) {
      ++s.queues[c.queue].size;
    }
    if (c.step < 0 && (c.direct_agent == kNone || !s.agents[c.direct_agent].signed_in)) {
      c.step = 0;
      c.direct_agent = kNone;
    }
    c.lane = -1;
    if (c.state == ContactState::kWaiting) {
      waiting.push_back(slot);
    }
  }
  // Every agent into the pools (pools are made as contacts need them).
  std::sort(waiting.begin(), waiting.end(),
            [&](uint32_t x, uint32_t y) { return s.contacts[x].seq < s.contacts[y].seq; });
  for (uint32_t slot = 0; slot < s.contacts.size(); ++slot) {
    auto& c = s.contacts[slot];
    if (!c.live) {
      continue;
    }
    s.ArmQueueTimers(slot);
    if (c.step >= 0) {
      s.SetStep(slot, c.step);
    } else {
      c.step_gen = s.next_gen++;
    }
  }
  for (uint32_t slot : waiting) {
    s.InsertWaiting(slot);
  }
  s.pending_contacts.clear();  // agents choose, so the best contact goes first
  for (uint32_t a = 0; a < s.agents.size(); ++a) {
    if (s.agents[a].live) {
      s.Detach(a);
      s.Attach(a);
      s.pending_agents.push_back(a);
    }
  }
  s.position_armed = false;
  s.ArmHousekeeping();
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::SignIn(const AgentInfo& info, TimePoint now) {
  State& s = *s_;
  s.now = now;
  if (info.id.empty()) {
    return Status(Code::kBadRequest, "agent id is empty");
  }
  uint32_t slot = s.FindAgent(info.id);
  if (slot != kNone && s.agents[slot].signed_in) {
    return UpdateAgent(info, now);
  }
  if (slot == kNone) {
    if (!s.free_agents.empty()) {
      slot = s.free_agents.back();
      s.free_agents.pop_back();
    } else {
      slot = static_cast<uint32_t>(s.agents.size());
      s.agents.emplace_back();
    }
    s.agent_index.Insert(HashString(info.id), slot);
    s.agents[slot].live = true;
  }
  State::AgentRec& a = s.agents[slot];
  s.ApplyInfo(a, info);
  // An agent back within its grace (or adopted at recovery) may hold contacts: their cost is
  // counted in this sign-in's costs.
  a.used = 0;
  for (size_t ch = 0; ch < kChannelCount; ++ch) {
    a.used += a.count[ch] * s.Cost(a, static_cast<Channel>(ch));
  }
  a.signed_in = true;
  a.presence = Presence::kAvailable;
  a.wrap_until = 0;  // a fresh sign-in starts ready
  a.wrap_ready = false;
  a.wrap_gen = s.next_gen++;
  a.idle_since = now;
  a.join_seq = s.next_join++;
  a.missed = 0;
  ++s.signed_in_count;
  s.JoinPools(slot);
  s.Attach(slot);
  s.pending_agents.push_back(slot);
  s.ArmHousekeeping();
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::UpdateAgent(const AgentInfo& info, TimePoint now) {
  State& s = *s_;
  s.now = now;
  const uint32_t slot = s.FindAgent(info.id);
  if (slot == kNone || !s.agents[slot].signed_in) {
    return Status(Code::kNotSignedIn, "agent '" + info.id + "' is not signed in");
  }
  s.Detach(slot);
  s.LeavePools(slot);
  State::AgentRec& a = s.agents[slot];
  // Capacity in use is kept in units of the old costs; recompute it with the new ones.
  s.ApplyInfo(a, info);
  uint32_t used = 0;
  for (const auto& c : s.contacts) {
    if (!c.live) {
      continue;
    }
    const bool holds =
        (c.state == ContactState::kActive && c.agent == slot) ||
        (c.state == ContactState::kOffered &&
         std::find(c.offered.begin(), c.offered.end(), slot) != c.offered.end());
    if (holds) {
      used += s.Cost(a, c.channel);
    }
  }
  a.used = used;
  s.JoinPools(slot);
  // Pools that lost the agent but still have members are not empty; re-check the emptied.
  std::vector<uint32_t> still;
  for (uint32_t p : s.emptied_pools) {
    if (s.pools[p].signed_in == 0) {
      still.push_back(p);
    }
  }
  s.emptied_pools.swap(still);
  s.Attach(slot);
  s.pending_agents.push_back(slot);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::SetPresence(std::string_view agent, Presence presence, TimePoint now) {
  State& s = *s_;
  s.now = now;
  const uint32_t slot = s.FindAgent(agent);
  if (slot == kNone || !s.agents[slot].signed_in) {
    return Status(Code::kNotSignedIn, "agent '" + std::string(agent) + "' is not signed in");
  }
  if (presence == Presence::kAvailable) {
    s.agents[slot].missed = 0;
  }
  s.ChangePresence(slot, presence);
  if (presence == Presence::kOffline) {
    // Offers to an agent going offline are void.
    for (uint32_t c = 0; c < s.contacts.size(); ++c) {
      auto& rec = s.contacts[c];
      if (rec.live && rec.state == ContactState::kOffered &&
          std::find(rec.offered.begin(), rec.offered.end(), slot) != rec.offered.end()) {
        s.actions.push_back(OfferWithdrawn{rec.id, s.agents[slot].id, rec.attempt});
        rec.offered.erase(std::find(rec.offered.begin(), rec.offered.end(), slot));
        s.Release(slot, rec.channel);
        if (rec.offered.empty()) {
          s.InsertWaiting(c);
        }
      }
    }
  }
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Ready(std::string_view agent, TimePoint now) {
  State& s = *s_;
  s.now = now;
  const uint32_t slot = s.FindAgent(agent);
  if (slot == kNone || !s.agents[slot].signed_in) {
    return Status(Code::kNotSignedIn, "agent '" + std::string(agent) + "' is not signed in");
  }
  s.EndWrap(slot, "ready");
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::SignOut(std::string_view agent, TimePoint now) {
  State& s = *s_;
  s.now = now;
  const uint32_t slot = s.FindAgent(agent);
  if (slot == kNone || !s.agents[slot].signed_in) {
    return Status(Code::kNotSignedIn, "agent '" + std::string(agent) + "' is not signed in");
  }
  Status st = SetPresence(agent, Presence::kOffline, now);
  (void)st;
  s.Detach(slot);
  s.LeavePools(slot);
  s.agents[slot].signed_in = false;
  --s.signed_in_count;
  s.MaybeForget(slot);
  s.Settle();
  return Status::Ok();
}

Result<Placement> RoutingEngine::Arrive(const ContactInfo& info, TimePoint now) {
  State& s = *s_;
  s.now = now;
  if (info.id == 0) {
    return Status(Code::kBadRequest, "contact id 0");
  }
  if (s.FindContactSlot(info.id) != kNone) {
    return Status(Code::kBadRequest, "contact " + std::to_string(info.id) + " is already routed");
  }
  Attributes attrs = info.attributes;
  if (attrs.Find("tenant") == nullptr) {
    attrs.Set("tenant", info.tenant);
  }
  if (attrs.Find("channel") == nullptr) {
    attrs.Set("channel", std::string(ChannelName(info.channel)));
  }
  auto [queue, priority, req] = s.MatchRule(attrs);
  if (!s.queues[queue].cfg.bot_queue.empty()) {
    // The bot first; the rule's skills are for the humans (a handoff routes again).
    queue = s.queue_index.at(s.queues[queue].cfg.bot_queue);
    req = 0;
  }
  State::Queue& q = s.queues[queue];
  if (q.size >= q.cfg.max_size) {
    return Status(Code::kBusy, "queue '" + q.cfg.name + "' is full");
  }
  uint64_t seq = 0;
  TimePoint enqueued_at = now;
  int32_t step = 0;
  bool rejoined = false;
  if (s.cfg.rejoin_window > 0 && !info.customer_id.empty()) {
    auto it = s.rejoin.find(info.tenant + '\x1f' + info.customer_id);
    if (it != s.rejoin.end()) {
      if (now - it->second.left_at <= s.cfg.rejoin_window && it->second.queue == q.cfg.name) {
        seq = it->second.seq;
        enqueued_at = it->second.enqueued_at;
        step = it->second.step;
        priority = it->second.priority;
        req = it->second.req;
        rejoined = true;
      }
      s.rejoin.erase(it);
    }
  }
  if (!rejoined) {
    seq = s.next_seq++;
  }
  const uint32_t slot = s.NewContactSlot();
  State::ContactRec& c = s.contacts[slot];
  c.live = true;
  c.id = info.id;
  c.channel = info.channel;
  c.SetText(info.tenant, info.customer_id, StringOf(attrs, "topic"), "", attrs);
  s.SetLabels(c);
  c.priority = priority;
  c.req = req;
  s.IndexContact(info.id, slot);
  // Sticky: the customer's last agent, if it has room and may take this queue's contacts.
  const Micros window = q.cfg.sticky_window;
  if (window > 0 && !info.last_agent.empty() && now - info.last_served_at <= window) {
    const uint32_t a = s.FindAgent(info.last_agent);
    if (a != kNone && s.HasRoom(s.agents[a], c.channel) &&
        !(q.cfg.restricted && s.agents[a].outsourced)) {
      c.queue = queue;
      c.seq = seq;
      c.enqueued_at = enqueued_at;
      ++q.size;
      s.ArmQueueTimers(slot);
      s.SetStep(slot, step);
      c.state = ContactState::kWaiting;
      c.lane = -1;
      if (!q.is_bot) {
        ContactEvent e;
        e.kind = ContactEvent::Kind::kQueued;
        e.labels = s.Labels(c);
        s.events.push_back(std::move(e));
      }
      s.Offer(slot, {a});
      s.ArmHousekeeping();
      s.Settle();
      return Placement{q.cfg.name, priority, rejoined};
    }
  }
  s.EnterQueue(slot, queue, seq, enqueued_at, step);
  s.Settle();
  return Placement{s.queues[queue].cfg.name, priority, rejoined};
}

Status RoutingEngine::Accept(SessionId contact, std::string_view agent, uint64_t attempt,
                             TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  const uint32_t a = s.OfferedTo(*c, agent);
  if (c->state != ContactState::kOffered || c->attempt != attempt || a == kNone) {
    return Status(Code::kStaleOffer, "offer " + std::to_string(attempt) + " of contact " +
                                         std::to_string(contact) + " is not pending");
  }
  s.WithdrawOffers(slot, a);
  c->state = ContactState::kActive;
  c->agent = a;
  c->answered_at = now;
  c->lane = -1;
  --s.queues[c->queue].size;
  s.agents[a].missed = 0;
  if (!s.queues[c->queue].is_bot) {
    ContactEvent e;
    e.kind = ContactEvent::Kind::kAnswered;
    e.labels = s.Labels(*c);
    e.group = s.agents[a].group;
    e.agent = s.agents[a].id;
    e.wait = now - c->enqueued_at;
    s.events.push_back(std::move(e));
  }
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Reject(SessionId contact, std::string_view agent, uint64_t attempt,
                             TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  const uint32_t a = s.OfferedTo(*c, agent);
  auto it = a == kNone ? c->offered.end() : std::find(c->offered.begin(), c->offered.end(), a);
  if (c->state != ContactState::kOffered || c->attempt != attempt || it == c->offered.end()) {
    return Status(Code::kStaleOffer, "offer " + std::to_string(attempt) + " of contact " +
                                         std::to_string(contact) + " is not pending");
  }
  c->offered.erase(it);
  s.Exclude(slot, a);
  ContactEvent e;
  e.kind = ContactEvent::Kind::kOfferMissed;
  e.labels = s.Labels(*c);
  e.group = s.agents[a].group;
  e.agent = s.agents[a].id;
  s.events.push_back(std::move(e));
  s.Release(a, c->channel);
  if (c->offered.empty()) {
    s.InsertWaiting(slot);
  }
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Abandon(SessionId contact, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state == ContactState::kActive) {
    return Status(Code::kBadRequest, "contact " + std::to_string(contact) + " was answered");
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kAbandoned;
  e.labels = s.Labels(*c);
  e.wait = now - c->enqueued_at;
  e.short_abandon = e.wait < s.cfg.short_abandon;
  s.events.push_back(std::move(e));
  if (s.cfg.rejoin_window > 0 && !c->customer_id().empty() && c->step >= 0) {
    s.rejoin[std::string(c->tenant()) + '\x1f' + std::string(c->customer_id())] = State::RejoinRec{
        s.queues[c->queue].cfg.name, c->step, c->seq, c->enqueued_at, c->priority, c->req, now};
  }
  s.LeaveQueue(slot, false);
  s.EndContact(slot);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Close(SessionId contact, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state != ContactState::kActive) {
    return Status(Code::kBadRequest, "contact " + std::to_string(contact) + " is not answered");
  }
  State::Queue& q = s.queues[c->queue];
  const auto handle = static_cast<double>(now - c->answered_at);
  q.aht = q.aht == 0 ? handle : q.aht * 0.9 + handle * 0.1;
  s.LeaveQueue(slot, true);
  s.EndContact(slot);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Requeue(SessionId contact, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state == ContactState::kWaiting) {
    return Status::Ok();
  }
  if (c->state == ContactState::kActive) {
    const uint32_t a = c->agent;
    c->agent = kNone;
    ++s.queues[c->queue].size;
    s.Release(a, c->channel);
  } else {
    s.WithdrawOffers(slot, kNone);
  }
  // Timers that fired while it was answered (max wait, aging, step) count again.
  s.ArmQueueTimers(slot);
  if (c->step >= 0) {
    s.SetStep(slot, c->step);
  }
  s.InsertWaiting(slot);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::TransferToQueue(SessionId contact, std::string_view queue, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  auto it = s.queue_index.find(std::string(queue));
  if (it == s.queue_index.end()) {
    return Status(Code::kBadRequest, "no queue '" + std::string(queue) + "'");
  }
  State::Queue& target = s.queues[it->second];
  if (target.size >= target.cfg.max_size) {
    return Status(Code::kBusy, "queue '" + target.cfg.name + "' is full");
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kTransferred;
  e.labels = s.Labels(*c);
  if (c->agent != kNone) {
    e.group = s.agents[c->agent].group;
  }
  s.events.push_back(std::move(e));
  s.LeaveQueue(slot, true);
  c->req = 0;
  c->follow_up = false;
  s.EnterQueue(slot, it->second, s.next_seq++, now, 0);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::TransferToAgent(SessionId contact, std::string_view agent, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  const uint32_t a = s.FindAgent(agent);
  if (a == kNone || !s.agents[a].signed_in) {
    return Status(Code::kNotSignedIn, "agent '" + std::string(agent) + "' is not signed in");
  }
  if (s.queues[c->queue].cfg.restricted && s.agents[a].outsourced) {
    return Status(Code::kBadRequest, "queue '" + s.queues[c->queue].cfg.name +
                                         "' is restricted; agent '" + std::string(agent) +
                                         "' is outsourced");
  }
  if (s.Cost(s.agents[a], c->channel) > s.agents[a].budget) {
    return Status(Code::kBadRequest, "agent '" + std::string(agent) +
                                         "' has no capacity for the contact's channel");
  }
  if (c->state == ContactState::kActive && c->agent == a) {
    return Status(Code::kBadRequest, "agent '" + std::string(agent) + "' holds the contact");
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kTransferred;
  e.labels = s.Labels(*c);
  if (c->agent != kNone) {
    e.group = s.agents[c->agent].group;
  }
  s.events.push_back(std::move(e));
  const uint32_t queue = c->queue;
  s.LeaveQueue(slot, true);
  c->queue = queue;
  c->seq = s.next_seq++;
  c->enqueued_at = now;
  c->told = 0;
  ++s.queues[queue].size;
  s.ArmQueueTimers(slot);
  c->step = -1;
  c->direct_agent = a;
  c->step_gen = s.next_gen++;
  c->excluded.clear();
  s.maybe_excluded[slot] = 0;
  s.InsertWaiting(slot);
  if (!s.queues[queue].is_bot) {
    ContactEvent q;
    q.kind = ContactEvent::Kind::kQueued;
    q.labels = s.Labels(*c);
    s.events.push_back(std::move(q));
  }
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Escalate(SessionId contact, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state != ContactState::kActive) {
    return Status(Code::kBadRequest, "contact " + std::to_string(contact) + " is not answered");
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kTransferred;
  e.labels = s.Labels(*c);
  e.group = s.agents[c->agent].group;
  s.events.push_back(std::move(e));
  Requirements need = s.reqs[c->req];
  need.erase(std::remove_if(need.begin(), need.end(),
                            [](const auto& r) { return r.first == "tier"; }),
             need.end());
  need.emplace_back("tier", 2);
  const uint32_t queue = c->queue;
  s.LeaveQueue(slot, true);
  c->req = s.InternReq(std::move(need));
  c->follow_up = true;
  s.EnterQueue(slot, queue, s.next_seq++, now, 0);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Handoff(SessionId contact, std::string_view queue, std::string_view intent,
                              std::string_view summary, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state != ContactState::kActive) {
    return Status(Code::kBadRequest, "contact " + std::to_string(contact) + " is not answered");
  }
  Attributes attrs = UnpackAttributes(c->packed_attrs());
  attrs.Set("intent", std::string(intent));
  uint32_t target = kNone;
  int priority = c->priority;
  uint32_t req = 0;
  if (!queue.empty()) {
    auto it = s.queue_index.find(std::string(queue));
    if (it == s.queue_index.end()) {
      return Status(Code::kBadRequest, "no queue '" + std::string(queue) + "'");
    }
    target = it->second;
  } else {
    std::tie(target, priority, req) = s.MatchRule(attrs);
  }
  State::Queue& q = s.queues[target];
  if (q.size >= q.cfg.max_size) {
    return Status(Code::kBusy, "queue '" + q.cfg.name + "' is full");
  }
  ContactEvent e;
  e.kind = ContactEvent::Kind::kTransferred;
  e.labels = s.Labels(*c);
  e.group = s.agents[c->agent].group;
  s.events.push_back(std::move(e));
  s.LeaveQueue(slot, true);
  c->SetText(std::string(c->tenant()), std::string(c->customer_id()), std::string(c->topic()),
             summary, attrs);
  c->priority = priority;
  c->req = req;
  s.EnterQueue(slot, target, s.next_seq++, now, 0);
  s.Settle();
  return Status::Ok();
}

Status RoutingEngine::Adopt(const ContactInfo& info, std::string_view queue,
                            std::string_view agent, TimePoint answered_at, TimePoint now) {
  State& s = *s_;
  s.now = now;
  if (info.id == 0 || s.FindContactSlot(info.id) != kNone || agent.empty()) {
    return Status(Code::kBadRequest, "contact " + std::to_string(info.id) +
                                         " cannot be adopted (id 0, known, or no agent)");
  }
  uint32_t a = s.FindAgent(agent);
  if (a == kNone) {
    if (!s.free_agents.empty()) {
      a = s.free_agents.back();
      s.free_agents.pop_back();
    } else {
      a = static_cast<uint32_t>(s.agents.size());
      s.agents.emplace_back();
    }
    State::AgentRec& rec = s.agents[a];
    rec.live = true;
    AgentInfo placeholder;
    placeholder.id = std::string(agent);
    s.ApplyInfo(rec, placeholder);
    s.agent_index.Insert(HashString(rec.id), a);
  }
  auto q = s.queue_index.find(std::string(queue));
  const uint32_t queue_slot = q == s.queue_index.end() ? s.default_queue : q->second;
  Attributes attrs = info.attributes;
  if (attrs.Find("tenant") == nullptr) {
    attrs.Set("tenant", info.tenant);
  }
  if (attrs.Find("channel") == nullptr) {
    attrs.Set("channel", std::string(ChannelName(info.channel)));
  }
  const uint32_t slot = s.NewContactSlot();
  State::ContactRec& c = s.contacts[slot];
  c.live = true;
  c.id = info.id;
  c.channel = info.channel;
  c.SetText(info.tenant, info.customer_id, StringOf(attrs, "topic"), "", attrs);
  s.SetLabels(c);
  c.state = ContactState::kActive;
  c.queue = queue_slot;
  c.seq = s.next_seq++;
  c.enqueued_at = answered_at;
  c.answered_at = answered_at;
  c.agent = a;
  c.lane = -1;
  s.IndexContact(info.id, slot);
  s.Reserve(a, info.channel);
  s.SyncAgents();
  return Status::Ok();
}

void RoutingEngine::StartAttemptsAt(uint64_t first) {
  s_->next_attempt = std::max(s_->next_attempt, first);
}

Status RoutingEngine::PositionRequest(SessionId contact, TimePoint now) {
  State& s = *s_;
  s.now = now;
  uint32_t slot;
  State::ContactRec* c = s.FindContact(contact, &slot);
  if (c == nullptr) {
    return Status(Code::kUnknownSession, "no contact " + std::to_string(contact));
  }
  if (c->state != ContactState::kWaiting || c->lane < 0) {
    return Status(Code::kBadRequest, "contact " + std::to_string(contact) + " is not waiting");
  }
  const auto rank =
      static_cast<uint32_t>(s.lanes[c->lane].contacts.rank(s.KeyOf(*c, slot))) + 1;
  c->told = rank;
  s.actions.push_back(PositionUpdate{c->id, rank, s.Expected(*c, rank)});
  return Status::Ok();
}

void RoutingEngine::Tick(TimePoint now) {
  State& s = *s_;
  // Each timer fires at its own time (virtual time), so a long step between ticks behaves as
  // many short ones.
  while (!s.timers.empty() && s.timers.top().at <= now) {
    const Timer t = s.timers.top();
    s.timers.pop();
    s.now = std::max(s.now, t.at);
    s.Fire(t);
    s.Settle();
  }
  s.now = std::max(s.now, now);
}

std::optional<TimePoint> RoutingEngine::NextDeadline() {
  State& s = *s_;
  // Drop stale contact timers from the top so the deadline is a real one.
  while (!s.timers.empty()) {
    const Timer& t = s.timers.top();
    if (t.kind == TimerKind::kReconcile || t.kind == TimerKind::kPosition) {
      break;
    }
    if (t.kind == TimerKind::kWrap) {
      if (s.agents[t.slot].live && s.agents[t.slot].wrap_gen == t.gen) {
        break;
      }
    } else if (t.slot < s.contacts.size()) {
      const auto& c = s.contacts[t.slot];
      if (c.live && c.id == t.id) {
        const bool current =
            (t.kind == TimerKind::kOffer && c.state == ContactState::kOffered &&
             c.attempt == t.gen) ||
            (t.kind == TimerKind::kStep && c.step_gen == t.gen) ||
            (t.kind == TimerKind::kMaxWait && c.wait_gen == t.gen) ||
            (t.kind == TimerKind::kAging && c.age_gen == t.gen) ||
            (t.kind == TimerKind::kExclusion && c.state == ContactState::kWaiting &&
             !c.excluded.empty());
        if (current) {
          break;
        }
      }
    }
    s.timers.pop();
  }
  if (s.timers.empty()) {
    return std::nullopt;
  }
  return s.timers.top().at;
}

std::vector<Action> RoutingEngine::TakeActions() {
  std::vector<Action> out;
  out.swap(s_->actions);
  return out;
}

std::vector<ContactEvent> RoutingEngine::TakeEvents() {
  std::vector<ContactEvent> out;
  out.swap(s_->events);
  return out;
}

size_t RoutingEngine::waiting() const {
  size_t n = 0;
  for (const auto& q : s_->queues) {
    n += q.size;
  }
  return n;
}

size_t RoutingEngine::waiting(std::string_view queue) const {
  auto it = s_->queue_index.find(std::string(queue));
  return it == s_->queue_index.end() ? 0 : s_->queues[it->second].size;
}

size_t RoutingEngine::contacts() const { return s_->contact_index.size(); }
size_t RoutingEngine::signed_in() const { return s_->signed_in_count; }
uint64_t RoutingEngine::repairs() const { return s_->repairs; }
uint64_t RoutingEngine::decisions() const { return s_->decisions; }

std::optional<ContactView> RoutingEngine::Contact(SessionId contact) const {
  const uint32_t slot = s_->FindContactSlot(contact);
  if (slot == kNone) {
    return std::nullopt;
  }
  return s_->ViewOf(s_->contacts[slot]);
}

std::optional<RoutingEngine::OfferFacts> RoutingEngine::Facts(SessionId contact) const {
  const uint32_t slot = s_->FindContactSlot(contact);
  if (slot == kNone) {
    return std::nullopt;
  }
  const State::ContactRec& c = s_->contacts[slot];
  return OfferFacts{c.state, c.priority, c.follow_up, c.summary()};
}

std::string_view RoutingEngine::GroupOf(std::string_view agent) const {
  const uint32_t slot = s_->FindAgent(agent);
  return slot == kNone ? std::string_view() : std::string_view(s_->agents[slot].group);
}

std::optional<AgentView> RoutingEngine::Agent(std::string_view agent) const {
  const uint32_t slot = s_->FindAgent(agent);
  if (slot == kNone) {
    return std::nullopt;
  }
  return s_->ViewOf(s_->agents[slot]);
}

std::vector<ContactView> RoutingEngine::Contacts() const {
  std::vector<ContactView> out;
  for (const auto& c : s_->contacts) {
    if (c.live) {
      out.push_back(s_->ViewOf(c));
    }
  }
  return out;
}

std::vector<AgentView> RoutingEngine::Agents() const {
  std::vector<AgentView> out;
  for (const auto& a : s_->agents) {
    if (a.live) {
      out.push_back(s_->ViewOf(a));
    }
  }
  return out;
}

}  // namespace switchboard::core::routing
