package codec

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"google.golang.org/protobuf/proto"
)

// DecodeHistory returns a copy of h with every payload decrypted (search
// attributes, which Temporal indexes, are never encrypted): what an auditor
// reads, and what a replayer with the default converters replays. With a nil
// codec, h is returned as it is.
func DecodeHistory(ctx context.Context, c *Codec, h *historypb.History) (*historypb.History, error) {
	if c == nil {
		return h, nil
	}
	out := proto.Clone(h).(*historypb.History)
	err := proxy.VisitPayloads(ctx, out, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return c.Decode(ps)
		},
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
