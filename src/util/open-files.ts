// Whether the process can open one more file: libuv accepts and at once closes the clients that
// come while the open file limit is reached, without telling, so the proxy checks for itself.
import { closeSync, openSync } from 'node:fs';

/** True when no file descriptor is free (EMFILE), or the host has none left (ENFILE). */
export function atOpenFileLimit(): boolean {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return false;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EMFILE' || code === 'ENFILE';
  }
}
