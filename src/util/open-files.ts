// Whether the process can open one more file: libuv accepts and at once closes the clients that
// come while the open file limit is reached, without telling, so the proxy checks for itself.
import { closeSync, openSync } from 'node:fs';
import { isOpenFileLimit } from './errors.js';

/** True when no file descriptor is free (EMFILE), or the host has none left (ENFILE). */
export function atOpenFileLimit(): boolean {
  try {
    closeSync(openSync('/dev/null', 'r'));
    return false;
  } catch (err) {
    return isOpenFileLimit(err as NodeJS.ErrnoException);
  }
}
