// redis-py (Debian's python3-redis, run by the system python) driving the proxy as Python users do.
import { runCommand } from './process.js';

/**
 * Runs a Python script with `r` bound to a redis.Redis client of 127.0.0.1:`port`; whatever the
 * script assigns to `result` comes back, JSON-decoded.
 */
export async function redisPy(port: number, script: string, timeoutMs = 30000): Promise<unknown> {
  const program = [
    'import json, redis',
    `r = redis.Redis(host='127.0.0.1', port=${port}, decode_responses=True)`,
    'result = None',
    script,
    'print(json.dumps(result))',
  ].join('\n');
  const run = await runCommand('/usr/bin/python3', ['-c', program], { timeoutMs });
  if (run.code !== 0) throw new Error(`redis-py script failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!);
}
