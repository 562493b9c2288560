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

export interface Paged<T> {
  items: Ref<T[]>
  total: Ref<number>
  loading: Ref<boolean>
  error: Ref<string>
  /** The first page again (pull to refresh, retry). */
  refresh(): Promise<void>
  /** The next page, unless one is loading or all are here. */
  next(): Promise<void>
}

/** A list the backend answers a page at a time (`{items, total}`): pages appended as the person
 * scrolls, the first page again on refresh. */
export function usePaged<T>(fetchPage: (page: number) => Promise<{ items: T[]; total: number }>): Paged<T> {
  const items = ref<T[]>([]) as Ref<T[]>
  const total = ref(0)
  const page = ref(0)
  const loading = ref(false)
  const error = ref('')

  async function load(pageNo: number) {
    loading.value = true
    error.value = ''
    try {
      const answer = await fetchPage(pageNo)
      items.value = pageNo === 1 ? answer.items : [...items.value, ...answer.items]
      total.value = answer.total
      page.value = pageNo
    } catch (failure) {
      error.value = messageOf(failure)
    } finally {
      loading.value = false
      uni.stopPullDownRefresh()
    }
  }

  async function next() {
    if (!loading.value && items.value.length < total.value) await load(page.value + 1)
  }

  return { items, total, loading, error, refresh: () => load(1), next }
}
