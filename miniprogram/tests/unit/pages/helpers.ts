/** Mounting a page the way uni-app shows it: mount, then fire its load/show hooks, then settle. */
import { flushPromises, mount } from '@vue/test-utils'
import type { Component } from 'vue'
import { fire } from '../fakes/uniApp'

export async function showPage(page: Component, query: Record<string, string> = {}) {
  const wrapper = mount(page)
  await fire('onLoad', query)
  await fire('onShow')
  await flushPromises()
  return wrapper
}

export function stateOf(wrapper: ReturnType<typeof mount>): string | undefined {
  return wrapper.find('[data-state]').attributes('data-state')
}
