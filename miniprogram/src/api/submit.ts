/**
 * One user action that changes something (submit a report, book a meal): while it runs the
 * button is disabled and a second tap does nothing; the idempotency key is made once for the
 * action and kept for every retry after a lost answer, so the backend files it only once. A new
 * key is made only after the action succeeded or the backend refused it (nothing was filed).
 */
import { ref } from 'vue'
import { isRetryable, messageOf } from './errors'

export function newIdempotencyKey(): string {
  const random = () => Math.random().toString(36).slice(2, 10).padEnd(8, '0')
  return `mp-${Date.now().toString(36)}-${random()}${random()}`
}

export interface Submit {
  submitting: import('vue').Ref<boolean>
  error: import('vue').Ref<string>
  run<T>(action: (key: string) => Promise<T>): Promise<T | undefined>
}

export function useSubmit(): Submit {
  const submitting = ref(false)
  const error = ref('')
  let key = ''

  async function run<T>(action: (key: string) => Promise<T>): Promise<T | undefined> {
    if (submitting.value) return undefined
    submitting.value = true
    error.value = ''
    key = key || newIdempotencyKey()
    try {
      const result = await action(key)
      key = ''
      return result
    } catch (failure) {
      error.value = messageOf(failure)
      if (!isRetryable(failure)) {
        key = ''
        uni.showToast({ title: error.value, icon: 'none', duration: 3000 })
        return undefined
      }
      submitting.value = false
      const choice = await uni.showModal({ title: '提交未完成', content: error.value, confirmText: '重试', cancelText: '稍后' })
      return choice.confirm ? run(action) : undefined
    } finally {
      submitting.value = false
    }
  }

  return { submitting, error, run }
}
