import { WireGuardError, WireGuardErrorCode } from '../errors';
import { CommandResult, CommandRunner, RunOptions } from './commands';
import { assertNetnsName, isValidNetnsName, netnsArgv, NetnsRunner } from './netns';

class RecordingRunner implements CommandRunner {
  readonly calls: { cmd: string; args: readonly string[]; opts?: RunOptions }[] = [];
  async run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    this.calls.push({ cmd, args: [...args], ...(opts ? { opts } : {}) });
    return { stdout: 'out', stderr: '' };
  }
}

describe('network namespace adapters', () => {
  it('netnsArgv wraps a command in `ip netns exec <ns>`', () => {
    expect(netnsArgv('phx-node-1a2b', 'wireguard-go', ['-f', 'wg0'])).toEqual(['ip', ['netns', 'exec', 'phx-node-1a2b', 'wireguard-go', '-f', 'wg0']]);
  });

  it('NetnsRunner runs every command inside the namespace and keeps stdin input', async () => {
    const inner = new RecordingRunner();
    const runner = new NetnsRunner(inner, 'phx-node-1a2b');
    expect(await runner.run('nft', ['-f', '-'], { input: 'table inet phoenix {}\n' })).toEqual({ stdout: 'out', stderr: '' });
    expect(inner.calls).toEqual([{ cmd: 'ip', args: ['netns', 'exec', 'phx-node-1a2b', 'nft', '-f', '-'], opts: { input: 'table inet phoenix {}\n' } }]);
  });

  it.each(['', '-all', 'a/b', '..', 'x'.repeat(65), 'a b', 'ns\n'])('refuses the namespace name %j', (name) => {
    expect(isValidNetnsName(name)).toBe(false);
    expect(() => assertNetnsName(name)).toThrow(WireGuardError);
    try {
      assertNetnsName(name);
    } catch (e) {
      expect((e as WireGuardError).code).toBe(WireGuardErrorCode.INVALID_ARGUMENT);
    }
  });

  it('refuses a program that would read as an option', () => {
    expect(() => netnsArgv('phx-a', '-n', [])).toThrow(WireGuardError);
    expect(() => netnsArgv('phx-a', '', [])).toThrow(WireGuardError);
  });
});
