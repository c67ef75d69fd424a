package webhooks

import (
	jsonv1 "encoding/json"
	"encoding/json/v2"
	"slices"
	"time"
)

// EventType is the value of an event's "type" field, such as
// "response.completed". The EventType constants name every type this version
// decodes into its own struct; [EventTypes] lists them.
type EventType string

// EventTypes returns every event type that this version of the package
// decodes into its own struct, sorted. The slice is the caller's to modify.
func EventTypes() []EventType {
	return slices.Clone(knownTypes[:])
}

// Known reports whether t is one of [EventTypes], that is whether an event of
// type t decodes into its own struct rather than an [UnknownEvent].
func (t EventType) Known() bool {
	_, ok := eventDecoders[t]
	return ok
}

// Event is a decoded webhook event: a value of one of the *WebhookEvent
// structs of this package, one per type of catalogue.json, or an
// [UnknownEvent].
//
// The structs implement Event with value receivers, so a type switch names
// them as values, in the same case clauses that openai-go's webhooks package
// uses:
//
//	switch e := event.(type) {
//	case webhooks.ResponseCompletedWebhookEvent:
//		// e.Data.ID is the response's ID.
//	case webhooks.UnknownEvent:
//		// A type added after this version; e.Data holds the raw JSON.
//	}
//
// A typed event keeps what the catalogue does not name yet. Its Data.Raw
// holds the delivery's data object exactly as received, a slice of the body
// (not a copy), to decode members OpenAI added before this package did; and
// for each optional field, a Data.Has<Field> method (such as
// [AgentSessionCreatedWebhookEventData.HasEnvironmentID]) reports whether
// the member was there, a JSON null included. openai-go's structs offer this
// through RawJSON() on every struct and JSON.<Field> on every field,
// JSON.ExtraFields included. Here Raw covers the data object, nested objects
// included, but not the envelope (a member OpenAI added beside "data" would
// not be kept), and only optional fields have a Has method, since a required
// one is always there.
//
// Raw is a slice, so the structs are not comparable: == on two of them does
// not compile, and == on two Event values that hold one panics. Two
// decodings of one body are equal under reflect.DeepEqual (and testify's
// assert.Equal); a decoded event equals a struct literal once its Data.Raw
// is set to nil, as it is in the literal.
//
// Only this package's types implement Event.
type Event interface {
	// EventID returns the event's unique ID, the "id" field ("evt_...").
	// It is not the delivery's webhook-id header.
	EventID() string
	// EventType returns the event's type. A typed struct returns its own
	// type, whatever its Type field holds.
	EventType() EventType
	// EventTime returns the event's created_at field as a time in UTC.
	EventTime() time.Time

	isEvent()
}

// UnknownEvent is a well-formed event whose type this version of the package
// does not know: OpenAI added it later. It keeps the fields every event has,
// and the data payload as raw JSON, so a receiver can log, store or decode it
// itself instead of rejecting the delivery.
type UnknownEvent struct {
	// ID is the unique ID of the event.
	ID string `json:"id" schema:"required,nonempty"`
	// CreatedAt is when the event was created, in seconds since the Unix
	// epoch.
	CreatedAt int64 `json:"created_at" schema:"required"`
	// Data is the event's payload: a JSON object, as received. Unlike the
	// Data.Raw of a typed event, a slice of the body, it is a copy, which
	// stays valid when the body is reused: decoding makes it (json.RawMessage
	// copies what it decodes), so aliasing the body would save nothing.
	Data jsonv1.RawMessage `json:"data" schema:"required"`
	// Type is the event's type, one that [EventType.Known] reports false for.
	Type EventType `json:"type" schema:"required,nonempty"`
	// Object is the kind of object, "event", or empty if the body left it out.
	Object string `json:"object,omitzero"`
}

// EventID returns e.ID.
func (e UnknownEvent) EventID() string { return e.ID }

// EventType returns e.Type.
func (e UnknownEvent) EventType() EventType { return e.Type }

// EventTime returns e.CreatedAt as a time in UTC.
func (e UnknownEvent) EventTime() time.Time { return unixTime(e.CreatedAt) }

func (UnknownEvent) isEvent() {}

func (e UnknownEvent) complete() bool {
	return e.ID != "" && e.ID != unset && e.CreatedAt != 0 && e.CreatedAt != unsetInt && e.Type != "" && e.Type != unset &&
		len(e.Data) > 0 && e.Data[0] == '{'
}

func (e UnknownEvent) decodedType() EventType { return e.Type }

// withRaw returns e: its Data is already the data object as received, in
// the copy that decoding made (see [UnknownEvent.Data]).
func (e UnknownEvent) withRaw([]byte) Event { return e }

// objectEvent is the value of every event's "object" field.
const objectEvent = "event"

// unixTime converts created_at seconds to a time in UTC.
func unixTime(sec int64) time.Time {
	return time.Unix(sec, 0).UTC()
}

// marshalEvent writes an event in OpenAI's field order, with typ as its type
// and "event" as its object when object is empty, so a struct literal
// marshals to a body that decodes back to its own type. Optional fields that
// hold their zero value are left out, and nil arrays are written as [].
func marshalEvent(id, object string, createdAt int64, typ EventType, data any) ([]byte, error) {
	if object == "" {
		object = objectEvent
	}
	return json.Marshal(struct {
		ID        string    `json:"id"`
		Object    string    `json:"object"`
		CreatedAt int64     `json:"created_at"`
		Type      EventType `json:"type"`
		Data      any       `json:"data"`
	}{id, object, createdAt, typ, data})
}
