package tasks_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vodq/vodq/tasks"
)

func TestDecodeRequestAcceptsValidLines(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		line string
		want tasks.Request
	}{
		{
			name: "the two required fields are enough",
			line: with(""),
			want: tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
		},
		{
			name: "every optional field is kept",
			line: with(`"SubAppId":1500000001,"SessionContext":"ctx","SessionId":"s-1","ExtInfo":"ext"`),
			want: tasks.Request{
				FunctionName: "ExampleFunc", FunctionArg: "XXX", SubAppId: ptr[uint64](1500000001),
				SessionContext: "ctx", SessionId: "s-1", ExtInfo: "ext",
			},
		},
		{
			name: "a null SubAppId is left out",
			line: with(`"SubAppId":null`),
			want: tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
		},
		{
			name: "SessionContext of 1000 multibyte characters passes",
			line: with(`"SessionContext":"` + strings.Repeat("界", 1000) + `"`),
			want: tasks.Request{
				FunctionName: "ExampleFunc", FunctionArg: "XXX",
				SessionContext: strings.Repeat("界", 1000),
			},
		},
		{
			name: "SessionId of 50 multibyte characters passes",
			line: with(`"SessionId":"` + strings.Repeat("é", 50) + `"`),
			want: tasks.Request{
				FunctionName: "ExampleFunc", FunctionArg: "XXX", SessionId: strings.Repeat("é", 50),
			},
		},
		{
			name: "whitespace around the object is allowed",
			line: "\n\t " + with("") + " \r\n",
			want: tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tasks.DecodeRequest([]byte(tt.line))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			if !reflect.DeepEqual(tt.want, got) {
				t.Errorf("request mismatch (-want +got):\n-%+v\n+%+v", tt.want, got)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("Validate of a decoded request: %v", err)
			}
		})
	}
}

func TestDecodeRequestRefusesBadLines(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		line  string
		field string
		parts []string // each must appear in the message
	}{
		{"missing FunctionName is refused", `{"FunctionArg":"XXX"}`, "FunctionName", []string{"required"}},
		{"empty FunctionName is refused", `{"FunctionName":"","FunctionArg":"XXX"}`, "FunctionName", []string{"empty"}},
		{"missing FunctionArg is refused", `{"FunctionName":"f"}`, "FunctionArg", []string{"required"}},
		{"empty FunctionArg is refused", `{"FunctionName":"f","FunctionArg":""}`, "FunctionArg", []string{"empty"}},
		{
			"SessionContext of 1001 multibyte characters is refused",
			with(`"SessionContext":"` + strings.Repeat("界", 1001) + `"`),
			"SessionContext", []string{"1001", "1000"},
		},
		{
			"SessionContext of 1001 ASCII characters is refused",
			with(`"SessionContext":"` + strings.Repeat("a", 1001) + `"`),
			"SessionContext", []string{"1001", "1000"},
		},
		{
			"SessionId of 51 multibyte characters is refused",
			with(`"SessionId":"` + strings.Repeat("é", 51) + `"`),
			"SessionId", []string{"51", "50"},
		},
		{"SubAppId zero is refused", with(`"SubAppId":0`), "SubAppId", []string{"positive"}},
		{"negative SubAppId is refused", with(`"SubAppId":-1`), "SubAppId", []string{"positive"}},
		{"SubAppId as a string is refused", with(`"SubAppId":"1500000001"`), "SubAppId", []string{"positive", "string"}},
		{"SubAppId as a float is refused", with(`"SubAppId":1.5`), "SubAppId", []string{"positive"}},
		{"SubAppId past uint64 is refused", with(`"SubAppId":18446744073709551616`), "SubAppId", []string{"positive"}},
		{"FunctionName as a number is refused", `{"FunctionName":7,"FunctionArg":"XXX"}`, "FunctionName", []string{"string", "number"}},
		{"FunctionArg as an object is refused", `{"FunctionName":"f","FunctionArg":{"a":1}}`, "FunctionArg", []string{"string", "object"}},
		{"SessionId as a bool is refused", with(`"SessionId":true`), "SessionId", []string{"string", "bool"}},
		{"an unknown field is refused by name", with(`"Oops":1`), "Oops", []string{"not a known field"}},
		{"a common parameter is not a request field", with(`"Action":"ExecuteFunction"`), "Action", []string{"not a known field"}},
		{"a Spec option is not a request field", with(`"job_id":"a"`), "job_id", []string{"not a known field"}},
		// Tencent Cloud's parameter names are case-sensitive; so is the
		// decoder, or a misspelt key would pass unnoticed.
		{"a key in the wrong case is refused", `{"functionname":"f","FunctionArg":"XXX"}`, "functionname", []string{"not a known field"}},
		{"a second object after the first is refused", with("") + `{}`, "", []string{"exactly one JSON object"}},
		{"trailing garbage is refused", with("") + ` x`, "", []string{"exactly one JSON object"}},
		{"an array is refused", `[{"FunctionName":"f","FunctionArg":"a"}]`, "", []string{"JSON object", "array"}},
		{"a string is refused", `"ExampleFunc"`, "", []string{"JSON object", "string"}},
		{"a number is refused", `42`, "", []string{"JSON object", "number"}},
		{"null is refused as not an object", `null`, "", []string{"JSON object"}},
		{"empty input is refused", ``, "", []string{"empty"}},
		{"blank input is refused", " \n ", "", []string{"empty"}},
		{"a cut-short object is refused", minimal, "", []string{"cut short"}},
		{"invalid JSON is refused with its offset", `{"FunctionName":"f",}`, "", []string{"not valid JSON", "byte"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tasks.DecodeRequest([]byte(tt.line))
			wantFieldError(t, err, tt.field, tt.parts...)
			if !reflect.DeepEqual(got, tasks.Request{}) {
				t.Errorf("DecodeRequest returned %+v with its error, want the zero Request", got)
			}
		})
	}
}

func TestRequestValidate(t *testing.T) {
	t.Parallel()

	valid := func() tasks.Request {
		return tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"}
	}
	tests := []struct {
		name   string
		change func(*tasks.Request)
		field  string // "" means valid
		parts  []string
	}{
		{"a minimal request is valid", func(*tasks.Request) {}, "", nil},
		{"SubAppId 1 is valid", func(r *tasks.Request) { r.SubAppId = ptr[uint64](1) }, "", nil},
		{"SubAppId 0 is refused", func(r *tasks.Request) { r.SubAppId = ptr[uint64](0) }, "SubAppId", []string{"positive"}},
		{"empty FunctionName is refused", func(r *tasks.Request) { r.FunctionName = "" }, "FunctionName", []string{"required"}},
		{"empty FunctionArg is refused", func(r *tasks.Request) { r.FunctionArg = "" }, "FunctionArg", []string{"required"}},
		{
			"SessionContext at the limit in 4-byte characters is valid",
			func(r *tasks.Request) { r.SessionContext = strings.Repeat("😀", tasks.MaxSessionContext) },
			"", nil,
		},
		{
			"SessionContext one past the limit is refused",
			func(r *tasks.Request) { r.SessionContext = strings.Repeat("😀", tasks.MaxSessionContext+1) },
			"SessionContext", []string{"is 1001 characters; the limit is 1000"},
		},
		{
			"SessionId at the limit is valid",
			func(r *tasks.Request) { r.SessionId = strings.Repeat("ß", tasks.MaxSessionID) },
			"", nil,
		},
		{
			"SessionId one past the limit is refused",
			func(r *tasks.Request) { r.SessionId = strings.Repeat("ß", tasks.MaxSessionID+1) },
			"SessionId", []string{"is 51 characters; the limit is 50"},
		},
		{
			"a long ExtInfo is passed through",
			func(r *tasks.Request) { r.ExtInfo = strings.Repeat("x", 10000) },
			"", nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tt.change(&r)
			err := r.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			wantFieldError(t, err, tt.field, tt.parts...)
		})
	}
}

func TestRequestParams(t *testing.T) {
	t.Parallel()

	t.Run("empty optional fields are left out", func(t *testing.T) {
		t.Parallel()
		r := tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX"}
		want := map[string]any{"FunctionName": "ExampleFunc", "FunctionArg": "XXX"}
		if got := r.Params(); !reflect.DeepEqual(want, got) {
			t.Errorf("Params mismatch (-want +got):\n-%v\n+%v", want, got)
		}
	})

	t.Run("given optional fields are passed with the API's names", func(t *testing.T) {
		t.Parallel()
		r := tasks.Request{
			FunctionName: "ExampleFunc", FunctionArg: "XXX", SubAppId: ptr[uint64](42),
			SessionContext: "ctx", SessionId: "sid", ExtInfo: "ext",
		}
		want := map[string]any{
			"FunctionName": "ExampleFunc", "FunctionArg": "XXX", "SubAppId": uint64(42),
			"SessionContext": "ctx", "SessionId": "sid", "ExtInfo": "ext",
		}
		if got := r.Params(); !reflect.DeepEqual(want, got) {
			t.Errorf("Params mismatch (-want +got):\n-%v\n+%v", want, got)
		}
	})
}

func TestFieldError(t *testing.T) {
	t.Parallel()

	t.Run("the message starts with the field", func(t *testing.T) {
		t.Parallel()
		err := &tasks.FieldError{Field: "SessionId", Reason: "is 51 characters; the limit is 50"}
		if got, want := err.Error(), "SessionId is 51 characters; the limit is 50"; got != want {
			t.Errorf("Error() mismatch (-want +got):\n-%s\n+%s", want, got)
		}
	})

	t.Run("a whole-input error speaks of the request", func(t *testing.T) {
		t.Parallel()
		err := &tasks.FieldError{Reason: "must be a JSON object, not array"}
		if got, want := err.Error(), "request must be a JSON object, not array"; got != want {
			t.Errorf("Error() mismatch (-want +got):\n-%s\n+%s", want, got)
		}
	})

	t.Run("a wrapped field error still matches ErrInvalid and FieldError", func(t *testing.T) {
		t.Parallel()
		_, err := tasks.DecodeRequest([]byte(`{"FunctionArg":"x"}`))
		wrapped := errors.Join(errors.New("line 3"), err)
		if !errors.Is(wrapped, tasks.ErrInvalid) {
			t.Errorf("errors.Is(%v, ErrInvalid) = false", wrapped)
		}
		var fe *tasks.FieldError
		if !errors.As(wrapped, &fe) || fe.Field != "FunctionName" {
			t.Errorf("errors.As = %+v, want the FunctionName error", fe)
		}
	})

	t.Run("other errors do not match ErrInvalid", func(t *testing.T) {
		t.Parallel()
		if errors.Is(errors.New("invalid request"), tasks.ErrInvalid) {
			t.Error("an unrelated error with the same text matched ErrInvalid")
		}
	})
}
