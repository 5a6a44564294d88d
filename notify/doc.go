// Package notify delivers the notifications the ServiceRequest workflow
// queues in the PostgreSQL outbox (table notifications, see store/outbox.go).
//
// A workflow step decides who is told what (an sop.Message with parameters);
// store.Commit writes those rows in the same transaction as the step and sends
// a NOTIFY on store.OutboxChannel. The Dispatcher LISTENs on that channel (and
// polls as a fallback), claims the due rows, renders each one (Render: Chinese
// or English for customers by their language, bilingual for staff), hands it
// to a Notifier and records the outcome: MarkSent, MarkRetry with exponential
// backoff, or MarkFailed after MaxAttempts or on a Permanent error.
//
// # Delivery guarantee and idempotency
//
// Delivery is at least once. A row is claimed under a lease (ClaimDue) and,
// once delivered, marked sent (sent_at) and never claimed again. If the
// process dies between the gateway accepting a notification and MarkSent
// (or MarkSent itself fails), the lease runs out and the row is sent again,
// by this or another dispatcher. Every delivery of the same row therefore
// carries the same idempotency key, store.Outgoing.Key() =
// "<request id>/<step seq>/<index in step>", and a gateway that sees a key it
// has already delivered must acknowledge it (2xx) without delivering again.
// A step that is retried or replayed by Temporal cannot enqueue a second row:
// (request_id, seq, idx) is unique and Commit is idempotent per step.
// A dispatcher that stops mid-batch, or whose lease is mostly gone before a
// row's turn comes, hands the row back unsent (due at once) rather than
// leaving it leased or sending it when another dispatcher may have it.
//
// # Webhook
//
// WebhookNotifier POSTs each notification as JSON:
//
//	{"key","request_id","audience","recipient","message","rule","lang","urgent",
//	 "subject","text","params","created_at"}
//
// with the headers
//
//	Content-Type: application/json
//	Idempotency-Key: <key>
//	X-Housecall-Timestamp: <unix seconds>
//	X-Housecall-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//
// A gateway verifies a request by recomputing the HMAC over the timestamp
// header, a dot and the raw body bytes exactly as received, comparing it in
// constant time, and rejecting timestamps too far from its own clock (which
// bounds replays); Verify does exactly that. The gateway answers 2xx when it
// has taken the notification (or already had it: same Idempotency-Key);
// 408, 429 and 5xx are retried, honouring Retry-After; any other 4xx is a
// permanent failure and the row is given up at once.
package notify
