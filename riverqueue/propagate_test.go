package riverqueue_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
)

// traceKey holds a test's trace in a context.
type traceKey struct{}

// keyPropagator carries the trace under traceKey, as "trace" in a job.
type keyPropagator struct{}

func (keyPropagator) Inject(ctx context.Context, carrier map[string]string) {
	if trace, _ := ctx.Value(traceKey{}).(string); trace != "" {
		carrier["trace"] = trace
	}
}

func (keyPropagator) Extract(ctx context.Context, carrier map[string]string) context.Context {
	return context.WithValue(ctx, traceKey{}, "extracted "+carrier["trace"])
}

// TestPropagator enqueues a delivery from a request's context, then a copy
// from another, and checks what the job keeps and what its callback's
// context holds at each attempt: the first request's trace, carried by the
// job, and the queue's attempt.
func TestPropagator(t *testing.T) {
	forEngines(t, testPropagator[pgx.Tx], testPropagator[*sql.Tx])
}

func testPropagator[TTx any](t *testing.T, e engine[TTx]) {
	tests := []struct {
		name      string
		id        string
		opts      []riverqueue.Option
		trace     string            // what the request's context holds
		wantArgs  map[string]string // Args.Trace
		wantTrace string            // what the callback's context holds
	}{
		{"carried", "wh_trace_1", []riverqueue.Option{riverqueue.WithPropagator(keyPropagator{})}, "t1",
			map[string]string{"trace": "t1"}, "extracted t1"},
		{"nothing to carry", "wh_trace_2", []riverqueue.Option{riverqueue.WithPropagator(keyPropagator{})}, "",
			nil, ""},
		{"without a Propagator", "wh_trace_3", nil, "t3", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			type attempt struct {
				trace string
				n     int
			}
			attempts := make(chan attempt, 2)
			q := newQueue(t, e, append([]riverqueue.Option{riverqueue.WithWorkers(1)}, tt.opts...)...)
			h := webhooks.NewHandler(verifier(t), func(ctx context.Context, _ webhooks.Event) error {
				d, _ := webhooks.DeliveryFromContext(ctx)
				trace, _ := ctx.Value(traceKey{}).(string)
				attempts <- attempt{trace, d.Attempt}
				if d.Attempt == 1 {
					return errors.New("the first attempt fails")
				}
				return nil
			}, webhooks.WithQueue(q))
			body, headers := delivery(tt.id)
			o := h.Receive(context.WithValue(context.Background(), traceKey{}, tt.trace), body, headers)
			require.Equal(t, webhooks.ResultEnqueued, o.Result, "%v", o.Err)
			o = h.Receive(context.WithValue(context.Background(), traceKey{}, "another"), body, headers)
			require.Equal(t, webhooks.ResultDuplicate, o.Result, "a copy with another trace is a copy still")

			res, err := q.Client().JobList(context.Background(), river.NewJobListParams().Kinds(riverqueue.Kind).First(100))
			require.NoError(t, err)
			var args *riverqueue.Args
			for _, row := range res.Jobs {
				var a riverqueue.Args
				require.NoError(t, json.Unmarshal(row.EncodedArgs, &a))
				if a.DeliveryID == tt.id {
					args = &a
				}
			}
			require.NotNil(t, args, "the job of %s", tt.id)
			assert.Equal(t, tt.wantArgs, args.Trace)

			start(t, q, h)
			for n := 1; n <= 2; n++ {
				select {
				case got := <-attempts:
					assert.Equal(t, attempt{tt.wantTrace, n}, got, "attempt %d", n)
				case <-time.After(20 * time.Second):
					t.Fatalf("attempt %d did not come", n)
				}
			}
		})
	}
}
