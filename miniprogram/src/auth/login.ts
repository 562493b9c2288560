/**
 * How a cadre gets a session. mp-weixin: uni.login → /auth/login; a first-time cadre binds with
 * the phone number WeChat confirms (获取手机号). H5 logs in only where the backend runs its WeChat
 * stand-in (embedded default, demo, tests); elsewhere it says to open the mini-program in WeChat.
 */
import { api, setRelogin } from '../api/client'
import { clearToken, setToken } from '../api/session'
import type { Schemas } from '../api/types'
import { PLATFORM } from '../config'

export type WechatLogin = 'configured' | 'standin' | 'absent'

/** Which login page an unauthenticated cadre sees. */
export type Entry = 'wechat' | 'standin' | 'open-in-wechat' | 'not-configured'

export function entryFor(platform: string, wechat: WechatLogin): Entry {
  if (platform === 'mp-weixin') return 'wechat'
  if (wechat === 'standin') return 'standin'
  return wechat === 'configured' ? 'open-in-wechat' : 'not-configured'
}

export type LoginResult = { bound: true; profile: Schemas['CadreLoginOut']['profile'] } | { bound: false; bindTicket: string }

let bindTicket = ''

/** The ticket of an unbound login, kept in memory until the binding page uses it. */
export function pendingBindTicket(): string {
  return bindTicket
}

function accept(answer: Schemas['CadreLoginOut']): LoginResult {
  if (answer.bound && answer.token) {
    setToken(answer.token)
    bindTicket = ''
    return { bound: true, profile: answer.profile ?? null }
  }
  bindTicket = answer.bind_ticket ?? ''
  return { bound: false, bindTicket }
}

export async function loginWithCode(code: string): Promise<LoginResult> {
  return accept(await api.post('/mp/v1/auth/login', { body: { code }, anonymous: true }))
}

export async function bindWithPhoneCode(ticket: string, phoneCode: string): Promise<LoginResult> {
  return accept(await api.post('/mp/v1/auth/bind', { body: { bind_ticket: ticket, phone_code: phoneCode }, anonymous: true }))
}

function wechatCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    uni.login({
      provider: 'weixin',
      success: (answer) => resolve(answer.code),
      fail: () => reject(new Error('微信登录失败，请稍后重试')),
    })
  })
}

export async function loginWithWechat(): Promise<LoginResult> {
  return loginWithCode(await wechatCode())
}

/**
 * The stand-in's way through the same two endpoints: it hands out the codes WeChat would, for a
 * phone on the roster. An unbound cadre is bound at once with that phone's code.
 */
export async function loginWithStandin(phone: string): Promise<LoginResult> {
  const { code } = await api.post('/mp/v1/auth/standin/login-code', { body: { phone }, anonymous: true })
  const first = await loginWithCode(code)
  if (first.bound) return first
  const phoneCode = await api.post('/mp/v1/auth/standin/phone-code', { body: { phone }, anonymous: true })
  return bindWithPhoneCode(first.bindTicket, phoneCode.code)
}

export async function wechatLoginConfig(): Promise<WechatLogin> {
  return (await api.get('/mp/v1/auth/config', { anonymous: true })).wechat
}

export async function logout(): Promise<void> {
  try {
    await api.post('/mp/v1/auth/logout')
  } finally {
    clearToken()
  }
}

/**
 * After a 401: mp-weixin renews the session silently (a bound cadre needs no tap); otherwise the
 * cadre is sent to the login page and the call fails with the backend's message.
 */
export async function renewSession(platform: string = PLATFORM): Promise<boolean> {
  clearToken()
  if (platform === 'mp-weixin') {
    try {
      return (await loginWithWechat()).bound
    } catch {
      return false
    }
  }
  uni.reLaunch({ url: '/pages/login/index' })
  return false
}

export function installSessionRenewal(): void {
  setRelogin(() => renewSession())
}
