// A worker of `worker_processes: N`: runs every pool (node:cluster hands it its share of the
// connections), drops privileges once listening, and sends its counters to the master.
import type { Config } from '../config/types.js';
import { log, logNotice } from '../log/logger.js';
import { Proxy, type ProxyOptions } from '../proxy/proxy.js';
import { dropPrivileges } from './identity.js';
import { isOwnMessage, WORKER_SLOT_ENV, type MasterMessage, type WorkerMessage } from './messages.js';
import { proxyReloader } from './reload.js';
import { setProcessTitle, type RunningSignals } from './process-role.js';

export interface WorkerOptions {
  title: string;
  verbosity: number;
  output: string | null;
  proxy: Omit<ProxyOptions, 'publishStats'>;
}

/** This worker's slot, 1..N, as the master numbered it. */
export function workerSlot(): number {
  return Number(process.env[WORKER_SLOT_ENV]);
}

export async function runWorker(config: Config, options: WorkerOptions, signals: RunningSignals): Promise<void> {
  setProcessTitle(options.title);
  log.level = options.verbosity;
  try {
    log.setOutput(options.output);
  } catch (err) {
    return fail(`cannot open log file '${options.output}': ${(err as Error).message}`);
  }
  const proxy = new Proxy(config, { ...options.proxy, publishStats: (data) => send({ kind: 'stats', data }) });
  try {
    await proxy.start();
    dropPrivileges(config);
  } catch (err) {
    await proxy.stop(0);
    return fail((err as Error).message);
  }
  logNotice(`worker ${workerSlot()} started on pid ${process.pid}`);
  // The master forwards SIGHUP (this worker reopens its log) and asks for the reload itself.
  signals.started({ stop: () => proxy.stop() });
  const reload = proxyReloader(proxy, config.file, config);
  process.on('message', (message: unknown) => {
    if (isOwnMessage<MasterMessage>(message) && message.kind === 'reload') reload();
  });
  send({ kind: 'ready' });
}

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

/** The master reports why the worker could not start (log, terminal or -d caller). */
async function fail(message: string): Promise<never> {
  await send({ kind: 'failed', error: message });
  process.exit(1);
}
