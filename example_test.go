package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/go-openai-webhooks/webhooks"
)

// exampleSecret stands in for the secret OpenAI shows when you create a
// webhook endpoint; a service reads it from os.Getenv(webhooks.SecretEnv).
const exampleSecret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// signedAt is when the example deliveries were signed; the examples set the
// verifier's clock just after it, so that their output does not depend on
// the day they run.
var signedAt = time.Unix(1750287020, 0)

func exampleClock() time.Time { return signedAt.Add(2 * time.Second) }

// exampleHeaders signs body as OpenAI would and returns the headers of the
// delivery.
func exampleHeaders(id string, body []byte) http.Header {
	sig, err := webhooks.Sign(exampleSecret, id, signedAt, body)
	if err != nil {
		log.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhooks.HeaderID, id)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10))
	h.Set(webhooks.HeaderSignature, sig)
	return h
}

func ExampleUnwrap() {
	body, err := os.ReadFile("testdata/response.completed.json")
	if err != nil {
		log.Fatal(err)
	}
	headers := exampleHeaders("wh_685343a1b2c48190a0e7f2c1b3d4e5f6", body)

	event, err := webhooks.Unwrap(body, headers, exampleSecret, webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}
	switch e := event.(type) {
	case webhooks.ResponseCompletedWebhookEvent:
		fmt.Println("response completed:", e.Data.ID)
	case webhooks.ResponseFailedWebhookEvent:
		fmt.Println("response failed:", e.Data.ID)
	case webhooks.UnknownEvent:
		fmt.Println("event of a newer type:", e.Type)
	default:
		fmt.Println("not handled here:", event.EventType())
	}
	fmt.Println("event", event.EventID(), "created", event.EventTime().Format(time.RFC3339))

	// Output:
	// response completed: resp_685343a0b1fc8190a0a6f7cbd4b1c3e2
	// event evt_685343a1381c819085d44c354e1b330e created 2025-06-18T22:50:18Z
}

func ExampleSign() {
	body := []byte(`{"id":"evt_1","object":"event","created_at":1750287018,"type":"batch.completed","data":{"id":"batch_1"}}`)
	sig, err := webhooks.Sign(exampleSecret, "wh_1", signedAt, body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sig)

	// A test sends body with these headers to the handler under test.
	req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", bytes.NewReader(body))
	req.Header.Set(webhooks.HeaderID, "wh_1")
	req.Header.Set(webhooks.HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10))
	req.Header.Set(webhooks.HeaderSignature, sig)

	v, err := webhooks.NewVerifier(exampleSecret, webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verifies:", v.Verify(body, req.Header) == nil)

	// Output:
	// v1,SLKIVdjL7HrYwBqIda30zeCQu0B2P+JxsydbR/PPkgI=
	// verifies: true
}

func ExampleWithAdditionalSecrets() {
	// During a rotation, accept deliveries signed with the new secret and
	// with the old one, which OpenAI may still be using.
	newSecret := "whsec_ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="
	v, err := webhooks.NewVerifier(newSecret,
		webhooks.WithAdditionalSecrets(exampleSecret),
		webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","created_at":1750287018,"type":"batch.completed","data":{"id":"batch_1"}}`)
	fmt.Println(v.Verify(body, exampleHeaders("wh_1", body))) // signed with the old secret

	// Output:
	// <nil>
}

// Example shows a net/http handler written with Unwrap: it limits the size
// of the body, answers 400 to any delivery that is not authentic and valid,
// and 200 once the event is handled. (The Handler type does all of this, and
// deduplicates retried deliveries too.)
func Example() {
	// In a service: webhooks.NewVerifier(os.Getenv(webhooks.SecretEnv)).
	verifier, err := webhooks.NewVerifier(exampleSecret, webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		event, err := verifier.Unwrap(body, r.Header)
		if err != nil {
			// Log err (it names what was wrong), but answer without it.
			http.Error(w, "invalid webhook", http.StatusBadRequest)
			return
		}
		switch e := event.(type) {
		case webhooks.BatchCompletedWebhookEvent:
			fmt.Println("batch completed:", e.Data.ID)
		default:
			fmt.Println("ignored:", event.EventType())
		}
		w.WriteHeader(http.StatusOK)
	})

	body, err := os.ReadFile("testdata/batch.completed.json")
	if err != nil {
		log.Fatal(err)
	}
	headers := exampleHeaders("wh_6853b1d4b0c48190a9f8e7d6c5b4a392", body)
	tampered := bytes.Replace(body, []byte("batch_"), []byte("batch-"), 1)
	for _, b := range [][]byte{body, tampered} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", bytes.NewReader(b))
		req.Header = headers.Clone()
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}

	// Output:
	// batch completed: batch_6853a7b0c4e88190a5c2a4e2a1f3b9d3
	// 200
	// 400
}

// Example_handler receives deliveries with a Handler: it verifies them,
// processes each webhook-id once, and answers with the status that makes
// OpenAI retry exactly the deliveries that were not processed.
func Example_handler() {
	verifier, err := webhooks.NewVerifier(exampleSecret, webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}
	handler := webhooks.NewHandler(verifier,
		func(ctx context.Context, e webhooks.Event) error {
			d, _ := webhooks.DeliveryFromContext(ctx)
			fmt.Printf("processing delivery %s: %s %s\n", d.ID, e.EventType(), e.EventID())
			return nil
		},
		webhooks.WithErrorHandler(func(r *http.Request, err error) {
			fmt.Println("rejected, bad signature:", errors.Is(err, webhooks.ErrInvalidSignature))
		}),
	)

	body, err := os.ReadFile("testdata/batch.completed.json")
	if err != nil {
		log.Fatal(err)
	}
	headers := exampleHeaders("wh_6853b1d4b0c48190a9f8e7d6c5b4a392", body)
	tampered := bytes.Replace(body, []byte("completed"), []byte("cancelled"), 1)
	for _, b := range [][]byte{body, body, tampered} { // the second is a retry
		req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", bytes.NewReader(b))
		req.Header = headers.Clone()
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(rec.Code)
	}

	// Output:
	// processing delivery wh_6853b1d4b0c48190a9f8e7d6c5b4a392: batch.completed evt_6853b1d4a0fc8190b6f1c2d3e4a5b6c7
	// 200
	// 200
	// rejected, bad signature: true
	// 400
}

// ExampleOn registers a callback per event type: each receives its own
// struct, with no type assertion. Types without a callback go to the
// fallback, here nil, so they are acknowledged and dropped.
func ExampleOn() {
	verifier, err := webhooks.NewVerifier(exampleSecret, webhooks.WithClock(exampleClock))
	if err != nil {
		log.Fatal(err)
	}
	handler := webhooks.NewHandler(verifier, nil,
		webhooks.On(func(ctx context.Context, e webhooks.RealtimeCallIncomingWebhookEvent) error {
			fmt.Printf("call %s from %d SIP headers\n", e.Data.CallID, len(e.Data.SipHeaders))
			return nil
		}),
		webhooks.On(func(ctx context.Context, e webhooks.BatchFailedWebhookEvent) error {
			return fmt.Errorf("cannot requeue batch %s yet", e.Data.ID) // answered 500: OpenAI retries
		}),
	)

	for i, name := range []string{"realtime.call.incoming", "batch.failed", "eval.run.succeeded"} {
		body, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			log.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/webhooks/openai", bytes.NewReader(body))
		req.Header = exampleHeaders(fmt.Sprintf("wh_%d", i), body)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(name, rec.Code)
	}

	// Output:
	// call rtc_479a275623b54bdb9b6fbae2f7cbd408 from 8 SIP headers
	// realtime.call.incoming 200
	// batch.failed 500
	// eval.run.succeeded 200
}
