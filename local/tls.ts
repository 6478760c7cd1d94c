/**
 * A certificate for the local endpoint: AWS endpoints speak HTTPS, and so does the local IAM gate, so that clients
 * which refuse plain HTTP (aws-jwt-verify fetching a user pool's keys) work unchanged. The artifacts trust it through
 * `NODE_EXTRA_CA_CERTS`, which Node.js reads at start; nothing in them changes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The name tasks reach the local AWS endpoint by (their hosts file maps it to their link to this machine). */
export const LOCAL_AWS_HOST = 'aws.local';

export interface LocalCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate's file, for NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost, valid for two days (openssl). */
export function localCertificate(): LocalCertificate {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-keyout', keyFile, '-out', certFile,
    '-addext', `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${LOCAL_AWS_HOST}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile };
}
