import { randomBytes } from 'node:crypto';
import { addressCandidates } from './address-candidates';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('addressCandidates', () => {
  it('draws distinct random pairs from both pools, never the gateway or reserved addresses', () => {
    const tried = new Set<string>();
    // 100.64.0.0/29: network .0, gateway .1, broadcast .7, reserved .2 → .3 to .6 remain.
    const out = addressCandidates({ v4: '100.64.0.0/29', v6: 'fd00::/125' }, 5, random, ['100.64.0.2'], tried);
    expect(out).toHaveLength(4);
    const v4 = out.map((c) => c.ipv4);
    expect(new Set(v4).size).toBe(4);
    for (const a of v4) expect(['100.64.0.3', '100.64.0.4', '100.64.0.5', '100.64.0.6']).toContain(a);
    for (const c of out) expect(c.ipv6).toMatch(/^fd00::[2-7]$/);
  });

  it('stops when every address of a tiny pool was tried by this request', () => {
    const tried = new Set<string>();
    expect(addressCandidates({ v4: '100.64.0.0/30', v6: null }, 4, random, [], tried)).toEqual([{ ipv4: '100.64.0.2', ipv6: null }]);
    expect(addressCandidates({ v4: '100.64.0.0/30', v6: null }, 4, random, [], tried)).toEqual([]);
  });

  it('is not sequential: consecutive requests do not get consecutive addresses', () => {
    const picks = Array.from({ length: 50 }, () => addressCandidates({ v4: '100.64.0.0/10', v6: null }, 1, random, [], new Set())[0]!.ipv4);
    const values = picks.map((ip) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0));
    const steps = values.slice(1).map((v, i) => Math.abs(v - values[i]!));
    expect(steps.filter((s) => s === 1).length).toBeLessThan(3);
    expect(new Set(picks).size).toBe(50);
  });
});
