// The processor file BullMQ's child process loads when job-worker runs from source
// (`node -r @swc-node/register …/main.ts`): BullMQ loads a processor with import(), and Node's ESM
// loader refuses a .ts file, while a CommonJS file's require() goes through swc's hook, which the
// child has (BullMQ forks it with the parent's execArgv). A build (tsc) runs the .js processor.
module.exports = require('./blocklist-compile.processor.ts');
