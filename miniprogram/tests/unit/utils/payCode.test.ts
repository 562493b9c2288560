/** The pay code page's clock: a new code exactly when the step turns, never a stale one. */
import { effectScope } from 'vue'
import { NetworkError } from '../../../src/api/errors'
import { clockOffsetMs, usePayCode } from '../../../src/utils/payCode'
import { payCodeAt } from '../../../src/utils/totp'

const key = { key_id: '0000000042', secret: 'UHF3Z6X26QNYDDUFPKTCFVIEO763E3PA', prefix: '66', step_seconds: 30, digits: 6 }
const STEP_START = 1765000020 * 1000 // a multiple of 30 s

beforeEach(() => jest.useFakeTimers())
afterEach(() => jest.useRealTimers())

function started(nowMs: number, serverNowMs = nowMs) {
  jest.setSystemTime(nowMs)
  const scope = effectScope()
  const payCode = scope.run(() =>
    usePayCode(async () => ({ ...key, code: payCodeAt(key, serverNowMs).code })),
  )!
  return { payCode, scope }
}

test('the code shown is replaced exactly when its step ends', async () => {
  const { payCode, scope } = started(STEP_START + 25_000)
  await payCode.start()
  const first = payCode.code.value
  expect(first).toBe(payCodeAt(key, STEP_START).code)

  jest.advanceTimersByTime(4_999)
  expect(payCode.code.value).toBe(first)
  jest.advanceTimersByTime(1)
  expect(payCode.code.value).toBe(payCodeAt(key, STEP_START + 30_000).code)
  expect(payCode.code.value).not.toBe(first)

  jest.advanceTimersByTime(30_000)
  expect(payCode.code.value).toBe(payCodeAt(key, STEP_START + 60_000).code)
  scope.stop()
})

test("a phone whose clock is a minute slow still shows the backend's current code", async () => {
  const { payCode, scope } = started(STEP_START - 60_000, STEP_START + 1_000)
  await payCode.start()

  expect(payCode.code.value).toBe(payCodeAt(key, STEP_START).code)
  scope.stop()
})

test('clock offset is zero when the clocks agree', () => {
  expect(clockOffsetMs(key, payCodeAt(key, STEP_START).code, STEP_START + 10)).toBe(0)
})

test('leaving the page stops the timer', async () => {
  const { payCode, scope } = started(STEP_START)
  await payCode.start()
  scope.stop()

  expect(jest.getTimerCount()).toBe(0)
})

test('without the network the page says so instead of showing a code', async () => {
  jest.setSystemTime(STEP_START)
  const scope = effectScope()
  const payCode = scope.run(() => usePayCode(() => Promise.reject(new NetworkError())))!

  await payCode.start()

  expect(payCode.code.value).toBe('')
  expect(payCode.error.value).toBe('网络连接失败，请检查网络后重试')
  scope.stop()
})
