// Package vodclient calls the VOD API action ExecuteFunction through the
// Tencent Cloud SDK's common client.
//
// The SDK's per-product vod module is not used; the request and response
// types here mirror its vod/v20180717 ExecuteFunction structs, and the
// common module does the signing (TC3-HMAC-SHA256), the credentials and the
// error parsing.
package vodclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/vodq/vodq/tasks"
)

// The API this client calls.
const (
	Service = "vod"
	Version = "2018-07-17"
	Action  = "ExecuteFunction"
)

// ExecuteFunctionResponseParams mirrors the SDK's response parameters.
type ExecuteFunctionResponseParams struct {
	// Result is the backend's answer.
	Result *string `json:"Result,omitnil"`
	// RequestId is the API's unique request ID.
	RequestId *string `json:"RequestId,omitnil"`
}

// ExecuteFunctionResponse mirrors the SDK's response type: the body
// {"Response":{…}}.
type ExecuteFunctionResponse struct {
	*tchttp.BaseResponse
	Response *ExecuteFunctionResponseParams `json:"Response"`
}

// Config says where and how to call the API.
type Config struct {
	// Region is sent with every call.
	Region string
	// Endpoint is host[:port]; empty means vod.tencentcloudapi.com.
	Endpoint string
	// Scheme is "https" (default) or "http" (the emulator).
	Scheme string
	// Timeout bounds one call; the request's context may end it sooner.
	// Zero means 30 s.
	Timeout time.Duration
	// Credential signs the calls. Nil means the SDK's default provider
	// chain: TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, then the
	// profile file, then a CVM role.
	Credential common.CredentialIface
	// Transport carries the calls; nil means a pooled transport sized for
	// MaxConns.
	Transport http.RoundTripper
	// MaxConns is the most idle connections kept to the endpoint; set it to
	// the worker's concurrency. Zero means 100.
	MaxConns int
	// SDKRateLimitRetries turns on the SDK's own retries of
	// RequestLimitExceeded answers. Keep it zero: vodq owns retries. It
	// exists so that `vodq bench` can compare against that strategy.
	SDKRateLimitRetries int
}

// Client calls ExecuteFunction. It is safe for concurrent use: the SDK
// client's Send reads its settings and shares one http.Client, and each call
// builds its own request.
type Client struct {
	sdk     *common.Client
	timeout time.Duration
}

// New returns a Client. It fails when no credential can be found; the
// error never holds a secret.
func New(cfg Config) (*Client, error) {
	cred := cfg.Credential
	if cred == nil {
		c, err := common.DefaultProviderChain().GetCredential()
		if err != nil {
			return nil, errors.New("no Tencent Cloud credential found: set TENCENTCLOUD_SECRET_ID " +
				"and TENCENTCLOUD_SECRET_KEY, or a profile file, or run with a CVM role")
		}
		cred = c
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 100
	}

	prof := profile.NewClientProfile()
	prof.HttpProfile.ReqMethod = "POST"
	prof.HttpProfile.Endpoint = cfg.Endpoint
	if cfg.Scheme != "" {
		prof.HttpProfile.Scheme = cfg.Scheme
	}
	prof.HttpProfile.ReqTimeout = int((cfg.Timeout + time.Second - 1) / time.Second)
	// vodq owns retries: the SDK's own would spend the quota unseen and
	// sleep without watching the context. The region breaker stays off: open,
	// it switches to a backup endpoint.
	prof.NetworkFailureMaxRetries = 0
	prof.RateLimitExceededMaxRetries = cfg.SDKRateLimitRetries
	prof.DisableRegionBreaker = true

	sdk := common.NewCommonClient(cred, cfg.Region, prof)
	tr := cfg.Transport
	if tr == nil {
		tr = newTransport(cfg.MaxConns)
	}
	sdk.WithHttpTransport(tr)
	return &Client{sdk: sdk, timeout: cfg.Timeout}, nil
}

func newTransport(maxConns int) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxConns,
		MaxIdleConnsPerHost:   maxConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// ExecuteFunction calls the API once. On success it returns the Result and
// RequestId. On failure the error is a *tasks.Failure carrying the Tencent
// Cloud code, message and RequestId (or an SDK client code such as
// ClientError.NetworkError, or tasks.CodeTimeout when the call ran out of
// time).
func (c *Client) ExecuteFunction(ctx context.Context, req *tasks.Request) (*tasks.Outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	creq := tchttp.NewCommonRequest(Service, Version, Action)
	creq.SetContext(ctx)
	if err := creq.SetActionParameters(req.Params()); err != nil {
		return nil, failure(ctx, err)
	}
	resp := &ExecuteFunctionResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := c.sdk.Send(creq, resp); err != nil {
		return nil, failure(ctx, err)
	}
	if resp.Response == nil || resp.Response.Result == nil {
		return nil, &tasks.Failure{Code: "ClientError.ParseJsonError",
			Message: "the answer has no Response.Result"}
	}
	o := &tasks.Outcome{Result: *resp.Response.Result}
	if resp.Response.RequestId != nil {
		o.RequestId = *resp.Response.RequestId
	}
	return o, nil
}

// maxMessage caps a stored error message; an HTML error page can be long.
const maxMessage = 2000

// failure turns an SDK error into a *tasks.Failure.
func failure(ctx context.Context, err error) *tasks.Failure {
	if ctx.Err() == context.DeadlineExceeded {
		return &tasks.Failure{Code: tasks.CodeTimeout, Message: "the call timed out"}
	}
	var sdkErr *tcerr.TencentCloudSDKError
	if !errors.As(err, &sdkErr) {
		return &tasks.Failure{Code: "ClientError.NetworkError", Message: truncate(err.Error())}
	}
	msg := sdkErr.GetMessage()
	if cause := errors.Unwrap(sdkErr); cause != nil {
		msg = fmt.Sprintf("%s: %v", msg, cause)
	}
	return &tasks.Failure{
		Code:      sdkErr.GetCode(),
		Message:   truncate(msg),
		RequestId: sdkErr.GetRequestId(),
	}
}

func truncate(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage] + "…"
}
