package httpapi

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// fakeResolver answers from a table and never touches the network.
func fakeResolver(table map[string][]string) Resolver {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		addrs, ok := table[host]
		if !ok {
			return nil, errors.New("no such host")
		}
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func TestCheckAddrAllowsOnlyLoopbackWithoutAToken(t *testing.T) {
	t.Parallel()
	resolve := fakeResolver(map[string][]string{
		"localhost": {"127.0.0.1", "::1"},
		"db.lan":    {"192.168.1.20"},
		"mixed":     {"127.0.0.1", "10.0.0.5"},
		"mapped":    {"::ffff:127.0.0.1"},
	})
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"mapped:8080", true},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{":8080", false},
		{"192.168.1.20:8080", false},
		{"db.lan:8080", false},
		{"mixed:8080", false},
		{"unknown.example:8080", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := CheckAddr(context.Background(), tt.addr, false, resolve)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckAddr(%q) = %v, want ok %v", tt.addr, err, tt.ok)
			}
			if err != nil && tt.addr != "no-port" {
				for _, name := range []string{"VODQ_HTTP_ADDR", "VODQ_API_TOKENS"} {
					if !strings.Contains(err.Error(), name) {
						t.Errorf("error %q does not name %s", err, name)
					}
				}
			}
			if err := CheckAddr(context.Background(), tt.addr, true, resolve); err != nil {
				t.Errorf("with a token: %v", err)
			}
		})
	}
}
