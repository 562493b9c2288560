/**
 * Loading a page's data: `loading` until the first answer, `error` with the backend's Chinese
 * message (or the network sentence) for the page to show inline with a retry button, and the
 * data itself. Pull to refresh calls `reload` and stops the spinner when it is done.
 */
import { ref, type Ref } from 'vue'
import { messageOf } from './errors'

export interface Loaded<T> {
  data: Ref<T | undefined>
  loading: Ref<boolean>
  error: Ref<string>
  reload(): Promise<void>
}

export function useLoad<T>(fetch: () => Promise<T>): Loaded<T> {
  const data = ref<T>()
  const loading = ref(false)
  const error = ref('')

  async function reload() {
    loading.value = true
    error.value = ''
    try {
      data.value = await fetch()
    } catch (failure) {
      error.value = messageOf(failure)
    } finally {
      loading.value = false
      uni.stopPullDownRefresh()
    }
  }

  return { data: data as Ref<T | undefined>, loading, error, reload }
}
