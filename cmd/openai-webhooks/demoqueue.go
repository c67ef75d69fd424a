package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// slowWork is how long the queue demo's callback works on each event.
const slowWork = 1500 * time.Millisecond

// queueDemoTypes are the deliveries of the queue demo.
var queueDemoTypes = []webhooks.EventType{
	webhooks.EventTypeBatchCompleted, webhooks.EventTypeResponseCompleted, webhooks.EventTypeFineTuningJobSucceeded,
}

// runQueueDemo starts a receiver whose callback works for slowWork behind
// a River queue on SQLite, in a temporary file, sends it a delivery of each
// of queueDemoTypes and a copy of the first, and prints when each was
// answered and when processed. It fails unless every delivery was answered
// 200 before its callback finished, and each callback ran once.
func runQueueDemo(ctx context.Context, out io.Writer) error {
	dir, err := os.MkdirTemp("", "openai-webhooks-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	queue, closeDB, err := openQueue(ctx, queueSpec{"sqlite", filepath.Join(dir, "queue.db")}, true, riverqueue.WithWorkers(len(queueDemoTypes)))
	if err != nil {
		return err
	}
	defer closeDB()
	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	done := map[string]time.Time{} // webhook-id: when its callback finished
	calls := map[string]int{}
	handler := webhooks.NewHandler(verifier, func(ctx context.Context, e webhooks.Event) error {
		select { // the slow work: downloading a batch's output, say
		case <-time.After(slowWork):
		case <-ctx.Done():
			return ctx.Err()
		}
		d, _ := webhooks.DeliveryFromContext(ctx)
		mu.Lock()
		defer mu.Unlock()
		done[d.ID] = time.Now()
		calls[d.ID]++
		return nil
	}, webhooks.WithQueue(queue))
	if err := queue.Start(ctx, handler); err != nil {
		return err
	}
	defer queue.Stop(context.WithoutCancel(ctx))
	url, stop, err := serveLoopback(handler)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(out, "\nProcessing later: a callback that works %v on each event, behind a River queue\n", slowWork)
	fmt.Fprintf(out, "(SQLite, in a temporary file). The Handler answers once a delivery is committed:\n\n")
	type sent struct {
		typ      webhooks.EventType
		id       string
		status   int
		answered time.Time
	}
	var deliveries []sent
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tTYPE\tSTATUS\tANSWERED IN")
	var firstBody []byte
	var firstHeaders http.Header
	for i, t := range append(queueDemoTypes, queueDemoTypes[0]) {
		name, body := "sample", webhookstest.Sample(t)
		headers := webhookstest.Headers(secret, body)
		if i == 0 {
			firstBody, firstHeaders = body, headers
		} else if i == len(queueDemoTypes) {
			name, body, headers = "a copy of the first", firstBody, firstHeaders
		}
		sentAt := time.Now()
		status, err := post(ctx, url, body, headers)
		if err != nil {
			return fmt.Errorf("delivering %s: %w", t, err)
		}
		d := sent{t, headers.Get(webhooks.HeaderID), status, time.Now()}
		deliveries = append(deliveries, d)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%v\n", name, t, status, d.answered.Sub(sentAt).Round(100*time.Microsecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nThen its workers process each event, once:")
	deadline := time.Now().Add(30 * time.Second)
	printed := map[string]bool{}
	for len(printed) < len(queueDemoTypes) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		for _, d := range deliveries {
			if at, ok := done[d.id]; ok && !printed[d.id] {
				printed[d.id] = true
				fmt.Fprintf(out, "  processed %-26s %v after it was answered\n", d.typ, at.Sub(d.answered).Round(10*time.Millisecond))
			}
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range deliveries {
		switch {
		case d.status != http.StatusOK:
			return fmt.Errorf("%s was answered %d, not 200", d.typ, d.status)
		case calls[d.id] != 1:
			return fmt.Errorf("the callback of %s ran %d times, not once", d.typ, calls[d.id])
		case !done[d.id].After(d.answered):
			return fmt.Errorf("%s was answered only once its callback had finished", d.typ)
		}
	}
	fmt.Fprintf(out, "\nAll %d answered before their work was done; each processed once.\n", len(queueDemoTypes))
	return nil
}
