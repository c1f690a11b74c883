package anxin_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"anxin"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// decodeBatch is what POST /v1/events does with a body before storing it.
func decodeBatch(body []byte) ([]*anxin.Event, error) {
	var b anxin.EventBatch
	if err := anxin.DecodeJSON(body, &b); err != nil {
		return nil, err
	}
	if err := anxin.ValidateEvents(b.Events); err != nil {
		return nil, err
	}
	return b.Events, nil
}

// FuzzDecodeEvents checks that no body makes the event decoder panic, that
// every rejection is a 4xx kind, and that an accepted batch survives a
// round trip through JSON unchanged. Seeds live in
// testdata/fuzz/FuzzDecodeEvents and run in every plain go test.
//
//	go test -run '^$' -fuzz FuzzDecodeEvents -fuzztime 60s .
func FuzzDecodeEvents(f *testing.F) {
	f.Add([]byte(`{"events":[{"id":"e_1","type":"order.paid","occurred_at":"2026-03-03T09:00:00Z","data":{"order_id":"o_1"}}]}`))
	f.Add([]byte(`{"events":[{"id":"e_2","type":"order.created","occurred_at":"2026-03-03T17:00:00+08:00","data":{"id":"o_1","merchant_id":"m_1","buyer_id":"b_1","items":[{"listing_id":"l_1","quantity":2,"unit_price_fen":150}]}}]}`))
	f.Add([]byte(`{"events":[null]}`))
	f.Add([]byte("{\"events\":[{\"id\":\"e\xff\"}]}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := decodeBatch(body)
		if err != nil {
			switch k := anxin.KindOf(err); k {
			case anxin.Invalid, anxin.TooLarge:
			default:
				t.Fatalf("decodeBatch(%q) error kind %s; want invalid or too_large", body, k)
			}
			return
		}
		again, err := json.Marshal(anxin.EventBatch{Events: events})
		if err != nil {
			t.Fatalf("re-encoding an accepted batch: %v", err)
		}
		events2, err := decodeBatch(again)
		if err != nil {
			t.Fatalf("an accepted batch was rejected after a round trip: %v\nfirst:  %q\nsecond: %q", err, body, again)
		}
		compact := cmp.Transformer("compact", func(m json.RawMessage) string {
			var b bytes.Buffer
			json.Compact(&b, m)
			return b.String()
		})
		if diff := cmp.Diff(events, events2, compact, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip changed the batch (-first +second):\n%s", diff)
		}
	})
}

func TestValidateEventsDetails(t *testing.T) {
	body := []byte(`{"events":[
		{"id":"e_1","type":"order.paid","occurred_at":"2026-03-03T09:00:00Z","data":{"order_id":"o_1"}},
		{"id":"e_2","type":"order.teleported","occurred_at":"2026-03-03T09:00:00Z","data":{"order_id":"o_1"}},
		{"id":"e_1","type":"order.paid","occurred_at":"2026-03-03T09:00:00Z","data":{"order_id":"o_1"}},
		{"id":"e_3","type":"aftersale.requested","occurred_at":"2026-03-03T09:00:00Z","data":{"id":"a","order_id":"o","kind":"refund_only","amount_fen":-1}}
	]}`)
	_, err := decodeBatch(body)
	e, ok := err.(*anxin.Error)
	if !ok || e.Kind != anxin.Invalid {
		t.Fatalf("decodeBatch = %v; want an Invalid *anxin.Error", err)
	}
	want := []anxin.ItemError{
		{Index: 1, ID: "e_2", Message: `type "order.teleported" is not a known event type.`},
		{Index: 2, ID: "e_1", Message: "id repeats the event at index 0."},
		{Index: 3, ID: "e_3", Message: "amount_fen must not be negative."},
	}
	if diff := cmp.Diff(want, e.Details); diff != "" {
		t.Errorf("details mismatch (-want +got):\n%s", diff)
	}
	if e.Message != "The batch was rejected: 3 invalid event(s); nothing was stored." {
		t.Errorf("message = %q", e.Message)
	}
}
