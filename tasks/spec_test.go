package tasks_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vodq/vodq/tasks"
)

func TestDecodeSpecAcceptsOptions(t *testing.T) {
	t.Parallel()

	req := tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"}
	at := time.Date(2026, 12, 4, 15, 0, 0, 0, time.FixedZone("", 8*3600))
	tests := []struct {
		name string
		line string
		want tasks.Spec
	}{
		{"no options leaves every option zero", with(""), tasks.Spec{Request: req}},
		{
			"a job ID of every allowed character is kept",
			with(`"job_id":"Clip-42_a.b:c@d"`),
			tasks.Spec{Request: req, JobID: "Clip-42_a.b:c@d"},
		},
		{
			"a job ID of 128 bytes is kept",
			with(`"job_id":"` + strings.Repeat("a", 128) + `"`),
			tasks.Spec{Request: req, JobID: strings.Repeat("a", 128)},
		},
		{"an empty job ID means vodq makes one", with(`"job_id":""`), tasks.Spec{Request: req}},
		{"a queue name is kept", with(`"queue":"critical_1-a"`), tasks.Spec{Request: req, Queue: "critical_1-a"}},
		{"max_retries 0 is kept, not taken as the default", with(`"max_retries":0`), tasks.Spec{Request: req, MaxRetries: ptr(0)}},
		{"max_retries 100 is kept", with(`"max_retries":100`), tasks.Spec{Request: req, MaxRetries: ptr(100)}},
		{"a timeout of 1s is the shortest", with(`"timeout":"1s"`), tasks.Spec{Request: req, Timeout: tasks.Duration(time.Second)}},
		{"a timeout of 24h is the longest", with(`"timeout":"24h"`), tasks.Spec{Request: req, Timeout: tasks.Duration(24 * time.Hour)}},
		{"a timeout in mixed units is parsed", with(`"timeout":"1m30s"`), tasks.Spec{Request: req, Timeout: tasks.Duration(90 * time.Second)}},
		{"a zero timeout means the default", with(`"timeout":"0s"`), tasks.Spec{Request: req}},
		{"process_at with an offset is kept", with(`"process_at":"2026-12-04T15:00:00+08:00"`), tasks.Spec{Request: req, ProcessAt: at}},
		{"process_in is kept", with(`"process_in":"10m"`), tasks.Spec{Request: req, ProcessIn: tasks.Duration(10 * time.Minute)}},
		// JSON null means "not given" for every other option too.
		{
			"null options mean the defaults",
			with(`"job_id":null,"queue":null,"max_retries":null,"timeout":null,"process_at":null,"process_in":null`),
			tasks.Spec{Request: req},
		},
		{
			"a zero process_in may go with process_at",
			with(`"process_in":"0s","process_at":"2026-12-04T15:00:00+08:00"`),
			tasks.Spec{Request: req, ProcessAt: at},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tasks.DecodeSpec([]byte(tt.line))
			if err != nil {
				t.Fatalf("DecodeSpec: %v", err)
			}
			if !got.ProcessAt.Equal(tt.want.ProcessAt) {
				t.Errorf("process_at mismatch (-want +got):\n-%v\n+%v", tt.want.ProcessAt, got.ProcessAt)
			}
			got.ProcessAt, tt.want.ProcessAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(tt.want, got) {
				t.Errorf("spec mismatch (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
		})
	}
}

func TestDecodeSpecRefusesBadOptions(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		line  string
		field string
		parts []string
	}{
		{"a request error names the API field", with(`"SubAppId":-1,"job_id":"a"`), "SubAppId", []string{"positive"}},
		{"a missing FunctionArg is refused", `{"FunctionName":"f","job_id":"a"}`, "FunctionArg", []string{"required"}},
		{"a job ID of 129 bytes is refused", with(`"job_id":"` + strings.Repeat("a", 129) + `"`), "job_id", []string{"129", "128"}},
		{"a job ID with a space is refused", with(`"job_id":"clip 42"`), "job_id", []string{"letters, digits"}},
		{"a job ID with a slash is refused", with(`"job_id":"a/b"`), "job_id", []string{"letters, digits"}},
		{"a job ID with braces is refused", with(`"job_id":"a{b}"`), "job_id", []string{"letters, digits"}},
		{"a job ID starting with a dash is refused", with(`"job_id":"-a"`), "job_id", []string{"start with"}},
		{"a job ID with non-ASCII letters is refused", with(`"job_id":"clïp"`), "job_id", []string{"letters, digits"}},
		{"a job ID as a number is refused", with(`"job_id":42`), "job_id", []string{"string", "number"}},
		{"a queue with a dot is refused", with(`"queue":"a.b"`), "queue", []string{"64"}},
		{"a queue of 65 characters is refused", with(`"queue":"` + strings.Repeat("q", 65) + `"`), "queue", []string{"64"}},
		{"a queue starting with an underscore is refused", with(`"queue":"_q"`), "queue", []string{"starting with"}},
		{"negative max_retries is refused", with(`"max_retries":-1`), "max_retries", []string{"-1", "0 to 100"}},
		{"max_retries 101 is refused", with(`"max_retries":101`), "max_retries", []string{"101", "0 to 100"}},
		{"max_retries as a string is refused", with(`"max_retries":"5"`), "max_retries", []string{"int", "string"}},
		{"fractional max_retries is refused", with(`"max_retries":2.5`), "max_retries", []string{"int"}},
		{"a timeout under 1s is refused", with(`"timeout":"999ms"`), "timeout", []string{"999ms", "1s to 24h0m0s"}},
		{"a timeout over 24h is refused", with(`"timeout":"24h0m1s"`), "timeout", []string{"24h0m1s", "1s to 24h0m0s"}},
		{"a negative timeout is refused", with(`"timeout":"-5s"`), "timeout", []string{"-5s"}},
		{"a timeout as a number is refused", with(`"timeout":30`), "timeout", []string{"duration string", "30"}},
		{"a timeout without a unit is refused", with(`"timeout":"30"`), "timeout", []string{"duration", `"30"`}},
		{"process_at without a T is refused", with(`"process_at":"2026-12-04 15:00:00Z"`), "process_at", []string{"RFC 3339"}},
		{"process_at as a date only is refused", with(`"process_at":"2026-12-04"`), "process_at", []string{"RFC 3339"}},
		{"process_at with a bad month is refused", with(`"process_at":"2026-13-04T15:00:00Z"`), "process_at", []string{"RFC 3339"}},
		{"process_at as a number is refused", with(`"process_at":1700000000`), "process_at", []string{"RFC 3339"}},
		{"a negative process_in is refused", with(`"process_in":"-1s"`), "process_in", []string{"negative"}},
		{"process_in as a number is refused", with(`"process_in":60`), "process_in", []string{"duration"}},
		{
			"process_in with process_at is refused",
			with(`"process_in":"1m","process_at":"2026-12-04T15:00:00Z"`),
			"process_in", []string{"process_at"},
		},
		{"an unknown option is refused by name", with(`"retries":3`), "retries", []string{"not a known field"}},
		{"an option in the wrong case is refused", with(`"Job_ID":"a"`), "Job_ID", []string{"not a known field"}},
		{"null is refused as not an object", `null`, "", []string{"JSON object"}},
		{"an array is refused", `[]`, "", []string{"JSON object", "array"}},
		{"trailing data is refused", with("") + "\n" + with(""), "", []string{"exactly one JSON object"}},
		{"empty input is refused", ``, "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tasks.DecodeSpec([]byte(tt.line))
			wantFieldError(t, err, tt.field, tt.parts...)
			if !reflect.DeepEqual(got, tasks.Spec{}) {
				t.Errorf("DecodeSpec returned %+v with its error, want the zero Spec", got)
			}
		})
	}
}

// A value that fails inside its own decoder (a duration or a time) is
// reported with the key that holds it, however many other keys are bad.
func TestDecodeSpecNamesTheKeyThatHoldsABadValue(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		line  string
		field string
		value string
	}{
		{
			"a bad timeout before a bad process_at",
			with(`"timeout":"soon","process_at":"later"`),
			"timeout", `"soon"`,
		},
		{
			"a bad process_in before a bad timeout",
			with(`"process_in":"soon","timeout":"later"`),
			"process_in", `"soon"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The decoder looks at keys in a random order: ask often.
			for range 50 {
				_, err := tasks.DecodeSpec([]byte(tt.line))
				wantFieldError(t, err, tt.field, tt.value)
				if t.Failed() {
					return
				}
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	t.Parallel()

	valid := func() tasks.Spec {
		return tasks.Spec{Request: tasks.Request{FunctionName: "f", FunctionArg: "a"}}
	}
	tests := []struct {
		name   string
		change func(*tasks.Spec)
		field  string // "" means valid
	}{
		{"no options is valid", func(*tasks.Spec) {}, ""},
		{"the request is checked first", func(s *tasks.Spec) { s.FunctionName = ""; s.JobID = "-" }, "FunctionName"},
		{"a negative timeout is refused", func(s *tasks.Spec) { s.Timeout = tasks.Duration(-time.Second) }, "timeout"},
		{"a timeout of 1ns is refused", func(s *tasks.Spec) { s.Timeout = 1 }, "timeout"},
		{"max_retries nil is the default", func(s *tasks.Spec) { s.MaxRetries = nil }, ""},
		{"max_retries -1 is refused", func(s *tasks.Spec) { s.MaxRetries = ptr(-1) }, "max_retries"},
		{
			"process_in beside process_at is refused",
			func(s *tasks.Spec) {
				s.ProcessIn = tasks.Duration(time.Minute)
				s.ProcessAt = time.Now()
			},
			"process_in",
		},
		{"a past process_at is allowed (it runs now)", func(s *tasks.Spec) { s.ProcessAt = time.Unix(0, 0) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := valid()
			tt.change(&s)
			err := s.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			wantFieldError(t, err, tt.field)
		})
	}
}

func TestValidateJobID(t *testing.T) {
	t.Parallel()

	tests := []struct {
		id   string
		want bool
	}{
		{"a", true},
		{"0", true},
		{"clip-42", true},
		{"user@example.com", true},
		{"ns:clip_1.v2", true},
		{"018f4f6e-7c3a-7b8e-9a10-0b6c2d3e4f50", true},
		{strings.Repeat("x", tasks.MaxJobIDLength), true},
		{"", false},
		{strings.Repeat("x", tasks.MaxJobIDLength+1), false},
		{".hidden", false},
		{"_a", false},
		{":a", false},
		{"a b", false},
		{"a\nb", false},
		{"a/b", false},
		{"a{b", false},
		{"a}b", false},
		{"a*", false},
		{"日本", false},
	}
	for _, tt := range tests {
		t.Run(verdict(tt.id, tt.want), func(t *testing.T) {
			t.Parallel()
			err := tasks.ValidateJobID(tt.id)
			if tt.want {
				if err != nil {
					t.Errorf("ValidateJobID = %v, want nil", err)
				}
				return
			}
			wantFieldError(t, err, "job_id")
		})
	}
}

func TestValidateQueue(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		want bool
	}{
		{"default", true},
		{"critical", true},
		{"q_1-b", true},
		{"9", true},
		{strings.Repeat("q", 64), true},
		{"", false},
		{strings.Repeat("q", 65), false},
		{"-q", false},
		{"_q", false},
		{"a.b", false},
		{"a:b", false},
		{"a b", false},
		{"a{b}", false},
	}
	for _, tt := range tests {
		t.Run(verdict(tt.name, tt.want), func(t *testing.T) {
			t.Parallel()
			err := tasks.ValidateQueue(tt.name)
			if tt.want {
				if err != nil {
					t.Errorf("ValidateQueue = %v, want nil", err)
				}
				return
			}
			wantFieldError(t, err, "queue", "64")
		})
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()

	t.Run("it is written as a Go duration string", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(tasks.Duration(90 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(b), `"1m30s"`; got != want {
			t.Errorf("MarshalJSON mismatch (-want +got):\n-%s\n+%s", want, got)
		}
	})

	t.Run("it reads what it writes", func(t *testing.T) {
		t.Parallel()
		for _, d := range []time.Duration{0, time.Nanosecond, 1500 * time.Millisecond, -time.Hour, 24 * time.Hour} {
			b, err := json.Marshal(tasks.Duration(d))
			if err != nil {
				t.Fatal(err)
			}
			var got tasks.Duration
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("Unmarshal(%s): %v", b, err)
			}
			if time.Duration(got) != d {
				t.Errorf("round trip of %s mismatch (-want +got):\n-%v\n+%v", b, d, time.Duration(got))
			}
		}
	})

	t.Run("a number or a bad string is refused", func(t *testing.T) {
		t.Parallel()
		for _, in := range []string{`30`, `"30"`, `"soon"`, `true`, `{}`} {
			var d tasks.Duration
			if err := json.Unmarshal([]byte(in), &d); err == nil {
				t.Errorf("Unmarshal(%s) = %v, want an error", in, time.Duration(d))
			}
		}
	})
}

func TestSpecEncodesAsOneFlatObject(t *testing.T) {
	t.Parallel()

	s := tasks.Spec{
		Request:    tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
		JobID:      "clip-42",
		MaxRetries: ptr(0),
		Timeout:    tasks.Duration(30 * time.Second),
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"FunctionName":"ExampleFunc","FunctionArg":"XXX","job_id":"clip-42","max_retries":0,"timeout":"30s"}`
	if got := string(b); got != want {
		t.Errorf("JSON mismatch (-want +got):\n-%s\n+%s", want, got)
	}
	back, err := tasks.DecodeSpec(b)
	if err != nil {
		t.Fatalf("DecodeSpec of its own encoding: %v", err)
	}
	if !reflect.DeepEqual(s, back) {
		t.Errorf("round trip mismatch (-want +got):\n-%+v\n+%+v", s, back)
	}
}

// verdict names a subtest: `"a/b" is refused`, with long inputs shortened.
func verdict(in string, ok bool) string {
	if len(in) > 20 {
		in = fmt.Sprintf("%.8s… (%d bytes)", in, len(in))
	}
	if ok {
		return fmt.Sprintf("%q is accepted", in)
	}
	return fmt.Sprintf("%q is refused", in)
}
