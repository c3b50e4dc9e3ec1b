import { seededRandom } from '../test/seeded-random';
import { parseCidr } from './cidr';
import { WireGuardErrorCode } from './errors';
import { parseIp } from './ip';
import { allocatableCount, allocateRandomAddress, gatewayAddress, hostCidr } from './ipam';
import { codeOf } from '../test/code-of';


const POOL_V4 = '100.64.0.0/16';
/** The client addresses of 100.64.0.0/29: not the network (.0), the gateway (.1) or broadcast (.7). */
const HOSTS_OF_SLASH_29 = ['100.64.0.2', '100.64.0.3', '100.64.0.4', '100.64.0.5', '100.64.0.6'];
const POOL_V6 = 'fd00:6a:1::/64';

describe('gateway and host CIDRs', () => {
  it('uses the first host of the pool as the gateway', () => {
    expect(gatewayAddress(POOL_V4)).toBe('100.64.0.1');
    expect(gatewayAddress(POOL_V6)).toBe('fd00:6a:1::1');
    expect(gatewayAddress(parseCidr('100.64.8.0/22'))).toBe('100.64.8.1');
  });

  it('refuses pools too small for a gateway and a client', () => {
    expect(codeOf(() => gatewayAddress('100.64.0.0/31'))).toBe(WireGuardErrorCode.POOL_EXHAUSTED);
    expect(codeOf(() => gatewayAddress('100.64.0.1/16'))).toBe(WireGuardErrorCode.INVALID_CIDR);
  });

  it('renders single-address CIDRs', () => {
    expect(hostCidr('100.64.3.7')).toBe('100.64.3.7/32');
    expect(hostCidr('FD00:6A:1::5E1F')).toBe('fd00:6a:1::5e1f/128');
    expect(codeOf(() => hostCidr('100.64.3.7/32'))).toBe(WireGuardErrorCode.INVALID_ADDRESS);
  });
});

describe('allocateRandomAddress', () => {
  it('hands out every client address of a small pool exactly once, then reports exhaustion', () => {
    const random = seededRandom(1);
    const used = new Set<string>();
    // 100.64.0.0/29: .0 network, .1 gateway, .7 broadcast → .2–.6 are the client addresses.
    expect(allocatableCount('100.64.0.0/29')).toBe(5n);
    for (let i = 0; i < 5; i++) used.add(allocateRandomAddress('100.64.0.0/29', used, random));
    expect([...used].sort()).toEqual(['100.64.0.2', '100.64.0.3', '100.64.0.4', '100.64.0.5', '100.64.0.6']);
    expect(codeOf(() => allocateRandomAddress('100.64.0.0/29', used, random))).toBe(WireGuardErrorCode.POOL_EXHAUSTED);
  });

  it('never returns the network, gateway or broadcast address', () => {
    const random = seededRandom(2);
    for (let i = 0; i < 2000; i++) {
      const address = allocateRandomAddress('100.64.0.0/29', new Set(), random);
      expect(['100.64.0.0', '100.64.0.1', '100.64.0.7']).not.toContain(address);
      expect(HOSTS_OF_SLASH_29).toContain(address);
    }
    // fd00:6a:1::/126: :: is the subnet-router anycast address, ::1 the gateway; no broadcast in IPv6.
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(allocateRandomAddress('fd00:6a:1::/126', new Set(), random));
    expect([...seen].sort()).toEqual(['fd00:6a:1::2', 'fd00:6a:1::3']);
  });

  it('picks uniformly across the pool', () => {
    const random = seededRandom(3);
    const counts = new Array<number>(8).fill(0);
    const draws = 16_000;
    const network = parseIp('100.64.0.0').value;
    for (let i = 0; i < draws; i++) {
      const offset = Number(parseIp(allocateRandomAddress(POOL_V4, new Set(), random)).value - network);
      counts[Math.floor(offset / 8192)]++;
    }
    for (const count of counts) expect(Math.abs(count - draws / 8)).toBeLessThan(draws / 8 * 0.1);
  });

  it('is not sequential: successive allocations are scattered over the pool', () => {
    const random = seededRandom(4);
    const used = new Set<string>();
    const values: bigint[] = [];
    for (let i = 0; i < 50; i++) {
      const address = allocateRandomAddress(POOL_V4, used, random);
      used.add(address);
      values.push(parseIp(address).value);
    }
    const steps = values.slice(1).map((v, i) => v - (values[i] as bigint));
    expect(steps.filter((step) => step === 1n).length).toBeLessThan(3);
    expect(new Set(values.map((v) => v >> 12n)).size).toBeGreaterThan(10); // spread over many /20s
  });

  it('is reproducible for the same random source and differs across sources', () => {
    const a = Array.from({ length: 5 }, ((r) => () => allocateRandomAddress(POOL_V4, new Set(), r))(seededRandom(7)));
    const b = Array.from({ length: 5 }, ((r) => () => allocateRandomAddress(POOL_V4, new Set(), r))(seededRandom(7)));
    const c = Array.from({ length: 5 }, ((r) => () => allocateRandomAddress(POOL_V4, new Set(), r))(seededRandom(8)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('skips used and reserved addresses, given as a set or a predicate', () => {
    const random = seededRandom(5);
    const used = new Set(['100.64.0.2', '100.64.0.3', '100.64.0.4']);
    for (let i = 0; i < 200; i++) {
      expect(allocateRandomAddress('100.64.0.0/29', used, random, { reserved: ['100.64.0.5'] })).toBe('100.64.0.6');
      expect(allocateRandomAddress('100.64.0.0/29', (a) => used.has(a) || a === '100.64.0.6', random)).toBe('100.64.0.5');
    }
    expect(allocateRandomAddress('fd00:6a:1::/126', new Set(), random, { reserved: ['FD00:6A:1::2'] })).toBe('fd00:6a:1::3');
  });

  it('finds the last free address of a nearly full pool through the scan fallback', () => {
    const random = seededRandom(6);
    const used = new Set<string>();
    for (let i = 2; i < 255; i++) used.add(`100.64.7.${i}`);
    used.delete('100.64.7.200');
    expect(allocateRandomAddress('100.64.7.0/24', used, random, { maxAttempts: 3 })).toBe('100.64.7.200');
    expect(allocateRandomAddress('100.64.7.0/24', (a) => used.has(a), random, { maxAttempts: 0 })).toBe('100.64.7.200');
    used.add('100.64.7.200');
    expect(codeOf(() => allocateRandomAddress('100.64.7.0/24', used, random))).toBe(WireGuardErrorCode.POOL_EXHAUSTED);
    expect(codeOf(() => allocateRandomAddress('100.64.7.0/24', (a) => used.has(a), random))).toBe(WireGuardErrorCode.POOL_EXHAUSTED);
  });

  it('draws IPv6 host ids from the whole 2^64 space of a /64', () => {
    const random = seededRandom(9);
    const network = parseIp('fd00:6a:1::').value;
    let highBitsSet = 0;
    for (let i = 0; i < 200; i++) {
      const address = allocateRandomAddress(POOL_V6, new Set(), random);
      const hostId = parseIp(address).value - network;
      expect(hostId).toBeGreaterThanOrEqual(2n);
      expect(hostId).toBeLessThan(1n << 64n);
      if (hostId >> 63n === 1n) highBitsSet++;
    }
    expect(highBitsSet).toBeGreaterThan(70);
    expect(highBitsSet).toBeLessThan(130);
  });

  it('rejects bad pools and a broken random source', () => {
    expect(codeOf(() => allocateRandomAddress('100.64.0.1/16', new Set(), seededRandom(1)))).toBe(WireGuardErrorCode.INVALID_CIDR);
    expect(codeOf(() => allocateRandomAddress('100.64.0.0/31', new Set(), seededRandom(1)))).toBe(WireGuardErrorCode.POOL_EXHAUSTED);
    expect(codeOf(() => allocateRandomAddress(POOL_V4, new Set(), () => new Uint8Array(1)))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
  });

  it('terminates even with a random source stuck on 0xff', () => {
    const stuck = (n: number) => new Uint8Array(n).fill(0xff);
    const address = allocateRandomAddress('100.64.0.0/29', new Set(), stuck);
    expect(HOSTS_OF_SLASH_29).toContain(address);
  });
});
