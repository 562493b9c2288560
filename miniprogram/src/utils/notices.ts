/**
 * Subscribe-message prompts (订阅消息, mp-weixin only): WeChat delivers a notice only if the cadre
 * agreed to that template, and asks only from a tap. A page loads the template ids of the notices
 * it leads to when it opens, and asks in the tap that files the request, before anything is awaited.
 * A template the backend has not configured ("") is not asked for; a refusal changes nothing.
 */
import { api } from '../api/client'
import { PLATFORM } from '../config'

export function useSubscribePrompt(templates: string[], platform: string = PLATFORM) {
  let ids: string[] = []

  async function prepare(): Promise<void> {
    if (platform !== 'mp-weixin') return
    try {
      const answer = await api.get('/mp/v1/notices/templates')
      ids = templates.map((name) => answer.templates[name] ?? '').filter(Boolean)
    } catch {
      // Without the ids the page works the same; the cadre just is not asked.
      ids = []
    }
  }

  function ask(): Promise<void> {
    if (ids.length === 0) return Promise.resolve()
    return new Promise((resolve) => {
      uni.requestSubscribeMessage({ tmplIds: ids, complete: () => resolve() })
    })
  }

  return { prepare, ask }
}
