// A pool's `tls_*` keys: TLS to its servers. The files are read and checked here, so that `-t`
// and the start refuse an unreadable, malformed or mismatched file instead of every connection failing later.
import type { KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Entry, Section } from './section.js';
import type { ServerConfig, TlsConfig } from './types.js';
import { cryptoModule, tlsModule } from '../util/lazy-builtins.js';

export const TLS_POOL_KEYS: readonly string[] = [
  'tls_enabled', 'tls_verify_peer', 'tls_ca_file', 'tls_cert_file', 'tls_key_file', 'tls_server_name',
];

/** The keys that only mean something with `tls_enabled: true`. */
const TLS_DEPENDENT_KEYS = TLS_POOL_KEYS.filter((key) => key !== 'tls_enabled');

/** PKCS#8 "ENCRYPTED PRIVATE KEY", or a traditional key's "Proc-Type: 4,ENCRYPTED" header. */
const ENCRYPTED_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** A host name as it may appear in a certificate: labels of letters, digits, '-' and '_', dot-separated. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** Reads the TLS keys of a pool; null when `tls_enabled` is not true (then no other tls_* key may ask for anything). */
export function readTls(section: Section, servers: readonly ServerConfig[] | null): TlsConfig | null {
  const enabled = section.bool('tls_enabled', false);
  const verifyPeer = section.bool('tls_verify_peer', true);
  if (!enabled) {
    refuseWithoutTls(section, verifyPeer);
    return null;
  }
  const ca = readCaFile(section);
  const { cert, key } = readClientPair(section);
  const serverName = readServerName(section);
  if (verifyPeer && serverName === null) requireNameForUnixServers(section, servers ?? []);
  const tls = { verifyPeer, ca, cert, key, serverName };
  checkUsableByOpenSsl(section, tls);
  return tls;
}

/** What the connections will build from the files: anything OpenSSL refuses is said now, not at the first connection. */
function checkUsableByOpenSsl(section: Section, tls: TlsConfig): void {
  try {
    tlsModule().createSecureContext({ ca: tls.ca ?? undefined, cert: tls.cert ?? undefined, key: tls.key ?? undefined });
  } catch (error) {
    section.problem(section.entry('tls_enabled')!,
      `is true, but OpenSSL cannot use the TLS files given (${(error as Error).message}): check tls_ca_file, tls_cert_file and tls_key_file`);
  }
}

/** A tls_* key without `tls_enabled: true` would be silently ignored: refused instead. */
function refuseWithoutTls(section: Section, verifyPeer: boolean): void {
  for (const key of TLS_DEPENDENT_KEYS) {
    const entry = section.entry(key);
    if (!entry || (key === 'tls_verify_peer' && verifyPeer)) continue;
    section.problem(entry, "has no effect without 'tls_enabled: true': add 'tls_enabled: true' to the pool, or remove the key");
  }
}

function readCaFile(section: Section): Buffer | null {
  const file = readPemFile(section, 'tls_ca_file');
  if (file === null) return null;
  const blocks = file.pem.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    section.problem(file.entry, `names '${file.path}', which holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): give the CA certificate(s) in PEM form`);
    return null;
  }
  for (const [index, block] of blocks.entries()) {
    if (parseCertificate(section, file, block, `certificate ${index + 1} of ${blocks.length}`) === null) return null;
  }
  return file.pem;
}

/** `tls_cert_file` and `tls_key_file` come together, and the key must be the certificate's. */
function readClientPair(section: Section): { cert: Buffer | null; key: Buffer | null } {
  const none = { cert: null, key: null };
  const certEntry = section.entry('tls_cert_file');
  const keyEntry = section.entry('tls_key_file');
  if (certEntry && !keyEntry) section.problem(certEntry, "needs 'tls_key_file' too: a client certificate needs its private key");
  if (keyEntry && !certEntry) section.problem(keyEntry, "needs 'tls_cert_file' too: a private key needs its client certificate");
  const certFile = readPemFile(section, 'tls_cert_file');
  const keyFile = readPemFile(section, 'tls_key_file');
  if (certFile === null || keyFile === null) return none;
  const certificate = parseCertificate(section, certFile, certFile.pem.toString('latin1'), 'certificate');
  const privateKey = parsePrivateKey(section, keyFile);
  if (certificate === null || privateKey === null) return none;
  if (!certificate.checkPrivateKey(privateKey)) {
    section.problem(keyFile.entry, `names '${keyFile.path}', whose key is not the one of the certificate in '${certFile.path}' ` +
      `(tls_cert_file, line ${certFile.entry.line}): give the key the certificate was made for`);
    return none;
  }
  return { cert: certFile.pem, key: keyFile.pem };
}

function readServerName(section: Section): string | null {
  const name = section.text('tls_server_name');
  if (name === undefined) return null;
  if (isIP(name) === 0 && !HOST_NAME.test(name)) {
    section.problem(section.entry('tls_server_name')!,
      `is '${name}', which is not a host name: give the name the servers' certificates are for, e.g. cache.example.com (no port, no scheme)`);
    return null;
  }
  return name;
}

/** A unix socket path is no name to check a certificate against. */
function requireNameForUnixServers(section: Section, servers: readonly ServerConfig[]): void {
  const unix = servers.find((server) => server.isUnix);
  if (unix === undefined) return;
  section.problemAt('servers', unix.line,
    `has the unix socket '${unix.host}' in a pool with tls_enabled: its certificate has no host name to be checked against: ` +
    "set 'tls_server_name' to the name it is for, or 'tls_verify_peer: false'");
}

interface PemFile {
  entry: Entry;
  path: string;
  pem: Buffer;
}

function readPemFile(section: Section, key: string): PemFile | null {
  const path = section.text(key);
  if (path === undefined) return null;
  const entry = section.entry(key)!;
  try {
    return { entry, path, pem: readFileSync(path) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    section.problem(entry, `names '${path}', which cannot be read (${reason}): give the path of a readable PEM file ` +
      '(a relative path is taken from the directory the proxy is started in)');
    return null;
  }
}

function parseCertificate(section: Section, file: PemFile, pem: string, what: string): X509Certificate | null {
  try {
    return new (cryptoModule().X509Certificate)(pem);
  } catch (error) {
    section.problem(file.entry, `names '${file.path}', whose ${what} cannot be parsed (${(error as Error).message}): give a PEM certificate`);
    return null;
  }
}

function parsePrivateKey(section: Section, file: PemFile): KeyObject | null {
  try {
    return cryptoModule().createPrivateKey(file.pem);
  } catch (error) {
    const reason = ENCRYPTED_PEM.test(file.pem.toString('latin1'))
      ? 'is encrypted, and the proxy cannot ask for its passphrase: give it unencrypted (openssl pkey -in key.pem -out plain-key.pem)'
      : `holds no private key that can be read (${(error as Error).message}): give the client certificate's private key in PEM form`;
    section.problem(file.entry, `names '${file.path}', which ${reason}`);
    return null;
  }
}
