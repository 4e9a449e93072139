// Imported first by the command, before the other modules run: V8's young generation stays at its
// initial size (two 1 MB semi-spaces) unless the operator sizes it with a Node.js flag. By default
// V8 doubles it up to 32 MB under any steady allocation (accepting clients, forwarding requests),
// resident memory that a proxy's short-lived objects do not need (docs/performance.md).
import { setFlagsFromString } from 'node:v8';

/** V8 flags with which an operator sizes the young generation: then it is left as they set it. */
const SIZING_FLAGS = ['--max-semi-space-size', '--min-semi-space-size', '--semi-space-growth-factor'];

function sizedByOperator(): boolean {
  const args = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return args.some((arg) => SIZING_FLAGS.some((flag) => arg.replace(/_/g, '-').startsWith(flag)));
}

// A growth factor of 1 keeps the size V8 started with; the flag is read each time V8 would grow it.
if (!sizedByOperator()) setFlagsFromString('--semi-space-growth-factor=1');
