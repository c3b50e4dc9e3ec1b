/**
 * Blind RSA benchmark: RSA-2048 blind-sign and verify throughput of @phoenix/crypto, next to the
 * raw OpenSSL RSA-2048 private operation (privateDecrypt, RSA_NO_PADDING, same key, same run),
 * with @cloudflare/blindrsa-ts and blind-signatures for context.
 *
 *   node -r @swc-node/register bench/crypto/blind-rsa.bench.ts
 *
 * Rounds are interleaved (baseline, ours, baseline, ours, …) and time-bounded so machine noise hits
 * all sides alike; the blind-sign ratio is the median of the per-round ratios. Target ≥ 0.90.
 */
import { constants, generateKeyPairSync, privateDecrypt, webcrypto } from 'node:crypto';
import { cpus } from 'node:os';
import {
  RSABSSA_SHA384_PSS_DETERMINISTIC,
  createTokenRequest,
  encodeToken,
  encodeTokenChallenge,
  finalizeToken,
  issueTokenResponse,
  publishedTokenKey,
  verifyToken,
} from '../../libs/crypto/src';
import { median } from '../support';

const TARGET_RATIO = 0.9;
const ROUND_MS = 250;
const MAIN_ROUNDS = 24; // 24 rounds × 3 operations × 0.25 s = 18 s
const SIDE_ROUND_MS = 500;
const BLIND_SIGNATURES_MS = 2000;
const BATCH = 8;

type Op = () => unknown;
type AsyncOp = () => Promise<unknown>;

interface Stat {
  ops: number;
  ns: bigint;
}

function rate(s: Stat): number {
  return s.ops / (Number(s.ns) / 1e9);
}

/** Runs `op` in batches until `ms` have passed; returns the count and exact elapsed time. */
function round(op: Op, ms: number): Stat {
  const limit = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < BATCH; i++) op();
    ops += BATCH;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return { ops, ns: elapsed };
}

async function roundAsync(op: AsyncOp, ms: number): Promise<Stat> {
  const limit = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0n;
  do {
    await op();
    ops++;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return { ops, ns: elapsed };
}

function add(a: Stat, b: Stat): Stat {
  return { ops: a.ops + b.ops, ns: a.ns + b.ns };
}

function cycle<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const { privateKey: sk, publicKey: pk } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const suite = RSABSSA_SHA384_PSS_DETERMINISTIC;

  // Inputs prepared outside the timed loops: 64 blinded messages, 64 finalized signatures, 64 tokens.
  const inputs = Array.from({ length: 64 }, (_, i) => suite.prepare(Buffer.from(`message ${i}`)));
  const blinded = inputs.map((m) => suite.blind(pk, m));
  const signatures = inputs.map((m, i) => suite.finalize(pk, m, suite.blindSign(sk, blinded[i].blindedMsg), blinded[i].inv));
  const tokenKey = publishedTokenKey(pk);
  const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'bench.example', redemptionContext: new Uint8Array(0), originInfo: [] });
  const requests = Array.from({ length: 64 }, () => createTokenRequest(tokenKey, challenge));
  const tokens = requests.map(({ request, state }) => encodeToken(finalizeToken(state, issueTokenResponse(sk, request))));

  const nextBlinded = cycle(blinded.map((b) => b.blindedMsg));
  const nextRequest = cycle(requests.map((r) => r.request));
  const nextSig = cycle(signatures.map((s, i) => [inputs[i], s] as const));
  const nextToken = cycle(tokens);

  const baseline: Op = () => privateDecrypt({ key: sk, padding: constants.RSA_NO_PADDING }, nextBlinded());
  const ours: Op = () => suite.blindSign(sk, nextBlinded());
  const oursIssue: Op = () => issueTokenResponse(sk, nextRequest());
  const oursVerify: Op = () => {
    const [m, s] = nextSig();
    if (!suite.verify(pk, m, s)) throw new Error('verify failed');
  };
  const oursVerifyToken: Op = () => {
    if (!verifyToken(tokenKey, nextToken())) throw new Error('verifyToken failed');
  };

  // Warm-up (JIT, OpenSSL caches, our per-key caches).
  for (let i = 0; i < 100; i++) {
    baseline();
    ours();
    oursIssue();
    oursVerify();
    oursVerifyToken();
  }

  // Interleaved main measurement: baseline, blindSign and issueTokenResponse take turns, the order
  // rotating every round, so drift in machine load lands on all three alike.
  let base: Stat = { ops: 0, ns: 0n };
  let mine: Stat = { ops: 0, ns: 0n };
  let issue: Stat = { ops: 0, ns: 0n };
  const pairRatios: number[] = [];
  const issueRatios: number[] = [];
  for (let r = 0; r < MAIN_ROUNDS; r++) {
    const results = new Map<string, Stat>();
    const order: Array<[string, Op]> = [
      ['base', baseline],
      ['ours', ours],
      ['issue', oursIssue],
    ];
    for (let k = 0; k < order.length; k++) {
      const [name, op] = order[(k + r) % order.length];
      results.set(name, round(op, ROUND_MS));
    }
    const b = results.get('base') as Stat;
    const o = results.get('ours') as Stat;
    const i = results.get('issue') as Stat;
    base = add(base, b);
    mine = add(mine, o);
    issue = add(issue, i);
    pairRatios.push(rate(o) / rate(b));
    issueRatios.push(rate(i) / rate(b));
  }
  const mainBase = base;

  let verify: Stat = { ops: 0, ns: 0n };
  let verifyTok: Stat = { ops: 0, ns: 0n };
  for (let r = 0; r < 3; r++) {
    verify = add(verify, round(oursVerify, SIDE_ROUND_MS));
    verifyTok = add(verifyTok, round(oursVerifyToken, SIDE_ROUND_MS));
  }

  // @cloudflare/blindrsa-ts (WebCrypto + sjcl bignum; its RSA-RAW fast path exists only on Workers).
  const { RSABSSA } = (await import('@cloudflare/blindrsa-ts')) as typeof import('@cloudflare/blindrsa-ts');
  const cf = RSABSSA.SHA384.PSS.Deterministic();
  const params = { name: 'RSA-PSS', hash: 'SHA-384' };
  const cfSk = await webcrypto.subtle.importKey('pkcs8', sk.export({ format: 'der', type: 'pkcs8' }), params, true, ['sign']);
  const cfPk = await webcrypto.subtle.importKey('spki', pk.export({ format: 'der', type: 'spki' }), params, true, ['verify']);
  const cfSign: AsyncOp = () => cf.blindSign(cfSk, nextBlinded());
  const cfVerify: AsyncOp = async () => {
    const [m, s] = nextSig();
    if (!(await cf.verify(cfPk, s, m))) throw new Error('cloudflare verify failed');
  };
  for (let i = 0; i < 5; i++) {
    await cfSign();
    await cfVerify();
  }
  let cfSignStat: Stat = { ops: 0, ns: 0n };
  let cfVerifyStat: Stat = { ops: 0, ns: 0n };
  for (let r = 0; r < 2; r++) {
    cfSignStat = add(cfSignStat, await roundAsync(cfSign, 1000));
    cfVerifyStat = add(cfVerifyStat, await roundAsync(cfVerify, SIDE_ROUND_MS));
  }

  // blind-signatures (jsbn textbook RSA, no CRT): a couple of seconds' worth, same key.
   
  const BlindSignature = require('blind-signatures') as {
    blind(a: { message: string; N: string; E: string }): { blinded: unknown; r: unknown };
    sign(a: { blinded: unknown; key: unknown }): unknown;
    unblind(a: { signed: unknown; N: string; r: unknown }): unknown;
    verify(a: { unblinded: unknown; message: string; N: string; E: string }): boolean;
  };
   
  const NodeRSA = require('node-rsa') as new (pem: string) => { keyPair: { n: { toString(): string }; e: number } };
  const nodeRsaKey = new NodeRSA(sk.export({ format: 'pem', type: 'pkcs1' }) as string);
  const N = nodeRsaKey.keyPair.n.toString();
  const E = String(nodeRsaKey.keyPair.e);
  const bsBlinded = Array.from({ length: 8 }, (_, i) => BlindSignature.blind({ message: `message ${i}`, N, E }));
  const bsSigned = bsBlinded.map((b) => BlindSignature.sign({ blinded: b.blinded, key: nodeRsaKey }));
  const bsUnblinded = bsSigned.map((s, i) => BlindSignature.unblind({ signed: s, N, r: bsBlinded[i].r }));
  const nextBs = cycle(bsBlinded.map((b) => b.blinded));
  const nextBsSig = cycle(bsUnblinded.map((u, i) => [u, `message ${i}`] as const));
  const bsSign = round(() => BlindSignature.sign({ blinded: nextBs(), key: nodeRsaKey }), BLIND_SIGNATURES_MS);
  const bsVerify = round(() => {
    const [u, message] = nextBsSig();
    if (!BlindSignature.verify({ unblinded: u, message, N, E })) throw new Error('blind-signatures verify failed');
  }, SIDE_ROUND_MS);
  const baseRate = rate(mainBase);
  const ratio = median(pairRatios);
  const rows: Array<[string, string, number]> = [
    ['OpenSSL RSA-2048 private op (privateDecrypt, no padding)', 'baseline', baseRate],
    ['@phoenix/crypto blindSign (RFC 9474, incl. RSAVP1 check)', 'sign', rate(mine)],
    ['@phoenix/crypto issueTokenResponse (Privacy Pass type 2)', 'sign', rate(issue)],
    ['@phoenix/crypto verify (RSASSA-PSS SHA-384)', 'verify', rate(verify)],
    ['@phoenix/crypto verifyToken (Privacy Pass type 2)', 'verify', rate(verifyTok)],
    ['@cloudflare/blindrsa-ts blindSign', 'sign', rate(cfSignStat)],
    ['@cloudflare/blindrsa-ts verify (WebCrypto)', 'verify', rate(cfVerifyStat)],
    ['blind-signatures sign (jsbn, no CRT)', 'sign', rate(bsSign)],
    ['blind-signatures verify', 'verify', rate(bsVerify)],
  ];

  const w = Math.max(...rows.map((r) => r[0].length));
  const line = '-'.repeat(w + 34);
  console.log(`Blind RSA benchmark — RSA-2048, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
  console.log(line);
  console.log(`${'operation'.padEnd(w)}  ${'ops/s'.padStart(12)}  ${'vs baseline'.padStart(12)}`);
  console.log(line);
  for (const [name, , ops] of rows) {
    console.log(`${name.padEnd(w)}  ${ops.toFixed(1).padStart(12)}  ${(ops / baseRate).toFixed(3).padStart(12)}`);
  }
  console.log(line);
  console.log(
    `blind-sign / baseline: ${ratio.toFixed(3)} (median of ${pairRatios.length} interleaved rounds; ` +
      `min ${Math.min(...pairRatios).toFixed(3)}, max ${Math.max(...pairRatios).toFixed(3)}; ` +
      `aggregate ${(rate(mine) / baseRate).toFixed(3)})`,
  );
  console.log(`issueTokenResponse / baseline: ${median(issueRatios).toFixed(3)} (median of ${issueRatios.length} rounds)`);
  console.log(`target ≥ ${TARGET_RATIO.toFixed(2)}: ${ratio >= TARGET_RATIO ? 'PASS' : 'BELOW TARGET'}`);
  console.log(`total time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

