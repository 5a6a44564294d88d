package notify

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/housecall/housecall/store"
)

// Notification is one outbox row ready to deliver: the row's fields, its
// rendered subject and text, and its idempotency key.
type Notification struct {
	ID        int64
	Key       string // store.Outgoing.Key(): the same for every attempt
	RequestID string
	Seq       int64
	Idx       int
	Audience  string
	Recipient string
	Message   string
	Rule      string
	Lang      string
	Urgent    bool
	Subject   string
	Text      string
	Params    map[string]string
	CreatedAt time.Time
	Attempt   int // 1 for the first attempt
	// Link is the customer's own link to their request (audience customer,
	// when the dispatcher makes links; "" otherwise).
	Link string
}

// NewNotification renders o with render (nil: Render).
func NewNotification(o store.Outgoing, render func(store.Outgoing) (subject, text string)) Notification {
	if render == nil {
		render = Render
	}
	subject, text := render(o)
	params := o.Params
	if params == nil {
		params = map[string]string{}
	}
	return Notification{
		ID: o.ID, Key: o.Key(), RequestID: o.RequestID, Seq: o.Seq, Idx: o.Idx,
		Audience: o.Audience, Recipient: o.Recipient, Message: o.Message, Rule: o.Rule, Lang: o.Lang,
		Urgent: o.Urgent, Subject: subject, Text: text, Params: params, CreatedAt: o.CreatedAt, Attempt: o.Attempts,
	}
}

// Notifier delivers notifications. Send returns nil once the notification is
// delivered (or the gateway already had its Key); an error wrapped in
// *Permanent gives the notification up at once; any other error is retried,
// after RetryAfter(err) at the earliest when the error carries one.
// Send is called concurrently.
type Notifier interface {
	Send(ctx context.Context, n Notification) error
}

// LogNotifier writes every notification to the log; it is the dispatcher's
// default when no gateway is configured. At info level only what identifies
// it (request, audience, message kind, rule, key); the recipient, subject and
// text — customers' names, phones and addresses — only at debug level.
type LogNotifier struct {
	Log *zap.Logger
}

// Send logs n; it never fails.
func (l LogNotifier) Send(_ context.Context, n Notification) error {
	log := l.Log
	if log == nil {
		log = zap.NewNop()
	}
	log = log.With(
		zap.String("request_id", n.RequestID),
		zap.String("audience", n.Audience),
		zap.String("message", n.Message),
		zap.String("rule", n.Rule),
		zap.String("key", n.Key),
		zap.Bool("urgent", n.Urgent),
	)
	if ce := log.Check(zap.DebugLevel, "notification"); ce != nil {
		ce.Write(zap.String("recipient", n.Recipient), zap.String("subject", n.Subject), zap.String("text", n.Text))
		return nil
	}
	log.Info("notification")
	return nil
}
