package tasks_test

import (
	"errors"
	"testing"

	"github.com/vodq/vodq/tasks"
)

func TestDecodeSpecRefusesWhatJSONWouldQuietlyAccept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, field string
	}{
		{"a key given twice", `{"FunctionName":"fail:X","FunctionName":"echo","FunctionArg":"a"}`, "FunctionName"},
		{"an option given twice", `{"FunctionName":"echo","FunctionArg":"a","job_id":"x","job_id":"y"}`, "job_id"},
		{"invalid UTF-8 in a value", "{\"FunctionName\":\"echo\",\"FunctionArg\":\"\xff\xfe\"}", "FunctionArg"},
		{"a blank FunctionName", `{"FunctionName":"   ","FunctionArg":"a"}`, "FunctionName"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tasks.DecodeSpec([]byte(c.in))
			var fe *tasks.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("DecodeSpec(%q) = %v; want a FieldError naming %s", c.in, err, c.field)
			}
		})
	}
}
