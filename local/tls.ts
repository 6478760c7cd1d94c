/**
 * A certificate for the local endpoint: AWS endpoints speak HTTPS, and so does the local IAM gate, so that clients
 * which refuse plain HTTP (aws-jwt-verify fetching a user pool's keys) work unchanged. The artifacts trust it through
 * `NODE_EXTRA_CA_CERTS`, which Node.js reads at start (Python functions: `AWS_CA_BUNDLE`, `REQUESTS_CA_BUNDLE`);
 * nothing in them changes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LOCAL_REGION } from './moto';

/** The name tasks reach the local AWS endpoint by (their hosts file maps it to their link to this machine). */
export const LOCAL_AWS_HOST = 'aws.local';

export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
  /** Removes the certificate's directory (when nothing trusts it any more). */
  readonly remove: () => void;
}

/** The host names of HTTP APIs (API Gateway v2) in the local region, which their local stand-ins answer for (local/http-api.ts). */
export const EXECUTE_API_HOSTS = `*.execute-api.${LOCAL_REGION}.amazonaws.com`;

/**
 * A self-signed certificate for 127.0.0.1, localhost and aws.local (the gate), and for `*.execute-api.<region>.amazonaws.com`
 * (the HTTP API stand-ins, reached by their AWS URLs through the local proxy), valid for two days (openssl).
 */
export function localCertificate(): LocalCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-keyout', keyFile, '-out', certFile,
    '-addext', `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${LOCAL_AWS_HOST},DNS:${EXECUTE_API_HOSTS}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ], { stdio: 'ignore' });
  // The private key is read once and removed; the certificate stays (processes trust it by file) until `remove`.
  const key = fs.readFileSync(keyFile, 'utf8');
  fs.rmSync(keyFile);
  return { key, cert: fs.readFileSync(certFile, 'utf8'), certFile, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
