/**
 * The one fake `uni` every test runs against: storage in a Map, requests answered by handlers a
 * test installs (`answer`), and every UI call (toast, modal, navigation) recorded so tests can
 * assert what a person would have seen.
 */
type RequestOptions = {
  url: string
  method?: string
  data?: unknown
  header?: Record<string, string>
  success?: (answer: { statusCode: number; data: unknown }) => void
  fail?: (error: unknown) => void
}

export type Handler = (request: RequestOptions) => { status: number; data?: unknown } | 'network-error'

export interface FakeUni {
  storage: Map<string, unknown>
  requests: RequestOptions[]
  handlers: Handler[]
  toasts: string[]
  modals: { title?: string; content?: string }[]
  modalAnswers: boolean[]
  navigations: string[]
  canvasDraws: number
  loginCode: string
  subscribeAsks: string[][]
  payments: Record<string, string>[]
  paymentSucceeds: boolean
  reset(): void
  /** Answers the next request (in order); the last handler stays for every later request. */
  answer(...handlers: Handler[]): void
}

function createFake(): FakeUni & Record<string, unknown> {
  const fake = {
    storage: new Map<string, unknown>(),
    requests: [] as RequestOptions[],
    handlers: [] as Handler[],
    toasts: [] as string[],
    modals: [] as { title?: string; content?: string }[],
    modalAnswers: [] as boolean[],
    navigations: [] as string[],
    canvasDraws: 0,
    loginCode: 'wx-code',
    subscribeAsks: [] as string[][],
    payments: [] as Record<string, string>[],
    paymentSucceeds: true,
    reset() {
      fake.storage.clear()
      fake.requests = []
      fake.handlers = []
      fake.toasts = []
      fake.modals = []
      fake.modalAnswers = []
      fake.navigations = []
      fake.canvasDraws = 0
      fake.loginCode = 'wx-code'
      fake.subscribeAsks = []
      fake.payments = []
      fake.paymentSucceeds = true
    },
    answer(...handlers: Handler[]) {
      fake.handlers.push(...handlers)
    },
    getStorageSync: (key: string) => fake.storage.get(key) ?? '',
    setStorageSync: (key: string, value: unknown) => void fake.storage.set(key, value),
    removeStorageSync: (key: string) => void fake.storage.delete(key),
    request(options: RequestOptions) {
      fake.requests.push(options)
      const handler = fake.handlers.length > 1 ? fake.handlers.shift()! : fake.handlers[0]
      const result = handler ? handler(options) : { status: 500, data: null }
      Promise.resolve().then(() => {
        if (result === 'network-error') options.fail?.({ errMsg: 'request:fail' })
        else options.success?.({ statusCode: result.status, data: result.data })
      })
    },
    showToast: ({ title }: { title: string }) => void fake.toasts.push(title),
    showModal: (options: { title?: string; content?: string }) => {
      fake.modals.push(options)
      return Promise.resolve({ confirm: fake.modalAnswers.shift() ?? false, cancel: false })
    },
    reLaunch: ({ url }: { url: string }) => void fake.navigations.push(`reLaunch:${url}`),
    redirectTo: ({ url }: { url: string }) => void fake.navigations.push(`redirectTo:${url}`),
    navigateTo: ({ url }: { url: string }) => void fake.navigations.push(`navigateTo:${url}`),
    stopPullDownRefresh: () => undefined,
    login: ({ success }: { success: (answer: { code: string }) => void }) => success({ code: fake.loginCode }),
    requestSubscribeMessage: ({ tmplIds, complete }: { tmplIds: string[]; complete?: () => void }) => {
      fake.subscribeAsks.push(tmplIds)
      complete?.()
    },
    requestPayment: ({ success, fail, ...args }: { success?: () => void; fail?: () => void } & Record<string, string>) => {
      fake.payments.push(args)
      if (fake.paymentSucceeds) success?.()
      else fail?.()
    },
    createCanvasContext: () => ({
      setFillStyle: () => undefined,
      fillRect: () => undefined,
      draw: () => {
        fake.canvasDraws += 1
      },
    }),
  }
  return fake
}

// Loaded both as a setup file and by tests: the first load installs the fake, later ones reuse it.
const holder = globalThis as unknown as { uni?: FakeUni }
holder.uni = holder.uni ?? createFake()

export function fakeUni(): FakeUni {
  return holder.uni!
}

/** A JSON answer. */
export const json =
  (status: number, data: unknown): Handler =>
  () => ({ status, data })

/** The backend's error shape. */
export const refusal =
  (status: number, code: string, message: string): Handler =>
  () => ({ status, data: { error: { code, message } } })

export const networkDown: Handler = () => 'network-error'
