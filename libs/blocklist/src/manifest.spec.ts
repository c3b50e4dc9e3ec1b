import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildFilter } from './bloom-filter';
import { parseHosts } from './hosts';
import {
  type BlocklistManifest,
  ManifestRejection,
  ManifestVerificationError,
  buildManifest,
  canonicalManifestBytes,
  manifestPublicKey,
  serializeManifest,
  sha256Hex,
  signBytes,
  signManifest,
  verifyBytes,
  verifyPublished,
} from './manifest';

const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

// RFC 8032 §7.1, TEST 1 (empty message).
const RFC8032_SECRET = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const RFC8032_PUBLIC = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const RFC8032_SIGNATURE = hex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
);

const secretKey = hex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'); // RFC 8032 TEST 2's key
const otherKey = hex('c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7'); // RFC 8032 TEST 3's key
const hostsText = readFileSync(join(__dirname, '../test/vectors/small.hosts'), 'utf8');
const parsed = parseHosts(hostsText);
const filter = buildFilter(parsed.domains, 0.01);
const input = {
  filter,
  domains: parsed.domains.length,
  falsePositiveRate: 0.01,
  version: 7,
  createdAt: '2026-11-30T12:00:00.000Z',
  source: { url: 'https://example.test/hosts', sha256: sha256Hex(new TextEncoder().encode(hostsText)) },
  secretKey,
};

function rejection(fn: () => unknown): ManifestRejection | 'accepted' {
  try {
    fn();
    return 'accepted';
  } catch (error) {
    if (error instanceof ManifestVerificationError) return error.reason;
    throw error;
  }
}

describe('RFC 8785 canonicalization (the cases the manifest relies on)', () => {
  it('serializes numbers as RFC 8785 Appendix B states', () => {
    // RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    const vectors: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c300000000000000', '-562949953421312'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['41b3de4355555553', '333333333.3333332'],
    ];
    for (const [bits, expected] of vectors) {
      const value = Buffer.from(bits, 'hex').readDoubleBE(0);
      const bytes = canonicalManifestBytes({ n: value } as never);
      expect({ bits, text: text(bytes) }).toEqual({ bits, text: `{"n":${expected}}` });
    }
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3) and escapes strings as §3.2.4 shows', () => {
    const sorting = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const keys = [...text(canonicalManifestBytes(sorting as never)).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    // §3.2.2 example input, its canonical output from §3.2.3.
    const example = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(text(canonicalManifestBytes(example))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('leaves signature out of the signed bytes', () => {
    const m = buildManifest(input);
    expect(text(canonicalManifestBytes(m))).not.toContain('signature');
    expect(text(canonicalManifestBytes(m))).toBe(serializeManifest(m).replace(/,"signature":"[^"]*"/, ''));
  });
});

describe('Ed25519', () => {
  it('signs and verifies RFC 8032 TEST 1 through the primitives the manifest uses', () => {
    expect(Buffer.from(manifestPublicKey(RFC8032_SECRET)).toString('hex')).toBe(Buffer.from(RFC8032_PUBLIC).toString('hex'));
    expect(Buffer.from(signBytes(new Uint8Array(0), RFC8032_SECRET)).toString('hex')).toBe(Buffer.from(RFC8032_SIGNATURE).toString('hex'));
    expect(verifyBytes(RFC8032_SIGNATURE, new Uint8Array(0), RFC8032_PUBLIC)).toBe(true);
    expect(verifyBytes(RFC8032_SIGNATURE, new Uint8Array([0]), RFC8032_PUBLIC)).toBe(false);
  });
});

describe('the manifest', () => {
  const publicKey = manifestPublicKey(secretKey);

  it('has exactly API.md fields, names the file by its hash, and verifies with the filter', () => {
    const m = buildManifest(input);
    expect(Object.keys(m).sort()).toEqual(
      ['bits', 'createdAt', 'domains', 'falsePositiveRate', 'file', 'format', 'hashes', 'sha256', 'signature', 'size', 'source', 'version'].sort(),
    );
    expect(m).toMatchObject({
      format: 'bloom-murmur3-km-v1',
      version: 7,
      createdAt: '2026-11-30T12:00:00.000Z',
      file: `blocklist/${sha256Hex(filter.bytes)}.bin`,
      sha256: sha256Hex(filter.bytes),
      size: filter.bytes.length,
      domains: parsed.domains.length,
      bits: filter.bits,
      hashes: filter.hashes,
      falsePositiveRate: 0.01,
      source: input.source,
    });
    expect(Buffer.from(m.signature, 'base64')).toHaveLength(64);
    // Round trip through the published text.
    expect(verifyPublished(serializeManifest(m), filter.bytes, publicKey)).toEqual(m);
    expect(verifyPublished(JSON.parse(JSON.stringify(m, null, 2)), filter.bytes, publicKey)).toEqual(m);
  });

  it('is reproducible: the same inputs give the same bytes', () => {
    const again = buildManifest({ ...input, filter: buildFilter([...parsed.domains].reverse(), 0.01) });
    expect(serializeManifest(again)).toBe(serializeManifest(buildManifest(input)));
    expect(serializeManifest(buildManifest({ ...input, createdAt: '2026-11-30T12:00:01.000Z' }))).not.toBe(serializeManifest(again));
  });

  it('rejects every tampered field, extra or missing field, tampered filter bytes, a bad signature and a wrong key', () => {
    const m = buildManifest(input);
    const tamper: Record<string, unknown> = {
      format: 'bloom-murmur3-km-v2',
      version: 8,
      createdAt: '2026-11-30T12:00:00.001Z',
      file: 'blocklist/other.bin',
      sha256: '0'.repeat(64),
      size: m.size + 1,
      domains: m.domains + 1,
      bits: m.bits - 1,
      hashes: m.hashes + 1,
      falsePositiveRate: 0.02,
      source: { url: 'https://evil.test/hosts', sha256: m.source.sha256 },
    };
    for (const [field, value] of Object.entries(tamper)) {
      expect({ field, r: rejection(() => verifyPublished({ ...m, [field]: value }, filter.bytes, publicKey)) }).toEqual({ field, r: ManifestRejection.BAD_SIGNATURE });
    }
    expect(rejection(() => verifyPublished({ ...m, source: { ...m.source, sha256: '1'.repeat(64) } }, filter.bytes, publicKey))).toBe(ManifestRejection.BAD_SIGNATURE);
    expect(rejection(() => verifyPublished({ ...m, extra: 1 }, filter.bytes, publicKey))).toBe(ManifestRejection.MALFORMED);
    const { domains: _d, ...missing } = m;
    expect(rejection(() => verifyPublished(missing, filter.bytes, publicKey))).toBe(ManifestRejection.MALFORMED);
    expect(rejection(() => verifyPublished('{not json', filter.bytes, publicKey))).toBe(ManifestRejection.MALFORMED);

    const sig = Buffer.from(m.signature, 'base64');
    sig[0] = (sig[0] as number) ^ 1;
    expect(rejection(() => verifyPublished({ ...m, signature: sig.toString('base64') }, filter.bytes, publicKey))).toBe(ManifestRejection.BAD_SIGNATURE);
    expect(rejection(() => verifyPublished({ ...m, signature: '' }, filter.bytes, publicKey))).toBe(ManifestRejection.BAD_SIGNATURE);
    expect(rejection(() => verifyPublished(m, filter.bytes, manifestPublicKey(otherKey)))).toBe(ManifestRejection.BAD_SIGNATURE);

    const flipped = Uint8Array.from(filter.bytes);
    flipped[3] = (flipped[3] as number) ^ 0x10;
    expect(rejection(() => verifyPublished(m, flipped, publicKey))).toBe(ManifestRejection.HASH_MISMATCH);
    expect(rejection(() => verifyPublished(m, filter.bytes.subarray(1), publicKey))).toBe(ManifestRejection.SIZE_MISMATCH);
    expect(rejection(() => verifyPublished(m, new Uint8Array([...filter.bytes, 0]), publicKey))).toBe(ManifestRejection.SIZE_MISMATCH);
  });

  it('refuses an unknown format even when it is signed', () => {
    const { signature: _s, ...unsigned } = buildManifest(input);
    const other = signManifest({ ...unsigned, format: 'bloom-other' as never }, secretKey);
    expect(rejection(() => verifyPublished(other, filter.bytes, publicKey))).toBe(ManifestRejection.UNKNOWN_FORMAT);
  });

  it('refuses bad inputs to the builder', () => {
    expect(() => buildManifest({ ...input, version: -1 })).toThrow('version');
    expect(() => buildManifest({ ...input, createdAt: 'yesterday' })).toThrow('createdAt');
    expect(() => buildManifest({ ...input, secretKey: new Uint8Array(31) })).toThrow('32 bytes');
  });

  it('types the result', () => {
    const m: BlocklistManifest = verifyPublished(serializeManifest(buildManifest(input)), filter.bytes, publicKey);
    expect(m.version).toBe(7);
  });
});
