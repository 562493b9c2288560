/** The request layer: session token, one re-login on 401, the backend's message, network failures. */
import { api, setRelogin } from '../../../src/api/client'
import { ApiError, NetworkError } from '../../../src/api/errors'
import { setToken } from '../../../src/api/session'
import { fakeUni, json, networkDown, refusal } from '../fakes/uni'

const wallet = { balance: { cash_fen: 100, subsidy_fen: 0, total_fen: 100, overdraft_owed_fen: 0, closed_at: null }, cards: [] }

afterEach(() => setRelogin(async () => false))

test('sends the stored session token as a bearer token', async () => {
  setToken('tok-1')
  fakeUni().answer(json(200, wallet))

  await api.get('/mp/v1/wallet')

  expect(fakeUni().requests[0].header?.Authorization).toBe('Bearer tok-1')
  expect(fakeUni().requests[0].url).toBe('/mp/v1/wallet')
})

test('fills path parameters and drops empty query values', async () => {
  fakeUni().answer(json(200, { items: [], total: 0, page: 2, page_size: 20 }))

  await api.get('/mp/v1/wallet/history', { query: { page: 2, page_size: undefined } })
  fakeUni().answer(json(200, { id: 1, uid: 'u', state: 'lost', state_label: '已挂失', issued_at: '' }))
  await api.post('/mp/v1/wallet/cards/{card_id}/lost', { params: { card_id: 7 } })

  expect(fakeUni().requests.map((r) => r.url)).toEqual(['/mp/v1/wallet/history?page=2', '/mp/v1/wallet/cards/7/lost'])
})

test('an expired session logs in again once and repeats the call', async () => {
  setToken('old')
  const relogin = jest.fn(async () => {
    setToken('new')
    return true
  })
  setRelogin(relogin)
  fakeUni().answer(refusal(401, 'auth.session_expired', '登录已过期'), json(200, wallet))

  const answer = await api.get('/mp/v1/wallet')

  expect(answer.balance.total_fen).toBe(100)
  expect(relogin).toHaveBeenCalledTimes(1)
  expect(fakeUni().requests.map((r) => r.header?.Authorization)).toEqual(['Bearer old', 'Bearer new'])
})

test('a second 401 after logging in again is not retried forever', async () => {
  const relogin = jest.fn(async () => true)
  setRelogin(relogin)
  fakeUni().answer(refusal(401, 'auth.session_expired', '登录已过期，请重新登录'))

  await expect(api.get('/mp/v1/wallet')).rejects.toMatchObject({ status: 401, message: '登录已过期，请重新登录' })
  expect(relogin).toHaveBeenCalledTimes(1)
  expect(fakeUni().requests).toHaveLength(2)
})

test('a 401 that is not about the session is not a reason to log in again', async () => {
  const relogin = jest.fn(async () => true)
  setRelogin(relogin)
  fakeUni().answer(refusal(401, 'wallet.pin_wrong', '密码错误'))

  await expect(api.get('/mp/v1/wallet')).rejects.toBeInstanceOf(ApiError)
  expect(relogin).not.toHaveBeenCalled()
})

test("a refusal carries the backend's code and Chinese message", async () => {
  fakeUni().answer(refusal(409, 'canteen.booking_closed', '已过报餐截止时间'))

  const failure = await api.post('/mp/v1/canteen/bookings', { body: { canteen: 'C1', date: '2026-12-09', period: 'lunch' } }).catch((e) => e)

  expect(failure).toBeInstanceOf(ApiError)
  expect(failure).toMatchObject({ status: 409, code: 'canteen.booking_closed', message: '已过报餐截止时间' })
})

test('an answer without the error shape (a proxy page) still says something useful in Chinese', async () => {
  fakeUni().answer(json(502, '<html>Bad Gateway</html>'))

  await expect(api.get('/mp/v1/wallet')).rejects.toMatchObject({ status: 502, message: '服务暂时不可用（502），请稍后重试' })
})

test('no answer at all is a network error that says so', async () => {
  fakeUni().answer(networkDown)

  const failure = await api.get('/mp/v1/wallet').catch((e) => e)

  expect(failure).toBeInstanceOf(NetworkError)
  expect(failure.message).toBe('网络连接失败，请检查网络后重试')
})

test('login calls go without the session header', async () => {
  setToken('stale')
  fakeUni().answer(json(200, { bound: false, bind_ticket: 't' }))

  await api.post('/mp/v1/auth/login', { body: { code: 'c' }, anonymous: true })

  expect(fakeUni().requests[0].header?.Authorization).toBeUndefined()
})
