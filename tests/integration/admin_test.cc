// Admin lookups against the real broker process: a few conversations through the client
// library, then an Admin fetches a transcript page by page and the sessions of a customer
// and of an agent over time ranges with small pages; other roles get WrongRole; and the
// switchboard-admin tool prints the same. Then the sessions sampled for quality inspection
// and the hourly arrival counts, across a restart, and the tool's qa and staffing commands.
#include "switchboard/client/admin.h"

#include <stdio.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "core/qa_sampling.h"
#include "protocol/frame.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"
#include "switchboard/client/adapter.h"
#include "switchboard/client/worker.h"
#include "wire_generated.h"

namespace switchboard {
namespace {

using namespace std::chrono_literals;
using client::Admin;
using client::SessionsPage;
using client::SessionState;
using client::SessionSummary;

constexpr auto kTimeout = 5s;

class AdminTest : public ::testing::Test {
 protected:
  virtual std::vector<std::string> BrokerArgs() const { return {"--heartbeat-ms", "100"}; }

  void SetUp() override {
    broker_.emplace(dir_.Sub("data"), endpoint_, BrokerArgs());
    ASSERT_EQ(broker_->Start(), "");
    client::AdapterOptions a;
    a.client_id = "im-adapter";
    a.channels = {client::Channel::kIm};
    a.heartbeat = 100ms;
    a.auto_ack = true;
    auto adapter = client::Adapter::Connect(endpoint_, a);
    ASSERT_TRUE(adapter.ok()) << adapter.error().ToString();
    adapter_.emplace(std::move(adapter).value());
    for (const char* id : {"alice", "bob"}) {
      client::WorkerOptions w;
      w.agent_id = id;
      w.capacity = {{client::Channel::kIm, 1}};
      w.heartbeat = 100ms;
      w.auto_ack = true;
      auto worker = client::Worker::Connect(endpoint_, w);
      ASSERT_TRUE(worker.ok()) << worker.error().ToString();
      workers_.push_back(std::move(worker).value());
    }
  }

  // Polls every client once, accepting offers and recording what arrives.
  void PumpOnce() {
    for (auto& e : adapter_->Poll(2ms)) {
      if (const auto* d = std::get_if<client::Delivery>(&e)) {
        adapter_texts_.insert(d->text);
      } else if (const auto* c = std::get_if<client::SessionClosed>(&e)) {
        closed_.insert(c->session_id);
      }
    }
    for (auto& w : workers_) {
      for (auto& e : w.Poll(2ms)) {
        if (const auto* o = std::get_if<client::Offer>(&e)) {
          EXPECT_TRUE(w.Accept(*o).ok());
          agent_of_[o->session_id] = w.agent_id();
        } else if (const auto* d = std::get_if<client::Delivery>(&e)) {
          session_of_text_[d->text] = d->session_id;
        }
      }
    }
  }

  bool PumpUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      PumpOnce();
      if (done()) {
        return true;
      }
    }
    return false;
  }

  client::Worker& WorkerOf(uint64_t session) {
    for (auto& w : workers_) {
      if (w.agent_id() == agent_of_.at(session)) {
        return w;
      }
    }
    ADD_FAILURE() << "no worker holds session " << session;
    return workers_.front();
  }

  // A conversation of `exchanges` customer messages, each answered by the agent; closed
  // (resolved) if `close`. Returns the session id, 0 on failure.
  uint64_t Converse(const std::string& customer, int exchanges, bool close) {
    uint64_t session = 0;
    session_of_text_.clear();  // texts repeat across conversations
    adapter_texts_.clear();
    for (int i = 0; i < exchanges; ++i) {
      const std::string text = customer + " says " + std::to_string(i);
      client::CustomerMessage m;
      m.tenant = "shop";
      m.customer_id = customer;
      m.text = text;
      m.attributes.topic = "refund";
      EXPECT_TRUE(adapter_->Send(m).ok());
      adapter_->Flush();
      if (!PumpUntil([&] { return session_of_text_.count(text) > 0; })) {
        ADD_FAILURE() << "no worker got '" << text << "'";
        return 0;
      }
      session = session_of_text_[text];
      const std::string reply = "reply " + std::to_string(i) + " to " + customer;
      client::Worker& w = WorkerOf(session);
      EXPECT_TRUE(w.Reply(session, reply).ok());
      w.Flush();
      if (!PumpUntil([&] { return adapter_texts_.count(reply) > 0; })) {
        ADD_FAILURE() << "the adapter did not get '" << reply << "'";
        return 0;
      }
    }
    if (close) {
      client::Worker& w = WorkerOf(session);
      EXPECT_TRUE(w.Close(session, client::Disposition::kResolved).ok());
      w.Flush();
      if (!PumpUntil([&] { return closed_.count(session) > 0; })) {
        ADD_FAILURE() << "session " << session << " did not close";
        return 0;
      }
    }
    // Everything the clients sent is stored (committed) before the lookups.
    EXPECT_TRUE(PumpUntil([&] {
      bool all = adapter_->pending() == 0;
      for (auto& w : workers_) {
        all = all && w.pending() == 0;
      }
      return all;
    }));
    return session;
  }

  Admin ConnectAdmin(const std::string& id = "qa-1") {
    client::AdminOptions options;
    options.client_id = id;
    options.heartbeat = 100ms;
    auto admin = Admin::Connect(endpoint_, options);
    EXPECT_TRUE(admin.ok()) << admin.error().ToString();
    return std::move(admin).value();
  }

  // Every page of a sessions lookup, `limit` per page.
  template <typename Lookup>
  std::vector<SessionSummary> AllPages(Lookup lookup, int* pages) {
    std::vector<SessionSummary> all;
    std::string cursor;
    *pages = 0;
    for (;;) {
      auto page = lookup(cursor);
      EXPECT_TRUE(page.ok()) << page.error().ToString();
      if (!page.ok() || ++*pages > 100) {
        return all;
      }
      all.insert(all.end(), page->sessions.begin(), page->sessions.end());
      if (!page->more) {
        EXPECT_EQ(page->next_cursor, "");
        return all;
      }
      cursor = page->next_cursor;
    }
  }

  static std::vector<uint64_t> Ids(const std::vector<SessionSummary>& sessions) {
    std::vector<uint64_t> ids;
    for (const auto& s : sessions) {
      ids.push_back(s.session_id);
    }
    return ids;
  }

  testing::TempDir dir_;
  std::string endpoint_ = "ipc://" + dir_.Sub("broker.sock");
  std::optional<testing::BrokerProcess> broker_;
  std::optional<client::Adapter> adapter_;
  std::vector<client::Worker> workers_;
  std::set<std::string> adapter_texts_;
  std::set<uint64_t> closed_;
  std::map<uint64_t, std::string> agent_of_;
  std::map<std::string, uint64_t> session_of_text_;
};

TEST_F(AdminTest, TranscriptAndSessionsOfCustomersAndAgentsPageByPage) {
  const uint64_t s1 = Converse("c1", 3, /*close=*/true);
  const uint64_t s2 = Converse("c2", 1, true);
  const uint64_t s3 = Converse("c1", 1, true);
  const uint64_t s4 = Converse("c1", 2, /*close=*/false);
  ASSERT_TRUE(s1 != 0 && s2 != 0 && s3 != 0 && s4 != 0);
  Admin admin = ConnectAdmin();

  // The transcript of s1, two entries a page.
  std::vector<client::TranscriptEntry> entries;
  uint32_t next = 0;
  int pages = 0;
  for (bool more = true; more && pages < 10; ++pages) {
    auto page = admin.Transcript(s1, next, 2, kTimeout);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    EXPECT_EQ(page->session_id, s1);
    EXPECT_LE(page->entries.size(), 2u);
    entries.insert(entries.end(), page->entries.begin(), page->entries.end());
    next = page->next_index;
    more = page->more;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(entries.size(), 6u);
  for (uint32_t i = 0; i < 6; ++i) {
    const auto& e = entries[i];
    EXPECT_EQ(e.index, i);
    const std::string n = std::to_string(i / 2);
    if (i % 2 == 0) {
      EXPECT_EQ(e.from, client::Party::kCustomer);
      EXPECT_EQ(e.text, "c1 says " + n);
    } else {
      EXPECT_EQ(e.from, client::Party::kAgent);
      EXPECT_EQ(e.agent_id, agent_of_.at(s1));
      EXPECT_EQ(e.text, "reply " + n + " to c1");
    }
    EXPECT_GT(e.at_us, 0);
    if (i > 0) {
      EXPECT_GE(e.at_us, entries[i - 1].at_us);
    }
  }

  // The sessions of customer c1, two a page, oldest first.
  auto of_c1 = AllPages(
      [&](const std::string& cursor) {
        return admin.SessionsOfCustomer("shop", "c1", 0, 0, cursor, 2, kTimeout);
      },
      &pages);
  EXPECT_EQ(pages, 2);
  ASSERT_EQ(Ids(of_c1), (std::vector<uint64_t>{s1, s3, s4}));
  for (const SessionSummary& s : of_c1) {
    EXPECT_EQ(s.tenant, "shop");
    EXPECT_EQ(s.customer_id, "c1");
    EXPECT_EQ(s.channel, client::Channel::kIm);
    EXPECT_EQ(s.agent_id, agent_of_.at(s.session_id));
    EXPECT_EQ(s.queue, "default");
    EXPECT_EQ(s.topic, "refund");
    EXPECT_GT(s.created_at_us, 0);
    EXPECT_GE(s.answered_at_us, s.created_at_us);
  }
  EXPECT_EQ(of_c1[0].state, SessionState::kClosed);
  EXPECT_EQ(of_c1[0].disposition, client::Disposition::kResolved);
  EXPECT_GE(of_c1[0].closed_at_us, of_c1[0].answered_at_us);
  EXPECT_EQ(of_c1[0].transcript_size, 6u);
  EXPECT_EQ(of_c1[1].transcript_size, 2u);
  EXPECT_EQ(of_c1[2].state, SessionState::kActive);
  EXPECT_EQ(of_c1[2].closed_at_us, 0);
  EXPECT_EQ(of_c1[2].transcript_size, 4u);

  // A time range: [created s3, created s4) holds s3 only.
  auto range = admin.SessionsOfCustomer("shop", "c1", of_c1[1].created_at_us,
                                        of_c1[2].created_at_us, "", 10, kTimeout);
  ASSERT_TRUE(range.ok()) << range.error().ToString();
  EXPECT_EQ(Ids(range->sessions), (std::vector<uint64_t>{s3}));
  EXPECT_FALSE(range->more);
  auto c2 = admin.SessionsOfCustomer("shop", "c2", 0, 0, "", 0, kTimeout);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(Ids(c2->sessions), (std::vector<uint64_t>{s2}));
  auto other_tenant = admin.SessionsOfCustomer("shop2", "c1", 0, 0, "", 10, kTimeout);
  ASSERT_TRUE(other_tenant.ok());
  EXPECT_TRUE(other_tenant->sessions.empty());

  // The sessions of each agent, one a page, by the time the agent accepted them.
  for (const std::string agent : {"alice", "bob"}) {
    std::vector<uint64_t> expected;
    for (uint64_t s : {s1, s2, s3, s4}) {
      if (agent_of_.at(s) == agent) {
        expected.push_back(s);
      }
    }
    auto of_agent = AllPages(
        [&](const std::string& cursor) {
          return admin.SessionsOfAgent(agent, 0, 0, cursor, 1, kTimeout);
        },
        &pages);
    EXPECT_EQ(Ids(of_agent), expected) << agent;
    EXPECT_EQ(pages, static_cast<int>(std::max<size_t>(expected.size(), 1))) << agent;
    if (of_agent.size() >= 2) {
      // From the second one's answer time on: all but the first.
      auto later = admin.SessionsOfAgent(agent, of_agent[1].answered_at_us, 0, "", 10, kTimeout);
      ASSERT_TRUE(later.ok());
      EXPECT_EQ(Ids(later->sessions), std::vector<uint64_t>(expected.begin() + 1, expected.end()));
    }
  }
}

TEST_F(AdminTest, UnknownSessionsBadArgumentsAndAnIdleAdminGetClearAnswers) {
  const uint64_t s1 = Converse("c1", 1, true);
  ASSERT_NE(s1, 0u);
  Admin admin = ConnectAdmin();
  auto unknown = admin.Transcript(s1 + 1000, 0, 10, kTimeout);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), client::ErrorCode::kUnknownSession);
  EXPECT_EQ(unknown.error().ref_seq, 0u);
  EXPECT_NE(unknown.error().reason.find(std::to_string(s1 + 1000)), std::string::npos);

  auto bad_cursor = admin.SessionsOfCustomer("shop", "c1", 0, 0, "not-a-cursor", 10, kTimeout);
  EXPECT_EQ(bad_cursor.code(), client::ErrorCode::kBadRequest);
  auto bad_range = admin.SessionsOfAgent("alice", 2000, 1000, "", 10, kTimeout);
  EXPECT_EQ(bad_range.code(), client::ErrorCode::kBadRequest);
  EXPECT_EQ(admin.Transcript(0, 0, 10, kTimeout).code(), client::ErrorCode::kInvalidArgument);

  // Silent for more than 3 heartbeats, the admin is signed out by the broker; the next lookup
  // signs in again and is answered all the same.
  std::this_thread::sleep_for(600ms);
  auto page = admin.Transcript(s1, 0, 10, kTimeout);
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ(page->entries.size(), 2u);
  bool reconnected = false;
  for (const client::Event& e : admin.Poll(0ms)) {
    reconnected = reconnected || std::holds_alternative<client::Reconnected>(e);
  }
  EXPECT_TRUE(reconnected);
}

// A raw DEALER signed in as a worker, asking what only admins may ask.
TEST_F(AdminTest, OtherRolesGetWrongRole) {
  zmq::context_t ctx(1);
  zmq::socket_t socket(ctx, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(endpoint_);
  std::vector<uint64_t> scratch;
  auto send = [&](protocol::FrameBuilder& b) {
    auto bytes = b.Finish();
    socket.send(zmq::const_buffer(bytes.data(), bytes.size()), zmq::send_flags::none);
    b.Reset();
  };
  // Waits for an envelope of `type`; fills `error` if it is an Error.
  auto wait_for = [&](wire::Body type, wire::ErrorCode* code, uint64_t* request_id) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      zmq::message_t msg;
      while (socket.recv(msg, zmq::recv_flags::dontwait)) {
        auto frame = protocol::VerifyFrame(
            protocol::Aligned({static_cast<const std::byte*>(msg.data()), msg.size()}, scratch));
        if (!frame.ok()) {
          continue;
        }
        for (const wire::Envelope* e : *(*frame)->envelopes()) {
          if (e->body_type() != type) {
            continue;
          }
          if (const auto* err = e->body_as_Error(); err != nullptr && code != nullptr) {
            *code = err->code();
            *request_id = err->request_id();
          }
          return true;
        }
      }
    }
    return false;
  };
  for (wire::Role role : {wire::Role::Worker, wire::Role::Adapter}) {
    protocol::FrameBuilder b;
    auto& fbb = b.fbb();
    std::vector<wire::Channel> channels = {wire::Channel::Im};
    auto ch = fbb.CreateVector(channels);
    auto name = fbb.CreateString(role == wire::Role::Worker ? "mallory" : "im-2");
    wire::HelloBuilder h(fbb);
    h.add_role(role);
    h.add_client_id(name);
    h.add_epoch(1);
    h.add_channels(ch);
    b.Add(0, wire::Body::Hello, h.Finish().Union());
    send(b);
    ASSERT_TRUE(wait_for(wire::Body::Welcome, nullptr, nullptr));
    b.Add(0, wire::Body::TranscriptRequest,
          wire::CreateTranscriptRequest(b.fbb(), 77, 1, 0, 10).Union());
    send(b);
    wire::ErrorCode code = wire::ErrorCode::Ok;
    uint64_t request_id = 0;
    ASSERT_TRUE(wait_for(wire::Body::Error, &code, &request_id));
    EXPECT_EQ(code, wire::ErrorCode::WrongRole);
    EXPECT_EQ(request_id, 77u);
  }
  // The broker goes on serving the admin.
  Admin admin = ConnectAdmin();
  auto none = admin.SessionsOfAgent("mallory", 0, 0, "", 10, kTimeout);
  ASSERT_TRUE(none.ok()) << none.error().ToString();
  EXPECT_TRUE(none->sessions.empty());
}

class AdminSmallFramesTest : public AdminTest {
 protected:
  std::vector<std::string> BrokerArgs() const override {
    return {"--heartbeat-ms", "100", "--max-frame-bytes", "65536", "--max-text-bytes", "16384"};
  }
};

TEST_F(AdminSmallFramesTest, PagesStayWithinTheFrameLimit) {
  std::vector<std::string> texts;
  for (int i = 0; i < 10; ++i) {
    texts.push_back(std::string(15000, static_cast<char>('a' + i)));
    client::CustomerMessage m;
    m.tenant = "shop";
    m.customer_id = "big";
    m.text = texts.back();
    ASSERT_TRUE(adapter_->Send(m).ok());
  }
  ASSERT_TRUE(PumpUntil([&] { return adapter_->pending() == 0; }));
  Admin admin = ConnectAdmin();
  auto sessions = admin.SessionsOfCustomer("shop", "big", 0, 0, "", 10, kTimeout);
  ASSERT_TRUE(sessions.ok()) << sessions.error().ToString();
  ASSERT_EQ(sessions->sessions.size(), 1u);
  const uint64_t session = sessions->sessions[0].session_id;

  std::vector<std::string> got;
  uint32_t next = 0;
  int pages = 0;
  for (bool more = true; more && pages < 20; ++pages) {
    auto page = admin.Transcript(session, next, 1000, kTimeout);
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    EXPECT_GE(page->entries.size(), 1u);
    EXPECT_LE(page->entries.size(), 4u);  // 65536-byte frames hold at most four
    for (const auto& e : page->entries) {
      got.push_back(e.text);
    }
    next = page->next_index;
    more = page->more;
  }
  EXPECT_GE(pages, 3);
  EXPECT_EQ(got, texts);
}

// Runs switchboard-admin; returns its exit status and fills `out` with stdout and stderr.
int RunTool(const std::string& args, std::string* out) {
  const std::string command = std::string(SWITCHBOARD_ADMIN_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return -1;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
    out->append(buf, n);
  }
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(AdminTest, ToolPrintsTranscriptsAndFollowsCursorsUpToItsLimit) {
  const uint64_t s1 = Converse("c1", 2, true);
  const uint64_t s2 = Converse("c1", 1, true);
  const uint64_t s3 = Converse("c1", 1, false);
  ASSERT_TRUE(s1 != 0 && s2 != 0 && s3 != 0);
  const std::string connect = "--connect " + endpoint_;

  std::string out;
  ASSERT_EQ(
      RunTool(connect + " --json transcript --session " + std::to_string(s1) + " --page-size 1",
              &out),
      0)
      << out;
  EXPECT_NE(out.find("\"text\":\"c1 says 0\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"text\":\"reply 1 to c1\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"more\":false"), std::string::npos) << out;

  out.clear();
  ASSERT_EQ(RunTool(connect + " transcript --session " + std::to_string(s1), &out), 0) << out;
  EXPECT_NE(out.find("4 entries"), std::string::npos) << out;
  EXPECT_NE(out.find("c1 says 1"), std::string::npos) << out;

  // Three sessions, one a page, at most two: the third is left for --cursor.
  out.clear();
  ASSERT_EQ(RunTool(connect + " sessions --tenant shop --customer c1 --from 2000-01-01 "
                              "--limit 2 --page-size 1 --json",
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("\"session_id\":" + std::to_string(s1)), std::string::npos) << out;
  EXPECT_NE(out.find("\"session_id\":" + std::to_string(s2)), std::string::npos) << out;
  EXPECT_EQ(out.find("\"session_id\":" + std::to_string(s3)), std::string::npos) << out;
  EXPECT_NE(out.find("\"more\":true"), std::string::npos) << out;

  out.clear();
  ASSERT_EQ(
      RunTool(connect + " sessions --agent " + agent_of_.at(s3) + " --to 2100-01-01T00:00Z", &out),
      0)
      << out;
  EXPECT_NE(out.find("SESSION"), std::string::npos) << out;
  EXPECT_NE(out.find("active"), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(RunTool(connect + " transcript --session " + std::to_string(s3 + 1000), &out), 1);
  EXPECT_NE(out.find("UnknownSession"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunTool(connect + " sessions --agent a --from yesterday", &out), 2) << out;
}

// Sampling at 50% (and re-checking half of those) so that a handful of sessions shows both.
class AdminQaTest : public AdminTest {
 protected:
  std::vector<std::string> BrokerArgs() const override {
    return {"--heartbeat-ms", "100", "--qa-sample-rate", "0.5", "--qa-recheck-rate", "0.5"};
  }

  // The ids among `closed` that the broker's rule picks (at least `want`).
  static std::vector<uint64_t> Expected(const std::vector<uint64_t>& closed, core::QaPick want) {
    std::vector<uint64_t> ids;
    for (uint64_t id : closed) {
      const core::QaPick pick = core::PickForQa(id, 0.5, 0.5);
      if (pick == core::QaPick::kRecheck || (want == core::QaPick::kSampled && pick == want)) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  // Every flagged session, a page of 2 at a time.
  std::vector<uint64_t> Flagged(Admin& admin, bool recheck) {
    int pages = 0;
    return Ids(AllPages(
        [&](const std::string& cursor) {
          return admin.QaSessions(0, 0, recheck, cursor, 2, kTimeout);
        },
        &pages));
  }

  // The arrivals the broker counted in queue `default`, over every hour.
  uint64_t CountedArrivals(Admin& admin) {
    uint64_t total = 0;
    std::string cursor;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = admin.Arrivals("default", 0, 0, cursor, 1, kTimeout);
      EXPECT_TRUE(page.ok()) << page.error().ToString();
      if (!page.ok()) {
        return 0;
      }
      for (const client::HourlyArrivals& h : page->hours) {
        EXPECT_EQ(h.queue, "default");
        EXPECT_EQ(h.hour_start_us % (int64_t{3600} * 1'000'000), 0);
        total += h.arrivals;
      }
      if (!page->more) {
        break;
      }
      cursor = page->next_cursor;
    }
    return total;
  }

  // Restarts the broker on the same data directory; the clients reconnect by themselves.
  void RestartBroker() {
    ASSERT_EQ(broker_->Terminate(), 0) << broker_->StderrLog();
    broker_.emplace(dir_.Sub("data"), endpoint_, BrokerArgs());
    ASSERT_EQ(broker_->Start(), "");
  }
};

TEST_F(AdminQaTest, SampledSessionsAndArrivalCountsSurviveARestart) {
  std::vector<uint64_t> closed;
  for (int i = 0; i < 6; ++i) {
    const uint64_t s = Converse("c" + std::to_string(i), 1, /*close=*/true);
    ASSERT_NE(s, 0u);
    closed.push_back(s);
  }
  const uint64_t open = Converse("c-open", 1, /*close=*/false);
  ASSERT_NE(open, 0u);
  const std::vector<uint64_t> sampled = Expected(closed, core::QaPick::kSampled);
  const std::vector<uint64_t> rechecked = Expected(closed, core::QaPick::kRecheck);
  ASSERT_FALSE(sampled.empty());

  {
    Admin admin = ConnectAdmin();
    EXPECT_EQ(Flagged(admin, false), sampled);
    EXPECT_EQ(Flagged(admin, true), rechecked);
    // Seven contacts entered the default queue (the open session's too).
    EXPECT_EQ(CountedArrivals(admin), 7u);
    auto other = admin.Arrivals("billing", 0, 0, "", 10, kTimeout);
    ASSERT_TRUE(other.ok()) << other.error().ToString();
    EXPECT_TRUE(other->hours.empty());
    EXPECT_EQ(admin.Arrivals("", 0, 0, "not-a-cursor", 10, kTimeout).code(),
              client::ErrorCode::kBadRequest);
  }

  RestartBroker();
  // After the restart: the same flags, and new closes follow the same rule; counts add up.
  for (int i = 0; i < 4; ++i) {
    const uint64_t s = Converse("d" + std::to_string(i), 1, /*close=*/true);
    ASSERT_NE(s, 0u);
    closed.push_back(s);
  }
  Admin admin = ConnectAdmin("qa-2");
  EXPECT_EQ(Flagged(admin, false), Expected(closed, core::QaPick::kSampled));
  EXPECT_EQ(Flagged(admin, true), Expected(closed, core::QaPick::kRecheck));
  EXPECT_EQ(CountedArrivals(admin), 11u);

  // A flagged session's close time bounds the listing; its transcript is there to read.
  auto first = admin.QaSessions(0, 0, false, "", 1, kTimeout);
  ASSERT_TRUE(first.ok() && !first->sessions.empty());
  const SessionSummary& s = first->sessions.front();
  EXPECT_EQ(s.session_id, sampled.front());
  EXPECT_EQ(s.state, SessionState::kClosed);
  auto same_close = admin.QaSessions(s.closed_at_us, s.closed_at_us + 1, false, "", 10, kTimeout);
  ASSERT_TRUE(same_close.ok());
  EXPECT_EQ(Ids(same_close->sessions), (std::vector<uint64_t>{s.session_id}));
  auto transcript = admin.Transcript(s.session_id, 0, 10, kTimeout);
  ASSERT_TRUE(transcript.ok()) << transcript.error().ToString();
  EXPECT_EQ(transcript->entries.size(), 2u);
}

TEST_F(AdminQaTest, ToolListsTheSampleAndPlansStaffingFromTheBrokersCounts) {
  std::vector<uint64_t> closed;
  for (int i = 0; i < 6; ++i) {
    const uint64_t s = Converse("c" + std::to_string(i), 1, /*close=*/true);
    ASSERT_NE(s, 0u);
    closed.push_back(s);
  }
  const std::vector<uint64_t> sampled = Expected(closed, core::QaPick::kSampled);
  const std::vector<uint64_t> rechecked = Expected(closed, core::QaPick::kRecheck);
  ASSERT_FALSE(rechecked.empty());
  const std::string connect = "--connect " + endpoint_;

  std::string out;
  ASSERT_EQ(RunTool(connect + " --json qa --since 2000-01-01 --until 2100-01-01", &out), 0) << out;
  for (uint64_t id : closed) {
    const bool in = std::find(sampled.begin(), sampled.end(), id) != sampled.end();
    EXPECT_EQ(out.find("\"session_id\":" + std::to_string(id) + ",") != std::string::npos, in)
        << id << ": " << out;
  }
  out.clear();
  ASSERT_EQ(RunTool(connect + " qa --recheck", &out), 0) << out;
  EXPECT_NE(out.find(std::to_string(rechecked.size()) + " sessions"), std::string::npos) << out;
  EXPECT_NE(out.find("transcript --session " + std::to_string(rechecked.front())),
            std::string::npos)
      << out;
  out.clear();
  EXPECT_EQ(RunTool(connect + " qa --since someday", &out), 2) << out;

  // Staffing from the broker's counts over the hours around now, as CSV: six arrivals in all.
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  out.clear();
  ASSERT_EQ(RunTool("staffing --from-broker " + endpoint_ + " --since " +
                        std::to_string(now_s - 7200) + " --until " + std::to_string(now_s + 3600) +
                        " --aht-s 120 --sl-target 0.8 --sl-seconds 20 --format csv",
                    &out),
            0)
      << out;
  double arrivals = 0;
  int rows = 0;
  size_t at = out.find('\n');  // after the header
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_EQ(out.substr(0, at).rfind("hour,queue,arrivals,aht_s,offered_load,agents", 0), 0u);
  while (at + 1 < out.size()) {
    const size_t end = out.find('\n', at + 1);
    const std::string line = out.substr(at + 1, end - at - 1);
    at = end == std::string::npos ? out.size() : end;
    // hour,queue,arrivals,aht_s,offered_load,agents,...
    std::vector<std::string> f;
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1) {
      f.push_back(line.substr(start, comma - start));
    }
    f.push_back(line.substr(start));
    ASSERT_EQ(f.size(), 10u) << line;
    EXPECT_EQ(f[1], "default") << line;
    EXPECT_EQ(f[3], "120.0") << line;
    arrivals += std::stod(f[2]);
    EXPECT_EQ(std::stoi(f[5]) > 0, std::stod(f[2]) > 0) << line;  // agents only where needed
    ++rows;
  }
  EXPECT_EQ(arrivals, 6.0) << out;
  // Every hour from the one holding now - 2h up to now + 1h, with or without arrivals.
  const int64_t first_hour = (now_s - 7200) - (now_s - 7200) % 3600;
  EXPECT_EQ(rows, (now_s + 3600 - first_hour + 3599) / 3600) << out;

  // A forecast file with a bad line: a clear error naming it, and exit status 2.
  const std::string csv = dir_.Sub("forecast.csv");
  FILE* f = fopen(csv.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("hour,arrivals\n09:00,120\n10:00,many\n", f);
  fclose(f);
  out.clear();
  EXPECT_EQ(RunTool("staffing --arrivals-csv " + csv + " --aht-s 180", &out), 2) << out;
  EXPECT_NE(out.find("line 3: arrivals 'many' is not a number"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunTool("staffing --aht-s 180", &out), 2) << out;
  EXPECT_NE(out.find("--arrivals-csv"), std::string::npos) << out;
}

}  // namespace
}  // namespace switchboard
