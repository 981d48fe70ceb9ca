// Package tasks is the job contract shared by vodq's producers and workers.
//
// A job asks vodq to call the Tencent Cloud VOD API action ExecuteFunction
// once, on behalf of a producer. The contract has four parts:
//
//   - [Request]: the action's parameters, named exactly as on the API page
//     (FunctionName, FunctionArg, SubAppId, SessionContext, SessionId,
//     ExtInfo), so a request copied from the API documentation works
//     unchanged. [DecodeRequest] parses one strictly and [Request.Validate]
//     applies the API's limits.
//   - [TypeExecuteFunction]: the Asynq task type. The task's payload is the
//     request's JSON and the task ID is the job ID.
//   - [Job]: the stored record of one job, with its [State], attempts,
//     timestamps and, once it ends, its [Outcome] or [Failure].
//   - [Class] and [Classifier]: how a Tencent Cloud error code is treated
//     (retried with back-off, waited out, retried once, or final).
//
// Validation errors are [*FieldError] values that name the field and the
// limit it broke; callers match them with errors.As, or with errors.Is
// against [ErrInvalid].
package tasks
