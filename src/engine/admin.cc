#include "engine/admin.h"

#include <algorithm>
#include <string>
#include <vector>

#include "protocol/convert.h"

namespace switchboard::engine {
namespace {

using protocol::Str;
using protocol::ToWire;

static_assert(static_cast<int>(wire::SessionState::Queued) ==
              static_cast<int>(core::SessionState::kQueued));
static_assert(static_cast<int>(wire::SessionState::Offered) ==
              static_cast<int>(core::SessionState::kOffered));
static_assert(static_cast<int>(wire::SessionState::Active) ==
              static_cast<int>(core::SessionState::kActive));
static_assert(static_cast<int>(wire::SessionState::Closed) ==
              static_cast<int>(core::SessionState::kClosed));

// Room left in a frame for everything but the page's items (envelope, frame, page table,
// an error's reason), with margin: the items' size estimates are upper bounds already.
constexpr size_t kFrameRoom = 16 * 1024;

uint32_t PageLimit(uint32_t asked) {
  return asked == 0 ? kDefaultAdminPageItems : std::min(asked, kMaxAdminPageItems);
}

Status Answer(protocol::FrameBuilder& b, uint64_t request_id, Status st) {
  Code code = st.code();
  std::string reason = st.message();
  if (code == Code::kStoreFailure) {
    // A failed read is this lookup's problem, not the broker's: it goes on.
    code = Code::kInternal;
    reason = "store read failed: " + reason;
  }
  reason += " (request " + std::to_string(request_id) + ")";
  auto& fbb = b.fbb();
  auto error = wire::CreateError(fbb, ToWire(code), fbb.CreateString(reason), /*ref_seq=*/0,
                                 /*position=*/0, /*expected_wait_ms=*/0, request_id);
  b.Add(0, wire::Body::Error, error.Union());
  return Status(code, std::move(reason));
}

void AddSessionsPage(uint64_t request_id, const store::SessionPage& page,
                     protocol::FrameBuilder& b);

Status AnswerTranscript(const wire::TranscriptRequest& r, store::Store& store, size_t budget,
                        protocol::FrameBuilder& b) {
  auto page =
      store.GetTranscriptPage(r.session_id(), r.after_index(), PageLimit(r.limit()), budget);
  if (!page.ok()) {
    return Answer(b, r.request_id(), page.status());
  }
  auto& fbb = b.fbb();
  std::vector<flatbuffers::Offset<wire::TranscriptItem>> items;
  items.reserve(page->entries.size());
  for (const core::TranscriptEntry& e : page->entries) {
    auto agent_id = e.agent_id.empty() ? 0 : fbb.CreateString(e.agent_id);
    auto text = fbb.CreateString(e.text);
    items.push_back(wire::CreateTranscriptItem(fbb, e.index, ToWire(e.from), agent_id, text, e.at));
  }
  auto entries = fbb.CreateVector(items);
  auto body = wire::CreateTranscriptPage(fbb, r.request_id(), r.session_id(), entries,
                                         page->next_index, page->more);
  b.Add(0, wire::Body::TranscriptPage, body.Union());
  return Status::Ok();
}

Status AnswerSessions(const wire::SessionsRequest& r, store::Store& store, size_t budget,
                      protocol::FrameBuilder& b) {
  const std::string tenant = Str(r.tenant());
  const std::string customer_id = Str(r.customer_id());
  const std::string agent_id = Str(r.agent_id());
  const std::string cursor = Str(r.cursor());
  Result<store::SessionPage> page = Status(Code::kInternal, "not read");
  if (!customer_id.empty() && agent_id.empty()) {
    if (tenant.empty()) {
      return Answer(b, r.request_id(),
                    Status(Code::kBadRequest, "the sessions of a customer need its tenant"));
    }
    page = store.SessionsOfCustomer(tenant, customer_id, r.from_us(), r.to_us(), cursor,
                                    PageLimit(r.limit()), budget);
  } else if (!agent_id.empty() && customer_id.empty()) {
    page = store.SessionsOfAgent(agent_id, r.from_us(), r.to_us(), cursor, PageLimit(r.limit()),
                                 budget);
  } else {
    return Answer(b, r.request_id(),
                  Status(Code::kBadRequest, "name either a customer_id or an agent_id"));
  }
  if (!page.ok()) {
    return Answer(b, r.request_id(), page.status());
  }
  AddSessionsPage(r.request_id(), *page, b);
  return Status::Ok();
}

void AddSessionsPage(uint64_t request_id, const store::SessionPage& page,
                     protocol::FrameBuilder& b) {
  auto& fbb = b.fbb();
  auto optional = [&fbb](const std::string& s) {
    return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s);
  };
  std::vector<flatbuffers::Offset<wire::SessionSummary>> items;
  items.reserve(page.sessions.size());
  for (const core::Session& s : page.sessions) {
    auto s_tenant = optional(s.tenant);
    auto s_customer = optional(s.customer_id);
    auto s_agent = optional(s.agent_id);
    auto s_queue = optional(s.queue);
    auto s_topic = optional(s.attributes.topic);
    items.push_back(wire::CreateSessionSummary(fbb, s.id, s_tenant, ToWire(s.channel), s_customer,
                                               s_agent, static_cast<wire::SessionState>(s.state),
                                               s_queue, s.created_at, s.answered_at, s.closed_at,
                                               ToWire(s.disposition), s.transcript_size, s_topic));
  }
  auto sessions = fbb.CreateVector(items);
  auto next_cursor = optional(page.next_cursor);
  auto body = wire::CreateSessionsPage(fbb, request_id, sessions, next_cursor, page.more);
  b.Add(0, wire::Body::SessionsPage, body.Union());
}

Status AnswerQaSessions(const wire::QaSessionsRequest& r, store::Store& store, size_t budget,
                        protocol::FrameBuilder& b) {
  auto page = store.QaSessions(r.recheck(), r.from_us(), r.to_us(), Str(r.cursor()),
                               PageLimit(r.limit()), budget);
  if (!page.ok()) {
    return Answer(b, r.request_id(), page.status());
  }
  AddSessionsPage(r.request_id(), *page, b);
  return Status::Ok();
}

Status AnswerArrivals(const wire::ArrivalsRequest& r, store::Store& store, size_t budget,
                      protocol::FrameBuilder& b) {
  auto page = store.ArrivalCounts(Str(r.queue()), r.from_us(), r.to_us(), Str(r.cursor()),
                                  PageLimit(r.limit()), budget);
  if (!page.ok()) {
    return Answer(b, r.request_id(), page.status());
  }
  auto& fbb = b.fbb();
  std::vector<flatbuffers::Offset<wire::HourlyArrivals>> items;
  items.reserve(page->hours.size());
  for (const store::ArrivalsHour& h : page->hours) {
    auto queue = fbb.CreateString(h.queue);
    items.push_back(wire::CreateHourlyArrivals(fbb, queue, h.hour, h.count));
  }
  auto hours = fbb.CreateVector(items);
  auto next_cursor = page->next_cursor.empty() ? flatbuffers::Offset<flatbuffers::String>()
                                               : fbb.CreateString(page->next_cursor);
  auto body = wire::CreateArrivalsPage(fbb, r.request_id(), hours, next_cursor, page->more);
  b.Add(0, wire::Body::ArrivalsPage, body.Union());
  return Status::Ok();
}

uint64_t RequestId(const wire::Envelope& env) {
  if (const auto* t = env.body_as_TranscriptRequest()) {
    return t->request_id();
  }
  if (const auto* s = env.body_as_SessionsRequest()) {
    return s->request_id();
  }
  if (const auto* q = env.body_as_QaSessionsRequest()) {
    return q->request_id();
  }
  if (const auto* a = env.body_as_ArrivalsRequest()) {
    return a->request_id();
  }
  return 0;
}

}  // namespace

Status AnswerAdminRequest(const wire::Envelope& env, core::Role role, store::Store& store,
                          size_t max_frame_bytes, protocol::FrameBuilder& b) {
  const uint64_t request_id = RequestId(env);
  if (role != core::Role::kAdmin && role != core::Role::kService) {
    return Answer(b, request_id,
                  Status(Code::kWrongRole,
                         "only an admin or service client may look up transcripts, sessions "
                         "and arrival counts; this client signed in as " +
                             std::string(core::RoleName(role))));
  }
  if (env.seq() != 0) {
    return Answer(b, request_id,
                  Status(Code::kBadRequest,
                         "admin requests are sent with seq 0, not " + std::to_string(env.seq())));
  }
  const size_t budget =
      max_frame_bytes > 2 * kFrameRoom ? max_frame_bytes - kFrameRoom : max_frame_bytes / 2;
  if (const auto* t = env.body_as_TranscriptRequest()) {
    return AnswerTranscript(*t, store, budget, b);
  }
  if (const auto* s = env.body_as_SessionsRequest()) {
    return AnswerSessions(*s, store, budget, b);
  }
  if (const auto* q = env.body_as_QaSessionsRequest()) {
    return AnswerQaSessions(*q, store, budget, b);
  }
  if (const auto* a = env.body_as_ArrivalsRequest()) {
    return AnswerArrivals(*a, store, budget, b);
  }
  return Answer(b, request_id, Status(Code::kInternal, "not an admin request"));
}

}  // namespace switchboard::engine
