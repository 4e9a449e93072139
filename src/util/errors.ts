// Turning socket errors into the short strerror-like text that twemproxy puts in its error replies.

/** What the proxy says when it has no file descriptor left. */
export const TOO_MANY_OPEN_FILES = 'Too many open files: nutcracker reached its open file limit (raise it with ulimit -n, or LimitNOFILE= under systemd)';

const MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ECONNRESET: 'Connection reset by peer',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  EPIPE: 'Broken pipe',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EMFILE: TOO_MANY_OPEN_FILES,
  ENFILE: 'Too many open files in system: the host reached its open file limit (raise fs.file-max)',
};

/** True when the error is the process's or the host's open file limit: it comes in bursts. */
export function isOpenFileLimit(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EMFILE' || err.code === 'ENFILE';
}

export function describeSocketError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
    return `Host not found (${err.message.replace(/^getaddrinfo \w+ /, '')})`;
  }
  return MESSAGES[code] ?? err.message;
}
