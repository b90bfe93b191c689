package localsfn

import (
	"context"
	"fmt"
	"io"
)

// Local is one local run of a synthesized stack's state machine.
type Local struct {
	// Stack is the synthesized stack (ReadStack).
	Stack *Stack
	Tools Tools
	// WorkerCommand gives the argv of the process that runs a step.
	WorkerCommand func(Function) []string
	// WorkerEnv is the environment step processes start from: the AWS
	// credentials, region and endpoint the handlers should use.
	WorkerEnv []string
	// Logs receives the step processes' JSON logs.
	Logs io.Writer
	// RetryIntervalOverrides and OnEvent are passed to the run.
	RetryIntervalOverrides map[string]int
	// WaitMillis, when above 0, is how long every Wait state of the
	// definition waits, in ms: the emulated services apply a change at
	// once, so a local run need not wait out a Poll's interval.
	WaitMillis int
	OnEvent    func(Event)
	// OnInvoke, if set, sees every Lambda invocation once it has ended.
	OnInvoke func(Invocation)
}

// Execute runs the stack's only state machine with input.
func (l Local) Execute(ctx context.Context, input any) (Execution, error) {
	if n := len(l.Stack.StateMachines); n != 1 {
		return Execution{}, fmt.Errorf("stack %s has %d state machines; expect exactly one", l.Stack.Name, n)
	}
	svc := NewLambdaService(l.Stack, l.WorkerCommand, l.WorkerEnv, l.Logs)
	svc.OnInvoke = l.OnInvoke
	if err := svc.Start(); err != nil {
		return Execution{}, err
	}
	defer svc.Close()
	ak, sk, token := svc.Credentials()
	return l.Tools.Run(ctx, RunSpec{
		Definition:             l.Stack.StateMachines[0].Definition,
		Input:                  input,
		LambdaEndpoint:         svc.Endpoint(),
		LambdaCredentials:      [3]string{ak, sk, token},
		Region:                 l.Stack.Region,
		RetryIntervalOverrides: l.RetryIntervalOverrides,
		WaitTimeOverrides:      waitOverrides(l.Stack.StateMachines[0].Definition, l.WaitMillis),
		OnEvent:                l.OnEvent,
	})
}
