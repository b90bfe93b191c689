// Runs one execution of a state machine definition in aws-local-stepfunctions
// and streams the execution's event log to stdout, one JSON object a line.
//
// Input (stdin, JSON): {"definition": <ASL object>, "input": <execution input>,
//   "retryIntervalOverrides": {<state>: ms}, "waitTimeOverrides": {<state>: ms}}
//
// Task states are not overridden: the interpreter invokes each Task's
// Resource (a Lambda ARN) through the AWS SDK for JavaScript, whose endpoint
// the caller points at its local Lambda service with AWS_ENDPOINT_URL_LAMBDA.
// The last line is the ExecutionSucceeded / ExecutionFailed event. Exit
// status: 0 when the execution ran (whatever its outcome), 2 when the
// definition was rejected, 1 on any other failure of this script.
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');

let spec;
try {
  spec = JSON.parse(readFileSync(0, 'utf8'));
} catch (err) {
  emit({ type: 'RunnerError', message: `cannot read the run spec from stdin: ${err.message}` });
  process.exit(1);
}

let machine;
try {
  machine = new StateMachine(spec.definition, { validationOptions: { checkPaths: true, checkArn: true } });
} catch (err) {
  emit({ type: 'DefinitionInvalid', message: err.message });
  process.exit(2);
}

const execution = machine.run(spec.input ?? {}, {
  overrides: {
    retryIntervalOverrides: spec.retryIntervalOverrides ?? {},
    waitTimeOverrides: spec.waitTimeOverrides ?? {},
  },
});
// The outcome is reported through the event log; keep the rejection handled.
execution.result.catch(() => {});

for await (const event of execution.eventLogs) {
  emit(event);
}
