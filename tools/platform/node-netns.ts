// Used by run.sh / stop.sh: `check` (exit 1 naming what is missing), `up` (create the platform's
// node lab: phx-node, phx-inet and their veths), `down` (kill what runs inside them, delete them,
// and the client's phx-client too). See netns.ts for the layout.
import { createNodeLab, destroyLab, namespaceProblems, PLATFORM_LAB } from './netns';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'check': {
      const problems = namespaceProblems();
      for (const p of problems) process.stdout.write(`${p}\n`);
      return problems.length ? 1 : 0;
    }
    case 'up':
      await createNodeLab(PLATFORM_LAB);
      return 0;
    case 'down':
      await destroyLab(PLATFORM_LAB);
      return 0;
    default:
      process.stderr.write('usage: node-netns.ts check|up|down\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
