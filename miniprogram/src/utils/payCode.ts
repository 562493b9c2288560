/**
 * The pay code page's clock: fetch the session's pay-code key once, show the code of the current
 * step, and swap it for the next one exactly when the step turns (before the old one expires by
 * the backend's `step_seconds`). The phone's clock is corrected by the step the backend's own
 * `code` belongs to, because the backend checks codes against its clock, not the phone's.
 */
import { onScopeDispose, ref } from 'vue'
import { messageOf } from '../api/errors'
import { payCodeAt, type PayCodeKey } from './totp'

const MAX_SKEW_STEPS = 20

/** How far (whole steps, in ms) the phone's clock is from the one that made `serverCode`. */
export function clockOffsetMs(key: PayCodeKey, serverCode: string, nowMs: number): number {
  const stepMs = key.step_seconds * 1000
  for (let back = 0; back <= MAX_SKEW_STEPS; back++) {
    for (const sign of back === 0 ? [0] : [-1, 1]) {
      const offset = sign * back * stepMs
      if (payCodeAt(key, nowMs + offset).code === serverCode) return offset
    }
  }
  return 0
}

export function usePayCode(fetchKey: () => Promise<PayCodeKey & { code: string }>, now: () => number = Date.now) {
  const code = ref('')
  const error = ref('')
  const loading = ref(false)
  let key: PayCodeKey | null = null
  let offset = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  function show() {
    if (!key) return
    const at = now() + offset
    const current = payCodeAt(key, at)
    code.value = current.code
    timer = setTimeout(show, current.nextChangeMs - at)
  }

  function stop() {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  async function start() {
    stop()
    loading.value = true
    error.value = ''
    try {
      const answer = await fetchKey()
      key = answer
      offset = clockOffsetMs(answer, answer.code, now())
      show()
    } catch (failure) {
      error.value = messageOf(failure)
    } finally {
      loading.value = false
    }
  }

  onScopeDispose(stop)
  return { code, error, loading, start, stop }
}
