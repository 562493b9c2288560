/**
 * Stands in for @dcloudio/uni-app's page lifecycle hooks: each registers its callback, and a
 * test fires a hook the way the framework would (`fire('onLoad', { id: '7' })`).
 */
type Hook = 'onLaunch' | 'onLoad' | 'onShow' | 'onHide' | 'onUnload' | 'onPullDownRefresh' | 'onReachBottom'

const registered = new Map<Hook, ((arg?: unknown) => unknown)[]>()

function register(hook: Hook) {
  return (callback: (arg?: never) => unknown) => {
    registered.set(hook, [...(registered.get(hook) ?? []), callback as (arg?: unknown) => unknown])
  }
}

export const onLaunch = register('onLaunch')
export const onLoad = register('onLoad')
export const onShow = register('onShow')
export const onHide = register('onHide')
export const onUnload = register('onUnload')
export const onPullDownRefresh = register('onPullDownRefresh')
export const onReachBottom = register('onReachBottom')

export async function fire(hook: Hook, arg?: unknown): Promise<void> {
  await Promise.all((registered.get(hook) ?? []).map((callback) => callback(arg)))
}

export function forgetHooks(): void {
  registered.clear()
}
