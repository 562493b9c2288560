/** Login decisions: which page, WeChat and stand-in flows, and renewing an expired session. */
import { getToken, setToken } from '../../../src/api/session'
import { entryFor, loginWithStandin, loginWithWechat, pendingBindTicket, renewSession } from '../../../src/auth/login'
import { fakeUni, json, refusal } from '../fakes/uni'

const profile = { id: 1, name: '张伟' }

test.each([
  ['mp-weixin', 'absent', 'wechat'],
  ['mp-weixin', 'standin', 'wechat'],
  ['h5', 'standin', 'standin'],
  ['h5', 'configured', 'open-in-wechat'],
  ['h5', 'absent', 'not-configured'],
] as const)('on %s with WeChat login %s the cadre sees %s', (platform, wechat, entry) => {
  expect(entryFor(platform, wechat)).toBe(entry)
})

test('a bound cadre gets a session from the wx.login code', async () => {
  fakeUni().loginCode = 'code-1'
  fakeUni().answer(json(200, { bound: true, token: 'tok', profile }))

  const result = await loginWithWechat()

  expect(result.bound).toBe(true)
  expect(getToken()).toBe('tok')
  expect(fakeUni().requests[0].data).toEqual({ code: 'code-1' })
})

test('a first-time cadre keeps the bind ticket for the binding page', async () => {
  fakeUni().answer(json(200, { bound: false, bind_ticket: 'ticket-9' }))

  const result = await loginWithWechat()

  expect(result).toEqual({ bound: false, bindTicket: 'ticket-9' })
  expect(pendingBindTicket()).toBe('ticket-9')
  expect(getToken()).toBe('')
})

test('the stand-in binds an unbound demo cadre with the phone code it hands out', async () => {
  fakeUni().answer(
    json(200, { code: 'login-code' }),
    json(200, { bound: false, bind_ticket: 'ticket-1' }),
    json(200, { code: 'phone-code' }),
    json(200, { bound: true, token: 'tok-2', profile }),
  )

  const result = await loginWithStandin('13800000001')

  expect(result.bound).toBe(true)
  expect(getToken()).toBe('tok-2')
  expect(fakeUni().requests.map((r) => [r.url, r.data])).toEqual([
    ['/mp/v1/auth/standin/login-code', { phone: '13800000001' }],
    ['/mp/v1/auth/login', { code: 'login-code' }],
    ['/mp/v1/auth/standin/phone-code', { phone: '13800000001' }],
    ['/mp/v1/auth/bind', { bind_ticket: 'ticket-1', phone_code: 'phone-code' }],
  ])
})

test('the stand-in refusing an unknown phone surfaces its message', async () => {
  fakeUni().answer(refusal(404, 'accounts.standin_unknown_phone', '名册中没有这个手机号'))

  await expect(loginWithStandin('13900000000')).rejects.toMatchObject({ message: '名册中没有这个手机号' })
})

test('on mp-weixin an expired session is renewed silently', async () => {
  setToken('expired')
  fakeUni().answer(json(200, { bound: true, token: 'fresh', profile }))

  expect(await renewSession('mp-weixin')).toBe(true)
  expect(getToken()).toBe('fresh')
  expect(fakeUni().navigations).toEqual([])
})

test('on H5 an expired session sends the cadre to the login page', async () => {
  setToken('expired')

  expect(await renewSession('h5')).toBe(false)
  expect(getToken()).toBe('')
  expect(fakeUni().navigations).toEqual(['reLaunch:/pages/login/index'])
})
