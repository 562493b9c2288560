/**
 * WeChat refuses a mini-program whose main package (everything outside the sub-package roots
 * listed in app.json) is 2 MB or more. This prints the main package and each sub-package size
 * of dist/build/mp-weixin and fails when the main package reaches the limit.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

const LIMIT = 2 * 1024 * 1024
const root = new URL('../dist/build/mp-weixin/', import.meta.url).pathname

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

let app
try {
  app = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8'))
} catch {
  console.error(`没有找到 ${root}app.json：请先运行 npm run build:mp-weixin`)
  process.exit(1)
}
const roots = (app.subPackages ?? app.subpackages ?? []).map((p) => p.root.replace(/\/$/, ''))
const sizes = new Map([['(main)', 0], ...roots.map((r) => [r, 0])])
for (const file of files(root)) {
  const path = relative(root, file).split(sep).join('/')
  const owner = roots.find((r) => path === r || path.startsWith(`${r}/`)) ?? '(main)'
  sizes.set(owner, sizes.get(owner) + statSync(file).size)
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
for (const [name, bytes] of sizes) console.log(`${name.padEnd(16)} ${kib(bytes)}`)
const main = sizes.get('(main)')
if (main >= LIMIT) {
  console.error(`主包 ${kib(main)} 达到或超过微信 2 MB 上限：请把较大的页面移到分包`)
  process.exit(1)
}
console.log(`主包 ${kib(main)} < 2048.0 KiB`)
