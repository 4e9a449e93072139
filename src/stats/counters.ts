// Counters kept on the hot path: plain numeric fields incremented in place, named exactly as
// twemproxy names them in its stats JSON. Formatting happens only when the stats port is read.

export class ServerStats {
  server_eof = 0;
  server_err = 0;
  server_timedout = 0;
  server_connections = 0;
  /** Unix microseconds of the last ejection, 0 = never. */
  server_ejected_at = 0;
  requests = 0;
  request_bytes = 0;
  responses = 0;
  response_bytes = 0;
  in_queue = 0;
  in_queue_bytes = 0;
  out_queue = 0;
  out_queue_bytes = 0;
}

export class PoolStats {
  client_eof = 0;
  client_err = 0;
  client_connections = 0;
  server_ejects = 0;
  forward_error = 0;
  fragments = 0;
}

export const SERVER_STAT_DESCRIPTIONS: Record<keyof ServerStats, string> = {
  server_eof: '"# eof on server connections"',
  server_err: '"# errors on server connections"',
  server_timedout: '"# timeouts on server connections"',
  server_connections: '"# active server connections"',
  server_ejected_at: '"timestamp when server was ejected in usec since epoch"',
  requests: '"# requests"',
  request_bytes: '"total request bytes"',
  responses: '"# responses"',
  response_bytes: '"total response bytes"',
  in_queue: '"# requests in incoming queue"',
  in_queue_bytes: '"current request bytes in incoming queue"',
  out_queue: '"# requests in outgoing queue"',
  out_queue_bytes: '"current request bytes in outgoing queue"',
};

export const POOL_STAT_DESCRIPTIONS: Record<keyof PoolStats, string> = {
  client_eof: '"# eof on client connections"',
  client_err: '"# errors on client connections"',
  client_connections: '"# active client connections"',
  server_ejects: '"# times backend server was ejected"',
  forward_error: '"# times we encountered a forwarding error"',
  fragments: '"# fragments created from a multi-vector request"',
};

/** Process-wide connection counts (twemproxy's total_connections / curr_connections). */
export const connectionCounts = { total: 0, current: 0 };

export function connectionOpened(): void {
  connectionCounts.total++;
  connectionCounts.current++;
}

export function connectionClosed(): void {
  connectionCounts.current--;
}
