// A throwaway App Store signing chain (root → intermediate → leaf, ES256, with Apple's marker
// extensions) made with the openssl CLI, and JWS signing with it, for App Store Server
// Notifications V2 in tests.
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AppleChain {
  dir: string;
  rootPath: string;
  sign: (payload: Record<string, unknown>) => string;
  cleanup: () => void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function makeAppleChain(): AppleChain {
  const dir = mkdtempSync(join(tmpdir(), 'apple-chain-'));
  writeFileSync(
    join(dir, 'ext.cnf'),
    [
      '[root]',
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
      '[intermediate]',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      'keyUsage=critical,keyCertSign,cRLSign',
      '1.2.840.113635.100.6.2.1=ASN1:NULL',
      '[leaf]',
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      '1.2.840.113635.100.6.11.1=ASN1:NULL',
      '',
    ].join('\n'),
  );
  for (const name of ['root', 'intermediate', 'leaf']) openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=Test Apple Root CA', '-days', '30', '-out', 'root.pem', '-extensions', 'root', '-config', 'ext.cnf'], dir);
  openssl(['req', '-new', '-key', 'intermediate.key', '-subj', '/CN=Test Apple WWDR Intermediate', '-out', 'intermediate.csr', '-config', 'ext.cnf'], dir);
  openssl(['x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '30', '-out', 'intermediate.pem', '-extfile', 'ext.cnf', '-extensions', 'intermediate'], dir);
  openssl(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=Test App Store Signing', '-out', 'leaf.csr', '-config', 'ext.cnf'], dir);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'intermediate.pem', '-CAkey', 'intermediate.key', '-CAcreateserial', '-days', '30', '-out', 'leaf.pem', '-extfile', 'ext.cnf', '-extensions', 'leaf'], dir);
  const der = (name: string) => new X509Certificate(readFileSync(join(dir, `${name}.pem`))).raw.toString('base64');
  const x5c = [der('leaf'), der('intermediate'), der('root')];
  const leafKey = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
  return {
    dir,
    rootPath: join(dir, 'root.pem'),
    sign: (payload) => {
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const input = `${enc({ alg: 'ES256', x5c })}.${enc(payload)}`;
      return `${input}.${sign('sha256', Buffer.from(input), { key: leafKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface AppleEventInput {
  type: string;
  subtype?: string;
  userId?: string;
  originalTransactionId: string;
  transactionId?: string;
  expiresDate?: number;
  signedDate?: number;
  notificationUUID?: string;
  productId?: string;
  autoRenewStatus?: 0 | 1;
  gracePeriodExpiresDate?: number;
  price?: number;
  environment?: string;
  bundleId?: string;
}

/** A signed notification with signed transaction and renewal info inside, as Apple sends them. */
export function appleNotification(chain: AppleChain, e: AppleEventInput): { signedPayload: string; notificationUUID: string } {
  const now = Date.now();
  const environment = e.environment ?? 'Sandbox';
  const bundleId = e.bundleId ?? 'com.phoenix.vpn';
  const signedDate = e.signedDate ?? now;
  const tx = {
    transactionId: e.transactionId ?? `tx-${randomUUID()}`,
    originalTransactionId: e.originalTransactionId,
    bundleId,
    productId: e.productId ?? 'com.phoenix.vpn.monthly',
    purchaseDate: signedDate - 1000,
    originalPurchaseDate: signedDate - 1000,
    expiresDate: e.expiresDate ?? now + 30 * 86_400_000,
    quantity: 1,
    type: 'Auto-Renewable Subscription',
    ...(e.userId ? { appAccountToken: e.userId } : {}),
    inAppOwnershipType: 'PURCHASED',
    signedDate,
    environment,
    transactionReason: 'PURCHASE',
    storefront: 'DEU',
    storefrontId: '143443',
    price: e.price ?? 9990,
    currency: 'EUR',
  };
  const renewal = {
    originalTransactionId: e.originalTransactionId,
    autoRenewProductId: tx.productId,
    productId: tx.productId,
    autoRenewStatus: e.autoRenewStatus ?? 1,
    signedDate,
    environment,
    ...(e.gracePeriodExpiresDate ? { gracePeriodExpiresDate: e.gracePeriodExpiresDate } : {}),
  };
  const notificationUUID = e.notificationUUID ?? randomUUID();
  const payload = {
    notificationType: e.type,
    ...(e.subtype ? { subtype: e.subtype } : {}),
    notificationUUID,
    version: '2.0',
    signedDate,
    data: { bundleId, environment, signedTransactionInfo: chain.sign(tx), signedRenewalInfo: chain.sign(renewal), status: 1 },
  };
  return { signedPayload: chain.sign(payload), notificationUUID };
}
