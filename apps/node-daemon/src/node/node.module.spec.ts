import { CommandResult, CommandRunner, NetnsRunner, RunOptions } from '@phoenix/wireguard';
import { namespaceAdapters } from './node.module';

describe('NODE_NETNS adapters', () => {
  it('leaves the defaults alone without a namespace', () => {
    expect(namespaceAdapters(undefined)).toEqual({});
  });

  it('runs commands and wireguard-go through `ip netns exec <ns>`', async () => {
    const { runner, wrapArgv } = namespaceAdapters('phx-node');
    expect(runner).toBeInstanceOf(NetnsRunner);
    expect((runner as NetnsRunner).ns).toBe('phx-node');
    expect(wrapArgv!('wireguard-go', ['-f', 'phx-wg-node'])).toEqual(['ip', ['netns', 'exec', 'phx-node', 'wireguard-go', '-f', 'phx-wg-node']]);
    // The namespace runner wraps the host runner: the program actually run is `ip`.
    const calls: string[][] = [];
    const inner: CommandRunner = {
      run: async (cmd: string, args: readonly string[], _opts?: RunOptions): Promise<CommandResult> => {
        calls.push([cmd, ...args]);
        return { stdout: '', stderr: '' };
      },
    };
    await new NetnsRunner(inner, 'phx-node').run('wg', ['show']);
    expect(calls).toEqual([['ip', 'netns', 'exec', 'phx-node', 'wg', 'show']]);
  });

  it('refuses a namespace name that is not one', () => {
    expect(() => namespaceAdapters('../etc')).toThrow();
  });
});
