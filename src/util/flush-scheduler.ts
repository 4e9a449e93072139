// Batches socket writes: a connection asks to be flushed, and every connection that asked during
// this event-loop turn is flushed once, after all I/O callbacks of the turn have run. Many clients'
// requests then share one write to a server, and many replies share one write to a client.

export interface Flushable {
  flushScheduled: boolean;
  flush(): void;
}

let queue: Flushable[] = [];
let spare: Flushable[] = [];
let scheduled = false;

export function scheduleFlush(target: Flushable): void {
  if (target.flushScheduled) return;
  target.flushScheduled = true;
  queue.push(target);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runFlushes);
  }
}

function runFlushes(): void {
  scheduled = false;
  const batch = queue;
  queue = spare;
  for (let i = 0; i < batch.length; i++) {
    const target = batch[i]!;
    target.flushScheduled = false;
    target.flush();
  }
  batch.length = 0;
  spare = batch;
}
