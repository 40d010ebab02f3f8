// Worker: an agent's connection to the broker (a human agent's desktop, or a bot). The
// broker offers it contacts (Offer); once it accepts one it receives the session's customer
// messages (Delivery), replies (Reply) and closes the session (Close).
//
//   WorkerOptions options;
//   options.agent_id = "agent-7";
//   options.skills = {{"billing", 5}};
//   auto worker = Worker::Connect("tcp://127.0.0.1:5570", options);
//   ... on an Offer:    worker->Accept(offer);
//   ... on a Delivery:  worker->Reply(d.session_id, "On it!"); worker->Ack(d.delivery_id);
//
// Every call that sends returns the message's seq; the broker's answer comes later as an
// Acked event, preceded by an ErrorEvent naming that seq if it refused the message
// (kStaleOffer, kNotSessionOwner, kUnknownSession, ...). All of them fail, sending nothing,
// with kWouldBlock when window() messages are pending (Poll until an Acked, then retry), and
// with kInvalidArgument for a zero session id. The broker may also send OfferWithdrawn (an
// offer not to answer any more) and PresenceChanged events.
//
// Thread rules and the common functions (Poll, Ack, Flush, WaitAllAcked): see client.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/client/client.h"
#include "switchboard/client/error.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

struct WorkerOptions {
  // Required: the agent's id, which is also the client id it signs in with. A second
  // connection with the same id replaces the first; the agent's sessions stay with the id.
  std::string agent_id;
  std::string group;                      // agent group (pre-sale, post-sale, ...)
  std::vector<Skill> skills;              // names must not be empty
  std::vector<ChannelCapacity> capacity;  // per channel; empty: one IM session
  // The rest of the routing profile (see WorkerProfile): tier 1 or 2, outsourced, capacity
  // budget (0: the broker's default), per-channel costs, attributes.
  uint8_t tier = 1;
  bool outsourced = false;
  uint32_t budget = 0;
  std::vector<ChannelCost> costs;
  std::vector<Attribute> attributes;
  // How often to heartbeat when idle; the broker's Welcome may set another. 3 intervals of
  // silence from the broker make the client reconnect. Default 1 s.
  std::chrono::milliseconds heartbeat{1000};
  // The most messages sent and not yet acknowledged; more fail with kWouldBlock. Default 1000.
  size_t window = 1000;
  // How long Connect waits for the broker's Welcome. Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
  // Acknowledge every delivery as soon as Poll returns it. Default false: call Ack.
  bool auto_ack = false;
};

class Worker : public Client {
 public:
  // Connects to the broker at `endpoint` and signs in as the agent, blocking until the
  // Welcome, at most options.connect_timeout. Fails like Adapter::Connect.
  static Result<Worker> Connect(std::string_view endpoint, WorkerOptions options) noexcept;

  // Takes the offered contact (names offer.session_id and offer.attempt). The session's
  // transcript so far follows as Delivery events once the broker processed it.
  Result<uint64_t> Accept(const Offer& offer) noexcept;
  // Declines the offer; the broker offers the contact to someone else. `reason` is for the
  // broker's logs and may be empty.
  Result<uint64_t> Reject(const Offer& offer, std::string_view reason) noexcept;
  // The agent's message in a session it holds, passed on to the customer. Fails also with
  // kPayloadTooLarge when the text is over broker().max_text_bytes.
  Result<uint64_t> Reply(uint64_t session_id, std::string_view text) noexcept;
  // Ends a session the agent holds; the adapter gets a SessionClosed.
  Result<uint64_t> Close(uint64_t session_id, Disposition disposition) noexcept;

  // Replaces the agent's whole routing profile while signed in; its sessions stay. Fails with
  // kInvalidArgument for a bad profile (tier over 2, more than kMaxAttributes attributes, an
  // empty attribute key or skill name, a channel twice in costs, an unknown channel). Once
  // sent, the Hello of a later reconnect carries this profile too.
  Result<uint64_t> UpdateProfile(const WorkerProfile& profile) noexcept;
  // The agent is available for offers, or away (no new offers; its pending offers and held
  // sessions stay).
  Result<uint64_t> SetPresence(Presence presence) noexcept;
  // Ends the agent's wrap-up (a queue's wrap-up after a close), so it gets offers again.
  // `session_id` is sent but not used by the broker today: every wrap-up of the agent ends.
  Result<uint64_t> Ready(uint64_t session_id = 0) noexcept;
  // Moves a session the agent holds to another queue or agent: exactly one of to_queue and
  // to_agent (kInvalidArgument otherwise), with a note for the next agent (kPayloadTooLarge
  // over broker().max_text_bytes). The session waits again (for that agent, or in that queue
  // as a new contact); the agent's undelivered messages of it are dropped and the next agent
  // gets the whole transcript.
  Result<uint64_t> Transfer(uint64_t session_id, std::string_view to_queue,
                            std::string_view to_agent, std::string_view note) noexcept;
  // Hands a session the agent holds to tier 2 with a follow-up task. Checks as Transfer.
  Result<uint64_t> Escalate(uint64_t session_id, std::string_view note) noexcept;
  // A bot hands a session to the human queue `to_queue` (required), with the intent it
  // recognised and a summary (kPayloadTooLarge over broker().max_text_bytes). Only a bot
  // worker (attribute "bot" = "1" in WorkerOptions::attributes) may: the broker refuses a
  // human agent's hand-off with kWrongRole.
  Result<uint64_t> Handoff(uint64_t session_id, std::string_view to_queue, std::string_view intent,
                           std::string_view summary) noexcept;

  // The agent id (the same as client_id()).
  const std::string& agent_id() const noexcept { return client_id(); }

 private:
  explicit Worker(std::unique_ptr<internal::Connection> connection) noexcept;
};

}  // namespace switchboard::client
