#include "admin_wire.h"

#include <type_traits>
#include <utility>

namespace switchboard::client::internal {
namespace {

static_assert(static_cast<int>(SessionState::kClosed) ==
              static_cast<int>(wire::SessionState::Closed));
static_assert(static_cast<int>(wire::SessionState::MAX) == static_cast<int>(SessionState::kClosed));

std::string Str(const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); }

flatbuffers::Offset<flatbuffers::String> OptionalString(flatbuffers::FlatBufferBuilder& fbb,
                                                        const std::string& s) {
  return s.empty() ? flatbuffers::Offset<flatbuffers::String>() : fbb.CreateString(s);
}

}  // namespace

void EncodeAdminRequest(protocol::FrameBuilder& b, uint64_t request_id,
                        const AdminRequest& request) {
  auto& fbb = b.fbb();
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, TranscriptLookup>) {
          auto body =
              wire::CreateTranscriptRequest(fbb, request_id, r.session_id, r.after_index, r.limit);
          b.Add(0, wire::Body::TranscriptRequest, body.Union());
        } else if constexpr (std::is_same_v<T, QaLookup>) {
          auto cursor = OptionalString(fbb, r.cursor);
          auto body = wire::CreateQaSessionsRequest(fbb, request_id, r.from_us, r.to_us,
                                                    r.recheck, cursor, r.limit);
          b.Add(0, wire::Body::QaSessionsRequest, body.Union());
        } else if constexpr (std::is_same_v<T, ArrivalsLookup>) {
          auto queue = OptionalString(fbb, r.queue);
          auto cursor = OptionalString(fbb, r.cursor);
          auto body = wire::CreateArrivalsRequest(fbb, request_id, queue, r.from_us, r.to_us,
                                                  cursor, r.limit);
          b.Add(0, wire::Body::ArrivalsRequest, body.Union());
        } else if constexpr (std::is_same_v<T, ReloadRoutingCall>) {
          b.Add(0, wire::Body::ReloadRouting, wire::CreateReloadRouting(fbb, request_id).Union());
        } else {
          static_assert(std::is_same_v<T, SessionsLookup>);
          auto tenant = OptionalString(fbb, r.tenant);
          auto customer_id = OptionalString(fbb, r.customer_id);
          auto agent_id = OptionalString(fbb, r.agent_id);
          auto cursor = OptionalString(fbb, r.cursor);
          auto body = wire::CreateSessionsRequest(fbb, request_id, tenant, customer_id, agent_id,
                                                  r.from_us, r.to_us, cursor, r.limit);
          b.Add(0, wire::Body::SessionsRequest, body.Union());
        }
      },
      request);
}

std::optional<AdminAnswer> AdminAnswerFromWire(const wire::Envelope& env) {
  if (const auto* t = env.body_as_TranscriptPage()) {
    TranscriptPage page;
    page.session_id = t->session_id();
    page.next_index = t->next_index();
    page.more = t->more();
    if (t->entries() != nullptr) {
      page.entries.reserve(t->entries()->size());
      for (const wire::TranscriptItem* item : *t->entries()) {
        TranscriptEntry e;
        e.index = item->index();
        e.from = static_cast<Party>(item->from());
        e.agent_id = Str(item->agent_id());
        e.text = Str(item->text());
        e.at_us = item->at_us();
        page.entries.push_back(std::move(e));
      }
    }
    return AdminAnswer{t->request_id(), std::move(page)};
  }
  if (const auto* p = env.body_as_SessionsPage()) {
    SessionsPage page;
    page.next_cursor = Str(p->next_cursor());
    page.more = p->more();
    if (p->sessions() != nullptr) {
      page.sessions.reserve(p->sessions()->size());
      for (const wire::SessionSummary* in : *p->sessions()) {
        SessionSummary s;
        s.session_id = in->session_id();
        s.tenant = Str(in->tenant());
        s.channel = static_cast<Channel>(in->channel());
        s.customer_id = Str(in->customer_id());
        s.agent_id = Str(in->agent_id());
        s.state = static_cast<SessionState>(in->state());
        s.queue = Str(in->queue());
        s.created_at_us = in->created_at_us();
        s.answered_at_us = in->answered_at_us();
        s.closed_at_us = in->closed_at_us();
        s.disposition = static_cast<Disposition>(in->disposition());
        s.transcript_size = in->transcript_size();
        s.topic = Str(in->topic());
        page.sessions.push_back(std::move(s));
      }
    }
    return AdminAnswer{p->request_id(), std::move(page)};
  }
  if (const auto* a = env.body_as_ArrivalsPage()) {
    ArrivalsPage page;
    page.next_cursor = Str(a->next_cursor());
    page.more = a->more();
    if (a->hours() != nullptr) {
      page.hours.reserve(a->hours()->size());
      for (const wire::HourlyArrivals* in : *a->hours()) {
        page.hours.push_back({Str(in->queue()), in->hour_start_us(), in->arrivals()});
      }
    }
    return AdminAnswer{a->request_id(), std::move(page)};
  }
  if (const auto* r = env.body_as_RoutingReloaded()) {
    return AdminAnswer{r->request_id(), RoutingReloadedAnswer{}};
  }
  return std::nullopt;
}

}  // namespace switchboard::client::internal
