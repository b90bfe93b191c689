// Runs one execution of a state machine definition in aws-local-stepfunctions
// and streams the execution's event log to stdout, one JSON object a line.
//
// Input (stdin, JSON): {"definition": <ASL object>, "input": <execution input>,
//   "retryIntervalOverrides": {<state>: ms}, "waitTimeOverrides": {<state>: ms},
//   "maxPayloadBytes": n, "resultWriterOutputBytes": n}
// (localsfn.MaxPayloadBytes, and the size of localsfn.ResultWriterOutput:
// what a Distributed Map with a ResultWriter puts in the state on AWS in
// place of its results).
//
// Task states are not overridden: the interpreter invokes each Task's
// Resource (a Lambda ARN) through the AWS SDK for JavaScript, whose endpoint
// the caller points at its local Lambda service with AWS_ENDPOINT_URL_LAMBDA.
// The last line is the ExecutionSucceeded / ExecutionFailed event. Exit
// status: 0 when the execution ran (whatever its outcome), 2 when the
// definition was rejected, 1 on any other failure of this script.
//
// Step Functions' payload limit, which the interpreter does not enforce, is
// enforced here (see limitPayloads): a state whose output is over 256 KiB
// fails the execution with States.DataLimitExceeded, and that error (also
// when the local Lambda service reports it for a task's input or result) is
// terminal, as on AWS: no Retry or Catch takes it, States.ALL included.
// Every StateExited event carries state.payloadBytes, the output's size as
// Step Functions counts it.
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';

// The limit and the stand-in's size, from the run spec.
const limits = { maxPayloadBytes: 0, resultWriterOutputBytes: 0 };

const jsonBytes = (value) => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

// resultWriterMaps returns, by state name, the ResultPath (a list of keys)
// of every Distributed Map with a ResultWriter in the definition, at any
// depth. Only plain paths ($.a.b) are recognized.
function resultWriterMaps(definition, out = new Map()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    const distributed = state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
    if (state.Type === 'Map' && distributed && state.ResultWriter && /^\$(\.[A-Za-z0-9_]+)+$/.test(state.ResultPath ?? '')) {
      out.set(name, state.ResultPath.split('.').slice(1));
    }
    if (state.ItemProcessor) resultWriterMaps(state.ItemProcessor, out);
    for (const branch of state.Branches ?? []) resultWriterMaps(branch, out);
  }
  return out;
}

const valueAt = (value, keys) => keys.reduce((v, k) => (v !== null && typeof v === 'object' ? v[k] : undefined), value);

// inlineResults holds, by ResultPath, the size of the results a Distributed
// Map with a ResultWriter left inline in the state, to recognize them in the
// outputs of the states after it.
const inlineResults = new Map();

// payloadBytes is the size of a state's output as Step Functions counts it:
// the inline results of a Distributed Map with a ResultWriter, in its own
// output and, unchanged, in those of the states after it, count as the
// reference to them that AWS puts in their place.
function payloadBytes(stateName, output, writerMaps) {
  const own = writerMaps.get(stateName);
  if (own && Array.isArray(valueAt(output, own))) {
    inlineResults.set(own.join('.'), jsonBytes(valueAt(output, own)));
  }
  let n = jsonBytes(output);
  for (const [path, bytes] of inlineResults) {
    const inline = valueAt(output, path.split('.'));
    if (Array.isArray(inline) && jsonBytes(inline) === bytes) n += limits.resultWriterOutputBytes - bytes;
  }
  return n;
}

// terminal makes err one that no Retry or Catch matches: the interpreter
// asks each error isRetryable and isCatchable.
function terminal(err) {
  Object.defineProperties(err, { isRetryable: { value: false }, isCatchable: { value: false } });
  return err;
}

// limitPayloads enforces the payload limit on the states run by the event
// logger of one execution (the interpreter makes one per execution, and one
// per Map iteration): it measures each state's output as the state exits,
// before the next state starts, and fails the state over the limit.
function limitPayloads(logger, writerMaps) {
  if (typeof logger?.dispatch !== 'function' || typeof logger?.dispatchStateFailedEvent !== 'function') {
    throw new Error('aws-local-stepfunctions has changed: its event logger has no dispatch and dispatchStateFailedEvent to enforce the payload limit with');
  }
  if (logger.payloadsLimited) return;
  logger.payloadsLimited = true;
  const dispatch = logger.dispatch.bind(logger);
  logger.dispatch = (event) => {
    // Events of Map iterations reach the parent's logger again, measured.
    if (event.type === 'StateExited' && event.state && event.state.payloadBytes === undefined) {
      const n = payloadBytes(event.state.name, event.state.output, writerMaps);
      if (n > limits.maxPayloadBytes) {
        const err = new Error(`The state/task '${event.state.name}' returned a result with a size exceeding the maximum number of bytes service limit (${n} bytes, the limit is ${limits.maxPayloadBytes}).`);
        err.name = DATA_LIMIT_EXCEEDED;
        throw terminal(err);
      }
      event.state.payloadBytes = n;
    }
    dispatch(event);
  };
  const failed = logger.dispatchStateFailedEvent.bind(logger);
  logger.dispatchStateFailedEvent = (stateName, stateType, input, error) => {
    if (error?.name === DATA_LIMIT_EXCEEDED) terminal(error);
    failed(stateName, stateType, input, error);
  };
}

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

const execute = StateMachine.prototype.execute;
if (typeof execute !== 'function') {
  emit({ type: 'RunnerError', message: 'aws-local-stepfunctions has changed: StateMachine has no execute method to enforce the payload limit in' });
  process.exit(1);
}
const writerMaps = resultWriterMaps(spec.definition);
limits.maxPayloadBytes = spec.maxPayloadBytes ?? 256 * 1024;
limits.resultWriterOutputBytes = spec.resultWriterOutputBytes ?? 0;
StateMachine.prototype.execute = function (input, options, cleanupFn) {
  limitPayloads(options?.eventLogger, writerMaps);
  return execute.call(this, input, options, cleanupFn);
};

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
