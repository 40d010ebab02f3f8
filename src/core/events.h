// ContactEvent: what happened to a contact, for the contact-centre metrics.
//
// The core appends these to TurnOutput::events as things happen; the engine hands them to the
// metrics after the turn's commit (so a number never counts what was not made durable). Each
// event carries its labels by value: the queue, the channel, the tenant and the topic of the
// contact, and the agent's group where an agent is involved. Durations are in microseconds.
//
// Definitions follow the table of the contact-centre practice (docs/metrics.md):
//   kQueued        a contact entered a human queue ("offered"); a transfer counts anew.
//   kAnswered      an agent accepted it; `wait` is the speed of answer (queue entry -> accept).
//   kAbandoned     the customer left before an answer; `wait` as above; `short_abandon` when
//                  under the configured few seconds.
//   kOverflowed    it left its queue for a fallback (a bot queue, leave-a-message); `wait`.
//   kOfferMissed   an offer expired or was rejected (redirect on no answer).
//   kFirstResponse an agent's first reply in the session; `wait` from the customer's first
//                  message.
//   kResponse      an agent's reply to customer messages still unanswered; `wait` from the
//                  oldest of them.
//   kCustomerMessage / kAgentMessage   one transcript entry (reply ratio).
//   kClosed        the session closed: by its agent, or the customer left (CustomerLeft,
//                  disposition abandoned); `handle` is accept -> close; `disposition`. A
//                  session closed before an answer has no agent and a `handle` of 0.
//   kRecontact     a new contact of a customer who had a session closed on the same topic
//                  within the first-contact-resolution window.
//   kRating        a CSAT rating (1-5) the adapter reported.
//   kOrder         a business service reported an order (contacts per order).
//   kTransferred   moved to another queue or agent (the target counts a new kQueued).
//   kOpened        a session opened (the "contacts" of contacts per order); its first
//                  contact is a kQueued of the same turn.
//
// `agent` and `group` name the agent involved: the one who accepted (kAnswered), was offered
// (kOfferMissed) or held the session (kClosed, kRating); empty otherwise (the per-message
// events leave them out: the metrics do not break messages down by agent).
//
// Thread rules: plain data.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "core/model.h"

namespace switchboard::core {

struct ContactLabels {
  std::string queue;
  Channel channel = Channel::kIm;
  std::string tenant;
  std::string topic;

  bool operator==(const ContactLabels&) const = default;
};

struct ContactEvent {
  enum class Kind : uint8_t {
    kQueued,
    kAnswered,
    kAbandoned,
    kOverflowed,
    kOfferMissed,
    kFirstResponse,
    kResponse,
    kCustomerMessage,
    kAgentMessage,
    kClosed,
    kRecontact,
    kRating,
    kOrder,
    kTransferred,
    kOpened,
  };

  Kind kind = Kind::kQueued;
  ContactLabels labels;
  std::string group;       // the agent's group, where an agent is involved
  std::string agent;       // the agent's id, where an agent is involved
  Micros wait = 0;         // kAnswered, kAbandoned, kOverflowed, kFirstResponse, kResponse
  Micros handle = 0;       // kClosed
  // kClosed: how it closed. kRecontact: how the earlier session on the topic closed.
  Disposition disposition = Disposition::kResolved;
  bool short_abandon = false;                        // kAbandoned
  uint8_t rating = 0;                                // kRating: 1-5
  uint32_t count = 0;                                // kOrder: orders reported (>= 1)

  bool operator==(const ContactEvent&) const = default;
};

}  // namespace switchboard::core
