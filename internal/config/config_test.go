package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestLoadNamesTheVariableAndTheLimit(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"VODQ_CONCURRENCY": "0"}, "VODQ_CONCURRENCY must be 1 to 10000"},
		{map[string]string{"VODQ_CONCURRENCY": "abc"}, `VODQ_CONCURRENCY is "abc"; it must be a whole number`},
		{map[string]string{"VODQ_SESSION_ID_FROM_JOB": "yes"}, "it must be true or false"},
		{map[string]string{"VODQ_RATE": "0"}, "VODQ_RATE must be above 0"},
		{map[string]string{"VODQ_CALL_TIMEOUT": "soon"}, "a duration such as 30s"},
		{map[string]string{"VODQ_QUEUES": "bad!:1"}, `VODQ_QUEUES has "bad!"`},
		{map[string]string{"VODQ_QUEUES": "a:0"}, "priority"},
		{map[string]string{"VODQ_ENDPOINT": "https://vod.tencentcloudapi.com"}, "VODQ_ENDPOINT must be host[:port]"},
		{map[string]string{"VODQ_TASK_TIMEOUT": "1s"}, "VODQ_TASK_TIMEOUT must be at least CALL_TIMEOUT"},
		{map[string]string{"VODQ_REDIS_SENTINEL_ADDRS": "127.0.0.1:26379"}, "VODQ_REDIS_SENTINEL_MASTER"},
		{map[string]string{"VODQ_MAX_THROTTLED": "0"}, "VODQ_MAX_THROTTLED must be 1 to 1000"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			_, err := Load()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load() = %v; want an error containing %q", err, c.want)
			}
		})
	}
}

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.Rate != 97 || c.Worker.Concurrency != 50 || c.Retention.Hours() != 168 {
		t.Errorf("defaults = rate %v, concurrency %d, retention %v", c.Worker.Rate, c.Worker.Concurrency, c.Retention)
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var b bytes.Buffer
	if err := Usage(&b); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"VODQ_REDIS_URL", "VODQ_RATE", "VODQ_API_TOKENS", "VODQ_MAX_THROTTLED",
		"TENCENTCLOUD_SECRET_KEY"} {
		if !strings.Contains(b.String(), v) {
			t.Errorf("usage lacks %s", v)
		}
	}
}
