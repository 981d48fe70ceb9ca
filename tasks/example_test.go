package tasks_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/vodq/vodq/tasks"
)

// One line of a JSON Lines file: the API's parameters with vodq's options
// beside them.
func ExampleDecodeSpec() {
	line := `{"FunctionName":"ExampleFunc","FunctionArg":"XXX","job_id":"clip-42","max_retries":5,"timeout":"90s"}`

	spec, err := tasks.DecodeSpec([]byte(line))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.FunctionName, spec.FunctionArg)
	fmt.Println(spec.JobID, *spec.MaxRetries, time.Duration(spec.Timeout))
	fmt.Println(spec.Params())
	// Output:
	// ExampleFunc XXX
	// clip-42 5 1m30s
	// map[FunctionArg:XXX FunctionName:ExampleFunc]
}

// A bad line is refused with an error that names the field and the limit.
func ExampleDecodeRequest_invalid() {
	line := `{"FunctionName":"ExampleFunc","FunctionArg":"XXX","SessionId":"` +
		"a-session-id-that-goes-on-for-far-too-many-characters" + `"}`

	_, err := tasks.DecodeRequest([]byte(line))
	fmt.Println(err)

	var fe *tasks.FieldError
	if errors.As(err, &fe) {
		fmt.Println("field:", fe.Field)
	}
	fmt.Println("invalid:", errors.Is(err, tasks.ErrInvalid))
	// Output:
	// SessionId is 53 characters; the limit is 50
	// field: SessionId
	// invalid: true
}

// An unknown key is refused by name, so a typo never passes silently.
func ExampleDecodeRequest_unknownField() {
	_, err := tasks.DecodeRequest([]byte(`{"FunctionName":"ExampleFunc","FunctionArgs":"XXX"}`))
	fmt.Println(err)
	// Output:
	// FunctionArgs is not a known field
}

// The default classes of a few Tencent Cloud error codes.
func ExampleClassifier_Classify() {
	c := tasks.NewClassifier(nil)
	for _, code := range []string{
		"InternalError.DBError",
		"RequestLimitExceeded",
		"AuthFailure.SignatureExpire",
		"FailedOperation.InvalidVodUser",
	} {
		fmt.Println(code, c.Classify(code))
	}
	// Output:
	// InternalError.DBError transient
	// RequestLimitExceeded throttled
	// AuthFailure.SignatureExpire retry_once
	// FailedOperation.InvalidVodUser permanent
}
