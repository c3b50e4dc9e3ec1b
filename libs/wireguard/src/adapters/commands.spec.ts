import { WireGuardError, WireGuardErrorCode } from '../errors';
import {
  CommandError,
  CommandResult,
  CommandRunner,
  ExecFileRunner,
  ipAddrAdd,
  ipLinkAddWireGuard,
  ipLinkDelete,
  ipLinkExists,
  ipLinkSetMtu,
  ipLinkSetUp,
  nftApply,
  nftDeleteTable,
  nftListTable,
  nftListTableIfExists,
  isWireGuardUnsupported,
  RunOptions,
  sysctlSet,
  wgApplyPeerDiff,
  wgRemovePeers,
  wgSetPrivateKey,
  wgShowDump,
} from './commands';

const K1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const K2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const PUBLIC = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=';

interface Call {
  cmd: string;
  args: readonly string[];
  opts?: RunOptions;
}

/** Records every call; answers from `respond` (default: empty success). */
class FakeRunner implements CommandRunner {
  readonly calls: Call[] = [];
  constructor(private readonly respond: (call: Call) => CommandResult | Error = () => ({ stdout: '', stderr: '' })) {}

  async run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    const call = { cmd, args: [...args], ...(opts ? { opts } : {}) };
    this.calls.push(call);
    const result = this.respond(call);
    if (result instanceof Error) throw result;
    return result;
  }

  argv(): string[][] {
    return this.calls.map((c) => [c.cmd, ...c.args]);
  }
}

async function codeOf(promise: Promise<unknown>): Promise<WireGuardErrorCode | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof WireGuardError ? error.code : undefined;
  }
  return undefined;
}

describe('wg adapters', () => {
  it('wgShowDump runs `wg show <if> dump` and parses the output', async () => {
    const runner = new FakeRunner(() => ({ stdout: `(none)\t${PUBLIC}\t51820\toff\n${K1}\t(none)\t(none)\t100.64.3.7/32\t0\t0\t0\toff\n`, stderr: '' }));
    const dump = await wgShowDump(runner, 'wg0');
    expect(runner.argv()).toEqual([['wg', 'show', 'wg0', 'dump']]);
    expect(dump.peers.map((p) => p.publicKey)).toEqual([K1]);
  });

  it('wgSetPrivateKey passes a key file path, never the key', async () => {
    const runner = new FakeRunner();
    await wgSetPrivateKey(runner, 'wg0', '/run/phoenix/wg0.key');
    await wgSetPrivateKey(runner, 'wg0', '/run/phoenix/wg0.key', 51820);
    expect(runner.argv()).toEqual([
      ['wg', 'set', 'wg0', 'private-key', '/run/phoenix/wg0.key'],
      ['wg', 'set', 'wg0', 'listen-port', '51820', 'private-key', '/run/phoenix/wg0.key'],
    ]);
  });


  it('wgRemovePeers removes all peers in one `wg set` call, and makes no call for none', async () => {
    const runner = new FakeRunner();
    await wgRemovePeers(runner, 'wg0', [K1, K2]);
    await wgRemovePeers(runner, 'wg0', []);
    expect(runner.argv()).toEqual([['wg', 'set', 'wg0', 'peer', K1, 'remove', 'peer', K2, 'remove']]);
  });

  it('wgApplyPeerDiff applies a whole diff in one `wg set` call', async () => {
    const runner = new FakeRunner();
    const calls = await wgApplyPeerDiff(runner, 'wg0', {
      add: [{ publicKey: K2, allowedIps: ['fd00:6a:1::5e1f/128', '100.64.3.8/32'] }],
      update: [],
      remove: [K1],
    });
    expect(calls).toBe(1);
    expect(runner.argv()).toEqual([['wg', 'set', 'wg0', 'peer', K1, 'remove', 'peer', K2, 'allowed-ips', '100.64.3.8/32,fd00:6a:1::5e1f/128']]);
    expect(await wgApplyPeerDiff(runner, 'wg0', { add: [], update: [], remove: [] })).toBe(0);
    expect(runner.calls).toHaveLength(1);
  });

  it('validates every argument before running anything', async () => {
    const runner = new FakeRunner();
    expect(await codeOf(wgShowDump(runner, 'wg0; reboot'))).toBe(WireGuardErrorCode.INVALID_INTERFACE);
    expect(await codeOf(wgShowDump(runner, '--help'))).toBe(WireGuardErrorCode.INVALID_INTERFACE);
    expect(await codeOf(wgRemovePeers(runner, 'wg0', [K1, 'listen-port'])) ).toBe(WireGuardErrorCode.INVALID_KEY);
    expect(await codeOf(wgSetPrivateKey(runner, 'wg0', '/k', 0))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(await codeOf(ipAddrAdd(runner, 'wg0', '100.64.0.1/16 dev eth0'))).toBe(WireGuardErrorCode.INVALID_CIDR);
    expect(await codeOf(ipLinkSetMtu(runner, 'wg0', 1279))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(await codeOf(nftApply(runner, ''))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(runner.calls).toEqual([]);
  });
});

describe('ip adapters', () => {
  it('builds exact argv arrays', async () => {
    const runner = new FakeRunner();
    await ipLinkAddWireGuard(runner, 'wg0');
    await ipAddrAdd(runner, 'wg0', '100.64.0.1/16');
    await ipAddrAdd(runner, 'wg0', 'FD00:6A:1::1/64', { replace: true });
    await ipLinkSetMtu(runner, 'wg0', 1420);
    await ipLinkSetUp(runner, 'wg0');
    expect(runner.argv()).toEqual([
      ['ip', 'link', 'add', 'dev', 'wg0', 'type', 'wireguard'],
      ['ip', 'address', 'add', '100.64.0.1/16', 'dev', 'wg0'],
      ['ip', 'address', 'replace', 'fd00:6a:1::1/64', 'dev', 'wg0'],
      ['ip', 'link', 'set', 'dev', 'wg0', 'mtu', '1420'],
      ['ip', 'link', 'set', 'dev', 'wg0', 'up'],
    ]);
  });

  it('ipLinkExists is false only when ip says the device does not exist', async () => {
    const missing = new FakeRunner((c) => new CommandError(c.cmd, c.args, 1, '', 'Device "wg0" does not exist.\n'));
    expect(await ipLinkExists(missing, 'wg0')).toBe(false);
    expect(missing.argv()).toEqual([['ip', 'link', 'show', 'dev', 'wg0']]);

    expect(await ipLinkExists(new FakeRunner(), 'wg0')).toBe(true);

    const broken = new FakeRunner((c) => new CommandError(c.cmd, c.args, 255, '', 'RTNETLINK answers: Operation not permitted'));
    expect(await codeOf(ipLinkExists(broken, 'wg0'))).toBe(WireGuardErrorCode.COMMAND_FAILED);
  });
});

describe('nft adapters', () => {
  it('passes the ruleset on stdin, never in argv', async () => {
    const runner = new FakeRunner(() => ({ stdout: 'table inet phoenix {\n}\n', stderr: '' }));
    await nftApply(runner, 'table inet phoenix {}\n');
    expect(await nftListTable(runner)).toBe('table inet phoenix {\n}\n');
    expect(runner.calls).toEqual([
      { cmd: 'nft', args: ['-f', '-'], opts: { input: 'table inet phoenix {}\n' } },
      { cmd: 'nft', args: ['list', 'table', 'inet', 'phoenix'] },
    ]);
  });
});

describe('ExecFileRunner', () => {
  const runner = new ExecFileRunner({ timeoutMs: 10_000 });
  const node = process.execPath;

  it('writes input to stdin and returns stdout', async () => {
    const result = await runner.run(node, ['-e', 'process.stdin.pipe(process.stdout)'], { input: 'secret-on-stdin\n' });
    expect(result.stdout).toBe('secret-on-stdin\n');
  });

  it('passes arguments verbatim, without a shell', async () => {
    const hostile = '$(touch /tmp/phoenix-pwned); `id` | cat > /dev/null && echo pwned';
    const result = await runner.run(node, ['-e', 'process.stdout.write(process.argv[1])', hostile]);
    expect(result.stdout).toBe(hostile);
  });

  it('rejects with CommandError carrying the exit code and stderr', async () => {
    const error = await runner.run(node, ['-e', 'process.stderr.write("boom"); process.exit(3)']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).exitCode).toBe(3);
    expect((error as CommandError).stderr).toBe('boom');
    expect((error as CommandError).code).toBe(WireGuardErrorCode.COMMAND_FAILED);
  });

  it('rejects with CommandError when the program does not exist', async () => {
    await expect(runner.run('/nonexistent/phoenix-wg', [])).rejects.toBeInstanceOf(CommandError);
  });
});

describe('adapters added for node-daemon', () => {
  it('ipLinkDelete deletes the link and is false when it was already gone', async () => {
    const ok = new FakeRunner();
    expect(await ipLinkDelete(ok, 'wg0')).toBe(true);
    expect(ok.argv()).toEqual([['ip', 'link', 'delete', 'dev', 'wg0']]);
    const gone = new FakeRunner((c) => new CommandError(c.cmd, c.args, 1, '', 'Cannot find device "wg0"\n'));
    expect(await ipLinkDelete(gone, 'wg0')).toBe(false);
    const broken = new FakeRunner((c) => new CommandError(c.cmd, c.args, 2, '', 'RTNETLINK answers: Operation not permitted'));
    expect(await codeOf(ipLinkDelete(broken, 'wg0'))).toBe(WireGuardErrorCode.COMMAND_FAILED);
    expect(await codeOf(ipLinkDelete(ok, '-x'))).toBe(WireGuardErrorCode.INVALID_INTERFACE);
  });

  it('nftListTableIfExists and nftDeleteTable treat a missing table as null / false', async () => {
    const missing = new FakeRunner((c) => new CommandError(c.cmd, c.args, 1, '', 'Error: No such file or directory\nlist table inet phoenix'));
    expect(await nftListTableIfExists(missing)).toBeNull();
    expect(await nftDeleteTable(missing)).toBe(false);
    expect(missing.argv()).toEqual([
      ['nft', 'list', 'table', 'inet', 'phoenix'],
      ['nft', 'delete', 'table', 'inet', 'phoenix'],
    ]);
    const present = new FakeRunner(() => ({ stdout: 'table inet phoenix {\n}\n', stderr: '' }));
    expect(await nftListTableIfExists(present)).toBe('table inet phoenix {\n}\n');
    expect(await nftDeleteTable(present)).toBe(true);
    const denied = new FakeRunner((c) => new CommandError(c.cmd, c.args, 1, '', 'Error: Operation not permitted'));
    expect(await codeOf(nftListTableIfExists(denied))).toBe(WireGuardErrorCode.COMMAND_FAILED);
  });

  it('isWireGuardUnsupported recognises a kernel without the WireGuard module', () => {
    expect(isWireGuardUnsupported(new CommandError('ip', [], 2, '', 'Error: Unknown device type.\n'))).toBe(true);
    expect(isWireGuardUnsupported(new CommandError('ip', [], 2, '', 'RTNETLINK answers: Operation not permitted'))).toBe(false);
    expect(isWireGuardUnsupported(new Error('Unknown device type'))).toBe(false);
  });

  it('sysctlSet passes one validated key=value argument', async () => {
    const runner = new FakeRunner();
    await sysctlSet(runner, 'net.ipv4.ip_forward', '1');
    await sysctlSet(runner, 'net.ipv6.conf.all.forwarding', '1');
    expect(runner.argv()).toEqual([
      ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
      ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'],
    ]);
    expect(await codeOf(sysctlSet(runner, 'net.ipv4.ip_forward=0 kernel.x', '1'))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(await codeOf(sysctlSet(runner, 'net.ipv4.ip_forward', '1; reboot'))).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    expect(runner.calls).toHaveLength(2);
  });
});
