package tasks

import ("testing";"fmt")

func TestScratch(t *testing.T) {
	seen := map[string]int{}
	for range 200 {
		_, err := DecodeSpec([]byte(`{"FunctionName":"a","FunctionArg":"b","timeout":"x", "process_at":"y"}`))
		seen[err.Error()]++
		_, err = DecodeSpec([]byte(`{"FunctionName":"a","FunctionArg":"b","process_in":"x", "timeout":"y"}`))
		seen[err.Error()]++
	}
	fmt.Println(seen)
}
