#include "sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace switchboard::sim {

using core::ContactEvent;
using core::SessionId;
using namespace core::routing;  // NOLINT: the engine's vocabulary throughout

namespace {

constexpr TimePoint kStart = 1'700'000'000'000'000;

int64_t IntOf(const Attributes& attrs, std::string_view name) {
  const Value* v = attrs.Find(name);
  if (v == nullptr) {
    return 0;
  }
  const int64_t* i = std::get_if<int64_t>(v);
  return i == nullptr ? 0 : *i;
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// May `a` take `c` at all (pool, skills, restricted, direct transfer, not excluded)?
bool Eligible(const RoutingConfig& cfg, const ContactView& c, const AgentView& a) {
  if (!a.signed_in || Contains(c.excluded, a.id)) {
    return false;
  }
  if (c.step < 0) {
    return a.id == c.direct_agent;
  }
  const QueueConfig* q = cfg.FindQueue(c.queue);
  if (q == nullptr || c.step >= static_cast<int>(q->steps.size())) {
    return false;
  }
  if (q->restricted && IntOf(a.attributes, "outsourced") != 0) {
    return false;
  }
  for (const auto& [name, min] : c.requirements) {
    if (IntOf(a.attributes, name) < min) {
      return false;
    }
  }
  static const Attributes kNoContact;
  return q->steps[c.step].pool.Eval(kNoContact, a.attributes);
}

bool HasRoom(const AgentView& a, core::Channel ch) {
  const auto c = static_cast<size_t>(ch);
  return a.signed_in && a.presence == Presence::kAvailable && !a.wrap_up &&
         a.used + a.cost[c] <= a.budget && (a.cap[c] == 0 || a.count[c] < a.cap[c]);
}

std::tuple<int, int64_t, uint64_t> KeyOf(const ContactView& c) {
  if (c.aged) {
    return {0, 0, c.seq};
  }
  return {1, -static_cast<int64_t>(c.priority), c.seq};
}

std::string Str(TimePoint now) {
  return "t=" + std::to_string((now - kStart) / kSeconds) + "s: ";
}

}  // namespace

void CheckState(const RoutingEngine& engine, TimePoint now, std::vector<std::string>* out) {
  const RoutingConfig& cfg = engine.config();
  const std::vector<AgentView> agents = engine.Agents();
  const std::vector<ContactView> contacts = engine.Contacts();
  std::unordered_map<std::string, uint32_t> used;
  std::unordered_map<std::string, std::array<uint32_t, core::kChannelCount>> count;
  std::unordered_map<std::string, const AgentView*> by_id;
  for (const AgentView& a : agents) {
    by_id[a.id] = &a;
  }
  for (const ContactView& c : contacts) {
    const auto ch = static_cast<size_t>(c.channel);
    auto charge = [&](const std::string& id) {
      auto it = by_id.find(id);
      if (it == by_id.end()) {
        out->push_back(Str(now) + "contact " + std::to_string(c.id) + " is with unknown agent " +
                       id);
        return;
      }
      used[id] += it->second->cost[ch];
      ++count[id][ch];
    };
    switch (c.state) {
      case ContactState::kWaiting:
        if (!c.offered_to.empty() || !c.agent.empty()) {
          out->push_back(Str(now) + "waiting contact " + std::to_string(c.id) +
                         " is also with an agent");
        }
        break;
      case ContactState::kOffered:
        if (c.offered_to.empty() || !c.agent.empty()) {
          out->push_back(Str(now) + "offered contact " + std::to_string(c.id) +
                         " has no offer or also an agent");
        }
        for (const std::string& a : c.offered_to) {
          charge(a);
        }
        break;
      case ContactState::kActive:
        if (c.agent.empty() || !c.offered_to.empty()) {
          out->push_back(Str(now) + "answered contact " + std::to_string(c.id) +
                         " has no agent or also offers");
        }
        charge(c.agent);
        break;
    }
  }
  for (const AgentView& a : agents) {
    if (a.used > a.budget) {
      out->push_back(Str(now) + "agent " + a.id + " above capacity: " + std::to_string(a.used) +
                     " > " + std::to_string(a.budget));
    }
    if (a.used != used[a.id]) {
      out->push_back(Str(now) + "agent " + a.id + " uses " + std::to_string(a.used) +
                     " but its contacts cost " + std::to_string(used[a.id]));
    }
    for (int ch = 0; ch < core::kChannelCount; ++ch) {
      if (a.cap[ch] != 0 && a.count[ch] > a.cap[ch]) {
        out->push_back(Str(now) + "agent " + a.id + " above its cap on channel " +
                       std::to_string(ch));
      }
      if (a.count[ch] != count[a.id][ch]) {
        out->push_back(Str(now) + "agent " + a.id + " session count off on channel " +
                       std::to_string(ch));
      }
    }
  }
  for (const ContactView& c : contacts) {
    if (c.state != ContactState::kWaiting) {
      continue;
    }
    const QueueConfig* q = cfg.FindQueue(c.queue);
    if (q != nullptr && q->aging_bound > 0 && now - c.enqueued_at >= q->aging_bound && !c.aged) {
      out->push_back(Str(now) + "contact " + std::to_string(c.id) +
                     " waits past the aging bound but is not aged");
    }
    for (const AgentView& a : agents) {
      if (HasRoom(a, c.channel) && Eligible(cfg, c, a)) {
        out->push_back(Str(now) + "contact " + std::to_string(c.id) + " waits in " + c.queue +
                       " step " + std::to_string(c.step) + " while agent " + a.id +
                       " has room for it");
      }
    }
  }
}

struct Simulation::Impl {
  struct SimContact {
    TimePoint arrived = 0;
    std::string customer;
    bool answered_once = false;
    uint64_t gen = 0;  // changes on every accept
    std::string agent;
  };
  struct Event {
    TimePoint at;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
  };

  SimConfig cfg;
  std::mt19937_64 rng;
  std::unique_ptr<RoutingEngine> engine;
  TimePoint now = kStart;
  TimePoint end_of_arrivals = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  uint64_t next_event = 0;
  SessionId next_contact = 1;
  std::unordered_map<SessionId, SimContact> open;
  std::set<std::tuple<SessionId, std::string, uint64_t>> pending;  // offers the sim saw
  std::vector<AgentInfo> agent_infos;
  std::vector<bool> agent_on;
  size_t reload_index = 0;
  std::set<std::string> bot_queues;
  SimStats stats;
  bool sticky_call = false;  // the call in progress may place a returning customer first

  explicit Impl(SimConfig config) : cfg(std::move(config)), rng(cfg.seed) {
    engine = std::make_unique<RoutingEngine>(cfg.routing);
    NoteBots(cfg.routing);
    if (!cfg.make_agent) {
      cfg.make_agent = [](int i, std::mt19937_64&) {
        AgentInfo a;
        a.id = "agent-" + std::to_string(i);
        a.group = "g";
        return a;
      };
    }
    if (!cfg.make_contact) {
      cfg.make_contact = [](SessionId id, std::mt19937_64&) {
        ContactInfo c;
        c.id = id;
        c.tenant = "t";
        c.customer_id = "c" + std::to_string(id);
        return c;
      };
    }
  }

  void NoteBots(const RoutingConfig& r) {
    bot_queues.clear();
    for (const QueueConfig& q : r.queues) {
      if (!q.bot_queue.empty()) {
        bot_queues.insert(q.bot_queue);
      }
    }
  }

  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng); }
  Micros Exp(Micros mean) {
    if (mean <= 0) {
      return 0;
    }
    return static_cast<Micros>(std::exponential_distribution<double>(1.0 / mean)(rng));
  }
  Micros Handle() {
    if (cfg.handle_dist == HandleDist::kExponential) {
      return std::max<Micros>(1, Exp(cfg.mean_handle));
    }
    const double sigma = cfg.lognormal_sigma;
    const double mu = std::log(static_cast<double>(cfg.mean_handle)) - sigma * sigma / 2;
    return std::max<Micros>(1, static_cast<Micros>(std::lognormal_distribution<double>(mu, sigma)(rng)));
  }
  void At(TimePoint at, std::function<void()> fn) {
    events.push(Event{at, next_event++, std::move(fn)});
  }
  void Violation(std::string what) {
    if (stats.violations.size() < 60) {
      stats.violations.push_back(Str(now) + what);
    }
  }

  // Runs one engine call, then handles its actions and checks the invariants.
  template <typename F>
  auto Call(F&& f) {
    std::unordered_map<SessionId, ContactView> before;
    if (cfg.check) {
      for (ContactView& c : engine->Contacts()) {
        if (c.state == ContactState::kWaiting) {
          before.emplace(c.id, std::move(c));
        }
      }
    }
    auto result = f();
    std::vector<Action> actions = engine->TakeActions();
    for (const ContactEvent& e : engine->TakeEvents()) {
      if (e.kind == ContactEvent::Kind::kAnswered) {
        stats.answer_waits.push_back(static_cast<double>(e.wait) / kSeconds);
        stats.answer_times.push_back(static_cast<double>(now - kStart) / kSeconds);
      }
    }
    if (cfg.check) {
      CheckOrder(actions, before);
    }
    for (Action& a : actions) {
      Handle(a);
    }
    if (cfg.check) {
      ++stats.checks;
      std::vector<std::string> found;
      CheckState(*engine, now, &found);
      for (std::string& v : found) {
        Violation(std::move(v));
      }
    }
    return result;
  }

  // An offer must go to the best contact the agent could take instead.
  void CheckOrder(const std::vector<Action>& actions,
                  const std::unordered_map<SessionId, ContactView>& before) {
    const RoutingConfig& rc = engine->config();
    for (const Action& act : actions) {
      const auto* o = std::get_if<OfferAction>(&act);
      if (o == nullptr) {
        continue;
      }
      auto c = engine->Contact(o->contact);
      auto a = engine->Agent(o->agent);
      if (!c || !a) {
        continue;
      }
      const QueueConfig* q = rc.FindQueue(c->queue);
      if (q != nullptr && q->restricted && IntOf(a->attributes, "outsourced") != 0) {
        Violation("restricted queue " + q->name + " offered to outsourced agent " + a->id);
      }
      if (sticky_call) {
        continue;
      }
      const auto cch = static_cast<size_t>(c->channel);
      for (const auto& [id, d] : before) {
        if (id == c->id) {
          continue;
        }
        auto now_d = engine->Contact(id);
        if (!now_d || now_d->state != ContactState::kWaiting) {
          continue;
        }
        const auto dch = static_cast<size_t>(now_d->channel);
        const uint32_t count_d = a->count[dch] - (dch == cch ? 1 : 0);
        if (a->cost[dch] > a->cost[cch] || (a->cap[dch] != 0 && count_d >= a->cap[dch])) {
          continue;
        }
        // Eligible before and after the call (an exclusion may lapse, or a step change, in
        // the same instant as the offer).
        if (Eligible(rc, d, *a) && Eligible(rc, *now_d, *a) && KeyOf(d) < KeyOf(*c)) {
          auto describe = [](const ContactView& v) {
            return std::to_string(v.id) + " (" + v.queue + " step " + std::to_string(v.step) +
                   " ch " + std::to_string(static_cast<int>(v.channel)) + " aged " +
                   std::to_string(v.aged) + " pri " + std::to_string(v.priority) + " seq " +
                   std::to_string(v.seq) + ")";
          };
          Violation("agent " + a->id + " got contact " + describe(*c) + " while better " +
                    describe(d) + " waits");
        }
      }
    }
  }

  void Handle(const Action& act) {
    if (const auto* o = std::get_if<OfferAction>(&act)) {
      ++stats.offers;
      pending.emplace(o->contact, o->agent, o->attempt);
      const double r = Uniform();
      const Micros delay = cfg.max_answer_delay > 0
                               ? std::min<Micros>(cfg.max_answer_delay,
                                                  static_cast<Micros>(Uniform() *
                                                                      cfg.max_answer_delay))
                               : 0;
      const SessionId cid = o->contact;
      const std::string agent = o->agent;
      const uint64_t attempt = o->attempt;
      if (r < cfg.p_miss) {
        if (Uniform() < cfg.p_late_accept) {
          At(now + o->timeout + kSeconds, [this, cid, agent, attempt] {
            DoAccept(cid, agent, attempt);
          });
        }
      } else if (r < cfg.p_miss + cfg.p_reject) {
        At(now + delay, [this, cid, agent, attempt] { DoReject(cid, agent, attempt); });
      } else {
        At(now + delay, [this, cid, agent, attempt] { DoAccept(cid, agent, attempt); });
      }
    } else if (const auto* w = std::get_if<OfferWithdrawn>(&act)) {
      pending.erase({w->contact, w->agent, w->attempt});
    } else if (const auto* f = std::get_if<Overflowed>(&act)) {
      if (f->leave_message) {
        if (open.erase(f->contact) == 0) {
          Violation("contact " + std::to_string(f->contact) + " overflowed twice");
        }
        ++stats.overflowed;
      }
    } else if (const auto* p = std::get_if<AgentPresence>(&act)) {
      const std::string id = p->agent;
      if (p->state == AgentState::kAway) {
        ++stats.set_away;
        At(now + Exp(cfg.mean_away), [this, id] {
          if (engine->Agent(id) && engine->Agent(id)->signed_in) {
            Status st = Call([&] { return engine->SetPresence(id, Presence::kAvailable, now); });
            (void)st;
          }
        });
      } else if (p->state == AgentState::kWrapUp) {
        At(now + Exp(cfg.mean_ready_delay), [this, id] {
          auto v = engine->Agent(id);
          if (v && v->signed_in && v->wrap_up) {
            Status st = Call([&] { return engine->Ready(id, now); });
            (void)st;
          }
        });
      }
    }
  }

  void DoAccept(SessionId cid, const std::string& agent, uint64_t attempt) {
    const bool expected = pending.contains({cid, agent, attempt});
    const Status st = Call([&] { return engine->Accept(cid, agent, attempt, now); });
    if (expected && !st.ok()) {
      Violation("accept of pending offer " + std::to_string(attempt) + " refused: " +
                st.ToString());
    }
    if (!expected) {
      if (st.ok()) {
        Violation("late accept of " + std::to_string(cid) + " by " + agent + " landed");
      } else {
        ++stats.late_accepts_refused;
      }
      return;
    }
    if (!st.ok()) {
      return;
    }
    ++stats.accepts;
    std::erase_if(pending, [&](const auto& t) { return std::get<0>(t) == cid; });
    SimContact& c = open.at(cid);
    c.answered_once = true;
    c.agent = agent;
    const uint64_t gen = ++c.gen;
    At(now + Handle(), [this, cid, gen] { Complete(cid, gen); });
  }

  void DoReject(SessionId cid, const std::string& agent, uint64_t attempt) {
    const bool expected = pending.contains({cid, agent, attempt});
    const Status st = Call([&] { return engine->Reject(cid, agent, attempt, now); });
    if (expected != st.ok()) {
      Violation("reject of offer " + std::to_string(attempt) + ": expected " +
                (expected ? "ok" : "refused") + ", got " + st.ToString());
    }
    if (st.ok()) {
      ++stats.rejects;
      pending.erase({cid, agent, attempt});
    }
  }

  void Complete(SessionId cid, uint64_t gen) {
    auto it = open.find(cid);
    if (it == open.end() || it->second.gen != gen) {
      return;
    }
    auto view = engine->Contact(cid);
    if (!view || view->state != ContactState::kActive || view->agent != it->second.agent) {
      return;  // requeued meanwhile (its agent signed out)
    }
    Status st;
    const double r = Uniform();
    double edge = 0;
    if (bot_queues.contains(view->queue)) {
      static const char* kIntents[] = {"return", "order", "complaint", "other"};
      const char* intent = kIntents[rng() % 4];
      st = Call([&] { return engine->Handoff(cid, "", intent, "summary", now); });
      ++stats.handoffs;
    } else if (r < (edge += cfg.p_transfer) && !cfg.transfer_queue.empty()) {
      st = Call([&] { return engine->TransferToQueue(cid, cfg.transfer_queue, now); });
      stats.transfers += st.ok() ? 1 : 0;
    } else if (r < (edge += cfg.p_transfer_agent)) {
      std::string target;
      for (int tries = 0; tries < 5 && target.empty(); ++tries) {
        const size_t i = rng() % agent_infos.size();
        if (agent_on[i] && agent_infos[i].id != view->agent) {
          target = agent_infos[i].id;
        }
      }
      if (!target.empty()) {
        st = Call([&] { return engine->TransferToAgent(cid, target, now); });
        stats.transfers += st.ok() ? 1 : 0;
      } else {
        st = Status(Code::kBadRequest, "no target");
      }
    } else if (r < (edge += cfg.p_escalate) && !view->follow_up) {
      st = Call([&] { return engine->Escalate(cid, now); });
      stats.escalations += st.ok() ? 1 : 0;
    } else if (r < (edge += cfg.p_requeue)) {
      st = Call([&] { return engine->Requeue(cid, now); });
      stats.requeues += st.ok() ? 1 : 0;
    } else {
      st = Status(Code::kBadRequest, "close");
    }
    if (st.ok()) {
      ++it->second.gen;
      it->second.agent.clear();
      return;
    }
    // Otherwise (a refused move, or a plain close) the agent closes it.
    const Status closed = Call([&] { return engine->Close(cid, now); });
    if (!closed.ok()) {
      Violation("close of " + std::to_string(cid) + " refused: " + closed.ToString());
      return;
    }
    open.erase(cid);
    ++stats.answered;
  }

  void Arrival(const std::string& customer) {
    const SessionId id = next_contact++;
    ContactInfo info = cfg.make_contact(id, rng);
    if (!customer.empty()) {
      info.customer_id = customer;
    }
    if (cfg.p_returning > 0 && Uniform() < cfg.p_returning && !agent_infos.empty()) {
      info.last_agent = agent_infos[rng() % agent_infos.size()].id;
      info.last_served_at = now - 60 * kSeconds;
    }
    ++stats.arrivals;
    open[id] = SimContact{now, info.customer_id, false, 0, ""};
    sticky_call = !info.last_agent.empty();
    auto placed = Call([&] { return engine->Arrive(info, now); });
    sticky_call = false;
    if (!placed.ok()) {
      open.erase(id);
      if (placed.status().code() == Code::kBusy) {
        ++stats.busy;
      } else {
        Violation("arrival refused: " + placed.status().ToString());
      }
      return;
    }
    if (cfg.mean_patience > 0) {
      At(now + Exp(cfg.mean_patience), [this, id] { Patience(id); });
    }
    if (cfg.p_position_request > 0 && Uniform() < cfg.p_position_request) {
      At(now + Exp(10 * kSeconds), [this, id] {
        auto v = engine->Contact(id);
        if (v && v->state == ContactState::kWaiting) {
          const Status st = Call([&] { return engine->PositionRequest(id, now); });
          if (!st.ok()) {
            Violation("position request refused: " + st.ToString());
          }
        }
      });
    }
  }

  void Patience(SessionId id) {
    auto it = open.find(id);
    if (it == open.end() || it->second.answered_once) {
      return;
    }
    const std::string customer = it->second.customer;
    const Status st = Call([&] { return engine->Abandon(id, now); });
    if (!st.ok()) {
      Violation("abandon of " + std::to_string(id) + " refused: " + st.ToString());
      return;
    }
    std::erase_if(pending, [&](const auto& t) { return std::get<0>(t) == id; });
    open.erase(id);
    ++stats.abandoned;
    if (cfg.p_rejoin > 0 && Uniform() < cfg.p_rejoin && now < end_of_arrivals) {
      At(now + Exp(3 * kSeconds), [this, customer] { Arrival(customer); });
    }
  }

  void ScheduleArrival() {
    const auto gap = static_cast<Micros>(
        std::exponential_distribution<double>(cfg.arrivals_per_second)(rng) * kSeconds);
    const TimePoint at = now + std::max<Micros>(gap, 1);
    if (at >= end_of_arrivals) {
      return;
    }
    At(at, [this] {
      Arrival("");
      ScheduleArrival();
    });
  }

  void SignIn(size_t i) {
    const Status st = Call([&] { return engine->SignIn(agent_infos[i], now); });
    if (!st.ok()) {
      Violation("sign-in refused: " + st.ToString());
      return;
    }
    agent_on[i] = true;
    if (cfg.mean_signed_in > 0) {
      At(now + Exp(cfg.mean_signed_in), [this, i] { SignOut(i); });
    }
  }

  void SignOut(size_t i) {
    if (!agent_on[i]) {
      return;
    }
    if (now >= end_of_arrivals) {
      return;  // everyone stays for the drain
    }
    const std::string id = agent_infos[i].id;
    Status st = Call([&] { return engine->SignOut(id, now); });
    if (!st.ok()) {
      Violation("sign-out refused: " + st.ToString());
      return;
    }
    ++stats.sign_outs;
    agent_on[i] = false;
    // Its answered contacts go back to their queues (the worker is gone).
    for (auto& [cid, c] : open) {
      if (c.agent == id) {
        auto v = engine->Contact(cid);
        if (v && v->state == ContactState::kActive && v->agent == id) {
          const SessionId copy = cid;
          st = Call([&] { return engine->Requeue(copy, now); });
          if (!st.ok()) {
            Violation("requeue refused: " + st.ToString());
          }
          ++c.gen;
          c.agent.clear();
        }
      }
    }
    At(now + Exp(cfg.mean_off), [this, i] { SignIn(i); });
  }

  void Reload() {
    if (now >= end_of_arrivals || cfg.reloads.empty()) {
      return;
    }
    reload_index = (reload_index + 1) % (cfg.reloads.size() + 1);
    const RoutingConfig& next = reload_index == 0 ? cfg.routing : cfg.reloads[reload_index - 1];
    const Status st = Call([&] { return engine->Reconfigure(next, now); });
    if (!st.ok()) {
      Violation("reconfigure refused: " + st.ToString());
    }
    NoteBots(next);
    ++stats.reconfigures;
    At(now + cfg.reconfigure_every, [this] { Reload(); });
  }

  // The engine's open contacts are the ones the simulation has not seen end.
  void CheckCount() {
    if (!cfg.check || engine->contacts() == open.size()) {
      return;
    }
    Violation("engine has " + std::to_string(engine->contacts()) + " open contacts, " +
              std::to_string(open.size()) + " expected");
    for (const auto& [id, c] : open) {
      if (!engine->Contact(id)) {
        Violation("contact " + std::to_string(id) + " vanished from the engine");
        open.erase(id);
        break;
      }
    }
  }

  SimStats Run() {
    end_of_arrivals = kStart + cfg.duration;
    for (int i = 0; i < cfg.agents; ++i) {
      agent_infos.push_back(cfg.make_agent(i, rng));
      agent_on.push_back(false);
    }
    for (size_t i = 0; i < agent_infos.size(); ++i) {
      SignIn(i);
    }
    ScheduleArrival();
    if (cfg.reconfigure_every > 0) {
      At(now + cfg.reconfigure_every, [this] { Reload(); });
    }
    const TimePoint limit = end_of_arrivals + cfg.drain_limit;
    while (now < limit) {
      if (now >= end_of_arrivals && open.empty()) {
        break;
      }
      const std::optional<TimePoint> deadline = engine->NextDeadline();
      const bool have_event = !events.empty();
      if (!have_event && !deadline) {
        break;
      }
      if (deadline && (!have_event || *deadline <= events.top().at)) {
        now = std::max(now, *deadline);
        Call([&] {
          engine->Tick(now);
          return 0;
        });
        CheckCount();
        continue;
      }
      Event e = events.top();
      events.pop();
      now = std::max(now, e.at);
      e.fn();
      CheckCount();
    }
    stats.drained = open.empty();
    stats.repairs = engine->repairs();
    if (!stats.drained) {
      Violation(std::to_string(open.size()) + " contacts never ended");
      for (const auto& [id, c] : open) {
        auto v = engine->Contact(id);
        if (!v) {
          Violation("contact " + std::to_string(id) + " is gone from the engine");
          continue;
        }
        Violation("contact " + std::to_string(id) + " state " +
                  std::to_string(static_cast<int>(v->state)) + " queue " + v->queue + " step " +
                  std::to_string(v->step) + " channel " +
                  std::to_string(static_cast<int>(v->channel)) + " agent '" + v->agent +
                  "' offered " + std::to_string(v->offered_to.size()) + " sim agent '" +
                  c.agent + "' answered " + std::to_string(c.answered_once));
      }
      for (const AgentView& a : engine->Agents()) {
        Violation("agent " + a.id + " in " + std::to_string(a.signed_in) + " presence " +
                  std::to_string(static_cast<int>(a.presence)) + " wrap " +
                  std::to_string(a.wrap_up) + " used " + std::to_string(a.used) + "/" +
                  std::to_string(a.budget));
      }
    }
    return std::move(stats);
  }
};

Simulation::Simulation(SimConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Simulation::~Simulation() = default;
SimStats Simulation::Run() { return impl_->Run(); }

}  // namespace switchboard::sim
