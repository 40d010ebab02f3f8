// Payload: what the bench writes in a message's text so that the receiving side (a simulated
// worker or customer in the same process) can measure latency and follow the conversation
// without any shared state.
//
// Text layout: "SB1 <customer> <index> <count> <intended_ns> <arrival_ns> <handle_ns> "
// then '.' padding up to the requested size (a request below the header's length gives
// just the header, about 40-70 bytes). Times are nanoseconds on the bench's steady clock
// since the run started: the bench measures both ends, so no clock sync is needed.
//
// Thread rules: plain functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::bench {

struct Payload {
  uint64_t customer = 0;    // raw mode: the message number; contact-centre: the customer
  uint32_t index = 0;       // the customer's message number in its conversation, from 0
  uint32_t count = 0;       // messages the customer means to send (0: raw mode)
  int64_t intended_ns = 0;  // when the sender meant to send it (open-loop latency origin)
  int64_t arrival_ns = 0;   // contact-centre: when the customer arrived (wait origin)
  int64_t handle_ns = 0;    // contact-centre: how long the agent will take (drawn per customer)

  bool operator==(const Payload&) const = default;
};

// Writes `p` into `out` (replacing its contents) padded to `size` bytes; reuses out's buffer.
void EncodePayload(const Payload& p, size_t size, std::string& out);
std::string EncodePayload(const Payload& p, size_t size);
// nullopt if `text` does not start with a well-formed header.
std::optional<Payload> DecodePayload(std::string_view text);

}  // namespace switchboard::bench
