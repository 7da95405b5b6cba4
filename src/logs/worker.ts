// A log reader thread: reads the work items it is given, in order, into its own session table
// and aggregate, then hands back the aggregate and the sessions it saw only part of.
import { parentPort, workerData } from 'node:worker_threads';
import { InputError, describeError } from '../errors.js';
import { packAggregate } from './aggregate.js';
import { readInThread, type FromWorker, type ToWorker } from './reader.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts runs only as a worker thread');
const data: unknown = workerData;
const sweepEvery = typeof data === 'object' && data !== null && 'sweepEvery' in data && typeof data.sweepEvery === 'number' ? data.sweepEvery : undefined;
const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

async function readAll(msg: ToWorker): Promise<void> {
  const { aggregate, ...read } = await readInThread(msg.items, (bytes) => { if (bytes > 0) send({ type: 'progress', bytes }); }, sweepEvery, msg.claims);
  const packed = packAggregate(aggregate);
  // The numbers move to the reading thread without a copy.
  send({ type: 'result', result: { packed, ...read } }, [packed.numbers.buffer as ArrayBuffer]);
}

port.once('message', (msg: ToWorker) => {
  readAll(msg)
    .catch((error: unknown) => {
      if (error instanceof InputError) send({ type: 'error', file: error.file, line: error.line, message: error.message });
      else send({ type: 'error', file: null, line: null, message: describeError(error) });
    })
    .finally(() => port.close());
});
