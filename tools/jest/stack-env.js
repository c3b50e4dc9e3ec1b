// Jest globalSetup for integration suites: loads the URLs written by `tools/stack/start.sh`.
// Fails loudly when the stack is not running: an integration suite never passes without its servers.
const { loadStackEnv } = require('./stack-env-lib');

module.exports = async () => {
  loadStackEnv();
};
