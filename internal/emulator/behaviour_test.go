package emulator

import (
	"context"
	"strings"
	"testing"
	"time"
)

// named returns parameters calling the behaviour name with arg.
func named(name, arg string) map[string]any {
	return map[string]any{"FunctionName": name, "FunctionArg": arg}
}

func TestBehaviours(t *testing.T) {
	t.Parallel()

	t.Run("any other name echoes FunctionArg", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		for _, name := range []string{"echo", "ExampleFunc", "Sleep:2s", "sleepy", "a:b:c"} {
			if got := mustExecute(t, f.client(t), named(name, "arg")).Result; got != "arg" {
				t.Errorf("%s: Result = %q, want %q", name, got, "arg")
			}
		}
	})

	t.Run("sleep waits on top of the latency, then echoes", func(t *testing.T) {
		t.Parallel()
		lat, err := ParseLatency("100ms")
		if err != nil {
			t.Fatal(err)
		}
		f := setup(t, Config{Latency: lat})

		start := time.Now()
		a := mustExecute(t, f.client(t), named("sleep:200ms", "slept"))
		if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
			t.Errorf("the call took %s, want at least 300ms", elapsed)
		}
		if a.Result != "slept" {
			t.Errorf("Result = %q, want %q", a.Result, "slept")
		}
	})

	t.Run("sleep stops when the client goes away", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()

		start := time.Now()
		_, err := execute(ctx, f.client(t), named("sleep:1m", "x"))
		if err == nil {
			t.Fatal("a call abandoned by the client succeeded")
		}
		if got := sdkError(t, err).GetCode(); got != "ClientError.NetworkError" {
			t.Errorf("code = %s, want ClientError.NetworkError", got)
		}

		// The handler notices the disconnect and records the call.
		for f.emu.Stats().ByCode[outcomeCanceled] != 1 {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("stats = %+v, want one canceled call", f.emu.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("fail answers its code with a fitting message", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		c := f.client(t)
		_, err := execute(t.Context(), c, named("fail:FailedOperation.InvalidVodUser", "x"))
		msg := wantCode(t, err, codeInvalidVodUser)
		if !strings.Contains(msg, "not activated") || !strings.Contains(msg, "emulated") {
			t.Errorf("message = %q, want the canned one marked as emulated", msg)
		}

		_, err = execute(t.Context(), c, named("fail:ResourceNotFound.Custom_1", "x"))
		wantCode(t, err, "ResourceNotFound.Custom_1")
	})

	t.Run("flaky fails N times per argument, then succeeds", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		c := f.client(t)
		for i := range 2 {
			_, err := execute(t.Context(), c, named("flaky:2:InternalError", "a"))
			if err == nil {
				t.Fatalf("call %d succeeded, want InternalError", i+1)
			}
			wantCode(t, err, codeInternalError)
		}

		// Another argument has its own count.
		_, err := execute(t.Context(), c, named("flaky:2:InternalError", "b"))
		wantCode(t, err, codeInternalError)

		for range 2 {
			mustExecute(t, c, named("flaky:2:InternalError", "a"))
		}
	})

	t.Run("flaky can stage a throttled call", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t), named("flaky:1:RequestLimitExceeded", "x"))
		msg := wantCode(t, err, codeRequestLimit)
		if !strings.Contains(msg, "100 requests per second") {
			t.Errorf("message = %q, want the quota named", msg)
		}
		mustExecute(t, f.client(t), named("flaky:1:RequestLimitExceeded", "x"))

		s := f.emu.Stats()
		if s.Throttled != 0 || s.ByCode[codeRequestLimit] != 1 {
			t.Errorf("stats = %+v, want the staged throttle in ByCode only", s)
		}
	})

	t.Run("random with p=0 never fails", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		for range 20 {
			mustExecute(t, f.client(t), named("random:0:InternalError", "x"))
		}
	})

	t.Run("random with p=1 always fails", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		for range 20 {
			_, err := execute(t.Context(), f.client(t), named("random:1:InternalError", "x"))
			wantCode(t, err, codeInternalError)
		}
	})

	t.Run("random with p=0.5 does both", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{Seed: 7})
		c := f.client(t)
		var failed int
		for range 40 {
			_, err := execute(t.Context(), c, named("random:0.5:InternalError", "x"))
			if err != nil {
				failed++
			}
		}
		if failed == 0 || failed == 40 {
			t.Errorf("%d of 40 calls failed, want some but not all", failed)
		}
	})

	t.Run("close drops the connection", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t), named("close", "x"))
		if err == nil {
			t.Fatal("call succeeded, want a network error")
		}
		se := sdkError(t, err)
		if se.GetCode() != "ClientError.NetworkError" || se.GetRequestId() != "" {
			t.Errorf("error = %v, want ClientError.NetworkError without RequestId", err)
		}
		if got := f.emu.Stats().ByCode[outcomeClose]; got != 1 {
			t.Errorf("ByCode[close] = %d, want 1", got)
		}
	})

	t.Run("http502 answers like a failing gateway", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t), named("http502", "x"))
		if err == nil {
			t.Fatal("call succeeded, want an SDK client error")
		}
		// SDK v1.3.214 parses the body before it looks at the status, so
		// it reports ParseJsonError; HttpStatusCodeError would do as well.
		switch got := sdkError(t, err).GetCode(); got {
		case "ClientError.ParseJsonError", "ClientError.HttpStatusCodeError":
		default:
			t.Errorf("code = %s, want ClientError.ParseJsonError or HttpStatusCodeError", got)
		}
	})

	t.Run("a malformed behaviour name is refused with the syntax", func(t *testing.T) {
		t.Parallel()
		f := setup(t, Config{})
		_, err := execute(t.Context(), f.client(t), named("sleep:soon", "x"))
		msg := wantCode(t, err, codeInvalidName)
		if !strings.Contains(msg, "sleep:2s") || !strings.Contains(msg, "flaky:<N>:<Code>") {
			t.Errorf("message = %q, want an example and the syntax", msg)
		}
	})
}

func TestParseBehaviour(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want behaviour
	}{
		{"ExampleFunc", behaviour{kind: behaveEcho}},
		{"echo", behaviour{kind: behaveEcho}},
		{"Close", behaviour{kind: behaveEcho}},
		{"sleep:0s", behaviour{kind: behaveSleep}},
		{"sleep:1m30s", behaviour{kind: behaveSleep, sleep: 90 * time.Second}},
		{"fail:InternalError", behaviour{kind: behaveFail, code: "InternalError"}},
		{"fail:FailedOperation.InvalidVodUser", behaviour{kind: behaveFail,
			code: "FailedOperation.InvalidVodUser"}},
		{"flaky:0:InternalError", behaviour{kind: behaveFlaky, code: "InternalError"}},
		{"flaky:3:InternalError", behaviour{kind: behaveFlaky, n: 3, code: "InternalError"}},
		{"random:0.25:InternalError", behaviour{kind: behaveRandom, p: 0.25,
			code: "InternalError"}},
		{"random:1:InternalError", behaviour{kind: behaveRandom, p: 1, code: "InternalError"}},
		{"close", behaviour{kind: behaveClose}},
		{"http502", behaviour{kind: behaveHTTP502}},
	} {
		t.Run("reads "+tc.name, func(t *testing.T) {
			t.Parallel()
			got, e := parseBehaviour(tc.name)
			if e != nil || got != tc.want {
				t.Fatalf("parseBehaviour(%q) = %+v, %v; want %+v", tc.name, got, e, tc.want)
			}
		})
	}

	for _, name := range []string{
		"sleep", "sleep:", "sleep:2", "sleep:-1s", "sleep:soon",
		"fail", "fail:", "fail:internalError", "fail:Internal Error", "fail:A..B",
		"fail:InternalError:extra",
		"flaky", "flaky:2", "flaky:x:InternalError", "flaky:-1:InternalError",
		"flaky:+1:InternalError", "flaky:2:", "flaky:2:bad",
		"random:0.5", "random:1.5:InternalError", "random:-0.1:InternalError",
		"random:NaN:InternalError", "random:half:InternalError", "random:0.5:",
		"close:now", "close:", "http502:x",
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			t.Parallel()
			_, e := parseBehaviour(name)
			if e == nil || e.Code != codeInvalidName {
				t.Fatalf("parseBehaviour(%q) = %v, want %s", name, e, codeInvalidName)
			}
		})
	}
}
