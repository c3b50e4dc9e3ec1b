// Maps the `@phoenix/<lib>` aliases of tsconfig.base.json to source for Jest.
const fs = require('node:fs');
const path = require('node:path');

function pathsToModuleNameMapper(workspaceRoot) {
  const base = JSON.parse(fs.readFileSync(path.join(workspaceRoot, 'tsconfig.base.json'), 'utf8'));
  const mapper = {};
  for (const [alias, [target]] of Object.entries(base.compilerOptions.paths)) {
    mapper[`^${alias.replace(/\//g, '\\/')}$`] = path.join(workspaceRoot, target);
  }
  return mapper;
}

module.exports = { pathsToModuleNameMapper };
