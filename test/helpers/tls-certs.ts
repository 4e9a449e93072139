// Certificates made at run time with the openssl command (nothing secret is committed): a test CA
// and the server and client certificates it signs, valid, for other names, or expired.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './process.js';

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface CertOptions {
  /** The names it is for (subjectAltName DNS entries); the first is also its CN. */
  dnsNames?: string[];
  /** The addresses it is for (subjectAltName IP entries). */
  ips?: string[];
  /** Valid from now until a day ago, i.e. already expired. */
  expired?: boolean;
}

const KEY_OPTIONS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA in its own temporary directory; `destroy` removes every file it made. */
export class TestCa {
  private serial = 1;

  private constructor(readonly dir: string, readonly cert: string, private readonly key: string) {}

  static async create(name = 'nutcracker test CA'): Promise<TestCa> {
    const dir = mkdtempSync(join(tmpdir(), 'nutcracker-tls-'));
    const ca = new TestCa(dir, join(dir, 'ca.crt'), join(dir, 'ca.key'));
    await openssl('req', '-x509', ...KEY_OPTIONS, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`);
    return ca;
  }

  /** A certificate signed by this CA, usable by a server and by a client (mutual TLS). */
  async issue(fileName: string, options: CertOptions = {}): Promise<CertFiles> {
    const dnsNames = options.dnsNames ?? ['localhost'];
    const files = { cert: join(this.dir, `${fileName}.crt`), key: join(this.dir, `${fileName}.key`) };
    const request = join(this.dir, `${fileName}.csr`);
    const extensions = join(this.dir, `${fileName}.ext`);
    const altNames = [...dnsNames.map((name) => `DNS:${name}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)];
    writeFileSync(extensions, [
      'basicConstraints=CA:FALSE',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
    ].join('\n') + '\n');
    await openssl('req', ...KEY_OPTIONS, '-keyout', files.key, '-out', request, '-subj', `/CN=${dnsNames[0] ?? fileName}`);
    // -days -1: the end of validity is a day before its start (now), so it is expired from the start.
    await openssl('x509', '-req', '-in', request, '-CA', this.cert, '-CAkey', this.key, '-set_serial', String(this.serial++),
      '-days', options.expired ? '-1' : '1', '-extfile', extensions, '-out', files.cert);
    return files;
  }

  destroy(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function openssl(...args: string[]): Promise<void> {
  const result = await runCommand('openssl', args, { timeoutMs: 20000 });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.code ?? result.signal}): ${result.stderr}`);
}
