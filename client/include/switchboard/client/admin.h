// Admin: a read-only connection for quality inspection, support and staffing tools. It looks
// up a session's transcript, the sessions of a customer or of an agent over a time range, the
// sessions sampled for quality inspection, and the hourly arrival counts, page by page.
//
//   AdminOptions options;
//   options.client_id = "qa-console-1";
//   auto admin = Admin::Connect("tcp://127.0.0.1:5570", options);
//   auto page = admin->SessionsOfCustomer("acme", "c-42", 0, 0, "", 50, 5s);
//   while (page.ok()) {
//     for (const SessionSummary& s : page->sessions) { ... }
//     if (!page->more) break;
//     page = admin->SessionsOfCustomer("acme", "c-42", 0, 0, page->next_cursor, 50, 5s);
//   }
//
// Each lookup blocks until the broker's answer, at most `timeout`; it keeps the connection
// alive meanwhile, and events that arrive (Disconnected, Reconnected, ...) wait for the next
// Poll. Lookups are not numbered and not acknowledged: they change nothing, and one cut off
// by a reconnect is asked again. Answers hold what the broker had stored when it read them;
// a page holds at most 1000 items (fewer if they would not fit in a frame). The broker
// keeps history for its retention period (default 30 days): older transcripts and closed
// sessions are gone.
//
// Every lookup fails with kTimeout (no answer in time), kWrongRole (the broker does not take
// this client as an admin), kBadRequest (bad arguments, e.g. a malformed cursor), or
// kInternal (the broker could not read its store); Transcript also with kUnknownSession.
//
// Thread rules and the common functions (Poll, connected, broker): see client.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/client/client.h"
#include "switchboard/client/error.h"
#include "switchboard/client/types.h"

namespace switchboard::client {

struct AdminOptions {
  // Required: this tool's stable name. A second connection with the same name replaces the
  // first, so give each running tool its own.
  std::string client_id;
  // How often to heartbeat when idle; the broker's Welcome may set another. Default 1 s.
  std::chrono::milliseconds heartbeat{1000};
  // How long Connect waits for the broker's Welcome. Default 5 s.
  std::chrono::milliseconds connect_timeout{5000};
};

// Where a session is in its life. Numbered as on the wire; other values keep their number.
enum class SessionState : uint8_t { kQueued = 0, kOffered = 1, kActive = 2, kClosed = 3 };
// "queued", "offered", "active", "closed"; "unknown" for other values.
std::string_view SessionStateName(SessionState state);

// One message of a transcript.
struct TranscriptEntry {
  uint32_t index = 0;  // position in the transcript, from 0
  Party from = Party::kCustomer;
  std::string agent_id;  // who wrote it, for from == kAgent
  std::string text;
  int64_t at_us = 0;  // when the broker stored it, microseconds since the Unix epoch

  bool operator==(const TranscriptEntry&) const = default;
};

struct TranscriptPage {
  uint64_t session_id = 0;
  std::vector<TranscriptEntry> entries;  // in index order
  uint32_t next_index = 0;               // the after_index of the next page
  bool more = false;                     // more entries were stored when the broker read

  bool operator==(const TranscriptPage&) const = default;
};

// What a sessions lookup tells of each session.
struct SessionSummary {
  uint64_t session_id = 0;
  std::string tenant;
  Channel channel = Channel::kIm;
  std::string customer_id;
  std::string agent_id;  // the agent holding it, or who held it when it closed
  SessionState state = SessionState::kQueued;
  std::string queue;
  int64_t created_at_us = 0;
  int64_t answered_at_us = 0;  // 0 if not accepted (or moved back to the queue)
  int64_t closed_at_us = 0;    // 0 while open
  Disposition disposition = Disposition::kResolved;  // meaningful once closed
  uint32_t transcript_size = 0;
  std::string topic;

  bool operator==(const SessionSummary&) const = default;
};

struct SessionsPage {
  std::vector<SessionSummary> sessions;  // oldest first
  std::string next_cursor;               // with more: the cursor of the next page
  bool more = false;

  bool operator==(const SessionsPage&) const = default;
};

// One hour's count of contacts that entered a queue.
struct HourlyArrivals {
  std::string queue;
  int64_t hour_start_us = 0;  // the hour's start (UTC), microseconds since the Unix epoch
  uint64_t arrivals = 0;

  bool operator==(const HourlyArrivals&) const = default;
};

struct ArrivalsPage {
  std::vector<HourlyArrivals> hours;  // by hour, then queue; hours without arrivals are absent
  std::string next_cursor;            // with more: the cursor of the next page
  bool more = false;

  bool operator==(const ArrivalsPage&) const = default;
};

class Admin : public Client {
 public:
  // Connects to the broker at `endpoint` and signs in with role Admin, blocking until the
  // Welcome, at most options.connect_timeout. Fails like Adapter::Connect.
  static Result<Admin> Connect(std::string_view endpoint, AdminOptions options) noexcept;

  // The entries of a session's transcript with index >= after_index (0 for the start, then
  // the previous page's next_index), at most `limit` (0: 100; at most 1000). Fails with
  // kUnknownSession if the broker has no such session (never, or expired), kInvalidArgument
  // for session id 0.
  Result<TranscriptPage> Transcript(uint64_t session_id, uint32_t after_index, uint32_t limit,
                                    std::chrono::milliseconds timeout) noexcept;

  // The sessions of a customer of a tenant created in [from_us, to_us) (microseconds since
  // the Unix epoch; to_us 0: no end), oldest first. `cursor`: empty for the first page, then
  // the previous page's next_cursor, with the same other arguments. `limit` as Transcript.
  // Fails with kInvalidArgument for an empty tenant or customer id.
  Result<SessionsPage> SessionsOfCustomer(std::string_view tenant, std::string_view customer_id,
                                          int64_t from_us, int64_t to_us, std::string_view cursor,
                                          uint32_t limit,
                                          std::chrono::milliseconds timeout) noexcept;

  // The sessions an agent accepted in [from_us, to_us), by the time it accepted them, oldest
  // first; also those later moved to another agent (their agent_id shows the new one).
  // Otherwise as SessionsOfCustomer. Fails with kInvalidArgument for an empty agent id.
  Result<SessionsPage> SessionsOfAgent(std::string_view agent_id, int64_t from_us, int64_t to_us,
                                       std::string_view cursor, uint32_t limit,
                                       std::chrono::milliseconds timeout) noexcept;

  // The closed sessions the broker sampled for quality inspection (`recheck`: only those
  // picked again for a re-check) that closed in [from_us, to_us), by close time. Otherwise
  // as SessionsOfCustomer.
  Result<SessionsPage> QaSessions(int64_t from_us, int64_t to_us, bool recheck,
                                  std::string_view cursor, uint32_t limit,
                                  std::chrono::milliseconds timeout) noexcept;

  // The broker's hourly counts of contacts that entered `queue` (empty: every queue) for the
  // hours that overlap [from_us, to_us) (to_us 0: no end). `cursor` and `limit` (hours per
  // page) as SessionsOfCustomer.
  Result<ArrivalsPage> Arrivals(std::string_view queue, int64_t from_us, int64_t to_us,
                                std::string_view cursor, uint32_t limit,
                                std::chrono::milliseconds timeout) noexcept;
  // Asks the broker to re-read its routing file. Ok once the broker loaded it; else the
  // broker's error: kBadRequest with the load error (naming line and field), or "this broker
  // has no routing file"; kWrongRole unless this client signed in as an admin; kTimeout.
  Status ReloadRouting(std::chrono::milliseconds timeout) noexcept;

 private:
  explicit Admin(std::unique_ptr<internal::Connection> connection) noexcept;
};

}  // namespace switchboard::client
