package riverqueue_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/go-openai-webhooks/webhooks"
	"github.com/go-openai-webhooks/webhooks/riverqueue"
	"github.com/go-openai-webhooks/webhooks/riverqueue/sqlite"
	"github.com/go-openai-webhooks/webhooks/webhookstest"
)

// A Handler with a queue answers once the delivery is committed; the
// queue's workers run the callback afterwards, and its writes in the job's
// transaction commit with the job.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "riverqueue-example-")
	defer os.RemoveAll(dir)
	db, err := sqlite.Open(filepath.Join(dir, "queue.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	driver := riversqlite.New(db)
	if err := riverqueue.Migrate(ctx, driver, ""); err != nil {
		log.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE batches (id TEXT PRIMARY KEY)`); err != nil {
		log.Fatal(err)
	}
	queue, err := riverqueue.New(driver, riverqueue.WithWorkers(2))
	if err != nil {
		log.Fatal(err)
	}

	secret := webhookstest.NewSecret()
	verifier, err := webhooks.NewVerifier(secret)
	if err != nil {
		log.Fatal(err)
	}
	done := make(chan string)
	handler := webhooks.NewHandler(verifier, nil,
		webhooks.On(func(ctx context.Context, e webhooks.BatchCompletedWebhookEvent) error {
			// The slow work would be here: downloading the batch's output.
			tx, err := riverqueue.Tx[*sql.Tx](ctx)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO batches (id) VALUES (?)`, e.Data.ID)
			done <- e.Data.ID
			return err
		}),
		webhooks.WithQueue(queue))

	body := webhookstest.Sample(webhooks.EventTypeBatchCompleted)
	o := handler.Receive(ctx, body, webhookstest.Headers(secret, body))
	fmt.Println(o.Status, o.Result)

	if err := queue.Start(ctx, handler); err != nil {
		log.Fatal(err)
	}
	defer queue.Stop(ctx)
	select {
	case id := <-done:
		fmt.Println("processed", id[:6])
	case <-time.After(time.Minute):
		fmt.Println("not processed")
	}
	// Output:
	// 200 enqueued
	// processed batch_
}
