package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/vodq/vodq/internal/config"
)

// Resolver looks up the addresses of a host name; net.DefaultResolver's
// LookupNetIP, with network "ip", is one.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

func systemResolver(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// CheckAddr refuses to serve on addr without a token unless addr is a
// loopback address, so that a server without authentication is never
// reachable from other machines. A host name counts as loopback when every
// address it resolves to is one; resolve nil means the system resolver.
// With hasTokens true every address is allowed.
func CheckAddr(ctx context.Context, addr string, hasTokens bool, resolve Resolver) error {
	if hasTokens {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s_HTTP_ADDR %q is not host:port: %w", config.Prefix, addr, err)
	}
	ok, why := isLoopback(ctx, host, resolve)
	if ok {
		return nil
	}
	return fmt.Errorf("%s_HTTP_ADDR is %s, %s, and no API token is set: "+
		"set %s_API_TOKENS (or %s_API_TOKENS_FILE), or listen on 127.0.0.1",
		config.Prefix, addr, why, config.Prefix, config.Prefix)
}

// isLoopback reports whether host reaches only the loopback interface, and
// why not.
func isLoopback(ctx context.Context, host string, resolve Resolver) (bool, string) {
	if host == "" {
		return false, "which listens on every interface"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() {
			return true, ""
		}
		if ip.IsUnspecified() {
			return false, "which listens on every interface"
		}
		return false, "which is not a loopback address"
	}
	if resolve == nil {
		resolve = systemResolver
	}
	ips, err := resolve(ctx, host)
	if err != nil || len(ips) == 0 {
		return false, "whose host name does not resolve"
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return false, "whose host name resolves to " + ip.String() + ", not loopback"
		}
	}
	return true, ""
}
