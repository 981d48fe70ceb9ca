package vodclient_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/vodq/vodq/internal/emulator"
	"github.com/vodq/vodq/internal/vodclient"
	"github.com/vodq/vodq/tasks"
)

func setup(t *testing.T, timeout time.Duration) *vodclient.Client {
	t.Helper()
	emu, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{"AKIDclient": "client-key"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	c, err := vodclient.New(vodclient.Config{
		Region:     "ap-guangzhou",
		Endpoint:   emu.Addr,
		Scheme:     "http",
		Timeout:    timeout,
		Credential: common.NewCredential("AKIDclient", "client-key"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestExecuteFunctionThroughTheSDK(t *testing.T) {
	t.Parallel()
	c := setup(t, 5*time.Second)
	ctx := context.Background()
	sub := uint64(1500000001)

	out, err := c.ExecuteFunction(ctx, &tasks.Request{FunctionName: "ExampleFunc", FunctionArg: "XXX",
		SubAppId: &sub, SessionContext: "ctx", ExtInfo: "x"})
	if err != nil || out.Result != "XXX" || out.RequestId == "" {
		t.Fatalf("ExecuteFunction = %+v, %v; want Result XXX and a RequestId", out, err)
	}

	cases := []struct {
		name, function, code string
		withRequestID        bool
	}{
		{"an API error keeps its code, message and RequestId", "fail:InternalError", "InternalError", true},
		{"a closed connection is a network error", "close", "ClientError.NetworkError", false},
		{"a gateway's HTML page is a client error", "http502", "ClientError.", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ExecuteFunction(ctx, &tasks.Request{FunctionName: tc.function, FunctionArg: "a"})
			var f *tasks.Failure
			if !errors.As(err, &f) || !strings.HasPrefix(f.Code, tc.code) || f.Message == "" {
				t.Fatalf("error = %v; want a Failure with code %s", err, tc.code)
			}
			if (f.RequestId != "") != tc.withRequestID {
				t.Errorf("RequestId = %q", f.RequestId)
			}
		})
	}
}

func TestACallPastItsTimeoutIsATimeout(t *testing.T) {
	t.Parallel()
	c := setup(t, 200*time.Millisecond)
	start := time.Now()
	_, err := c.ExecuteFunction(context.Background(), &tasks.Request{FunctionName: "sleep:3s", FunctionArg: "a"})
	var f *tasks.Failure
	if !errors.As(err, &f) || f.Code != tasks.CodeTimeout {
		t.Fatalf("error = %v; want %s", err, tasks.CodeTimeout)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the call took %s with a 200ms timeout", took)
	}
}

func TestErrorsNeverCarryTheSecretKey(t *testing.T) {
	t.Parallel()
	c := setup(t, 5*time.Second)
	_, err := c.ExecuteFunction(context.Background(), &tasks.Request{FunctionName: "fail:AuthFailure.SignatureFailure", FunctionArg: "a"})
	if err == nil || strings.Contains(err.Error(), "client-key") {
		t.Errorf("error %v; want one without the secret key", err)
	}
}
