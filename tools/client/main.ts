// Entry point: `npm run client -- <command> [options]` (see cli.ts, README.md).
import { run } from './cli';

run(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`), env: process.env }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(4);
  },
);
