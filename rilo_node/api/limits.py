"""The limits of one SubmitSeizures call (docs/api.md#submitseizures-limits-and-failed-streams), and
what one ExportRecords call holds.

Here, not in services.py, so that clients (the command line) read them without loading the servicers.

The reply carries one SubmitResult per seizure of the stream. It stays under the 16 MiB message limit
(`MAX_MESSAGE_BYTES` in api/server.py) whatever the stream holds, because both the number of seizures
and the size of each result are bounded: a refused result (the larger kind) takes at most
`SUBMIT_RESULT_MAX_BYTES` = 655 bytes, so a reply at the stream cap is at most `SUBMIT_REPLY_MAX_BYTES`
= 10,000 × 655 + 12 = 6,550,012 bytes, 39 % of the limit, leaving room for fields added later
(tests/cluster/test_submit_limits.py builds that reply and a real one at the caps).

Why these numbers:
- per message, 1,000: one message is one task of the store's writer, which runs a task whole (other
  writers wait behind it), and the node checks and signs a message before it reads the next one;
  1,000 seizures are about half a second of work. The command line sends 100 per message.
- per stream, 10,000: what keeps the reply bounded (above), a few seconds of node work at the
  measured ingest rate (docs/benchmarks.md), and so at most that much for a client to send again
  after a failed stream. The command line sends 1,000 per stream (`seizure import --batch`), the
  simulator 500, the benchmarks 10,000.
"""

from __future__ import annotations

MAX_SUBMISSIONS_PER_MESSAGE = 1_000
MAX_SUBMISSIONS_PER_STREAM = 10_000

# A refused result's `field` and `message`, in bytes of UTF-8; a longer one is cut and ends with "…".
# The longest the checks write (an unknown category, followed by every category) is under 500 bytes;
# only a message quoting a long input value is cut.
MAX_RESULT_FIELD_BYTES = 128
MAX_RESULT_MESSAGE_BYTES = 512

# The encoded size of the largest SubmitResult as an element of `results`: tag 1 + length 2; index
# 1 + 3 (any index below 2**21); code 1 + 1 (0 to 16); field 1 + 2 + 128; message 1 + 2 + 512. A stored
# result (index, key: origin of at most 63 characters, a ULID or 36-character UUID, any version;
# created) takes at most 124 bytes.
SUBMIT_RESULT_MAX_BYTES = 3 + 4 + 2 + (3 + MAX_RESULT_FIELD_BYTES) + (3 + MAX_RESULT_MESSAGE_BYTES)
# Plus `stored` and `refused`, 1 + 5 bytes each at most.
SUBMIT_REPLY_MAX_BYTES = MAX_SUBMISSIONS_PER_STREAM * SUBMIT_RESULT_MAX_BYTES + 12

# ExportRecords reads the store a page of records at a time, and a page is what the node holds for a call
# whose reader is slow (besides the one message being sent; what HTTP/2 flow control lets go ahead waits in
# the reader's buffers, not the node's). 50 records of the ~10 KB of a long description are 0.5 MB; with 500,
# the store's default page, 8 unread exports of 9 KB records held +28 MiB of the node's memory (measured).
EXPORT_PAGE = 50
