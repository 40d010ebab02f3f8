// Admin lookups for quality inspection and staffing: a session's transcript, the sessions of
// a customer or of an agent over a time range, the sessions sampled for inspection, and the
// hourly arrival counts, page by page (TranscriptRequest, SessionsRequest, QaSessionsRequest
// and ArrivalsRequest in schemas/wire.fbs).
//
// The engine hands each request here as it drains it and sends the answer to the peer with
// the turn's other direct replies. Requests read the store directly: they see what was
// committed before the current loop turn, not that turn's own changes (a message in the same
// drained batch as the request is not in the answer yet). They change nothing and are not
// acknowledged (seq 0). A page holds at most kMaxAdminPageItems items, and fewer if they
// would not fit in a frame.
//
// Thread rules: the loop thread, like the store's readers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "core/model.h"
#include "protocol/frame.h"
#include "store/store.h"
#include "wire_generated.h"

namespace switchboard::engine {

constexpr uint32_t kMaxAdminPageItems = 1000;
constexpr uint32_t kDefaultAdminPageItems = 100;  // for a request with limit 0

// Answers `env` (one of the admin requests above) from `role`'s client: appends one
// envelope to `b`, the page or an Error with ref_seq 0 and the request's request_id. Only
// roles Admin and Service may ask (WrongRole otherwise); requests carry seq 0 (BadRequest
// otherwise, naming the seq). Returns Ok for a page, else the error that was answered (for
// the rejection metric). A store read failure is answered with Internal and does not stop
// the broker. `max_frame_bytes`: the frame limit the answer must stay under.
Status AnswerAdminRequest(const wire::Envelope& env, core::Role role, store::Store& store,
                          size_t max_frame_bytes, protocol::FrameBuilder& b);

}  // namespace switchboard::engine
