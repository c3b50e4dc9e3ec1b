const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const ENV_FILE = path.join(ROOT, '.stack', 'env');
const DEV_ENV_FILE = path.join(ROOT, 'tools', 'platform', 'dev.env');

function readEnvFile(file) {
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** Loads `.stack/env` (written by tools/stack/start.sh) and tools/platform/dev.env into process.env. */
function loadStackEnv() {
  if (!fs.existsSync(ENV_FILE)) {
    throw new Error(
      `Integration tests need the local stack: ${ENV_FILE} is missing. Run \`npm run stack:start\` (or \`npm test\`, which starts it).`,
    );
  }
  // Services under test log warnings and errors only, so test output stays readable.
  if (process.env.LOG_LEVEL === undefined) process.env.LOG_LEVEL = 'warn';
  for (const [k, v] of Object.entries({ ...readEnvFile(DEV_ENV_FILE), ...readEnvFile(ENV_FILE) })) {
    if (process.env[k] === undefined) process.env[k] = v;
  }
}

module.exports = { loadStackEnv, readEnvFile, ENV_FILE, DEV_ENV_FILE, ROOT };
