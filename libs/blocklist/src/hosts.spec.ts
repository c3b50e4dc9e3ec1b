import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_REPORTED_INVALID, parseHosts } from './hosts';

const VECTORS = join(__dirname, '../test/vectors');
const golden = JSON.parse(readFileSync(join(VECTORS, 'small.golden.json'), 'utf8')) as {
  domains: string[];
  counts: Record<string, number>;
};
const smallHosts = readFileSync(join(VECTORS, 'small.hosts'), 'utf8');

describe('parseHosts', () => {
  it('small.hosts: returns the golden domains and counts', () => {
    const parsed = parseHosts(smallHosts);
    expect(parsed.domains).toEqual(golden.domains);
    expect(parsed.counts).toEqual(golden.counts);
  });

  it('small.hosts: reports each refused entry with its line number and reason', () => {
    const lineOf = (needle: string) => smallHosts.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(parseHosts(smallHosts).invalid).toEqual([
      { line: lineOf('*.wildcard'), text: '*.wildcard.example.com', reason: 'characters' },
      { line: lineOf('bad..dots'), text: 'bad..dots.example.com', reason: 'empty-label' },
      { line: lineOf('0.0.0.0 1.2.3.4'), text: '1.2.3.4', reason: 'ip-address' },
      { line: lineOf(`l${'6'.repeat(62)}`), text: `l${'6'.repeat(62)}l.example.com`, reason: 'length' },
      { line: lineOf('http://'), text: 'http://ads.example.com/path', reason: 'characters' },
      { line: lineOf('xn--zz'), text: 'ü.xn--zz.example', reason: 'idna' },
      { line: lineOf('no-address'), text: 'no-address.example.com', reason: 'address' },
      { line: lineOf('only a comment') - 1, text: '0.0.0.0', reason: 'no-name' },
      { line: lineOf('only a comment'), text: '0.0.0.0', reason: 'no-name' },
    ]);
  });

  it('keeps the count identity: names = domains + duplicates + local + invalid names', () => {
    const { domains, counts } = parseHosts(smallHosts);
    expect(counts.names).toBe(domains.length + counts.duplicates + counts.local + counts.invalidNames);
  });

  it('leaves out the whole localhost block, whatever the address', () => {
    const block = [
      '127.0.0.1 localhost',
      '127.0.0.1 localhost.localdomain',
      '127.0.0.1 local',
      '255.255.255.255 broadcasthost',
      '::1 localhost',
      '::1 ip6-localhost',
      '::1 ip6-loopback',
      'fe80::1%lo0 localhost',
      'ff00::0 ip6-localnet',
      'ff00::0 ip6-mcastprefix',
      'ff02::1 ip6-allnodes',
      'ff02::2 ip6-allrouters',
      'ff02::3 ip6-allhosts',
      '0.0.0.0 0.0.0.0',
      '0.0.0.0 LOCALHOST.',
    ].join('\n');
    expect(parseHosts(block)).toMatchObject({ domains: [], counts: { names: 15, local: 15, invalidNames: 0, invalidLines: 0 } });
  });

  it('reads CRLF and lone-CR line endings, a UTF-8 BOM and a last line without a newline', () => {
    const parsed = parseHosts('\ufeff# header\r\n0.0.0.0 a.example\r\n0.0.0.0 b.example\r0.0.0.0 c.example');
    expect(parsed.domains).toEqual(['a.example', 'b.example', 'c.example']);
    expect(parsed.counts.lines).toBe(4);
    expect(parsed.invalid).toEqual([]);
  });

  it('counts lines as a text editor does: a final newline does not add one', () => {
    expect(parseHosts('').counts.lines).toBe(0);
    expect(parseHosts('0.0.0.0 a.example\n').counts.lines).toBe(1);
    expect(parseHosts('0.0.0.0 a.example\n\n').counts.lines).toBe(2);
  });

  it('accepts IPv4 and IPv6 addresses first and refuses anything else there', () => {
    const parsed = parseHosts(['0.0.0.0 a.example', ':: b.example', '::ffff:0.0.0.0 c.example', '256.0.0.1 d.example', 'example.com e.example', '0.0.0 f.example'].join('\n'));
    expect(parsed.domains).toEqual(['a.example', 'b.example', 'c.example']);
    expect(parsed.invalid.map((e) => [e.line, e.text, e.reason])).toEqual([
      [4, '256.0.0.1', 'address'],
      [5, 'example.com', 'address'],
      [6, '0.0.0', 'address'],
    ]);
  });

  it('never throws, and reports the first entries of a flood while counting all of them', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `0.0.0.0 bad${i}..example`);
    const parsed = parseHosts(lines.join('\n'));
    expect(parsed.counts.invalidNames).toBe(5000);
    expect(parsed.invalid).toHaveLength(MAX_REPORTED_INVALID);
    expect(parsed.invalid[0]).toEqual({ line: 1, text: 'bad0..example', reason: 'empty-label' });
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const result = parseHosts(text);
        expect(result.counts.names).toBe(result.domains.length + result.counts.duplicates + result.counts.local + result.counts.invalidNames);
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts a reported entry to 255 characters', () => {
    const parsed = parseHosts(`0.0.0.0 ${'*'.repeat(5000)}`);
    expect(parsed.invalid[0].text).toHaveLength(255);
  });

  it('is idempotent: the domains written back as a hosts file parse to the same domains', () => {
    const label = fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/);
    const name = fc.oneof(
      fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => labels.join('.')),
      fc.constantFrom('bücher.example', 'Ünïcödé.example.', '日本語.jp', 'localhost', '0.0.0.0', '*.bad', 'a..b'),
    );
    const line = fc.tuple(fc.constantFrom('0.0.0.0', '127.0.0.1', '::'), fc.array(name, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([address, names, comment]) => `${address} ${names.join(' ')}${comment ? ' # note' : ''}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), (lines) => {
        const once = parseHosts(lines.join('\n'));
        const twice = parseHosts(once.domains.map((d) => `0.0.0.0 ${d}`).join('\n'));
        expect(twice.domains).toEqual(once.domains);
        expect(twice.counts).toMatchObject({ duplicates: 0, local: 0, invalidNames: 0, invalidLines: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('returns the domains sorted and unique', () => {
    const { domains } = parseHosts('0.0.0.0 b.example a.example\n0.0.0.0 c.example A.example b.example.');
    expect(domains).toEqual(['a.example', 'b.example', 'c.example']);
  });
});

describe('parseHosts on the StevenBlack list (../shared/data/stevenblack-hosts)', () => {
  it('finds the 88,763 unique domains its header states, refusing nothing and leaving out the localhost block', () => {
    const text = readFileSync(join(__dirname, '../../../../shared/data/stevenblack-hosts'), 'utf8');
    expect(text).toContain('# Number of unique domains: 88,763');
    const parsed = parseHosts(text);
    expect(parsed.domains).toHaveLength(88_763);
    expect(parsed.counts).toMatchObject({ duplicates: 0, local: 14, invalidNames: 0, invalidLines: 0 });
    expect(parsed.domains).toContain('philadelphia_cbslocal.us.intellitxt.com');
    expect(parsed.domains).toContain('xn--adspace-kvg.ero-advertising.com');
  });
});
