#include "runner.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "draws.h"
#include "payload.h"
#include "rate_schedule.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/worker.h"

namespace switchboard::bench {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using client::ErrorCode;

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerS = 1'000'000'000;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
constexpr auto kIdlePoll = 50ms;  // the longest a thread waits before looking at the flags

int64_t ToNs(double seconds) {
  if (!std::isfinite(seconds)) {
    return kNever;
  }
  return static_cast<int64_t>(seconds * 1e9);
}

double ProcessCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Counters every thread adds to and the main thread reads once a second.
struct Live {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> replies_sent{0};
  std::atomic<uint64_t> replies_received{0};
  std::atomic<uint64_t> busy{0};
  std::atomic<uint64_t> refused{0};  // customer messages answered with an error but Busy
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> stale_offers{0};
  std::atomic<uint64_t> over_capacity{0};
  std::atomic<uint64_t> credit_waits{0};
  std::atomic<int64_t> credit_wait_ns{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> arrivals{0};
  std::atomic<uint64_t> offered{0};
  std::atomic<uint64_t> answered{0};
  std::atomic<uint64_t> stray{0};
  // --patience: customers whose CustomerLeft closed their session; of those, the ones an
  // agent had accepted first; customers whose patience ran out before their first message
  // could be sent (window full), who leave without a word; sessions workers hold.
  std::atomic<uint64_t> left{0};
  std::atomic<uint64_t> left_after_answer{0};
  std::atomic<uint64_t> left_unsent{0};
  std::atomic<int64_t> held{0};
  std::atomic<uint64_t> late_to_left{0};  // replies/closes of a session its customer had left
};

// What one thread measured; merged after the threads are joined. The interval histogram is
// also read by the main thread once a second, under `mu`.
struct ThreadStats {
  Histogram latency;        // send -> worker receive, intended send time in the window
  Histogram reply_latency;  // reply -> adapter receive, in the window
  Histogram wait;           // arrival -> accept, arrival in the window
  ContactCentreCounts cc;   // the window's share of the counts this thread sees

  std::mutex mu;
  Histogram interval;  // guarded by mu
};

struct Shared {
  Shared(const Settings& settings, std::string ep) : s(settings), endpoint(std::move(ep)) {}

  int64_t Now() const { return (SteadyClock::now() - origin).count(); }
  bool InWindow(int64_t t) const { return t >= warm_ns && t < load_end_ns; }
  void SleepUntil(int64_t t) const {
    std::this_thread::sleep_until(origin + std::chrono::nanoseconds(t));
  }

  // A client cannot go on: the run fails.
  void Fatal(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu);
    if (fatal.empty()) {
      fatal = what;
    }
    failed.store(true);
  }
  // An error answer worth a note in the report: counted by kind, the first reason kept.
  void NoteError(const std::string& kind, const std::string& example) {
    live.errors.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu);
    auto [it, fresh] = error_kinds.try_emplace(kind, 0, example);
    ++it->second.first;
  }

  const Settings& s;
  const std::string endpoint;
  std::string prefix;
  SteadyClock::time_point origin;  // set before `go`; the load's time 0
  int64_t warm_ns = 0;
  int64_t load_end_ns = 0;

  std::atomic<int> ready{0};    // clients signed in (or given up)
  std::atomic<bool> go{false};  // the load clock runs
  std::atomic<bool> finish{false};
  std::atomic<bool> failed{false};
  std::atomic<int> idle_adapters{0};  // adapters done with everything they sent
  Live live;

  std::mutex mu;
  std::string fatal;                                                    // guarded by mu
  std::map<std::string, std::pair<uint64_t, std::string>> error_kinds;  // guarded by mu
};

// --- Adapters: the customers ---

class AdapterSim {
 public:
  AdapterSim(Shared& sh, int index, ThreadStats& stats)
      : sh_(sh),
        s_(sh.s),
        index_(index),
        stats_(stats),
        rng_(s_.seed * 7919 + index),
        think_rng_(s_.seed * 6271 + index + 1),
        patience_rng_(s_.seed * 3571 + index + 2) {}

  void Run() {
    client::AdapterOptions o;
    o.client_id = sh_.prefix + "-adapter-" + std::to_string(index_);
    o.channels = {client::Channel::kIm};
    o.window = s_.window;
    o.heartbeat = std::chrono::milliseconds(s_.heartbeat_ms);
    o.connect_timeout = 15s;
    auto adapter = client::Adapter::Connect(sh_.endpoint, o);
    if (!adapter.ok()) {
      sh_.Fatal(o.client_id + " cannot sign in: " + adapter.error().ToString());
      sh_.ready.fetch_add(1);
      return;
    }
    adapter_.emplace(std::move(adapter).value());
    sh_.ready.fetch_add(1);
    for (int t = 0; t < s_.tenants; ++t) {
      tenants_.push_back("tenant-" + std::to_string(t));
    }
    while (!sh_.go.load() && !sh_.finish.load()) {
      events_.clear();
      adapter_->Poll(10ms, events_);
    }
    if (s_.mode == Mode::kRaw) {
      RunRaw();
    } else {
      RunContactCentre();
    }
  }

 private:
  struct Customer {
    std::string id;
    int tenant = 0;
    uint32_t count = 1;  // messages it means to send
    uint32_t next = 0;   // the next message's index
    int64_t arrival_ns = 0;
    int64_t handle_ns = 0;
    int64_t first_reply_ns = -1;
    bool offered = false;  // the broker acknowledged its first message
    bool left = false;     // sent CustomerLeft: sends nothing more, waits for the SessionClosed
  };
  // A first message sent, until the broker's Acked (offered) or error (turned away).
  struct First {
    uint64_t customer;
    int64_t arrival_ns;
  };
  struct Due {
    int64_t at;
    uint64_t customer;
    uint32_t index;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  // Sends one message; false if the window is full (counted as a credit wait once per stall)
  // or the library refused it.
  bool TrySend(int64_t now) {
    if (!Sent(adapter_->Send(message_), now, "a customer message")) {
      return false;
    }
    sh_.live.sent.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // The credit bookkeeping of one send (a customer message or a CustomerLeft); false if it
  // was not sent. Sets last_seq_.
  bool Sent(const client::Result<uint64_t>& seq, int64_t now, const char* what) {
    if (!seq.ok()) {
      if (seq.code() == ErrorCode::kWouldBlock) {
        if (!blocked_) {
          blocked_ = true;
          blocked_since_ = now;
          sh_.live.credit_waits.fetch_add(1, std::memory_order_relaxed);
        }
      } else {
        sh_.Fatal(std::string("sending ") + what + " failed: " + seq.error().ToString());
      }
      return false;
    }
    if (blocked_) {
      blocked_ = false;
      sh_.live.credit_wait_ns.fetch_add(now - blocked_since_, std::memory_order_relaxed);
    }
    last_seq_ = *seq;
    return true;
  }

  // Waits for whatever comes first: an event, `wake` (a time on the load clock), or a short
  // while. Sub-millisecond waits sleep (the client's own wait has millisecond resolution).
  void WaitAndHandle(int64_t wake) {
    const int64_t now = sh_.Now();
    std::chrono::milliseconds timeout = 0ms;
    if (blocked_) {
      timeout = 1ms;  // returns as soon as an Acked arrives
    } else if (wake == kNever) {
      timeout = kIdlePoll;
    } else if (wake - now >= 2 * kNsPerMs) {
      timeout = std::min<std::chrono::milliseconds>(
          std::chrono::milliseconds((wake - now) / kNsPerMs - 1), kIdlePoll);
    }
    events_.clear();
    adapter_->Poll(timeout, events_);
    Handle();
    if (timeout == 0ms && !blocked_ && wake != kNever && events_.empty()) {
      const int64_t left = wake - sh_.Now();
      if (left > 0) {
        sh_.SleepUntil(std::min(wake, sh_.Now() + 2 * kNsPerMs));
      }
    }
  }

  void MarkIdle(bool idle) {
    if (idle != idle_) {
      idle_ = idle;
      sh_.idle_adapters.fetch_add(idle ? 1 : -1);
    }
  }

  void RunRaw() {
    const double rate = s_.rate / s_.adapters;
    ArrivalClock clock(rate, s_.schedule, s_.poisson, s_.seed * 104729 + index_);
    int64_t next = rate > 0 ? ToNs(clock.Next()) : 0;
    std::vector<std::string> customers;
    for (int c = 0; c < s_.sessions; ++c) {
      customers.push_back("a" + std::to_string(index_) + "-c" + std::to_string(c));
    }
    message_.channel = client::Channel::kIm;
    uint64_t n = 0;
    bool stopped = false;
    while (!sh_.finish.load(std::memory_order_relaxed)) {
      const int64_t now = sh_.Now();
      if (!stopped) {
        if (now >= sh_.load_end_ns) {
          stopped = true;
        } else if (rate == 0) {
          // Credit-bound: fill the window, intended time = now (closed loop).
          for (size_t i = 0; i < s_.window; ++i) {
            PrepareRaw(n, now, customers);
            if (!TrySend(now)) {
              break;
            }
            ++n;
          }
        } else {
          while (next <= now && next < sh_.load_end_ns) {
            PrepareRaw(n, next, customers);
            if (!TrySend(now)) {
              break;
            }
            ++n;
            next = ToNs(clock.Next());
          }
          if (next >= sh_.load_end_ns) {
            stopped = true;
          }
        }
      }
      MarkIdle(stopped && adapter_->pending() == 0);
      WaitAndHandle(stopped ? kNever : (rate == 0 ? sh_.Now() : next));
    }
  }

  void PrepareRaw(uint64_t n, int64_t intended, const std::vector<std::string>& customers) {
    const size_t c = n % customers.size();
    message_.customer_id = customers[c];
    message_.tenant = tenants_[c % tenants_.size()];
    Payload p;
    p.customer = n;
    p.intended_ns = intended;
    EncodePayload(p, s_.message_size, message_.text);
  }

  void RunContactCentre() {
    ArrivalClock arrivals(s_.arrival_rate / s_.adapters, s_.schedule, s_.poisson,
                          s_.seed * 104729 + index_);
    int64_t next_arrival = ToNs(arrivals.Next());
    bool stopped = false;
    message_.channel = client::Channel::kIm;
    while (!sh_.finish.load(std::memory_order_relaxed)) {
      const int64_t now = sh_.Now();
      if (!stopped) {
        while (next_arrival <= now && next_arrival < sh_.load_end_ns) {
          NewCustomer(next_arrival);
          next_arrival = ToNs(arrivals.Next());
        }
        stopped = next_arrival >= sh_.load_end_ns;
      }
      while (!due_.empty() && due_.top().at <= now) {
        const Due d = due_.top();
        auto it = customers_.find(d.customer);
        if (it == customers_.end()) {
          due_.pop();
          continue;
        }
        Customer& c = it->second;
        Payload p;
        p.customer = d.customer;
        p.index = d.index;
        p.count = c.count;
        p.intended_ns = d.at;
        p.arrival_ns = c.arrival_ns;
        p.handle_ns = c.handle_ns;
        message_.tenant = tenants_[static_cast<size_t>(c.tenant)];
        message_.customer_id = c.id;
        EncodePayload(p, s_.message_size, message_.text);
        if (!TrySend(now)) {
          break;
        }
        due_.pop();
        if (d.index == 0) {
          first_seq_[last_seq_] = First{d.customer, c.arrival_ns};
        }
        c.next = d.index + 1;
      }
      LosePatience(now);
      MarkIdle(stopped && customers_.empty() && adapter_->pending() == 0);
      int64_t wake = stopped ? kNever : next_arrival;
      if (!due_.empty()) {
        wake = std::min(wake, due_.top().at);
      }
      if (!patience_.empty()) {
        wake = std::min(wake, patience_.top().first);
      }
      WaitAndHandle(wake);
    }
    // Offered, not answered as far as the customer saw (no reply), not left: still waiting.
    for (const auto& [n, c] : customers_) {
      if (c.offered && !c.left && c.first_reply_ns < 0 && sh_.InWindow(c.arrival_ns)) {
        ++stats_.cc.still_waiting;
      }
    }
  }

  // Customers whose patience has run out before any reply leave: CustomerLeft, then nothing
  // more. The broker decides the race with an agent's accept: if the accept came first the
  // session was answered (its worker counts it, and that the customer left after), else the
  // contact is abandoned. Either way the broker closes it with disposition abandoned.
  void LosePatience(int64_t now) {
    while (!patience_.empty() && patience_.top().first <= now) {
      const uint64_t n = patience_.top().second;
      auto it = customers_.find(n);
      if (it == customers_.end() || it->second.first_reply_ns >= 0 || it->second.left) {
        patience_.pop();  // turned away, closed, or answered in time
        continue;
      }
      Customer& c = it->second;
      if (c.next == 0) {
        // Its first message never went out (the window was full): no session to leave.
        patience_.pop();
        sh_.live.left_unsent.fetch_add(1, std::memory_order_relaxed);
        customers_.erase(it);
        continue;
      }
      if (!Sent(adapter_->CustomerLeft(tenants_[static_cast<size_t>(c.tenant)],
                                       client::Channel::kIm, c.id),
                now, "a CustomerLeft")) {
        return;  // window full: again when there is room
      }
      patience_.pop();
      c.left = true;
    }
  }

  void NewCustomer(int64_t at) {
    const uint64_t n = next_customer_++;
    Customer c;
    c.id = "a" + std::to_string(index_) + "-c" + std::to_string(n);
    c.tenant = static_cast<int>(n % static_cast<uint64_t>(s_.tenants));
    c.count = DrawMessageCount(rng_, s_.messages_per_session);
    c.arrival_ns = at;
    c.handle_ns = ToNs(DrawHandleTime(
        rng_, s_.handle_time_s, s_.handle_dist == HandleDistribution::kLogNormal, s_.handle_sigma));
    if (s_.patience_s > 0) {
      const double patience =
          DrawPatience(patience_rng_, s_.patience_s,
                       s_.patience_dist == HandleDistribution::kLogNormal, s_.patience_sigma);
      patience_.emplace(at + ToNs(std::min(patience, 1e6)), n);
    }
    customers_.emplace(n, std::move(c));
    due_.push(Due{at, n, 0});
    sh_.live.arrivals.fetch_add(1, std::memory_order_relaxed);
    if (sh_.InWindow(at)) {
      ++stats_.cc.arrivals;
    }
  }

  // The customer number in an id "a<adapter>-c<n>".
  static std::optional<uint64_t> CustomerNumber(const std::string& id) {
    const size_t at = id.rfind("-c");
    uint64_t n = 0;
    if (at == std::string::npos) {
      return std::nullopt;
    }
    const auto [end, ec] = std::from_chars(id.data() + at + 2, id.data() + id.size(), n);
    if (ec != std::errc() || end != id.data() + id.size()) {
      return std::nullopt;
    }
    return n;
  }

  void Handle() {
    for (client::Event& event : events_) {
      if (auto* a = std::get_if<client::Acked>(&event)) {
        sh_.live.acked.fetch_add(a->up_to - acked_, std::memory_order_relaxed);
        acked_ = a->up_to;
        while (!first_seq_.empty() && first_seq_.begin()->first <= a->up_to) {
          // The broker queued this customer's first message: a contact was offered. (Its
          // session may already be closed: a customer who left at once.)
          const First& f = first_seq_.begin()->second;
          sh_.live.offered.fetch_add(1, std::memory_order_relaxed);
          if (sh_.InWindow(f.arrival_ns)) {
            ++stats_.cc.offered;
          }
          if (auto it = customers_.find(f.customer); it != customers_.end()) {
            it->second.offered = true;
          }
          first_seq_.erase(first_seq_.begin());
        }
      } else if (auto* d = std::get_if<client::Delivery>(&event)) {
        OnDelivery(*d);
        (void)adapter_->Ack(d->delivery_id);
      } else if (auto* c = std::get_if<client::SessionClosed>(&event)) {
        if (auto n = CustomerNumber(c->customer_id)) {
          auto it = customers_.find(*n);
          if (it != customers_.end()) {
            if (it->second.left && c->disposition == client::Disposition::kAbandoned) {
              // Closed by its CustomerLeft (answered first or not: the worker knows).
              sh_.live.left.fetch_add(1, std::memory_order_relaxed);
              if (sh_.InWindow(it->second.arrival_ns)) {
                ++stats_.cc.left;
              }
            }
            customers_.erase(it);
          }
        }
        (void)adapter_->Ack(c->delivery_id);
      } else if (auto* e = std::get_if<client::ErrorEvent>(&event)) {
        OnError(*e);
      } else if (std::holds_alternative<client::Reconnected>(event)) {
        sh_.live.reconnects.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void OnDelivery(const client::Delivery& d) {
    if (d.from != client::Party::kAgent) {
      return;
    }
    const int64_t now = sh_.Now();
    sh_.live.replies_received.fetch_add(1, std::memory_order_relaxed);
    const auto p = DecodePayload(d.text);
    if (!p) {
      sh_.NoteError("unreadable reply", d.text.substr(0, 40));
      return;
    }
    if (sh_.InWindow(p->intended_ns)) {
      stats_.reply_latency.Record(now - p->intended_ns);
    }
    auto it = customers_.find(p->customer);
    if (it == customers_.end()) {
      return;
    }
    Customer& c = it->second;
    if (c.left) {
      return;  // answered after all, but this customer has gone: it says nothing more
    }
    if (p->index + 1 != c.next) {
      return;  // a reply to an earlier message (sent again after an agent's crash)
    }
    if (c.first_reply_ns < 0) {
      c.first_reply_ns = now;
    }
    if (c.next >= c.count) {
      return;  // said all it had to say; waits for the close
    }
    // The next message after a think time, unless the agent's handle time is nearly over:
    // a message that reached the broker after the agent's Close would open a new session.
    const int64_t at = now + ToNs(s_.think_time_s * UnitExponential(think_rng_));
    const int64_t margin = std::min<int64_t>(ToNs(0.25), c.handle_ns / 10);
    if (at < c.first_reply_ns + c.handle_ns - margin) {
      due_.push(Due{at, p->customer, c.next});
    }
  }

  void OnError(const client::ErrorEvent& e) {
    if (e.origin == client::ErrorOrigin::kBroker &&
        e.request == client::RequestKind::kCustomerLeft) {
      // kUnknownSession: its session was gone first (turned away Busy, or closed by its
      // agent). It waits for nothing more.
      if (e.error.code != ErrorCode::kUnknownSession) {
        sh_.NoteError("CustomerLeft refused: " + std::string(e.error.code_name()), e.error.reason);
      }
      if (auto n = CustomerNumber(e.customer_id)) {
        auto it = customers_.find(*n);
        if (it != customers_.end() && it->second.left) {
          customers_.erase(it);
        }
      }
      return;
    }
    if (e.origin == client::ErrorOrigin::kBroker &&
        e.request == client::RequestKind::kCustomerMessage) {
      if (e.error.code == ErrorCode::kBusy) {
        sh_.live.busy.fetch_add(1, std::memory_order_relaxed);
      } else {
        sh_.live.refused.fetch_add(1, std::memory_order_relaxed);
        sh_.NoteError(std::string("customer message refused: ") + std::string(e.error.code_name()),
                      e.error.reason);
      }
      auto first = first_seq_.find(e.error.ref_seq);
      if (first != first_seq_.end()) {
        // No session was opened: the customer was turned away.
        auto it = customers_.find(first->second.customer);
        if (it != customers_.end()) {
          if (sh_.InWindow(it->second.arrival_ns)) {
            ++stats_.cc.busy;
          }
          customers_.erase(it);
        }
        first_seq_.erase(first);
      }
      return;
    }
    sh_.NoteError(std::string("adapter: ") + std::string(e.error.code_name()), e.error.reason);
  }

  Shared& sh_;
  const Settings& s_;
  const int index_;
  ThreadStats& stats_;
  // Customers' draws (messages, handle time) come from rng_ in arrival order, so a seed
  // repeats them whatever the timing; think times, drawn as replies arrive, use their own.
  std::mt19937_64 rng_;
  std::mt19937_64 think_rng_;
  // Patience has its own generator, so that --patience leaves the other draws as they were.
  std::mt19937_64 patience_rng_;
  std::optional<client::Adapter> adapter_;
  std::vector<client::Event> events_;
  std::vector<std::string> tenants_;
  client::CustomerMessage message_;
  uint64_t last_seq_ = 0;
  uint64_t acked_ = 0;
  bool blocked_ = false;
  int64_t blocked_since_ = 0;
  bool idle_ = false;

  uint64_t next_customer_ = 0;
  std::unordered_map<uint64_t, Customer> customers_;  // live conversations
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::map<uint64_t, First> first_seq_;  // seq of a first message -> its customer
  // (patience runs out at, customer), --patience only
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>,
                      std::greater<>>
      patience_;
};

// --- Workers: the agents ---

class WorkerSim {
 public:
  WorkerSim(Shared& sh, int index, ThreadStats& stats)
      : sh_(sh), s_(sh.s), index_(index), stats_(stats) {
    crashes_ = s_.crash_at_s >= 0 && index_ < s_.crash_workers;
  }

  void Run() {
    if (!Connect()) {
      sh_.ready.fetch_add(1);
      return;
    }
    sh_.ready.fetch_add(1);
    while (!sh_.go.load() && !sh_.finish.load()) {
      events_.clear();
      worker_->Poll(10ms, events_);
      Handle(0);
    }
    const int64_t crash_at = crashes_ ? ToNs(s_.crash_at_s) : kNever;
    while (!sh_.finish.load(std::memory_order_relaxed)) {
      int64_t now = sh_.Now();
      if (!crashed_ && now >= crash_at) {
        Crash(now);
        continue;
      }
      if (!worker_.has_value()) {
        if (now >= restart_at_) {
          Restart();
        } else {
          std::this_thread::sleep_for(10ms);
        }
        continue;
      }
      FireTimers(now);
      std::chrono::milliseconds timeout = kIdlePoll;
      if (!timers_.empty()) {
        const int64_t gap = timers_.top().first - now;
        timeout = std::clamp<std::chrono::milliseconds>(
            std::chrono::milliseconds((gap + kNsPerMs - 1) / kNsPerMs), 0ms, kIdlePoll);
      }
      if (!crashed_ && crash_at != kNever) {
        timeout = std::min<std::chrono::milliseconds>(
            timeout, std::chrono::milliseconds(std::max<int64_t>(0, (crash_at - now) / kNsPerMs)));
      }
      events_.clear();
      worker_->Poll(timeout, events_);
      Handle(sh_.Now());
      worker_->Flush();
    }
  }

 private:
  struct Held {
    int64_t accepted_ns = 0;
    int64_t arrival_ns = 0;   // its customer's arrival, once its first message came
    uint32_t next_entry = 0;  // transcript index expected next (older ones are repeats)
    bool started = false;     // its first customer message arrived
    bool closing = false;
  };
  // A reply or close not yet acknowledged by the broker: done again after a crash.
  struct Unacked {
    uint64_t seq;
    uint64_t session;
    bool close;
    std::string text;
  };

  bool Connect() {
    client::WorkerOptions o;
    o.agent_id = sh_.prefix + "-agent-" + std::to_string(index_);
    o.group = s_.group;
    o.capacity = {{client::Channel::kIm, static_cast<uint16_t>(s_.agent_capacity)}};
    o.window = s_.window;
    o.heartbeat = std::chrono::milliseconds(s_.heartbeat_ms);
    o.connect_timeout = 15s;
    if (!s_.skills.empty()) {
      size_t start = 0;
      while (start < s_.skills.size()) {
        size_t comma = s_.skills.find(',', start);
        if (comma == std::string::npos) {
          comma = s_.skills.size();
        }
        std::string item = s_.skills.substr(start, comma - start);
        client::Skill skill;
        const size_t colon = item.find(':');
        skill.name = item.substr(0, colon);
        if (colon != std::string::npos) {
          skill.level =
              static_cast<uint8_t>(std::clamp(std::atoi(item.c_str() + colon + 1), 1, 255));
        }
        if (!skill.name.empty()) {
          o.skills.push_back(skill);
        }
        start = comma + 1;
      }
    }
    auto worker = client::Worker::Connect(sh_.endpoint, o);
    if (!worker.ok()) {
      sh_.Fatal(o.agent_id + " cannot sign in: " + worker.error().ToString());
      return false;
    }
    worker_.emplace(std::move(worker).value());
    acked_ = 0;
    return true;
  }

  // Drops the connection without a word, as a killed process would; what the agent had
  // done but the broker had not acknowledged is done again after the restart.
  void Crash(int64_t now) {
    crashed_ = true;
    worker_.reset();
    restart_at_ = s_.crash_restart_after_s < 0 ? kNever : now + ToNs(s_.crash_restart_after_s);
    redo_.assign(unacked_.begin(), unacked_.end());
    unacked_.clear();
  }

  void Restart() {
    if (!Connect()) {
      restart_at_ = kNever;
      return;
    }
    sh_.live.reconnects.fetch_add(1, std::memory_order_relaxed);
    for (const Unacked& u : redo_) {
      if (u.close) {
        DoClose(u.session, client::Disposition::kResolved);
      } else {
        DoReply(u.session, u.text);
      }
    }
    redo_.clear();
  }

  void DoReply(uint64_t session, const std::string& text) {
    auto seq = worker_->Reply(session, text);
    if (!seq.ok()) {
      sh_.NoteError("reply not sent: " + std::string(seq.error().code_name()), seq.error().reason);
      return;
    }
    sh_.live.replies_sent.fetch_add(1, std::memory_order_relaxed);
    if (crashes_) {
      unacked_.push_back(Unacked{*seq, session, false, text});
    }
  }

  bool DoClose(uint64_t session, client::Disposition disposition) {
    auto seq = worker_->Close(session, disposition);
    if (!seq.ok()) {
      if (seq.code() != ErrorCode::kWouldBlock) {
        sh_.NoteError("close not sent: " + std::string(seq.error().code_name()),
                      seq.error().reason);
      }
      return false;
    }
    if (crashes_) {
      unacked_.push_back(Unacked{*seq, session, true, {}});
    }
    return true;
  }

  void FireTimers(int64_t now) {
    while (!timers_.empty() && timers_.top().first <= now) {
      const uint64_t session = timers_.top().second;
      timers_.pop();
      auto it = held_.find(session);
      if (it == held_.end()) {
        continue;
      }
      if (!DoClose(session, client::Disposition::kResolved)) {
        timers_.emplace(now + kNsPerMs, session);  // window full: try again shortly
        return;
      }
      ++stats_.cc.handled;
      stats_.cc.handle_sum_s += static_cast<double>(now - it->second.accepted_ns) / 1e9;
      held_.erase(it);
    }
    PublishHeld();
  }

  // Tells the main thread how many sessions this worker holds (for the drain).
  void PublishHeld() {
    const auto n = static_cast<int64_t>(held_.size());
    if (n != published_held_) {
      sh_.live.held.fetch_add(n - published_held_, std::memory_order_relaxed);
      published_held_ = n;
    }
  }

  // The broker closed a session this agent holds: its customer left (CustomerLeft after
  // the accept). Answered, not abandoned; the agent does no more with it.
  void OnClosed(const client::SessionClosed& c) {
    auto it = held_.find(c.session_id);
    if (it == held_.end()) {
      return;
    }
    gone_.insert(c.session_id);
    if (it->second.started && c.disposition == client::Disposition::kAbandoned) {
      sh_.live.left_after_answer.fetch_add(1, std::memory_order_relaxed);
      if (sh_.InWindow(it->second.arrival_ns)) {
        ++stats_.cc.left_after_answer;
      }
    }
    held_.erase(it);
  }

  void Handle(int64_t now) {
    for (client::Event& event : events_) {
      if (auto* d = std::get_if<client::Delivery>(&event)) {
        OnDelivery(*d);
        (void)worker_->Ack(d->delivery_id);
      } else if (auto* o = std::get_if<client::Offer>(&event)) {
        if (held_.size() >= static_cast<size_t>(s_.agent_capacity)) {
          sh_.live.over_capacity.fetch_add(1, std::memory_order_relaxed);
        }
        auto seq = worker_->Accept(*o);
        if (!seq.ok()) {
          sh_.NoteError("accept not sent: " + std::string(seq.error().code_name()),
                        seq.error().reason);
          continue;
        }
        Held& h = held_[o->session_id];
        h = Held{};
        h.accepted_ns = now;
      } else if (auto* a = std::get_if<client::Acked>(&event)) {
        acked_ = a->up_to;
        while (!unacked_.empty() && unacked_.front().seq <= acked_) {
          unacked_.pop_front();
        }
      } else if (auto* c = std::get_if<client::SessionClosed>(&event)) {
        OnClosed(*c);
        (void)worker_->Ack(c->delivery_id);
      } else if (auto* e = std::get_if<client::ErrorEvent>(&event)) {
        OnError(*e);
      } else if (std::holds_alternative<client::Reconnected>(event)) {
        sh_.live.reconnects.fetch_add(1, std::memory_order_relaxed);
      }
    }
    PublishHeld();
    if (!interval_.empty()) {
      std::lock_guard<std::mutex> lock(stats_.mu);
      for (int64_t v : interval_) {
        stats_.interval.Record(v);
      }
      interval_.clear();
    }
  }

  void OnError(const client::ErrorEvent& e) {
    const ErrorCode code = e.error.code;
    if (code == ErrorCode::kStaleOffer) {
      sh_.live.stale_offers.fetch_add(1, std::memory_order_relaxed);
      held_.erase(e.session_id);
      return;
    }
    if (crashed_ && (code == ErrorCode::kUnknownSession || code == ErrorCode::kNotSessionOwner)) {
      return;  // a close or reply done again after the crash had already been processed
    }
    if (code == ErrorCode::kUnknownSession &&
        (e.request == client::RequestKind::kReply || e.request == client::RequestKind::kClose) &&
        (gone_.contains(e.session_id) || (s_.patience_s > 0 && held_.contains(e.session_id)))) {
      // A reply or close that crossed its customer's CustomerLeft.
      sh_.live.late_to_left.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    sh_.NoteError(std::string("worker: ") + std::string(e.error.code_name()) + " (" +
                      std::string(client::RequestKindName(e.request)) + ")",
                  e.error.reason);
  }

  void OnDelivery(const client::Delivery& d) {
    if (d.from != client::Party::kCustomer) {
      return;
    }
    const int64_t now = sh_.Now();
    const auto p = DecodePayload(d.text);
    if (!p) {
      sh_.NoteError("unreadable customer message", d.text.substr(0, 40));
      return;
    }
    auto [it, fresh] = held_.try_emplace(d.session_id);
    Held& h = it->second;
    if (fresh) {
      h.accepted_ns = now;  // its accept was before a crash, or it is a raw-mode surprise
    }
    if (d.index < h.next_entry) {
      sh_.live.duplicates.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    h.next_entry = d.index + 1;
    sh_.live.received.fetch_add(1, std::memory_order_relaxed);
    // In a conversation the first message waits in the queue for an agent: that wait is
    // measured apart (arrival -> accept), so message latency counts the later ones only.
    if (s_.mode == Mode::kRaw || p->index > 0) {
      const int64_t latency = now - p->intended_ns;
      if (sh_.InWindow(p->intended_ns)) {
        stats_.latency.Record(latency);
      }
      interval_.push_back(latency);
    }
    if (s_.mode == Mode::kRaw) {
      return;
    }
    if (!h.started) {
      h.started = true;
      if (p->index != 0) {
        // A message that reached the broker after this customer's session closed opened a
        // new one: close it at once.
        sh_.live.stray.fetch_add(1, std::memory_order_relaxed);
        if (DoClose(d.session_id, client::Disposition::kUnresolved)) {
          held_.erase(it);
        }
        return;
      }
      h.arrival_ns = p->arrival_ns;
      const int64_t wait = h.accepted_ns - p->arrival_ns;
      sh_.live.answered.fetch_add(1, std::memory_order_relaxed);
      if (sh_.InWindow(p->arrival_ns)) {
        ++stats_.cc.answered;
        stats_.cc.wait_sum_s += static_cast<double>(wait) / 1e9;
        stats_.wait.Record(wait);
        if (wait <= ToNs(s_.sl_threshold_s)) {
          ++stats_.cc.answered_within_threshold;
        }
      }
      timers_.emplace(std::max(h.accepted_ns + p->handle_ns, now), d.session_id);
    }
    Payload reply;
    reply.customer = p->customer;
    reply.index = p->index;
    reply.intended_ns = now;
    EncodePayload(reply, s_.message_size, reply_text_);
    DoReply(d.session_id, reply_text_);
  }

  Shared& sh_;
  const Settings& s_;
  const int index_;
  ThreadStats& stats_;
  std::optional<client::Worker> worker_;
  std::vector<client::Event> events_;
  std::vector<int64_t> interval_;  // latencies of this batch, for the live line
  std::string reply_text_;
  std::unordered_map<uint64_t, Held> held_;
  int64_t published_held_ = 0;
  std::unordered_set<uint64_t> gone_;  // sessions closed by their customers' CustomerLeft
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>,
                      std::greater<>>
      timers_;  // (close at, session)
  uint64_t acked_ = 0;
  bool crashes_ = false;
  bool crashed_ = false;
  int64_t restart_at_ = kNever;
  std::deque<Unacked> unacked_;  // only kept by a worker that will crash
  std::vector<Unacked> redo_;
};

// --- The main thread ---

std::string Short(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

std::string Ms(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, us < 10000 ? "%.2f ms" : "%.0f ms", us / 1000);
  return buf;
}

struct Snapshot {
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t received = 0;
  uint64_t arrivals = 0;
  uint64_t answered = 0;
  uint64_t busy = 0;
  uint64_t offered = 0;
  uint64_t abandoned = 0;
  double bench_cpu = -1;
  double broker_cpu = -1;

  static Snapshot Take(const Live& l, const RunTarget* target) {
    Snapshot s;
    s.sent = l.sent.load();
    s.acked = l.acked.load();
    s.received = l.received.load();
    s.arrivals = l.arrivals.load();
    s.answered = l.answered.load();
    s.busy = l.busy.load();
    s.offered = l.offered.load();
    const uint64_t left = l.left.load();
    const uint64_t left_after_answer = l.left_after_answer.load();
    s.abandoned = left > left_after_answer ? left - left_after_answer : 0;
    if (target != nullptr) {
      s.bench_cpu = ProcessCpu();
      s.broker_cpu = target->broker_cpu_s ? target->broker_cpu_s() : -1;
    }
    return s;
  }
};

}  // namespace

void RunLoad(const Settings& s, const RunTarget& target, RunReport& report) {
  Shared sh(s, target.endpoint);
  sh.prefix = s.id_prefix.empty() ? "bench-" + std::to_string(getpid()) : s.id_prefix;
  sh.warm_ns = ToNs(s.warmup_s);
  sh.load_end_ns = ToNs(s.duration_s);

  std::vector<std::unique_ptr<ThreadStats>> stats;
  std::vector<std::unique_ptr<WorkerSim>> workers;
  std::vector<std::unique_ptr<AdapterSim>> adapters;
  std::vector<std::thread> threads;
  auto wait_ready = [&](int n) {
    const auto deadline = SteadyClock::now() + 60s;
    while (sh.ready.load() < n && SteadyClock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    return sh.ready.load() >= n && !sh.failed.load();
  };
  auto stop_all = [&] {
    sh.finish.store(true);
    for (std::thread& t : threads) {
      t.join();
    }
    threads.clear();
  };

  // Agents sign in first, so the first customers find them.
  for (int i = 0; i < s.agents; ++i) {
    stats.push_back(std::make_unique<ThreadStats>());
    workers.push_back(std::make_unique<WorkerSim>(sh, i, *stats.back()));
    threads.emplace_back([w = workers.back().get()] { w->Run(); });
  }
  bool ok = wait_ready(s.agents);
  for (int i = 0; ok && i < s.adapters; ++i) {
    stats.push_back(std::make_unique<ThreadStats>());
    adapters.push_back(std::make_unique<AdapterSim>(sh, i, *stats.back()));
    threads.emplace_back([a = adapters.back().get()] { a->Run(); });
  }
  ok = ok && wait_ready(s.agents + s.adapters);
  if (!ok) {
    stop_all();
    report.complete = false;
    std::lock_guard<std::mutex> lock(sh.mu);
    report.failure = sh.fatal.empty() ? "the clients did not sign in within 60 s" : sh.fatal;
    return;
  }

  sh.origin = SteadyClock::now();
  sh.go.store(true);
  if (s.progress) {
    std::fprintf(stderr,
                 "switchboard-bench: %d agent(s) and %d adapter(s) signed in at %s; "
                 "load for %.0f s\n",
                 s.agents, s.adapters, target.endpoint.c_str(), s.duration_s);
  }

  Snapshot previous;
  Snapshot at_warm;
  Snapshot at_end;
  bool warm_taken = false;
  bool end_taken = false;
  int64_t next_tick = kNsPerS;
  const int64_t drain_deadline = sh.load_end_ns + ToNs(s.drain_s);
  std::string failure;
  const bool raw = s.mode == Mode::kRaw;

  auto drained = [&] {
    if (sh.idle_adapters.load() < s.adapters) {
      return false;
    }
    if (raw) {
      const Live& l = sh.live;
      return l.received.load() + l.busy.load() + l.refused.load() >= l.sent.load();
    }
    // With patience, also until the workers have seen the closes of the sessions whose
    // customers left after an accept (they tell answered from abandoned).
    return s.patience_s <= 0 || sh.live.held.load() == 0;
  };

  for (;;) {
    int64_t wake = next_tick;
    if (!warm_taken) {
      wake = std::min(wake, sh.warm_ns);
    }
    if (!end_taken) {
      wake = std::min(wake, sh.load_end_ns);
    } else {
      wake = std::min(wake, sh.Now() + 20 * kNsPerMs);
    }
    sh.SleepUntil(wake);
    const int64_t now = sh.Now();
    if (!warm_taken && now >= sh.warm_ns) {
      at_warm = Snapshot::Take(sh.live, &target);
      warm_taken = true;
    }
    if (!end_taken && now >= sh.load_end_ns) {
      at_end = Snapshot::Take(sh.live, &target);
      end_taken = true;
    }
    if (now >= next_tick) {
      const Snapshot cur = Snapshot::Take(sh.live, nullptr);
      Histogram interval;
      for (auto& st : stats) {
        std::lock_guard<std::mutex> lock(st->mu);
        interval.Merge(st->interval);
        st->interval.Reset();
      }
      TimelinePoint p;
      p.t_s = static_cast<double>(next_tick) / 1e9;
      p.multiplier = s.schedule.MultiplierAt(p.t_s - 0.5);
      p.sent = cur.sent - previous.sent;
      p.acked = cur.acked - previous.acked;
      p.received = cur.received - previous.received;
      p.arrivals = cur.arrivals - previous.arrivals;
      p.answered = cur.answered - previous.answered;
      p.busy = cur.busy - previous.busy;
      p.waiting = static_cast<int64_t>(cur.offered) - static_cast<int64_t>(cur.answered) -
                  static_cast<int64_t>(cur.abandoned);
      p.latency = LatencySummary::Of(interval);
      report.timeline.push_back(p);
      previous = cur;
      if (s.progress) {
        const double elapsed = p.t_s;
        if (raw) {
          std::fprintf(stderr,
                       "%6.0fs  sent %7s/s  recv %7s/s  acked %7s/s  in flight %6s  "
                       "p50 %9s  p99 %9s  max %9s  credit waits %s\n",
                       elapsed, Short(static_cast<double>(p.sent)).c_str(),
                       Short(static_cast<double>(p.received)).c_str(),
                       Short(static_cast<double>(p.acked)).c_str(),
                       Short(static_cast<double>(cur.sent - cur.received)).c_str(),
                       Ms(p.latency.p50_us).c_str(), Ms(p.latency.p99_us).c_str(),
                       Ms(p.latency.max_us).c_str(),
                       Thousands(sh.live.credit_waits.load()).c_str());
        } else {
          std::fprintf(stderr,
                       "%6.0fs  x%-4.1f arrivals %5s/s  waiting %6s  answered %8s  busy %6s  "
                       "msgs %7s/s  p99 %9s  max %9s\n",
                       elapsed, p.multiplier, Short(static_cast<double>(p.arrivals)).c_str(),
                       Short(static_cast<double>(std::max<int64_t>(p.waiting, 0))).c_str(),
                       Thousands(cur.answered).c_str(), Thousands(cur.busy).c_str(),
                       Short(static_cast<double>(p.received)).c_str(), Ms(p.latency.p99_us).c_str(),
                       Ms(p.latency.max_us).c_str());
        }
      }
      next_tick += kNsPerS;
    }
    if (target.broker_failed) {
      failure = target.broker_failed();
      if (!failure.empty()) {
        break;
      }
    }
    if (sh.failed.load()) {
      std::lock_guard<std::mutex> lock(sh.mu);
      failure = sh.fatal;
      break;
    }
    if (end_taken && (drained() || now >= drain_deadline)) {
      if (!drained()) {
        char note[96];
        std::snprintf(note, sizeof note, "the drain ran out (%g s) before every answer arrived",
                      s.drain_s);
        report.notes.push_back(note);
      }
      break;
    }
  }
  if (target.broker_rss_peak_kb) {
    report.broker.rss_peak_kb = target.broker_rss_peak_kb();
  }
  stop_all();
  if (!end_taken) {
    at_end = Snapshot::Take(sh.live, &target);
  }
  if (!warm_taken) {
    at_warm = at_end;
  }

  // --- Figures ---
  report.complete = failure.empty();
  report.failure = failure;
  report.window_s = static_cast<double>(sh.load_end_ns - sh.warm_ns) / 1e9;
  const double w = report.window_s;
  report.throughput_msgs_per_s = static_cast<double>(at_end.received - at_warm.received) / w;
  report.offered_msgs_per_s = static_cast<double>(at_end.sent - at_warm.sent) / w;
  report.acked_msgs_per_s = static_cast<double>(at_end.acked - at_warm.acked) / w;
  if (at_end.bench_cpu >= 0 && at_warm.bench_cpu >= 0) {
    report.bench_cpu_s = at_end.bench_cpu - at_warm.bench_cpu;
  }
  if (at_end.broker_cpu >= 0 && at_warm.broker_cpu >= 0) {
    report.broker.cpu_s = at_end.broker_cpu - at_warm.broker_cpu;
    const uint64_t handled = at_end.received - at_warm.received;
    if (handled > 0) {
      report.broker.cpu_us_per_msg = report.broker.cpu_s * 1e6 / static_cast<double>(handled);
    }
  }
  const Live& l = sh.live;
  report.sent = l.sent.load();
  report.acked = l.acked.load();
  report.received = l.received.load();
  report.duplicates = l.duplicates.load();
  report.replies_sent = l.replies_sent.load();
  report.replies_received = l.replies_received.load();
  report.busy = l.busy.load();
  report.errors = l.errors.load();
  report.stale_offers = l.stale_offers.load();
  report.over_capacity_offers = l.over_capacity.load();
  report.credit_waits = l.credit_waits.load();
  report.credit_wait_s = static_cast<double>(l.credit_wait_ns.load()) / 1e9;
  report.reconnects = l.reconnects.load();
  // A customer who abandoned took back its first message: no worker was to receive it.
  const uint64_t left = l.left.load();
  const uint64_t left_after_answer = l.left_after_answer.load();
  const uint64_t withdrawn = left > left_after_answer ? left - left_after_answer : 0;
  const uint64_t settled = report.received + report.busy + l.refused.load() + withdrawn;
  report.lost = report.sent > settled ? report.sent - settled : 0;

  Histogram latency;
  Histogram reply_latency;
  Histogram wait;
  ContactCentreCounts cc;
  for (auto& st : stats) {
    latency.Merge(st->latency);
    reply_latency.Merge(st->reply_latency);
    wait.Merge(st->wait);
    cc.arrivals += st->cc.arrivals;
    cc.offered += st->cc.offered;
    cc.busy += st->cc.busy;
    cc.answered += st->cc.answered;
    cc.left += st->cc.left;
    cc.left_after_answer += st->cc.left_after_answer;
    cc.still_waiting += st->cc.still_waiting;
    cc.answered_within_threshold += st->cc.answered_within_threshold;
    cc.wait_sum_s += st->cc.wait_sum_s;
    cc.handled += st->cc.handled;
    cc.handle_sum_s += st->cc.handle_sum_s;
  }
  report.latency = LatencySummary::Of(latency);
  report.reply_latency = LatencySummary::Of(reply_latency);
  report.wait = LatencySummary::Of(wait);
  if (!raw) {
    cc.window_s = w;
    report.contact_centre = CompareWithErlangC(cc, s);
    if (s.patience_s > 0) {
      report.notes.push_back(
          "customers leave after their patience runs out (CustomerLeft); Erlang C assumes "
          "nobody abandons, so its figures are a reference point only: those who leave "
          "shorten the wait of the rest (Erlang A is the model with patience)");
      if (l.left_unsent.load() > 0) {
        report.notes.push_back(std::to_string(l.left_unsent.load()) +
                               " customer(s) ran out of patience before their first message "
                               "could be sent (window full): never offered, not counted");
      }
      if (l.late_to_left.load() > 0) {
        report.notes.push_back(std::to_string(l.late_to_left.load()) +
                               " agent reply(ies) or close(s) crossed their customer's "
                               "CustomerLeft and were answered unknown session (expected)");
      }
    } else {
      report.notes.push_back(
          "abandoned is 0 because the simulated customers always wait (no --patience: the "
          "bench sends no CustomerLeft)");
    }
    if (l.stray.load() > 0) {
      report.notes.push_back(std::to_string(l.stray.load()) +
                             " customer message(s) reached the broker after their session "
                             "closed and opened a new one, which the agent closed at once");
    }
    if (!s.schedule.flat()) {
      report.notes.push_back(
          "Erlang C assumes a steady arrival rate; this run's rate followed a schedule, so "
          "its prediction (for the window's mean rate) is only a reference point");
    }
  }
  if (s.crash_at_s >= 0) {
    char when[96];
    std::snprintf(when, sizeof when, " worker(s) dropped their connection at %g s", s.crash_at_s);
    char back[96];
    std::snprintf(back, sizeof back, " and signed in again %g s later", s.crash_restart_after_s);
    report.notes.push_back(std::to_string(s.crash_workers) + when +
                           (s.crash_restart_after_s < 0
                                ? std::string(" and never came back: their sessions stay with them")
                                : std::string(back)));
  }
  if (report.credit_waits > 0 && !(raw && s.rate == 0)) {
    report.notes.push_back(
        "adapters found their window full " + Thousands(report.credit_waits) +
        " time(s): the offered rate was not fully met and latency includes the stall");
  }
  {
    std::lock_guard<std::mutex> lock(sh.mu);
    for (const auto& [kind, count_example] : sh.error_kinds) {
      report.notes.push_back(kind + ": " + Thousands(count_example.first) + " (e.g. \"" +
                             count_example.second + "\")");
    }
  }
}

}  // namespace switchboard::bench
