package tasks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/tasks"
)

// fuzzSeeds are lines producers write, good and bad, for both decoders.
var fuzzSeeds = []string{
	with(""),
	with(`"SubAppId":1500000001,"SessionContext":"ctx","SessionId":"s","ExtInfo":"e"`),
	with(`"SessionContext":"` + strings.Repeat("界", 1000) + `"`),
	with(`"SessionId":"` + strings.Repeat("é", 51) + `"`),
	with(`"SubAppId":0`),
	with(`"SubAppId":-1`),
	with(`"SubAppId":"1"`),
	with(`"SubAppId":1e3`),
	with(`"SubAppId":null`),
	with(`"Oops":1`),
	with(`"functionname":"x"`),
	with(`"FunctionName":"again"`),
	with(`"FunctionArg":"\u00e9\ud800\u0000"`),
	with(`"job_id":"clip-42","queue":"critical","max_retries":5,"timeout":"90s"`),
	with(`"job_id":"-bad"`),
	with(`"max_retries":101`),
	with(`"timeout":"999ms"`),
	with(`"timeout":30`),
	with(`"timeout":null`),
	with(`"process_at":"2026-12-04T15:00:00+08:00"`),
	with(`"process_at":"2026-12-04T15:00:00.123456789Z"`),
	with(`"process_at":"2026-12-04"`),
	with(`"process_in":"1h30m"`),
	with(`"process_in":"-1s"`),
	with(`"process_in":"1m","process_at":"2026-12-04T15:00:00Z"`),
	with(`"timeout":"x","process_at":"y"`),
	with("") + " {}",
	with("") + "\n",
	`{"FunctionArg":"x"}`,
	`{"FunctionName":"","FunctionArg":""}`,
	`{"FunctionName":7}`,
	`[]`,
	`"s"`,
	`null`,
	`true`,
	``,
	`{`,
	`{"FunctionName":"f",}`,
	"\xff\xfe",
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := tasks.DecodeRequest(data)
		if err != nil {
			wantOnlyFieldError(t, err)
			if !reflect.DeepEqual(got, tasks.Request{}) {
				t.Fatalf("DecodeRequest returned %+v with error %v", got, err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("decoded request %+v does not validate: %v", got, err)
		}

		enc, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("encode %+v: %v", got, err)
		}
		again, err := tasks.DecodeRequest(enc)
		if err != nil {
			t.Fatalf("DecodeRequest of its own encoding %s: %v", enc, err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("re-decoded request mismatch (-want +got):\n-%+v\n+%+v", got, again)
		}
	})
}

func FuzzDecodeSpec(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := tasks.DecodeSpec(data)
		if err != nil {
			wantOnlyFieldError(t, err)
			if !specEqual(got, tasks.Spec{}) {
				t.Fatalf("DecodeSpec returned %+v with error %v", got, err)
			}
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("decoded spec %+v does not validate: %v", got, err)
		}

		enc, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("encode %+v: %v", got, err)
		}
		again, err := tasks.DecodeSpec(enc)
		if err != nil {
			t.Fatalf("DecodeSpec of its own encoding %s: %v", enc, err)
		}
		if !specEqual(got, again) {
			t.Fatalf("re-decoded spec mismatch (-want +got):\n-%+v\n+%+v", got, again)
		}
		enc2, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("encode %+v: %v", again, err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("second encoding mismatch (-want +got):\n-%s\n+%s", enc, enc2)
		}
	})
}

// wantOnlyFieldError fails unless err is a *tasks.FieldError itself, not
// merely wrapping one, and matches ErrInvalid.
func wantOnlyFieldError(t *testing.T, err error) {
	t.Helper()
	if _, ok := err.(*tasks.FieldError); !ok {
		t.Fatalf("error %v is a %T, want *tasks.FieldError", err, err)
	}
	if !errors.Is(err, tasks.ErrInvalid) {
		t.Fatalf("error %v does not match ErrInvalid", err)
	}
}

// specEqual compares two specs, their process-at times as instants.
func specEqual(a, b tasks.Spec) bool {
	if !a.ProcessAt.Equal(b.ProcessAt) {
		return false
	}
	a.ProcessAt, b.ProcessAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
