/** One user action: never submitted twice by a double tap; retries reuse the idempotency key. */
import { ApiError, NetworkError } from '../../../src/api/errors'
import { useSubmit } from '../../../src/api/submit'
import { fakeUni } from '../fakes/uni'

test('a second tap while the first is running does nothing', async () => {
  const submit = useSubmit()
  let finish: (value: string) => void = () => undefined
  const action = jest.fn(() => new Promise<string>((resolve) => (finish = resolve)))

  const first = submit.run(action)
  const second = await submit.run(action)
  expect(submit.submitting.value).toBe(true)
  finish('filed')

  expect(await first).toBe('filed')
  expect(second).toBeUndefined()
  expect(action).toHaveBeenCalledTimes(1)
  expect(submit.submitting.value).toBe(false)
})

test('retrying after a lost answer sends the same idempotency key', async () => {
  const submit = useSubmit()
  fakeUni().modalAnswers.push(true)
  const keys: string[] = []
  const action = jest.fn(async (key: string) => {
    keys.push(key)
    if (keys.length === 1) throw new NetworkError()
    return 'filed'
  })

  expect(await submit.run(action)).toBe('filed')

  expect(keys).toHaveLength(2)
  expect(keys[1]).toBe(keys[0])
  expect(fakeUni().modals[0]).toMatchObject({ content: '网络连接失败，请检查网络后重试' })
})

test('tapping submit again later, after a lost answer, also reuses the key', async () => {
  const submit = useSubmit()
  const keys: string[] = []
  await submit.run(async (key) => {
    keys.push(key)
    throw new ApiError(503, 'common.unavailable', '服务繁忙')
  })
  await submit.run(async (key) => {
    keys.push(key)
    return 'filed'
  })

  expect(keys[1]).toBe(keys[0])
})

test('after a refusal or a success the next action gets a new key', async () => {
  const submit = useSubmit()
  const keys: string[] = []
  await submit.run(async (key) => {
    keys.push(key)
    throw new ApiError(422, 'common.invalid_input', '请描述问题')
  })
  await submit.run(async (key) => {
    keys.push(key)
    return 'filed'
  })
  await submit.run(async (key) => {
    keys.push(key)
    return 'filed again'
  })

  expect(new Set(keys).size).toBe(3)
  expect(fakeUni().toasts).toEqual(['请描述问题'])
  expect(keys.every((key) => /^[A-Za-z0-9_-]{8,64}$/.test(key))).toBe(true)
})

test('a refusal is shown inline too, with the backend message', async () => {
  const submit = useSubmit()
  await submit.run(async () => {
    throw new ApiError(409, 'canteen.booking_closed', '已过报餐截止时间')
  })

  expect(submit.error.value).toBe('已过报餐截止时间')
})
