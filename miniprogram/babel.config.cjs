/** Babel is used by jest only (the builds use Vite): modern syntax and TypeScript for Node. */
module.exports = {
  presets: [['@babel/preset-env', { targets: { node: 'current' } }], '@babel/preset-typescript'],
}
