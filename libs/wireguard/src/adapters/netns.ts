// Running the adapters inside a Linux network namespace (`ip netns exec <ns> …`): how the
// namespace tests and the benchmark drive a node without touching the host's own network.
import { describe, fail } from '../assert';
import { WireGuardErrorCode } from '../errors';
import { CommandResult, CommandRunner, RunOptions } from './commands';

// `ip netns` names are file names under /run/netns: no '/', no leading '-' (it would read as an
// option), and short enough to stay readable in `ip netns list`.
const NETNS_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,63}$/;

/** True when `name` is a safe `ip netns` name. */
export function isValidNetnsName(name: unknown): boolean {
  return typeof name === 'string' && NETNS_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * Checks a network-namespace name and returns it.
 *
 * @throws {WireGuardError} INVALID_ARGUMENT
 */
export function assertNetnsName(name: string): string {
  if (!isValidNetnsName(name)) fail(WireGuardErrorCode.INVALID_ARGUMENT, `not a valid network namespace name: ${describe(name)}`);
  return name;
}

/**
 * The argv that runs `cmd args…` inside namespace `ns`: `ip netns exec <ns> <cmd> <args…>`.
 * `ip netns exec` execs the program in place, so a spawned child's pid is the program's own.
 *
 * @example netnsArgv('phx-node-1a2b', 'wg', ['show']) // → ['ip', ['netns', 'exec', 'phx-node-1a2b', 'wg', 'show']]
 */
export function netnsArgv(ns: string, cmd: string, args: readonly string[]): [string, string[]] {
  if (typeof cmd !== 'string' || cmd === '' || cmd.startsWith('-')) fail(WireGuardErrorCode.INVALID_ARGUMENT, `not a valid program: ${describe(cmd)}`);
  return ['ip', ['netns', 'exec', assertNetnsName(ns), cmd, ...args]];
}

/** A {@link CommandRunner} that runs every command inside one network namespace. */
export class NetnsRunner implements CommandRunner {
  readonly ns: string;

  constructor(
    private readonly inner: CommandRunner,
    ns: string,
  ) {
    this.ns = assertNetnsName(ns);
  }

  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult> {
    const [program, argv] = netnsArgv(this.ns, cmd, args);
    return this.inner.run(program, argv, opts);
  }
}
