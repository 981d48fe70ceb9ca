package tasks_test

import (
	"sync"
	"testing"

	"github.com/vodq/vodq/tasks"
)

func TestDefaultClassifier(t *testing.T) {
	t.Parallel()

	c := tasks.NewClassifier(nil)
	tests := []struct {
		code string
		want tasks.Class
	}{
		{"InternalError", tasks.Transient},
		{"InternalError.DBError", tasks.Transient},
		{"InternalError.Deep.Below", tasks.Transient},
		{"ServiceUnavailable", tasks.Transient},
		{"ResourceUnavailable.Busy", tasks.Transient},
		{"ResourceInUse", tasks.Transient},
		{"ClientError.NetworkError", tasks.Transient},
		{"ClientError.HttpStatusCodeError", tasks.Transient},
		{"ClientError.ParseJsonError", tasks.Transient},
		{"ClientError.IOError", tasks.Transient},
		{tasks.CodeTimeout, tasks.Transient},
		{"RequestLimitExceeded", tasks.Throttled},
		{"RequestLimitExceeded.UinLimitExceeded", tasks.Throttled},
		{"RequestLimitExceeded.GlobalRegionUinLimitExceeded", tasks.Throttled},
		{"AuthFailure.SignatureExpire", tasks.RetryOnce},
		{"AuthFailure.TokenFailure", tasks.RetryOnce},
		{"AuthFailure.SignatureFailure", tasks.Permanent},
		{"AuthFailure.SecretIdNotFound", tasks.Permanent},
		{"FailedOperation", tasks.Permanent},
		{"FailedOperation.InvalidVodUser", tasks.Permanent},
		{"InvalidParameterValue.FunctionArg", tasks.Permanent},
		{"InvalidParameterValue.SessionContextTooLong", tasks.Permanent},
		{"UnauthorizedOperation", tasks.Permanent},
		{tasks.CodeBadPayload, tasks.Permanent},
		{"SomethingNobodyHasSeen", tasks.Permanent},
		{"", tasks.Permanent},
		// A prefix matches only whole segments.
		{"InternalErrorish", tasks.Permanent},
		{"RequestLimitExceededX", tasks.Permanent},
		{"ClientError.NetworkErrorX", tasks.Permanent},
		// Codes are case-sensitive, as the API writes them.
		{"internalerror", tasks.Permanent},
	}
	for _, tt := range tests {
		t.Run(tt.code+" is "+tt.want.String(), func(t *testing.T) {
			t.Parallel()
			if got := c.Classify(tt.code); got != tt.want {
				t.Errorf("Classify(%q) mismatch (-want +got):\n-%s\n+%s", tt.code, tt.want, got)
			}
		})
	}
}

func TestConfiguredClassifier(t *testing.T) {
	t.Parallel()

	t.Run("FailedOperation becomes transient when configured", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{"FailedOperation"})
		if got := c.Classify("FailedOperation"); got != tasks.Transient {
			t.Errorf("Classify(FailedOperation) = %s, want transient", got)
		}
		if got := c.Classify("FailedOperation.InvalidVodUser"); got != tasks.Permanent {
			t.Errorf("an exact code matched a code below it: %s", got)
		}
	})

	t.Run("the configured list replaces the defaults", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{"FailedOperation"})
		if got := c.Classify("InternalError"); got != tasks.Permanent {
			t.Errorf("Classify(InternalError) = %s, want permanent", got)
		}
	})

	t.Run("an empty list makes every plain code permanent", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{})
		if got := c.Classify("InternalError"); got != tasks.Permanent {
			t.Errorf("Classify(InternalError) = %s, want permanent", got)
		}
	})

	t.Run("whitespace around configured codes is ignored", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{" FailedOperation ", "\tInternalError.*\n", "  ", ""})
		for _, code := range []string{"FailedOperation", "InternalError.DBError"} {
			if got := c.Classify(code); got != tasks.Transient {
				t.Errorf("Classify(%q) = %s, want transient", code, got)
			}
		}
		if got := c.Classify(""); got != tasks.Permanent {
			t.Errorf("a blank configured code matched the empty code: %s", got)
		}
	})

	t.Run("a prefix code matches below it but not itself", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{"FailedOperation.*"})
		if got := c.Classify("FailedOperation.Busy"); got != tasks.Transient {
			t.Errorf("Classify(FailedOperation.Busy) = %s, want transient", got)
		}
		if got := c.Classify("FailedOperation"); got != tasks.Permanent {
			t.Errorf("Classify(FailedOperation) = %s, want permanent (list it exactly to match)", got)
		}
	})

	t.Run("the throttled and retry-once classes cannot be overridden", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier([]string{"RequestLimitExceeded", "AuthFailure.*"})
		if got := c.Classify("RequestLimitExceeded"); got != tasks.Throttled {
			t.Errorf("Classify(RequestLimitExceeded) = %s, want throttled", got)
		}
		if got := c.Classify("AuthFailure.TokenFailure"); got != tasks.RetryOnce {
			t.Errorf("Classify(AuthFailure.TokenFailure) = %s, want retry_once", got)
		}
		if got := c.Classify("AuthFailure.SignatureFailure"); got != tasks.Transient {
			t.Errorf("Classify(AuthFailure.SignatureFailure) = %s, want transient as configured", got)
		}
	})

	t.Run("one classifier is safe for concurrent use", func(t *testing.T) {
		t.Parallel()
		c := tasks.NewClassifier(nil)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 1000 {
					if c.Classify("InternalError.X") != tasks.Transient {
						t.Error("Classify changed its answer")
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

func TestClassString(t *testing.T) {
	t.Parallel()

	for class, want := range map[tasks.Class]string{
		tasks.Permanent: "permanent",
		tasks.Transient: "transient",
		tasks.Throttled: "throttled",
		tasks.RetryOnce: "retry_once",
		tasks.Class(99): "permanent",
	} {
		if got := class.String(); got != want {
			t.Errorf("Class(%d).String() mismatch (-want +got):\n-%s\n+%s", int(class), want, got)
		}
	}
}
