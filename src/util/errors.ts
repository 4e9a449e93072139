// Turning socket errors into the short strerror-like text that twemproxy puts in its error replies.

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
};

export function describeSocketError(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') {
    return `Host not found (${err.message.replace(/^getaddrinfo \w+ /, '')})`;
  }
  return MESSAGES[code] ?? err.message;
}
