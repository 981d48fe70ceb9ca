package emulator_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/vodq/vodq/internal/emulator"
)

// The emulator on a free loopback port, called through the Tencent Cloud
// SDK exactly as the real endpoint would be: one call echoes, one fails on
// purpose.
func ExampleListen() {
	srv, err := emulator.Listen("127.0.0.1:0", emulator.Config{
		Credentials: map[string]string{"AKIDexample": "example-key"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	prof := profile.NewClientProfile()
	prof.HttpProfile.Endpoint = srv.Addr
	prof.HttpProfile.Scheme = "http"
	prof.HttpProfile.ReqMethod = "POST"
	client := common.NewCommonClient(
		common.NewCredential("AKIDexample", "example-key"), "ap-guangzhou", prof)

	call := func(name, arg string) (string, error) {
		req := tchttp.NewCommonRequest("vod", "2018-07-17", "ExecuteFunction")
		if err := req.SetActionParameters(map[string]any{
			"FunctionName": name, "FunctionArg": arg,
		}); err != nil {
			return "", err
		}
		resp := tchttp.NewCommonResponse()
		if err := client.Send(req, resp); err != nil {
			return "", err
		}
		var body struct{ Response struct{ Result string } }
		err := json.Unmarshal(resp.GetBody(), &body)
		return body.Response.Result, err
	}

	result, err := call("ExampleFunc", `{"FileId":"528589078"}`)
	fmt.Println(result, err)

	_, err = call("fail:FailedOperation.InvalidVodUser", "x")
	var se *tcerr.TencentCloudSDKError
	if errors.As(err, &se) {
		fmt.Println(se.GetCode())
	}

	s := srv.Emulator.Stats()
	fmt.Println(s.Requests, s.ByCode["OK"], s.ByCode["FailedOperation.InvalidVodUser"])
	// Output:
	// {"FileId":"528589078"} <nil>
	// FailedOperation.InvalidVodUser
	// 2 1 1
}
