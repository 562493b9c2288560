/**
 * Build configuration for both targets (uni-app: `uni build` for H5, `uni build -p mp-weixin`).
 *
 * The H5 build is served by the backend under /m/ (same origin as the API); the mp-weixin build
 * talks to VITE_API_BASE, which must be set to the real https origin before a release build.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { defineConfig, type Plugin } from 'vite'
import uniModule from '@dcloudio/vite-plugin-uni'

// The package is CommonJS with `exports.default`; Vite's config loader hands us either shape.
const uni = ((uniModule as unknown as { default?: typeof uniModule }).default ?? uniModule) as typeof uniModule
const require = createRequire(import.meta.url)

/**
 * Government intranets have no internet, so no stylesheet may point at one:
 * - wot-design-uni's icon font is declared with at.alicdn.com URLs (the only face mp-weixin
 *   gets): each such face is replaced by the font file the package ships, inlined;
 * - uni-h5 preloads navigation-bar shadow images from cdn.dcloud.net.cn three seconds after start
 *   (body:after); the pages use no bar shadow, so those images become `none`.
 */
function keepOffline(): Plugin {
  const fontPath = require.resolve('wot-design-uni/components/wd-icon/wd-icons.ttf')
  const inline = `url('data:font/ttf;base64,${readFileSync(fontPath).toString('base64')}') format('truetype')`
  const cdnFace = /src:\s*url\(['"]?https:\/\/at\.alicdn\.com[^;}]*/g
  const dcloudImage = /url\(['"]?https:\/\/cdn\.dcloud\.net\.cn\/img\/[\w-]+\.png['"]?\)/g
  return {
    name: 'houqin-keep-offline',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const item of Object.values(bundle)) {
        if (item.type === 'asset' && /\.(css|wxss)$/.test(item.fileName)) {
          const text = typeof item.source === 'string' ? item.source : Buffer.from(item.source).toString('utf8')
          item.source = text.replace(cdnFace, `src: ${inline}`).replace(dcloudImage, 'none')
        }
      }
    },
  }
}

export default defineConfig({
  base: '/m/',
  plugins: [uni(), keepOffline()],
  define: {
    'process.env.HOUQIN_API_BASE': JSON.stringify(process.env.VITE_API_BASE ?? ''),
  },
})
